"""10,000 invoices synced into the Xero emulator under Xero's real limits, on a virtual clock.

One Xero tenant (an AU organisation in the emulator, connected through the real sign-in flow and
imported) holds 200 clients, 100 products and 10,000 authorised invoices of 1-4 lines, written with
bulk inserts and a pending sync job each. One engine worker syncs them through the Xero connector
over loopback; the engine, the connector and the emulator share one virtual clock, so the limits
(60 calls a minute, 5,000 a day, 5 at once per tenant), Retry-After and token expiry all happen in
virtual time while the real seconds measure booksync's own work plus the emulator's.

Measured twice in the same run, each on a fresh emulator and a fresh copy of the same book:
- batched: what the connector allows (50 elements per request);
- baseline: one record per request (batch size 1 for every record type), what an integration
  without batching does.

How calls are counted: every HTTP request the emulator received on the Accounting API
(`/api.xro/2.0/...`), including any it refused with 429; "invoice calls" are the POSTs to
/Invoices. Calls per invoice = invoice calls / invoices found in the emulator afterwards; its bound
is ceil(invoices / batch) calls. Token refreshes go to the identity endpoint and are listed apart.
Virtual wall time runs from the start of the pass to its end. Its bounds, for N calls to one tenant:
- least possible: Xero's minute is a sliding 60 s window, so 60 calls may go at once and 60 more
  each minute after: the last of N starts at >= 60 * floor((N-1)/60) s; and the day limit (5,000 a
  day) means call 5,000d+j starts >= d days after call j;
- at an even 60 calls a minute (one a second, the engine's pace): N-1 s, plus the same day waits.

    python -m bench xero
    python -m bench.xero --invoices 2000          # a smaller book for a quick look
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select

from bench.doctor import PG_ADMIN_URL, postgres_reachable, postgres_store, sqlite_store
from booksync.connectors.protocol import Connector
from booksync.connectors.xero import XeroConnector
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services.records import (
    ACCOUNT_CODES,
    ITEM_GROUPS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.services.xero_connect import XeroSettings, connect_xero
from booksync.store.db import Store
from booksync.store.models import Client, Document, DocumentLine, Product, SyncJob, Tenant
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import ACCOUNTING_PREFIX, TOKEN_PATH, XeroEmulator, XeroLimits

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BATCH = 50  # the connector's batch: Xero's guidance of about 50 elements per request
CLIENTS, PRODUCTS = 200, 100
CHUNK = 5_000
DAY, MINUTE = 86_400.0, 60.0


@dataclass(frozen=True)
class Book:
    clients: int
    products: int
    invoices: int
    lines: int

    @property
    def records(self) -> int:
        return self.clients + self.products + self.invoices


@dataclass(frozen=True)
class Run:
    label: str
    batch: int
    real: float
    virtual: float
    synced: int
    invoices_in_xero: int
    duplicates: int
    invoice_calls: int
    api_calls: int
    refused: int
    token_calls: int
    engine_calls: int

    @property
    def per_invoice(self) -> float:
        return self.invoice_calls / self.invoices_in_xero if self.invoices_in_xero else 0.0

    @property
    def api_per_invoice(self) -> float:
        return self.api_calls / self.invoices_in_xero if self.invoices_in_xero else 0.0


def calls_bound(book: Book, batch: int) -> tuple[int, int]:
    """(invoice calls, all write calls) at `batch` elements per call: the least the book needs."""
    invoices = math.ceil(book.invoices / batch)
    return invoices, invoices + math.ceil(book.clients / batch) + math.ceil(book.products / batch)


def time_bounds(calls: int, limits: XeroLimits) -> tuple[float, float]:
    """(least possible, at an even pace) virtual seconds from the first of `calls` calls to one tenant
    to the start of the last, under the minute and day limits (see the module docstring)."""
    days = (calls - 1) // limits.per_day
    rest = calls - days * limits.per_day  # the calls after the last day's wait
    burst = MINUTE * ((rest - 1) // limits.per_minute)
    even = (rest - 1) * MINUTE / limits.per_minute
    return days * DAY + burst, days * DAY + even


# -- the book --------------------------------------------------------------------------------------


@dataclass
class Emulated:
    emulator: XeroEmulator
    server: EmulatorServer
    clock: VirtualClock


def start_emulator() -> Emulated:
    clock = VirtualClock(START)
    emulator = XeroEmulator(clock=clock, limits=XeroLimits())
    emulator.add_org("Northwind IT AU", "AU")
    return Emulated(emulator, emulator.serve().start(), clock)


def connect(store: Store, emulated: Emulated) -> str:
    """Sign in to the emulated Xero as a person would (PKCE), and import the tenant's chart."""
    app = emulated.emulator.auth.register_client("booksync-bench", None)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": emulated.server.url,
            "BOOKSYNC_XERO_CLIENT_ID": app.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )

    def browser(url: str) -> None:
        httpx.get(url, follow_redirects=True, timeout=10)

    with store.session() as s:
        (tenant,) = connect_xero(
            s, settings=settings, announce=browser, timeout=30, clock=emulated.clock
        )
        configure_integration(
            s, "xero", {"enabled": True, "entities_to_sync": ["client", "product", "invoice"]}
        )
        connector = tenant_connector(tenant, clock=emulated.clock)
        try:
            import_from_tool(s, tenant.name, connector=connector)
        finally:
            connector.close()
        return tenant.name


