"""Small books with something in every sync state, for the record lists' service and browser
tests: a ledger tenant, three clients (one with no tenant), two products (one whose account code
the ledger does not have) and three invoices; and, after a pass, what the tool did with them."""

from __future__ import annotations

from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    PRODUCTS,
    TAX_RATES,
    TENANTS,
    configure_integration,
)
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store
from booksync.store.models import RemoteState, Tenant

TENANT = "Acme AU"
INVOICES = DOCUMENTS[EntityType.INVOICE]


def ledger_tenant(store: Store) -> None:
    """The ledger enabled for clients, products and invoices, with a connected, imported tenant."""
    with store.session() as s:
        configure_integration(
            s,
            "ledger",
            {
                "enabled": True,
                "entities_to_sync": ["client", "product", "invoice"],
                "show_success_messages": True,
            },
        )
        TENANTS.create_for(s, "ledger", {"name": TENANT})
    with store.session() as s:
        connect_tenant(s, TENANT)
    with store.session() as s:
        import_from_tool(s, TENANT)


def stuck_books(store: Store) -> None:
    ledger_tenant(store)
    with store.session() as s:
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", TENANT, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Consulting income", "code": "2000", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        for name, code, account in (
            ("Consulting hours", "CONS", "2000"),
            ("Support", "SUP", "200"),
        ):
            PRODUCTS.create(
                s,
                {"name": name, "code": code, "price": "150", "tax_rate": "GST on Income",
                 "income_account": account, "tenant": TENANT},
            )  # fmt: skip
        CLIENTS.create(s, {"name": "Acme Pty Ltd", "tenant": TENANT})
        CLIENTS.create(s, {"name": "Beta Ltd", "tenant": TENANT})
        CLIENTS.create(s, {"name": "Nowhere Ltd", "exclude_from_accounting": True})
        for number, client, product, reference in (
            ("INV-1001", "Acme Pty Ltd", "Consulting hours", ""),
            ("INV-1002", "Beta Ltd", "Support", ""),
            ("INV-1003", "Acme Pty Ltd", "Support", "PO-77"),
        ):
            INVOICES.create(
                s,
                {"number": number, "party": client, "reference": reference,
                 "lines": [{"product": product, "quantity": "1"}]},
            )  # fmt: skip


def tool_facts(store: Store) -> None:
    """What the tool did after a pass synced INV-1002 and INV-1003 (`run_pass` first): INV-1002 is
    paid, INV-1003 still open but edited there (open drift), Acme's drift was left as it is; and a
    row from INV-1002's older link with open drift, which says nothing about it now."""
    with store.session() as s:
        tenant = s.scalars(select(Tenant.id).where(Tenant.name == TENANT)).one()
        paid, edited = INVOICES.get(s, "INV-1002"), INVOICES.get(s, "INV-1003")
        acme = CLIENTS.get(s, "Acme Pty Ltd")
        changed = [{"field": "reference", "booksync": "PO-77", "tool": "PO-78"}]
        for record, entity, remote_id, status, drift in (
            (paid, "invoice", paid.remote_id, "paid", None),
            (paid, "invoice", "older-link", "voided", changed),
            (edited, "invoice", edited.remote_id, "open", changed),
            (acme, "client", acme.remote_id, "active", changed),
        ):
            s.add(
                RemoteState(
                    tenant_id=tenant, entity_type=entity, record_id=record.id,
                    remote_id=remote_id, status=status, fields={}, drift=drift,
                    drift_state=("left" if entity == "client" else "open") if drift else None,
                )
            )  # fmt: skip
