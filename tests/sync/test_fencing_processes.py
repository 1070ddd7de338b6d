"""Real `booksync worker` processes on PostgreSQL against the Xero emulator over HTTP: a worker
paused (SIGSTOP) past its lease loses its jobs to another and, resumed (SIGCONT), pushes and records
nothing for them; four workers SIGKILLed at random points and restarted leave every record in Xero
exactly once."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services.connect import connect_tool
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool
from booksync.store.db import Store
from booksync.store.models import SyncJob
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero.app import XeroEmulator
from conftest import _empty_pg

CLIENTS_N, INVOICES_N = 20, 60
LEASE = "2"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@dataclass
class Emulator:
    """The Xero emulator served over HTTP from this process, so that a test can hold a call inside
    it (`faults.hold`) at the moment it chooses."""

    tool: XeroEmulator
    server: EmulatorServer
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    def count(self, tenant: str, path: str, key: str, field: str) -> Counter[str]:
        """Every object of `path` in the tenant, counted by `field` (booksync's reference)."""
        found: Counter[str] = Counter()
        page = 1
        while True:
            answer = httpx.get(
                f"{self.url}/api.xro/2.0/{path}",
                params={"page": str(page)},
                headers={"Authorization": f"Bearer {self.token}", "xero-tenant-id": tenant},
                timeout=10,
            )
            rows = answer.json()[key]
            found.update(str(row.get(field)) for row in rows)
            if len(rows) < 100:
                return found
            page += 1


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    tool = XeroEmulator()
    (seeded,) = tool.seed(1)
    server = tool.serve().start()
    yield Emulator(tool, server, seeded.access_token)
    tool.faults.clear()
    server.stop()


@pytest.fixture
def books(pg_url: str, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A connected Xero tenant (signed in through the emulator) with clients, a product and
    invoices ready to sync; (database URL, Xero tenant id)."""
    _empty_pg(pg_url)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    store = Store(pg_url)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": emulator.url,
            "BOOKSYNC_XERO_CLIENT_ID": emulator.tool.client.client_id,
            "BOOKSYNC_XERO_CLIENT_SECRET": str(emulator.tool.client.client_secret),
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        configure_integration(s, "xero", {"enabled": True, "entities_to_sync": list(EntityType)})
        configure_integration(s, "ledger", {"enabled": False})
        (tenant,) = connect_tool(
            s, "xero", settings=settings, announce=lambda u: httpx.get(u, follow_redirects=True)
        )
        name, remote = tenant.name, tenant.remote_tenant_id
        import_from_tool(s, name)
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", name, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "COGS", "code": "310", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {"name": "Backup", "tax_rate": "GST on Income", "income_account": "200",
             "expense_account": "310"},
        )  # fmt: skip
        PRODUCTS.create(
            s,
            {"name": "Backup plan", "code": "BK-1", "price": "10.00", "cost": "5.00",
             "item_group": "Backup", "use_item_group_tax": True, "tenant": name},
        )  # fmt: skip
        for i in range(CLIENTS_N):
            CLIENTS.create(s, {"name": f"Client {i:03d}", "tenant": name})
        for i in range(INVOICES_N):
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {"number": f"INV-{i:04d}", "party": f"Client {i % CLIENTS_N:03d}",
                 "lines": [{"product": "Backup plan", "quantity": "1"}]},
            )  # fmt: skip
    store.dispose()
    monkeypatch.setenv("BOOKSYNC_XERO_CLIENT_SECRET", str(emulator.tool.client.client_secret))
    return pg_url, remote


LOGS: list[Path] = []


def start(db_url: str) -> subprocess.Popen[bytes]:
    """A `booksync worker` process; what it prints goes to a file a failing test shows."""
    path = LOGS[0] / f"worker-{time.monotonic_ns()}.log"
    with path.open("wb") as log:
        return subprocess.Popen(
            [str(BIN / "booksync"), "--db", db_url, "worker", "--lease", LEASE, "--poll", "0.2"],
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(autouse=True)
def worker_logs(tmp_path: Path) -> None:
    LOGS[:] = [tmp_path]


def jobs_of(db_url: str) -> list[SyncJob]:
    store = Store(db_url)
    try:
        with store.session() as s:
            found = list(s.scalars(select(SyncJob)))
            s.expunge_all()
            return found
    finally:
        store.dispose()


STATUS: list[str] = []


def status() -> str:
    """Where the jobs stand, and what each worker printed (for a failing test to show)."""
    found = Counter((j.status, j.claimed_by, j.attempts, j.last_error) for j in jobs_of(STATUS[0]))
    logs = "\n".join(f"{p.name}: {p.read_text()[-2000:]}" for p in sorted(LOGS[0].glob("*.log")))
    return f"{found}\n{logs}"


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}: {status()}"
        time.sleep(0.05)


def all_synced(db_url: str) -> bool:
    return Counter(j.status for j in jobs_of(db_url)) == {"synced": CLIENTS_N + 1 + INVOICES_N}


def assert_exactly_once(emulator: Emulator, tenant: str) -> None:
    contacts = emulator.count(tenant, "Contacts", "Contacts", "ContactNumber")
    invoices = emulator.count(tenant, "Invoices", "Invoices", "InvoiceNumber")
    items = emulator.count(tenant, "Items", "Items", "Code")
    ours = {k: n for k, n in contacts.items() if k.startswith("C-")}
    assert len(ours) == CLIENTS_N and set(ours.values()) == {1}, ours
    assert len(invoices) == INVOICES_N and set(invoices.values()) == {1}, invoices
    assert items["BK-1"] == 1


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_worker_paused_past_its_lease_can_neither_push_nor_record(
    books: tuple[str, str], emulator: Emulator
) -> None:
    db_url, tenant = books
    STATUS[:] = [db_url]
    # Its first batch of invoices stops inside Xero: the worker has marked the batch sent and
    # waits for the answer when it is paused, whatever the machine's speed.
    gate = emulator.tool.faults.hold(1, methods=["POST", "PUT"], path="/Invoices")
    paused = start(db_url)
    name = f"{socket.gethostname()}:{paused.pid}"
    other: subprocess.Popen[bytes] | None = None
    try:
        assert gate.wait_for_waiting(1, timeout=60), f"no invoice batch reached Xero: {status()}"
        assert any(j.claimed_by == name and j.uncertain for j in jobs_of(db_url)), status()
        paused.send_signal(signal.SIGSTOP)
        gate.release()  # Xero applies the batch; its answer waits for a worker that is stopped
        held = {j.id: j.claim_token for j in jobs_of(db_url) if j.claimed_by == name}
        other = start(db_url)
        took = time.monotonic()
        wait_until(lambda: all_synced(db_url), 90, "the second worker took over and synced it all")
        print(f"the second worker finished {time.monotonic() - took:.1f} s after it started")
        paused.send_signal(signal.SIGCONT)
        time.sleep(3)  # let it run on: whatever it had in hand must go nowhere
        after = jobs_of(db_url)
        assert Counter(j.status for j in after) == {"synced": CLIENTS_N + 1 + INVOICES_N}
        assert all(j.claimed_by is None for j in after)
        taken = {j.id: j.claim_token for j in after if j.id in held}
        assert all(taken[i] > held[i] for i in held), "its jobs were claimed again by the other"
        assert_exactly_once(emulator, tenant)
        assert paused.poll() is None  # still running: fenced, not crashed
    finally:
        stop(paused, *([other] if other else []))


def test_four_workers_killed_at_random_points_leave_every_record_once(
    books: tuple[str, str], emulator: Emulator
) -> None:
    db_url, tenant = books
    STATUS[:] = [db_url]
    rng = random.Random(12)
    workers = [start(db_url) for _ in range(4)]
    kills = 0
    try:
        deadline = time.monotonic() + 90
        while not all_synced(db_url):
            assert time.monotonic() < deadline, f"the workers never finished: {status()}"
            time.sleep(rng.uniform(0.2, 1.2))
            if kills < 6:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = start(db_url)
                kills += 1
        assert kills >= 3
        assert_exactly_once(emulator, tenant)
    finally:
        stop(*workers)
