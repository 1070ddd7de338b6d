"""What bench/two_way.py runs on: a Xero or QuickBooks emulator on the wall clock, one connected and
imported tenant with a few invoices pushed, and booksync's own processes (`booksync serve` for the
webhooks, `booksync worker`) on the bench's store, started and stopped as a person would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.services.connect import connect_tool
from booksync.services.inbound import set_webhook_key
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import InboundEvent, SyncJob
from booksync_emulators.clock import VirtualClock
from booksync_emulators.quickbooks import QboLimits, QuickBooksEmulator
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import XeroEmulator, XeroLimits

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
WEBHOOK_KEY = "bench-webhook-key"
#: (tax type, income code, expense code) a new organisation / company has.
CHARTS = {"xero": ("OUTPUT", "200", "310"), "quickbooks": ("GST", "4100", "5000")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(probe: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(every)


@dataclass
class Tool:
    """A running emulator of `kind` with one tenant."""

    kind: str
    emulator: XeroEmulator | QuickBooksEmulator
    server: EmulatorServer
    secret: str | None = None
    #: A token of the company's own (QuickBooks), for what the bookkeeper types there.
    bookkeeper_token: str = ""

    @property
    def tenant_id(self) -> str:
        if isinstance(self.emulator, XeroEmulator):
            return next(iter(self.emulator.orgs))
        return next(iter(self.emulator.realms))

    def stop(self) -> None:
        self.emulator.webhooks.close()
        self.server.stop()


def start_tool(kind: str) -> Tool:
    """The emulator on the wall clock (booksync's processes keep real time), the tool's real
    limits."""
    clock = VirtualClock.real()
    if kind == "xero":
        xero = XeroEmulator(clock=clock, limits=XeroLimits())
        xero.add_org("Northwind IT AU", "AU")
        return Tool(kind, xero, xero.serve().start())
    qbo = QuickBooksEmulator(clock=clock, limits=QboLimits())
    (seeded,) = qbo.seed(1, account_numbers=True)
    qbo.auth.consent_realm = seeded.realm_id  # the company the person picks at sign-in
    server = qbo.serve().start()
    return Tool(kind, qbo, server, qbo.client.client_secret, seeded.access_token)


def browser(url: str) -> None:
    httpx.get(url, follow_redirects=True, timeout=30)


def connect(store: Store, tool: Tool, invoices: int) -> list[str]:
    """Sign in (the real flow), import, set the webhook key; a client, a product and `invoices`
    authorised invoices of 110.00 (not pushed yet). Returns their numbers."""
    url = tool.server.url
    if isinstance(tool.emulator, XeroEmulator):
        app = tool.emulator.auth.register_client("booksync-bench-two-way", None)
        settings: XeroSettings | QuickBooksSettings = XeroSettings.from_env(
            {
                "BOOKSYNC_XERO_URL": url,
                "BOOKSYNC_XERO_CLIENT_ID": app.client_id,
                "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
            }
        )
    else:
        os.environ["BOOKSYNC_QUICKBOOKS_CLIENT_SECRET"] = tool.secret or ""  # refreshes need it
        settings = QuickBooksSettings.from_env(
            {
                "BOOKSYNC_QUICKBOOKS_URL": url,
                "BOOKSYNC_QUICKBOOKS_CLIENT_ID": tool.emulator.client.client_id,
                "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": tool.secret or "",
                "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
            }
        )
    tax_type, income, expense = CHARTS[tool.kind]
    numbers = [f"INV-{n:05d}" for n in range(1, invoices + 1)]
    with store.session() as s:
        (tenant,) = connect_tool(s, tool.kind, settings=settings, announce=browser, timeout=30)
        entities = ["client", "product", "invoice"]
        configure_integration(s, tool.kind, {"enabled": True, "entities_to_sync": entities})
        set_webhook_key(s, tool.kind, WEBHOOK_KEY)
        connector = tenant_connector(tenant, client_secret=tool.secret)
        try:
            import_from_tool(s, tenant.name, connector=connector)
        finally:
            connector.close()
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant.name, tax_type)
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": income, "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Cost of sales", "code": expense, "kind": "expense"})
        group = {"name": "Managed", "tax_rate": "GST on Income"}
        ITEM_GROUPS.create(s, group | {"income_account": income, "expense_account": expense})
        CLIENTS.create(s, {"name": "Harbour Dental", "tenant": tenant.name})
        product = {"name": "Managed backup", "code": "MB-1", "price": "100.00"}
        PRODUCTS.create(
            s,
            product | {"item_group": "Managed", "use_item_group_tax": True, "tenant": tenant.name},
        )
        due = (date.today() + timedelta(days=14)).isoformat()
        for number in numbers:
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": number,
                    "party": "Harbour Dental",
                    "status": "authorised",
                    "due_date": due,
                    "lines": [{"product": "Managed backup", "quantity": "1"}],
                },
            )
    return numbers


@dataclass
class Booksync:
    """`booksync serve` and `booksync worker` on `store`, as processes of their own."""

    store: Store
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def db(self) -> str:
        return self.store.engine.url.render_as_string(hide_password=False)

    def webhook_url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/webhooks/{kind}"

    def serve(self) -> None:
        self._start("serve", ["serve", "--port", str(self.port), "--no-worker"], {})
        wait_until(self._answering, 60, "booksync serve")

    def _answering(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=1).is_success
        except httpx.TransportError:
            return False

    def worker(self, pull_interval: float) -> None:
        env = {"BOOKSYNC_PULL_INTERVAL": str(pull_interval)}
        self._start("worker", ["worker", "--poll", "0.2"], env)

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.processes[name] = subprocess.Popen(
            [BOOKSYNC, "--db", self.db, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ | env,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [BOOKSYNC, "--db", self.db, *args], capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            raise RuntimeError(f"booksync {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def all_synced(self) -> bool:
        with self.store.session() as s:
            states = list(s.scalars(select(SyncJob.status)))
        return bool(states) and all(status == "synced" for status in states)

    def events_settled(self) -> bool:
        stmt = select(func.count()).select_from(InboundEvent)
        with self.store.session() as s:
            return not s.scalar(stmt.where(InboundEvent.status.in_(("pending", "failed"))))
