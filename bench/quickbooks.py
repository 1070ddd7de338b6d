"""10,000 invoices synced into the QuickBooks Online emulator under QBO's real limits, on a virtual
clock.

One QuickBooks company (an AU company in the emulator, account numbers on, connected through the
real sign-in flow and imported) receives 200 clients, 100 products and 10,000 authorised invoices
of 1-4 lines (bench/_tools.py writes them with bulk inserts, a pending sync job each). One engine
worker syncs them through the QuickBooks connector over loopback; the engine, the connector and the
emulator share one virtual clock, so the limits and token lives play out in virtual time while the
real seconds measure booksync's own work plus the emulator's.

QBO's limits per company (realm) and app, as the emulator enforces them: 500 requests a minute
(batch requests included), 40 batch requests a minute, 10 requests in flight; a batch holds at
most 30 operations. Intuit also documents 10 requests a second, which the emulator does not
enforce; the bounds below honour it. Which limit binds:
- batched (the connector: every write a POST /batch of up to 30 operations): 40 batch requests a
  minute, i.e. at most 1,200 records a minute; the 500 requests a minute would allow 12x more.
- baseline, one call per record (POST /invoice, /customer, /item for each record, what an
  integration without batching does, each with its requestid): 500 requests a minute.
One operation per /batch call (batch size 1) would be the worst of both: 40 records a minute; its
bound is printed, not run.

Measured twice in the same run, each on a fresh emulator and a fresh copy of the same book. How
calls are counted: every HTTP request the emulator received under /v3/company (reads included,
and any it refused with 429); "invoice calls" are the writes that carried invoices (a /batch of
Invoice operations, or a POST /invoice). Calls per invoice = invoice calls / invoices found in the
company afterwards; its bound is ceil(invoices / batch). Virtual wall time runs from the start of
the pass to its end. Its bound, for the W writes: "least possible" starts each write as early as
every sliding window allows (greedy, which no schedule beats), so the last starts at that time;
"even pace" spaces them at the binding limit's rate. Reads and the pace of the engine's own steps
come on top.

    python -m bench quickbooks
    python -m bench quickbooks --invoices 2000          # a smaller book for a quick look
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench._tools import (
    START,
    Book,
    Chart,
    OpenStore,
    Window,
    browser,
    build,
    even_time,
    least_time,
    main_for,
    synced_jobs,
)
from booksync.connectors.protocol import Connector, Limits, PushResult
from booksync.connectors.quickbooks import QuickBooksConnector, request_id
from booksync.connectors.quickbooks.api import json_of
from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.connectors.quickbooks.connector import BATCH
from booksync.connectors.quickbooks.errors import FaultError, fault_errors
from booksync.connectors.quickbooks.mapping import ENTITIES
from booksync.domain.types import EntityType
from booksync.services.connect import connect_tool
from booksync.services.records import configure_integration
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.quickbooks import API_PREFIX, TOKEN_PATH, QboLimits, QuickBooksEmulator
from booksync_emulators.server import EmulatorServer

COMPANY = "Northwind IT Pty Ltd"
#: A new AU company's GST code and its numbered Services and Cost of Goods Sold accounts.
CHART = Chart(tax_type="GST", income_code="4100", expense_code="5000")
#: Intuit's documented 10 requests a second, on top of what the emulator enforces.
PER_SECOND: Window = (10, 1.0)
DAY = 86_400.0


def windows(limits: QboLimits, *, batch: bool) -> list[Window]:
    """The sliding windows one write must fit: the batch limit too when it is a /batch call."""
    shared = [(limits.per_minute, 60.0), PER_SECOND]
    return [(limits.batch_per_minute, 60.0), *shared] if batch else shared


@dataclass(frozen=True)
class Run:
    label: str
    batch: int
    batched: bool
    real: float
    virtual: float
    synced: int
    invoices_in_qbo: int
    duplicates: int
    invoice_calls: int
    write_calls: int
    api_calls: int
    refused: int
    token_calls: int
    engine_calls: int

    @property
    def per_invoice(self) -> float:
        return self.invoice_calls / self.invoices_in_qbo if self.invoices_in_qbo else 0.0

    @property
    def api_per_invoice(self) -> float:
        return self.api_calls / self.invoices_in_qbo if self.invoices_in_qbo else 0.0


# -- the baseline: one call per record -----------------------------------------------------------------


class OneCallPerRecord(QuickBooksConnector):
    """The QuickBooks connector without batching: each new record is its own POST /{entity} with
    its own requestid, what python-quickbooks' `obj.save(qb, request_id=...)` sends. Everything else
    (mapping, pacing, tokens, look-ups, updates) is the connector's own."""

    limits = Limits(
        batch_size=dict.fromkeys(EntityType, 1),
        calls_per_minute=QuickBooksConnector.limits.calls_per_minute,
        concurrency=QuickBooksConnector.limits.concurrency,
    )

    def __init__(self, inner: QuickBooksConnector) -> None:
        super().__init__(
            inner.tokens,
            realms=inner.realms,
            base_url=inner.api.base_url,
            http=inner.http,
            clock=inner.clock,
            tenant_names=inner.tenant_names,
        )
        self.inner = inner

    def _send(
        self, realm: str, entity: EntityType, chunk: list[Any], *, again: bool = True
    ) -> dict[int, PushResult]:
        (pending,) = chunk
        if pending.item.remote_id or pending.write.operation != "create":
            return super()._send(realm, entity, chunk, again=again)
        name, body = ENTITIES[entity], pending.write.body
        response = self.http.request(
            "POST",
            self.api.url(realm, name.lower()),
            params={
                "requestid": request_id([pending.item.key], body),
                "minorversion": self.api.minor_version,
            },
            json_body=body,
            auth=self.api.auth,
            tenant=realm,
            idempotent=True,
        )
        answer = json_of(response)
        errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
        if errors or response.status_code != 200:
            reason = errors or [FaultError("", "", f"status {response.status_code}", "")]
            return {pending.index: self._rejected(realm, pending, reason, answer, body)}
        returned = answer.get(name) if isinstance(answer, dict) else None
        return {pending.index: self._accepted(realm, name, pending, returned, body)}

    def close(self) -> None:
        self.inner.close()


