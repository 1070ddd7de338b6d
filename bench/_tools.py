"""What the cloud-tool benchmarks share (bench/xero.py, bench/quickbooks.py): the book of invoices
they sync, the least time a tool's sliding-window limits allow, and the command line.

The book: one tenant's tax rate, account codes and item group through the record services; then
200 clients, 100 products and N authorised invoices of 1-4 lines with bulk inserts, each with a
pending sync job (the same book for the same seed, whatever the tool).
"""

from __future__ import annotations

import argparse
import math
import os
import random
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select

from bench.doctor import PG_ADMIN_URL, postgres_reachable, postgres_store, sqlite_store
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services.records import ACCOUNT_CODES, ITEM_GROUPS, TAX_RATES
from booksync.store.db import Store
from booksync.store.models import Client, Document, DocumentLine, Product, SyncJob, Tenant

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLIENTS, PRODUCTS = 200, 100
CHUNK = 5_000
MINUTE = 60.0

OpenStore = Callable[[], AbstractContextManager[Store]]


@dataclass(frozen=True)
class Book:
    clients: int
    products: int
    invoices: int
    lines: int

    @property
    def records(self) -> int:
        return self.clients + self.products + self.invoices

    def write_calls(self, batch: int) -> tuple[int, int]:
        """(invoice calls, all write calls) at `batch` records per call: the least the book needs."""
        invoices = math.ceil(self.invoices / batch)
        others = math.ceil(self.clients / batch) + math.ceil(self.products / batch)
        return invoices, invoices + others


@dataclass(frozen=True)
class Chart:
    """What the tenant's tool calls the book's tax type and accounts (as booksync imported them)."""

    tax_type: str
    income_code: str
    expense_code: str


def build(store: Store, tenant_name: str, invoices: int, chart: Chart, *, seed: int = 11) -> Book:
    """The tax rate, account codes and item group through the services; then clients, products,
    invoices and their pending sync jobs with bulk inserts (the same book for the same seed)."""
    rnd = random.Random(seed)
    now = START
    with store.session() as s:
        tenant_id = s.scalars(select(Tenant.id).where(Tenant.name == tenant_name)).one()
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant_name, chart.tax_type)
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": chart.income_code, "kind": "income"})
        ACCOUNT_CODES.create(
            s, {"name": "Cost of Goods Sold", "code": chart.expense_code, "kind": "expense"}
        )
        group = ITEM_GROUPS.create(
            s,
            {
                "name": "Managed Services",
                "tax_rate": "GST on Income",
                "income_account": chart.income_code,
                "expense_account": chart.expense_code,
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


def browser(url: str) -> None:
    """The person at the consent screen: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=10)


def synced_jobs(store: Store) -> int:
    with store.session() as s:
        count = s.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.status == "synced")
        )
    return count or 0


# -- what the limits allow ---------------------------------------------------------------------------

#: A sliding-window limit: at most `calls` in any `seconds`.
Window = tuple[int, float]


def least_time(calls: int, windows: Sequence[Window]) -> float:
    """The earliest the last of `calls` calls can start, the first at 0, when no window may ever
    hold more than its count: each call as early as every window lets it (the greedy schedule,
    which no other schedule beats)."""
    starts: list[deque[float]] = [deque() for _ in windows]
    at = 0.0
    for _ in range(calls):
        for (count, seconds), recent in zip(windows, starts, strict=True):
            if len(recent) == count:
                at = max(at, recent[0] + seconds)
        for (count, _), recent in zip(windows, starts, strict=True):
            recent.append(at)
            if len(recent) > count:
                recent.popleft()
    return at


def even_time(calls: int, windows: Sequence[Window]) -> float:
    """The start of the last of `calls` calls at an even pace at the tightest window's rate."""
    return (calls - 1) * max(seconds / count for count, seconds in windows) if calls else 0.0


# -- the command line --------------------------------------------------------------------------------


def main_for(
    prog: str,
    doc: str | None,
    bench: Callable[[str, OpenStore, int], None],
    argv: list[str] | None,
) -> None:
    """`--invoices N --backend sqlite|postgresql|all`, then `bench(label, open_store, invoices)`
    per backend (PostgreSQL is skipped, saying why, when it cannot be reached)."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
