"""How fast the doctor's health report reads a large book, against evaluating records one by one.

Builds 100,000 records (clients, suppliers, products and documents with 1-4 lines, plus their sync
jobs) with SQLAlchemy Core bulk inserts in a temporary SQLite file, and in a temporary PostgreSQL
database when one is reachable. A few deliberate faults are planted so the report has root causes
to rank. Then it times `health_report` (best of 3) and a naive baseline measured in the same run:
every record evaluated with a fresh `Evaluator` (no memo shared between records) over a sample,
extrapolated to the whole book. Figures only; nothing here asserts a time.

    python -m bench doctor                 # both databases, 100,000 records
    python -m bench.doctor --records 20000 --backend sqlite
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Connection, make_url

from booksync.domain.evaluation import Evaluator, readiness_of
from booksync.domain.findings import Readiness
from booksync.domain.records import Record
from booksync.domain.types import EntityType
from booksync.services.doctor import HealthReport, health_report
from booksync.services.records import (
    ACCOUNT_CODES,
    ITEM_GROUPS,
    TAX_RATES,
    TENANTS,
    configure_integration,
)
from booksync.store.books import iter_document_views, load_books
from booksync.store.db import Store
from booksync.store.models import (
    AccountCode,
    Client,
    Document,
    DocumentLine,
    Product,
    Supplier,
    SyncJob,
    TenantTaxType,
)

PG_ADMIN_URL = os.environ.get(
    "BOOKSYNC_BENCH_PG",
    os.environ.get("BOOKSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
NAIVE_SAMPLE = 5000
RUNS = 3
CHUNK = 20_000

T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """How many records of each kind to build; documents take whatever the total leaves."""

    records: int = 100_000
    clients: int = 1_900
    suppliers: int = 100
    products: int = 500
    #: Plant the doctor's faults (about a quarter of the records are held by the rules). False:
    #: a healthy book, every record syncable, as a sync's throughput is measured on too.
    faults: bool = True

    @property
    def documents(self) -> int:
        return self.records - self.clients - self.suppliers - self.products


@dataclass(frozen=True)
class Built:
    records: int
    lines: int
    seconds: float


# -- building the books ----------------------------------------------------------------------------


def _configure(store: Store, now: datetime, *, faults: bool = True) -> dict[str, int]:
    """The small tables, through the services, with the tenants connected and imported; without
    `faults`, every rate mapped for sales and purchases and every account code in the tool."""
    with store.session() as s:
        configure_integration(
            s, "ledger", {"enabled": True, "entities_to_sync": [e.value for e in EntityType]}
        )
        au = TENANTS.create_for(s, "ledger", {"name": "Northwind IT AU"})
        nz = TENANTS.create_for(s, "ledger", {"name": "Northwind IT NZ"})
        for tenant in (au, nz):
            tenant.connection_state = "connected"
            tenant.accounts_imported_at = tenant.tax_types_imported_at = now
        for code, name, kind in (("200", "Sales", "income"), ("300", "Purchases", "expense")):
            for tenant in (au, nz):
                s.add(
                    AccountCode(
                        name=name,
                        code=code,
                        kind=kind,
                        tenant_id=tenant.id,
                        imported_from_tool=True,
                    )
                )
        for tax_type in ("OUTPUT", "EXEMPTOUTPUT", "INPUT", "EXEMPTINPUT"):
            for tenant in (au, nz):
                s.add(TenantTaxType(tenant_id=tenant.id, tax_type=tax_type))
        gst = TAX_RATES.create(s, {"name": "GST on Income", "percent": "10", "is_default": True})
        free = TAX_RATES.create(s, {"name": "GST Free", "percent": "0"})
        # Fault: a client-level rate that was never mapped to the tool.
        overseas = TAX_RATES.create(s, {"name": "Overseas", "percent": "0"})
        for tenant in ("Northwind IT AU", "Northwind IT NZ"):
            # Fault: no purchase tax type, so the purchase orders' taxes cannot be mapped.
            purchase = {} if faults else {"purchase_tax_type": "INPUT"}
            TAX_RATES.map(s, "GST on Income", tenant, "OUTPUT", **purchase)
            purchase = {} if faults else {"purchase_tax_type": "EXEMPTINPUT"}
            TAX_RATES.map(s, "GST Free", tenant, "EXEMPTOUTPUT", **purchase)
        sales = ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        purchases = ACCOUNT_CODES.create(s, {"name": "Purchases", "code": "300", "kind": "expense"})
        # Faults: an account code whose Code is empty, and one the tool does not have.
        services = ACCOUNT_CODES.create(s, {"name": "Services", "code": "", "kind": "income"})
        legacy = ACCOUNT_CODES.create(s, {"name": "Legacy sales", "code": "999", "kind": "income"})
        backup = ITEM_GROUPS.create(
            s,
            {
                "name": "Backup",
                "tax_rate": "GST on Income",
                "income_account": "Sales",
                "expense_account": "Purchases",
            },
        )
        labour = ITEM_GROUPS.create(
            s,
            {
                "name": "Labour",
                "income_account": "Services" if faults else "Sales",
                "expense_account": "Purchases",
            },
        )
        # Fault: ticks "Use Item Group Tax" on a group with no rate (falls to the default).
        hardware = ITEM_GROUPS.create(
            s, {"name": "Hardware", "income_account": "Sales", "expense_account": "Purchases"}
        )
        return {
            "au": au.id,
            "nz": nz.id,
            "gst": gst.id,
            "free": free.id,
            "overseas": overseas.id,
            "sales": sales.id,
            "purchases": purchases.id,
            "services": services.id,
            "legacy": legacy.id,
            "backup": backup.id,
            "labour": labour.id,
            "hardware": hardware.id,
        }


def _chunks(rows: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)


def _parties(
    rnd: random.Random,
    n: int,
    prefix: str,
    ids: dict[str, int],
    now: datetime,
    clients: bool,
    faults: bool = True,
) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, n + 1):
        roll = rnd.random()
        rows.append(
            {
                "id": i,
                "name": f"{prefix} {i:05d}",
                "email": None,
                "currency": "AUD",
                # Faults: some clients carry the unmapped 'Overseas' rate.
                "tax_rate_id": (
                    ids["overseas"]
                    if clients and roll < 0.02
                    else ids["free"]
                    if clients and roll < 0.12
                    else None
                ),
                # Faults: a few excluded, a few with no tenant.
                "exclude_from_accounting": faults and 0.12 <= roll < 0.13,
                "tenant_id": None if faults and 0.13 <= roll < 0.135 else ids["au"],
                # Linked ones have a remote ID; the rest wait for the engine to push them.
                "remote_id": f"{prefix[0]}-{i}" if roll < 0.7 else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def _products(
    rnd: random.Random, n: int, ids: dict[str, int], now: datetime, faults: bool = True
) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, n + 1):
        roll = rnd.random()
        # Most products in 'Backup'; a fifth in 'Hardware'; one in 25 in 'Labour' (empty Code).
        group = ids["labour"] if i % 25 == 0 else ids["hardware"] if i % 5 == 0 else ids["backup"]
        rows.append(
            {
                "id": i,
                "name": f"Product {i:04d}",
                "code": f"P{i:04d}",
                "description": "",
                "price": Decimal("49.00"),
                "cost": Decimal("30.00"),
                "item_group_id": group,
                "use_item_group_tax": group != ids["labour"],
                "tax_rate_id": ids["gst"] if group == ids["labour"] else None,
                # Fault: some products post to an account code the tool does not have.
                "income_account_id": ids["legacy"] if roll < 0.01 else None,
                "expense_account_id": None,
                # Faults: one excluded product, one with no tenant, one in the other tenant.
                "exclude_from_accounting": faults and i == 7,
                "tenant_id": {11: None, 13: ids["nz"]}.get(i, ids["au"]) if faults else ids["au"],
                "remote_id": f"p-{i}" if roll < 0.9 else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def _documents(
    rnd: random.Random, shape: Shape, ids: dict[str, int], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    documents, lines = [], []
    kinds = [EntityType.INVOICE] * 20 + [EntityType.SALES_ORDER] * 2
    kinds += [EntityType.CREDIT_NOTE, EntityType.PURCHASE_ORDER, EntityType.PURCHASE_ORDER]
    prefixes = {
        EntityType.INVOICE: "INV",
        EntityType.SALES_ORDER: "SO",
        EntityType.CREDIT_NOTE: "CN",
        EntityType.PURCHASE_ORDER: "PO",
    }
    line_id = 0
    issued = date(2025, 7, 1)
    for i in range(1, shape.documents + 1):
        kind = kinds[i % len(kinds)]
        purchase = kind is EntityType.PURCHASE_ORDER
        documents.append(
            {
                "id": i,
                "kind": kind.value,
                "number": f"{prefixes[kind]}-{i:06d}",
                "client_id": None if purchase else rnd.randint(1, shape.clients),
                "supplier_id": rnd.randint(1, shape.suppliers) if purchase else None,
                "issue_date": issued,
                "due_date": None,
                "currency": "AUD",
                "status": "authorised",
                "reference": "",
                "version": 1,
                "remote_id": f"d-{i}" if rnd.random() < 0.7 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        for position in range(1, rnd.randint(1, 4) + 1):
            line_id += 1
            lines.append(
                {
                    "id": line_id,
                    "document_id": i,
                    "position": position,
                    "product_id": rnd.randint(1, shape.products),
                    "description": "",
                    "quantity": Decimal(1),
                    "unit_price": Decimal("49.00"),
                    # Some lines override the tax rate (GST-free items on a taxed invoice).
                    "tax_rate_id": ids["free"] if rnd.random() < 0.03 else None,
                }
            )
    return documents, lines


def _jobs(
    rnd: random.Random, records: list[tuple[EntityType, int, bool]], now: datetime
) -> list[dict[str, Any]]:
    """One sync job per record: linked records synced, a few rejected by the tool, the rest pending."""
    rows = []
    for n, (entity, record_id, linked) in enumerate(records, start=1):
        rejected = not linked and rnd.random() < 0.002
        status = "synced" if linked else "failed" if rejected else "pending"
        rows.append(
            {
                "id": n,
                "entity_type": entity.value,
                "record_id": record_id,
                "record_version": 1,
                "tenant_id": None,
                "status": status,
                "attempts": 1 if linked or rejected else 0,
                "blocked_reasons": [],
                "last_error": "A validation exception occurred: Reference is too long"
                if rejected
                else None,
                "synced_version": 1 if linked else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def build(store: Store, shape: Shape, *, seed: int = 7) -> Built:
    """Fill an empty, migrated store with `shape.records` syncable records."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    rnd = random.Random(seed)
    ids = _configure(store, now, faults=shape.faults)
    if not shape.faults:  # the faulty codes and rate stay in the book, used by nothing
        ids |= {"overseas": ids["free"], "legacy": ids["sales"]}
    clients = _parties(rnd, shape.clients, "Client", ids, now, clients=True, faults=shape.faults)
    suppliers = _parties(
        rnd, shape.suppliers, "Supplier", ids, now, clients=False, faults=shape.faults
    )
    products = _products(rnd, shape.products, ids, now, faults=shape.faults)
    documents, lines = _documents(rnd, shape, ids, now)
    records = [(EntityType.CLIENT, r["id"], bool(r["remote_id"])) for r in clients]
    records += [(EntityType.SUPPLIER, r["id"], bool(r["remote_id"])) for r in suppliers]
    records += [(EntityType.PRODUCT, r["id"], bool(r["remote_id"])) for r in products]
    records += [(EntityType(r["kind"]), r["id"], bool(r["remote_id"])) for r in documents]
    with store.engine.begin() as conn:
        _insert(conn, Client, clients)
        _insert(conn, Supplier, suppliers)
        _insert(conn, Product, products)
        _insert(conn, Document, documents)
        _insert(conn, DocumentLine, lines)
        _insert(conn, SyncJob, _jobs(rnd, records, now))
    if store.dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return Built(len(records), len(lines), time.perf_counter() - started)