def build(store: Store, tenant_name: str, invoices: int, *, seed: int = 11) -> Book:
    """The tax rate, account codes and item group through the services; then clients, products,
    invoices and their pending sync jobs with bulk inserts (the same book for the same seed)."""
    rnd = random.Random(seed)
    now = START
    with store.session() as s:
        tenant_id = s.scalars(select(Tenant.id).where(Tenant.name == tenant_name)).one()
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant_name, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Cost of Goods Sold", "code": "310", "kind": "expense"})
        group = ITEM_GROUPS.create(
            s,
            {
                "name": "Managed Services",
                "tax_rate": "GST on Income",
                "income_account": "200",
                "expense_account": "310",
            },
        )
        group_id = group.id
    stamp: dict[str, Any] = {"version": 1, "remote_id": None, "created_at": now, "updated_at": now}
    clients = [
        {
            "id": i,
            "name": f"Client {i:05d} Pty Ltd",
            "email": f"accounts@client{i:05d}.example.com",
            "currency": "AUD",
            "tax_rate_id": None,
            "exclude_from_accounting": False,
            "tenant_id": tenant_id,
            **stamp,
        }
        for i in range(1, CLIENTS + 1)
    ]
    prices = [Decimal(rnd.randint(450, 24_500)) / 100 for _ in range(PRODUCTS)]
    products = [
        {
            "id": i,
            "name": f"Service {i:04d}",
            "code": f"SVC-{i:04d}",
            "description": f"Managed service {i:04d}, per device",
            "price": prices[i - 1],
            "cost": (prices[i - 1] * Decimal("0.4")).quantize(Decimal("0.01")),
            "item_group_id": group_id,
            "use_item_group_tax": True,
            "tax_rate_id": None,
            "income_account_id": None,
            "expense_account_id": None,
            "exclude_from_accounting": False,
            "tenant_id": tenant_id,
            **stamp,
        }
        for i in range(1, PRODUCTS + 1)
    ]
    documents: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    issued = date(2026, 10, 1)
    for i in range(1, invoices + 1):
        documents.append(
            {
                "id": i,
                "kind": EntityType.INVOICE.value,
                "number": f"INV-{i:06d}",
                "client_id": rnd.randint(1, CLIENTS),
                "supplier_id": None,
                "issue_date": issued,
                "due_date": issued + timedelta(days=14),
                "currency": "AUD",
                "status": "authorised",
                "reference": "Managed services October 2026",
                **stamp,
            }
        )
        for position in range(1, rnd.randint(1, 4) + 1):
            product = rnd.randint(1, PRODUCTS)
            lines.append(
                {
                    "id": len(lines) + 1,
                    "document_id": i,
                    "position": position,
                    "product_id": product,
                    "description": f"Service {product:04d}",
                    "quantity": Decimal(rnd.choice(["1", "2", "3", "5", "12", "25", "0.5"])),
                    "unit_price": prices[product - 1],
                    "tax_rate_id": None,
                }
            )
    pending = {"record_version": 1, "status": "pending", "attempts": 0, "blocked_reasons": []}
    jobs = [
        {"entity_type": entity.value, "record_id": row["id"], **pending, **stamp}
        for entity, rows in (
            (EntityType.CLIENT, clients),
            (EntityType.PRODUCT, products),
            (EntityType.INVOICE, documents),
        )
        for row in rows
    ]
    for job in jobs:
        del job["version"], job["remote_id"]
    with store.engine.begin() as conn:
        for table, rows in (
            (Client, clients),
            (Product, products),
            (Document, documents),
            (DocumentLine, lines),
            (SyncJob, jobs),
        ):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[start : start + CHUNK])
    return Book(len(clients), len(products), len(documents), len(lines))


# -- one run ----------------------------------------------------------------------------------------


def connectors(clock: VirtualClock, batch: int) -> Callable[[Tenant], Connector]:
    def make(tenant: Tenant) -> Connector:
        connector = tenant_connector(tenant, clock=clock, timeout=30.0)
        if batch != BATCH:
            assert isinstance(connector, XeroConnector)
            connector.limits = dataclasses.replace(
                XeroConnector.limits, batch_size=dict.fromkeys(EntityType, batch)
            )
        return connector

    return make