# -- the company ----------------------------------------------------------------------------------


@dataclass
class Emulated:
    emulator: QuickBooksEmulator
    server: EmulatorServer
    clock: VirtualClock

    @property
    def client_secret(self) -> str:
        return self.emulator.client.client_secret or ""


def start_emulator() -> Emulated:
    clock = VirtualClock(START)
    emulator = QuickBooksEmulator(clock=clock, limits=QboLimits())
    emulator.add_realm(COMPANY, account_numbers=True)
    return Emulated(emulator, emulator.serve().start(), clock)


def connect(store: Store, emulated: Emulated) -> str:
    """Sign in to the emulated QuickBooks as a person would, and import the company."""
    settings = QuickBooksSettings.from_env(
        {
            "BOOKSYNC_QUICKBOOKS_URL": emulated.server.url,
            "BOOKSYNC_QUICKBOOKS_CLIENT_ID": emulated.emulator.client.client_id,
            "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": emulated.client_secret,
            "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        (tenant,) = connect_tool(
            s, "quickbooks", settings=settings, announce=browser, timeout=30, clock=emulated.clock
        )
        configure_integration(
            s,
            "quickbooks",
            {"enabled": True, "entities_to_sync": ["client", "product", "invoice"]},
        )
        connector = tenant_connector(
            tenant, clock=emulated.clock, client_secret=emulated.client_secret
        )
        try:
            import_from_tool(s, tenant.name, connector=connector)
        finally:
            connector.close()
        return tenant.name


# -- one run ----------------------------------------------------------------------------------------


def connectors(emulated: Emulated, one_per_call: bool) -> Callable[[Tenant], Connector]:
    def make(tenant: Tenant) -> Connector:
        connector = tenant_connector(
            tenant, clock=emulated.clock, timeout=30.0, client_secret=emulated.client_secret
        )
        assert isinstance(connector, QuickBooksConnector)
        return OneCallPerRecord(connector) if one_per_call else connector

    return make


def written_entity(method: str, path: str, body: bytes) -> str | None:
    """The entity a write carried: the first operation's of a /batch, else the path's."""
    if method != "POST" or path.endswith("/query"):
        return None
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last != "batch":
        return last
    first = json.loads(body)["BatchItemRequest"][0]
    return next(k for k in first if k not in ("bId", "operation", "optionsData")).lower()


def sync(label: str, open_store: OpenStore, invoices: int, one_per_call: bool) -> tuple[Book, Run]:
    emulated = start_emulator()
    try:
        with open_store() as store:
            tenant_name = connect(store, emulated)
            book = build(store, tenant_name, invoices, CHART)
            emulated.server.recorder.clear()
            clock = emulated.clock
            engine = Engine(store, connectors(emulated, one_per_call), clock=clock)
            virtual, real = clock.now(), time.perf_counter()
            try:
                result = engine.run_pass(max_wait=DAY)
            finally:
                engine.close()
            real, virtual = time.perf_counter() - real, clock.now() - virtual
            synced = synced_jobs(store)
            (realm,) = emulated.emulator.realms.values()
            numbers = Counter(r["DocNumber"] for r in realm.table("Invoice").values())
            requests = [
                (e.request.method, e.request.path, e.request.body, e.response.status)
                for e in emulated.server.recorder
            ]
    finally:
        emulated.server.stop()
    api = [r for r in requests if r[1].startswith(API_PREFIX + "/")]
    writes = [written_entity(m, p, b) for m, p, b, _ in api]
    run = Run(
        label=label,
        batch=1 if one_per_call else BATCH,
        batched=not one_per_call,
        real=real,
        virtual=virtual,
        synced=synced,
        invoices_in_qbo=len(numbers),
        duplicates=sum(n - 1 for n in numbers.values()),
        invoice_calls=writes.count("invoice"),
        write_calls=sum(1 for w in writes if w is not None),
        api_calls=len(api),
        refused=sum(1 for *_, status in api if status == 429),
        token_calls=sum(1 for _, p, _, _ in requests if p == TOKEN_PATH),
        engine_calls=result.calls,
    )
    return book, run


def bounds(calls: int, limits: QboLimits, *, batch: bool) -> tuple[float, float]:
    limit = windows(limits, batch=batch)
    return least_time(calls, limit), even_time(calls, limit)


def report(book: Book, runs: Sequence[Run]) -> None:
    limits = QboLimits()
    print(
        f"  book: {book.clients:,} clients, {book.products:,} products, {book.invoices:,} invoices "
        f"({book.lines:,} lines) in one company; limits per company {limits.per_minute}/min, "
        f"{limits.batch_per_minute} batch/min, {limits.concurrent} at once, "
        f"{PER_SECOND[0]}/s (documented, not emulated), {BATCH} operations a batch"
    )
    for run in runs:
        invoice_bound, write_bound = book.write_calls(run.batch)
        least, even = bounds(write_bound, limits, batch=run.batched)
        binding = "40 batch calls/min" if run.batched else f"{limits.per_minute} calls/min"
        print(f"  {run.label} ({run.batch} per call):")
        print(
            f"    every invoice once: {run.invoices_in_qbo:,} of {book.invoices:,} in QuickBooks, "
            f"{run.duplicates} duplicates; {run.synced:,} of {book.records:,} jobs synced"
        )
        print(
            f"    API calls per invoice: {run.per_invoice:.4f} ({run.invoice_calls:,} invoice "
            f"calls; bound ceil({book.invoices:,}/{run.batch}) = {invoice_bound:,} calls = "
            f"{invoice_bound / book.invoices:.4f} per invoice)"
        )
        print(
            f"    all API calls: {run.api_calls:,} = {run.api_per_invoice:.4f} per invoice, of them "
            f"{run.write_calls:,} writes (bound {write_bound:,}); {run.refused} refused with 429; "
            f"engine counted {run.engine_calls:,} pushes; {run.token_calls} token calls"
        )
        print(
            f"    virtual wall time: {run.virtual:,.0f} s = {run.virtual / 60:,.1f} min; bound for "
            f"the {write_bound:,} writes ({binding} binds) {least:,.0f} s least possible, "
            f"{even:,.0f} s at an even pace; {run.virtual / least:.3f}x the least"
        )
        print(f"    real time: {run.real:.1f} s", flush=True)
    fast, base = runs
    one_op = bounds(book.write_calls(1)[1], limits, batch=True)[0]
    print(
        f"  (one operation per /batch call would need {one_op:,.0f} s = {one_op / 3600:.1f} h "
        "at least: 40 records a minute)"
    )
    print(
        f"  batched vs baseline: {base.invoice_calls / fast.invoice_calls:.0f}x fewer invoice "
        f"calls, {base.virtual / fast.virtual:.1f}x less virtual time, "
        f"{base.real / fast.real:.1f}x less real time",
        flush=True,
    )


def bench(label: str, open_store: OpenStore, invoices: int) -> None:
    print(f"{label}:", flush=True)
    book, fast = sync("batched", open_store, invoices, one_per_call=False)
    _, base = sync("baseline, one call per record", open_store, invoices, one_per_call=True)
    report(book, [fast, base])


def main(argv: list[str] | None = None) -> None:
    main_for("python -m bench.quickbooks", __doc__, bench, argv)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