# -- timing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each run, and this process's CPU seconds in the fastest one."""

    runs: list[float]
    cpu: float

    @property
    def best(self) -> float:
        return min(self.runs)


def best_of(runs: int, work: Callable[[], T]) -> tuple[Timing, T]:
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    assert result is not None
    return Timing(times, cpu[times.index(min(times))]), result


def time_health(store: Store) -> tuple[Timing, HealthReport]:
    def run() -> HealthReport:
        with store.session() as s:
            return health_report(s)

    return best_of(RUNS, run)


def time_naive(store: Store, sample_size: int = NAIVE_SAMPLE) -> tuple[float, int]:
    """The whole book evaluated record by record, each with a fresh `Evaluator`, extrapolated."""
    with store.session() as s:
        started = time.perf_counter()
        books = load_books(s, whole=True)
        records: list[Record] = [
            *books.clients.values(),
            *books.suppliers.values(),
            *books.products.values(),
            *iter_document_views(s),
        ]
        loading = time.perf_counter() - started
    stride = max(1, len(records) // sample_size)
    sample = records[::stride][:sample_size]
    started = time.perf_counter()
    tally: dict[Readiness, int] = {}
    for record in sample:
        readiness = readiness_of(Evaluator(books).problems(record))
        tally[readiness] = tally.get(readiness, 0) + 1
    evaluating = time.perf_counter() - started
    return loading + evaluating * len(records) / len(sample), len(sample)


# -- databases -------------------------------------------------------------------------------------


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="booksync-bench-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield store
        finally:
            store.dispose()


def postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@contextmanager
def postgres_store() -> Iterator[Store]:
    name = f"booksync_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench(label: str, store: Store, shape: Shape) -> None:
    built = build(store, shape)
    print(
        f"{label}: {built.records:,} records ({shape.clients:,} clients, {shape.suppliers:,} "
        f"suppliers, {shape.products:,} products, {shape.documents:,} documents with "
        f"{built.lines:,} lines), built in {built.seconds:.1f} s",
        flush=True,
    )
    timing, report = time_health(store)
    best = timing.best
    runs = ", ".join(f"{t:.3f}" for t in timing.runs)
    print(
        f"  health_report: {best:.3f} s best of {RUNS} ({runs}); "
        f"{timing.cpu:.3f} s of it on this process's CPU"
    )
    print(
        f"  records: {report.total:,}  seconds: {best:.3f}  records/second: {report.total / best:,.0f}"
    )
    print(
        f"  ready {report.counts[Readiness.READY]:,}, waiting {report.counts[Readiness.WAITING]:,}, "
        f"not yet known {report.counts[Readiness.UNKNOWN]:,}, "
        f"blocked {report.counts[Readiness.BLOCKED]:,}; {len(report.blockers)} root causes"
    )
    for n, cause in enumerate(report.blockers[:3], start=1):
        print(f"    {n}. {cause.finding.detail} → blocks {cause.blocks_text()}")
    naive, sampled = time_naive(store)
    print(
        f"  naive (fresh Evaluator per record, {sampled:,}-record sample, extrapolated): "
        f"{naive:.2f} s"
    )
    print(f"  speed-up vs naive: {naive / best:.1f}x", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.doctor", description=__doc__)
    parser.add_argument("--records", type=int, default=Shape.records)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    args = parser.parse_args(argv if argv is not None else [])
    shape = Shape(records=args.records)
    # Other work on the machine slows wall-clock figures; say how busy it was.
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs", flush=True)
    if shape.documents < 1:
        parser.error(f"--records: {args.records} is too few; accepted: more than 2500")
    if args.backend in ("all", "sqlite"):
        with sqlite_store() as store:
            bench("sqlite", store, shape)
    if args.backend in ("all", "postgresql"):
        problem = postgres_reachable()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        else:
            with postgres_store() as store:
                bench("postgresql", store, shape)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
