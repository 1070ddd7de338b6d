"""The scale benchmark's book and organisations (bench/scale.py): many Xero tenants, each with a few
clients and products and N authorised invoices, connected through the real sign-in flow and
imported, in a PostgreSQL database that each run copies (CREATE DATABASE ... TEMPLATE).

Per tenant: 5 clients, 2 products and N invoices of 1-4 lines, written with bulk inserts and a
pending sync job each, so a tenant needs 1 contacts call, 1 items call and ceil(N/50) invoice calls.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

from bench._tools import START, browser
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.services.connect import connect_tool
from booksync.services.records import (
    ACCOUNT_CODES,
    ITEM_GROUPS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import Client, Document, DocumentLine, Product, SyncJob, Tenant
from booksync_emulators.xero import XeroEmulator

CLIENTS_PER_TENANT, PRODUCTS_PER_TENANT = 5, 2
CHUNK = 5_000
TAX_TYPE, INCOME, EXPENSE = "OUTPUT", "200", "310"  # a new AU organisation's chart


@dataclass(frozen=True)
class Book:
    tenants: int
    invoices_per_tenant: int
    lines: int

    @property
    def invoices(self) -> int:
        return self.tenants * self.invoices_per_tenant

    @property
    def records(self) -> int:
        return self.tenants * (CLIENTS_PER_TENANT + PRODUCTS_PER_TENANT) + self.invoices

    def write_calls(self, batch: int) -> int:
        """The fewest write calls the book needs at `batch` elements a call."""
        per_tenant = 2 + -(-self.invoices_per_tenant // batch)
        return self.tenants * per_tenant


def settings(emulator_url: str, client_id: str) -> XeroSettings:
    return XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": emulator_url,
            "BOOKSYNC_XERO_CLIENT_ID": client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )


def connect(store: Store, emulator: XeroEmulator, url: str) -> list[str]:
    """Sign in once, as a bookkeeper would, consenting to every organisation: one booksync tenant
    each (or fresh tokens for the tenants a copied database already has). Returns their names."""
    with store.session() as s:
        tenants = connect_tool(
            s,
            "xero",
            settings=settings(url, emulator.client.client_id),
            announce=browser,
            timeout=120,
        )
        return sorted(t.name for t in tenants)


def import_all(store: Store, names: list[str], threads: int = 8) -> None:
    """Each tenant's chart and tax types, through the connector, as `booksync tenant import`
    (several tenants at once: each call mostly waits on the emulator)."""

    def one(name: str) -> None:
        with store.session() as s:
            tenant = s.scalars(select(Tenant).where(Tenant.name == name)).one()
            connector = tenant_connector(tenant, timeout=60.0)
            try:
                import_from_tool(s, name, connector=connector)
            finally:
                connector.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, names))


def build(store: Store, names: list[str], invoices: int, *, seed: int = 12) -> Book:
    """The shared tax rate, account codes and item group through the services, each tenant's tax
    type mapped; then every tenant's clients, products and invoices with bulk inserts."""
    rnd = random.Random(seed)
    with store.session() as s:
        configure_integration(
            s, "xero", {"enabled": True, "entities_to_sync": ["client", "product", "invoice"]}
        )
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": INCOME, "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Cost of Goods Sold", "code": EXPENSE, "kind": "expense"})
        group_id = ITEM_GROUPS.create(
            s,
            {
                "name": "Managed Services",
                "tax_rate": "GST on Income",
                "income_account": INCOME,
                "expense_account": EXPENSE,
            },
        ).id
    for name in names:
        with store.session() as s:
            TAX_RATES.map(s, "GST on Income", name, TAX_TYPE)
    with store.session() as s:
        ids = dict(s.execute(select(Tenant.name, Tenant.id)).all())
    stamp: dict[str, Any] = {
        "version": 1,
        "remote_id": None,
        "created_at": START,
        "updated_at": START,
    }
    rows: dict[Any, list[dict[str, Any]]] = {
        Client: [],
        Product: [],
        Document: [],
        DocumentLine: [],
    }
    jobs: list[dict[str, Any]] = []
    issued = START.date() - timedelta(days=30)
    for t, name in enumerate(names):
        tenant_id = ids[name]
        clients = [t * CLIENTS_PER_TENANT + i + 1 for i in range(CLIENTS_PER_TENANT)]
        products = [t * PRODUCTS_PER_TENANT + i + 1 for i in range(PRODUCTS_PER_TENANT)]
        prices = {p: Decimal(rnd.randint(450, 24_500)) / 100 for p in products}
        for c in clients:
            rows[Client].append(
                {
                    "id": c,
                    "name": f"Client {c:06d} Pty Ltd",
                    "email": f"accounts@client{c:06d}.example.com",
                    "currency": "AUD",
                    "tax_rate_id": None,
                    "exclude_from_accounting": False,
                    "tenant_id": tenant_id,
                    **stamp,
                }
            )
        for p in products:
            rows[Product].append(
                {
                    "id": p,
                    "name": f"Service {p:06d}",
                    "code": f"SVC-{p:06d}",
                    "description": f"Managed service {p:06d}, per device",
                    "price": prices[p],
                    "cost": (prices[p] * Decimal("0.4")).quantize(Decimal("0.01")),
                    "item_group_id": group_id,
                    "use_item_group_tax": True,
                    "tax_rate_id": None,
                    "income_account_id": None,
                    "expense_account_id": None,
                    "exclude_from_accounting": False,
                    "tenant_id": tenant_id,
                    **stamp,
                }
            )
        for i in range(invoices):
            doc_id = t * invoices + i + 1
            rows[Document].append(
                {
                    "id": doc_id,
                    "kind": EntityType.INVOICE.value,
                    "number": f"INV-{t + 1:04d}-{i + 1:05d}",
                    "client_id": rnd.choice(clients),
                    "supplier_id": None,
                    "issue_date": issued,
                    "due_date": issued + timedelta(days=14),
                    "currency": "AUD",
                    "status": "authorised",
                    "reference": "Managed services",
                    **stamp,
                }
            )
            for position in range(1, rnd.randint(1, 4) + 1):
                product = rnd.choice(products)
                rows[DocumentLine].append(
                    {
                        "id": len(rows[DocumentLine]) + 1,
                        "document_id": doc_id,
                        "position": position,
                        "product_id": product,
                        "description": f"Service {product:06d}",
                        "quantity": Decimal(rnd.choice(["1", "2", "3", "5", "12", "0.5"])),
                        "unit_price": prices[product],
                        "tax_rate_id": None,
                    }
                )
    pending = {"record_version": 1, "status": "pending", "attempts": 0, "blocked_reasons": []}
    for entity, model in (
        (EntityType.CLIENT, Client),
        (EntityType.PRODUCT, Product),
        (EntityType.INVOICE, Document),
    ):
        for row in rows[model]:
            tenant = row.get("tenant_id")
            jobs.append(
                {
                    "entity_type": entity.value,
                    "record_id": row["id"],
                    "tenant_id": tenant,
                    "created_at": START,
                    "updated_at": START,
                    **pending,
                }
            )
    with store.engine.begin() as conn:
        for model, table_rows in (*rows.items(), (SyncJob, jobs)):
            for start in range(0, len(table_rows), CHUNK):
                conn.execute(insert(model), table_rows[start : start + CHUNK])
        for table in ("clients", "products", "documents", "document_lines"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Fresh planner statistics, copied with the database into every run: without them the
        # planner takes 100,000 queued jobs for a few dozen (autovacuum would catch up later).
        conn.execute(text("ANALYZE"))
    return Book(len(names), invoices, len(rows[DocumentLine]))