def sync(
    label: str, open_store: Callable[[], AbstractContextManager[Store]], invoices: int, batch: int
) -> tuple[Book, Run]:
    emulated = start_emulator()
    try:
        with open_store() as store:
            tenant_name = connect(store, emulated)
            book = build(store, tenant_name, invoices)
            emulated.server.recorder.clear()
            clock = emulated.clock
            engine = Engine(store, connectors(clock, batch), clock=clock)
            virtual, real = clock.now(), time.perf_counter()
            try:
                result = engine.run_pass(max_wait=2 * DAY)
            finally:
                engine.close()
            real, virtual = time.perf_counter() - real, clock.now() - virtual
            with store.session() as s:
                synced = s.scalar(
                    select(func.count()).select_from(SyncJob).where(SyncJob.status == "synced")
                )
            (org,) = emulated.emulator.orgs.values()
            numbers = Counter(r["InvoiceNumber"] for r in org.collection("Invoices").values())
            requests = [
                (e.request.method, e.request.path.lower(), e.response.status)
                for e in emulated.server.recorder
            ]
    finally:
        emulated.server.stop()
    api = [r for r in requests if r[1].startswith(ACCOUNTING_PREFIX.lower() + "/")]
    run = Run(
        label=label,
        batch=batch,
        real=real,
        virtual=virtual,
        synced=synced or 0,
        invoices_in_xero=len(numbers),
        duplicates=sum(n - 1 for n in numbers.values()),
        invoice_calls=sum(1 for m, p, _ in api if m == "POST" and p.endswith("/invoices")),
        api_calls=len(api),
        refused=sum(1 for *_, status in api if status == 429),
        token_calls=sum(1 for _, p, _ in requests if p == TOKEN_PATH),
        engine_calls=result.calls,
    )
    return book, run


def report(book: Book, runs: list[Run]) -> None:
    limits = XeroLimits()
    print(
        f"  book: {book.clients:,} clients, {book.products:,} products, {book.invoices:,} invoices "
        f"({book.lines:,} lines) in one tenant; limits per tenant {limits.per_minute}/min, "
        f"{limits.per_day:,}/day, {limits.concurrent} at once"
    )
    for run in runs:
        invoice_bound, write_bound = calls_bound(book, run.batch)
        least, even = time_bounds(write_bound, limits)
        least_inv, even_inv = time_bounds(invoice_bound, limits)
        print(f"  {run.label} (batch {run.batch}):")
        print(
            f"    every invoice once: {run.invoices_in_xero:,} of {book.invoices:,} in Xero, "
            f"{run.duplicates} duplicates; {run.synced:,} of {book.records:,} jobs synced"
        )
        print(
            f"    API calls per invoice: {run.per_invoice:.4f} ({run.invoice_calls:,} invoice calls;"
            f" bound ceil({book.invoices:,}/{run.batch}) = {invoice_bound:,} calls = "
            f"{invoice_bound / book.invoices:.4f} per invoice)"
        )
        print(
            f"    all API calls: {run.api_calls:,} = {run.api_per_invoice:.4f} per invoice (bound "
            f"{write_bound:,} writes), {run.refused} refused with 429; engine counted "
            f"{run.engine_calls:,}; {run.token_calls} token refreshes"
        )
        print(
            f"    virtual wall time: {run.virtual:,.0f} s = {run.virtual / 3600:,.2f} h; bound for "
            f"the {write_bound:,} writes {least:,.0f} s least possible, {even:,.0f} s at an even "
            f"60/min (invoice calls alone: {least_inv:,.0f} s, {even_inv:,.0f} s)"
        )
        print(f"    real time: {run.real:.1f} s", flush=True)
    fast, base = runs
    print(
        f"  batched vs baseline: {base.invoice_calls / fast.invoice_calls:.0f}x fewer invoice calls,"
        f" {base.virtual / fast.virtual:.0f}x less virtual time, "
        f"{base.real / fast.real:.1f}x less real time",
        flush=True,
    )


def bench(
    label: str, open_store: Callable[[], AbstractContextManager[Store]], invoices: int
) -> None:
    print(f"{label}:", flush=True)
    book, fast = sync("batched", open_store, invoices, BATCH)
    _, base = sync("baseline, one record per call", open_store, invoices, 1)
    report(book, [fast, base])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.xero", description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="sqlite")
    args = parser.parse_args(argv if argv is not None else [])
    if args.invoices < 1:
        parser.error(f"--invoices: {args.invoices} is too few; accepted: 1 or more")
    # Tokens are stored encrypted: a throwaway key, unless one is configured.
    os.environ.setdefault(KEY_ENV, Fernet.generate_key().decode())
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs", flush=True)
    if args.backend in ("all", "sqlite"):
        bench("sqlite", sqlite_store, args.invoices)
    if args.backend in ("all", "postgresql"):
        problem = postgres_reachable()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        else:
            bench("postgresql", postgres_store, args.invoices)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
