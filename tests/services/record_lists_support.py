"""Small books with something in every sync state, for the record lists' service and browser
tests: a ledger tenant, three clients (one with no tenant), two products (one whose account code
the ledger does not have) and three invoices."""

from __future__ import annotations

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
