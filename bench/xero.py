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

import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench._tools import (
    MINUTE,
    START,
    Book,
    Chart,
    OpenStore,
    browser,
    build,
    main_for,
    synced_jobs,
)
from booksync.connectors.protocol import Connector
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.services.connect import connect_tool
from booksync.services.records import configure_integration
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import ACCOUNTING_PREFIX, TOKEN_PATH, XeroEmulator, XeroLimits

BATCH = 50  # the connector's batch: Xero's guidance of about 50 elements per request
DAY = 86_400.0
#: The tax type and account codes a new AU organisation has, as the book uses them.
CHART = Chart(tax_type="OUTPUT", income_code="200", expense_code="310")


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


def time_bounds(calls: int, limits: XeroLimits) -> tuple[float, float]:
    """(least possible, at an even pace) virtual seconds from the first of `calls` calls to one tenant
    to the start of the last, under the minute and day limits (see the module docstring)."""
    days = (calls - 1) // limits.per_day
    rest = calls - days * limits.per_day  # the calls after the last day's wait
    burst = MINUTE * ((rest - 1) // limits.per_minute)
    even = (rest - 1) * MINUTE / limits.per_minute
    return days * DAY + burst, days * DAY + even


# -- the organisation -------------------------------------------------------------------------------


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

    with store.session() as s:
        (tenant,) = connect_tool(
            s, "xero", settings=settings, announce=browser, timeout=30, clock=emulated.clock
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


def sync(label: str, open_store: OpenStore, invoices: int, batch: int) -> tuple[Book, Run]:
    emulated = start_emulator()
    try:
        with open_store() as store:
            tenant_name = connect(store, emulated)
            book = build(store, tenant_name, invoices, CHART)
            emulated.server.recorder.clear()
            clock = emulated.clock
            engine = Engine(store, connectors(clock, batch), clock=clock)
            virtual, real = clock.now(), time.perf_counter()
            try:
                result = engine.run_pass(max_wait=2 * DAY)
            finally:
                engine.close()
            real, virtual = time.perf_counter() - real, clock.now() - virtual
            synced = synced_jobs(store)
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
        synced=synced,
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
        invoice_bound, write_bound = book.write_calls(run.batch)
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


def bench(label: str, open_store: OpenStore, invoices: int) -> None:
    print(f"{label}:", flush=True)
    book, fast = sync("batched", open_store, invoices, BATCH)
    _, base = sync("baseline, one record per call", open_store, invoices, 1)
    report(book, [fast, base])


def main(argv: list[str] | None = None) -> None:
    main_for("python -m bench.xero", __doc__, bench, argv)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
