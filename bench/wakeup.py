"""Wake-up latency on PostgreSQL: from a record saved to it arriving at the tool, with an idle worker.

A worker (`Engine.run_forever`, in a thread of this process) sits idle on a book that is synced,
with `--tenants` other tenants connected and imported (1,000 by default, as `bench scale` has);
this process saves a new client (through the services, as the CLI or the web admin would), and the
time from the save's commit to the client's push returning from the tool is measured. The tool is
`RecordingTool(":memory:")`, which answers instantly, so what is measured is the wake-up and
booksync's own one-record pass. Two runs on the same book:

- listening: the worker waits on `LISTEN booksync_sync_jobs` with a 30 s poll, so only the NOTIFY
  the save's transaction sends explains a pick-up within the run;
- baseline, polling only: the same worker with no LISTEN connection, looking every 0.5 s (the
  `booksync worker --poll` default).

Saves come at random moments (0.3-0.8 s apart), so they fall anywhere in the poll cycle. Printed:
median and p95 per run, and the target (within 100 ms, without polling).

    python -m bench wakeup
    python -m bench.wakeup --saves 50
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bench.doctor import PG_ADMIN_URL, postgres_reachable, postgres_store
from booksync.connectors.protocol import PushItem, PushResult
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import AccountCode, Tenant, TenantTaxType
from booksync.sync import wakeup as wakeup_module
from booksync_emulators.recording import RecordingTool

TARGET_MS = 100.0
LISTEN_POLL = 30.0
BASELINE_POLL = 0.5


class StampingTool(RecordingTool):
    """The instant tool, noting when each pushed client's name came back applied."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.arrived: dict[str, float] = {}
        self.seen = threading.Condition()

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        answers = super().push(tenant, entity, items)
        now = time.perf_counter()
        with self.seen:
            for item in items:
                name = getattr(item.payload, "name", None)
                if name is not None:
                    self.arrived.setdefault(str(name), now)
            self.seen.notify_all()
        return answers

    def wait_for(self, name: str, timeout: float) -> float | None:
        with self.seen:
            self.seen.wait_for(lambda: name in self.arrived, timeout)
            return self.arrived.get(name)


class _Deaf(wakeup_module.Wakeup):
    """A `Wakeup` that never opens its LISTEN connection: the worker polls, as on SQLite."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.close()


def measure(store: Store, tool: StampingTool, label: str, poll: float, saves: int) -> list[float]:
    """Seconds from each save's commit to its arrival at the tool, a worker idle at `poll`."""
    from booksync.sync.engine import Engine

    engine = Engine(store, lambda tenant: tool)
    stop = threading.Event()
    worker = threading.Thread(target=engine.run_forever, args=(stop,), kwargs={"poll": poll})
    worker.start()
    rnd = random.Random(11)
    waits: list[float] = []
    try:
        time.sleep(1.0)  # past its first look: idle now
        for i in range(saves):
            name = f"Walk-in {label} {i}"
            with store.session() as s:
                CLIENTS.create(s, {"name": name, "tenant": "Acme AU"})
            committed = time.perf_counter()
            arrived = tool.wait_for(name, 60.0)
            if arrived is None:
                raise SystemExit(f"{name!r} did not reach the tool within 60 s")
            waits.append(arrived - committed)
            time.sleep(rnd.uniform(0.3, 0.8))  # idle again, at any point of the poll cycle
    finally:
        stop.set()
        worker.join()
        engine.close()
    return waits


def _books(store: Store, tool: StampingTool, tenants: int) -> None:
    """The tests' ready books (one connected, imported tenant), and `tenants` more as a scale-out
    book has them: connected, each with its tool's 20 account codes and 3 tax types imported."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.books import ready_books  # the tests' builder: a connected, imported tenant

    ready_books(store, tool, clients=5, products=2, invoices=5)
    if tenants < 1:
        return
    now = datetime.now(UTC)
    with store.session() as s:
        integration = s.scalars(select(Tenant.integration_id)).first()
    with store.engine.begin() as conn:
        ids = (
            conn.execute(
                insert(Tenant).returning(Tenant.id),
                [
                    {
                        "integration_id": integration,
                        "name": f"Org {i:04d}",
                        "remote_tenant_id": f"org-{i:04d}",
                        "base_currency": "AUD",
                        "connection_state": "connected",
                        "accounts_imported_at": now,
                        "tax_types_imported_at": now,
                    }
                    for i in range(tenants)
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(
            insert(AccountCode),
            [
                {
                    "name": f"Account {code}",
                    "code": str(code),
                    "kind": "income" if code < 400 else "expense",
                    "tenant_id": tenant,
                    "imported_from_tool": True,
                }
                for tenant in ids
                for code in range(200, 600, 20)
            ],
        )
        conn.execute(
            insert(TenantTaxType),
            [
                {"tenant_id": tenant, "tax_type": tax_type}
                for tenant in ids
                for tax_type in ("OUTPUT", "INPUT", "EXEMPTOUTPUT")
            ],
        )


def _line(label: str, waits: list[float]) -> str:
    ms = sorted(w * 1000 for w in waits)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"  {label:<44} median {statistics.median(ms):7.1f} ms, p95 {p95:7.1f} ms, "
        f"worst {ms[-1]:7.1f} ms ({len(ms)} saves)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wakeup", description=__doc__)
    parser.add_argument("--saves", type=int, default=20, help="saves per run (default 20)")
    parser.add_argument(
        "--tenants",
        type=int,
        default=1000,
        help="other tenants in the book, connected and imported (default 1000, as bench scale)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    if args.saves < 1:
        parser.error(f"--saves: {args.saves} is too few; accepted: 1 or more")
    if args.tenants < 0:
        parser.error(f"--tenants: {args.tenants} is not accepted; accepted: 0 or more")
    problem = postgres_reachable()
    if problem:
        print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        return
    with postgres_store() as store:
        tool = StampingTool()
        _books(store, tool, args.tenants)
        first = measure(store, tool, "warm-up", LISTEN_POLL, 1)  # opens the tenant's connector
        listening = measure(store, tool, "listen", LISTEN_POLL, args.saves)
        real = wakeup_module.Wakeup
        wakeup_module.Wakeup = _Deaf  # type: ignore[misc]
        try:
            polling = measure(store, tool, "poll", BASELINE_POLL, args.saves)
        finally:
            wakeup_module.Wakeup = real  # type: ignore[misc]
    print(
        f"postgresql, {args.tenants + 1:,} tenants: an idle worker, save committed -> the client "
        "pushed to the instant tool"
    )
    print(f"  (first save after start: {first[0] * 1000:.1f} ms)")
    print(_line(f"listening (NOTIFY, poll {LISTEN_POLL:g} s)", listening))
    print(_line(f"baseline, polling only (every {BASELINE_POLL:g} s)", polling))
    p95 = sorted(listening)[min(len(listening) - 1, round(0.95 * (len(listening) - 1)))] * 1000
    print(
        f"  listening vs baseline: {statistics.median(polling) / statistics.median(listening):.1f}x"
        f" faster (median); target: within {TARGET_MS:.0f} ms without polling: p95 {p95:.1f} ms "
        f"({'met' if p95 <= TARGET_MS else 'not met'})",
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
