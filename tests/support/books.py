"""Books that are ready to sync: one connected tenant with codes and tax types imported."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from booksync.connectors.protocol import Connector
from booksync.domain.types import EntityType
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
    configure_integration,
)
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store

TENANT = "Acme AU"
REMOTE_TENANT = "acme-au"


def ready_books(
    store: Store,
    tool: Connector,
    *,
    clients: int = 3,
    products: int = 2,
    invoices: int = 5,
    purchase_orders: int = 0,
) -> dict[str, Any]:
    """Create a connected, imported tenant and records that pass every rule; return their names."""
    names: dict[str, Any] = {"clients": [], "products": [], "invoices": [], "purchase_orders": []}
    with store.session() as s:
        configure_integration(
            s,
            "ledger",
            {"enabled": True, "entities_to_sync": list(EntityType), "show_success_messages": True},
        )
        TENANTS.create_for(s, "ledger", {"name": TENANT, "remote_tenant_id": REMOTE_TENANT})
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        # Purchase orders take the purchase side of a rate (tax.purchase_mapped).
        TAX_RATES.map(s, "GST on Income", TENANT, "OUTPUT", purchase_tax_type="INPUT")
        TAX_RATES.create(s, {"name": "GST on Expenses", "percent": "10"})
        TAX_RATES.map(s, "GST on Expenses", TENANT, "INPUT", purchase_tax_type="INPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Purchases", "code": "300", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {
                "name": "Backup",
                "tax_rate": "GST on Income",
                "income_account": "200",
                "expense_account": "300",
            },
        )
        for i in range(clients):
            name = f"Client {i:03d}"
            CLIENTS.create(s, {"name": name, "tenant": TENANT, "email": f"c{i}@example.com"})
            names["clients"].append(name)
        SUPPLIERS.create(
            s, {"name": "Dicker Data", "tenant": TENANT, "tax_rate": "GST on Expenses"}
        )
        for i in range(products):
            name = f"Product {i:03d}"
            PRODUCTS.create(
                s,
                {
                    "name": name,
                    "code": f"SKU-{i:03d}",
                    "price": str(Decimal("10.00") + i),
                    "cost": "5.00",
                    "item_group": "Backup",
                    "use_item_group_tax": True,
                    "tenant": TENANT,
                },
            )
            names["products"].append(name)
        for i in range(invoices):
            number = f"INV-{1000 + i}"
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": number,
                    "party": names["clients"][i % clients],
                    "lines": [
                        {"product": names["products"][i % products], "quantity": "2"},
                        {"product": names["products"][(i + 1) % products], "quantity": "1.5"},
                    ],
                },
            )
            names["invoices"].append(number)
        for i in range(purchase_orders):
            number = f"PO-{1000 + i}"
            DOCUMENTS[EntityType.PURCHASE_ORDER].create(
                s,
                {
                    "number": number,
                    "party": "Dicker Data",
                    "lines": [{"product": names["products"][0], "quantity": "3"}],
                },
            )
            names["purchase_orders"].append(number)
    with store.session() as s:
        connect_tenant(s, TENANT, connector=tool)
    with store.session() as s:
        import_from_tool(s, TENANT, connector=tool)
    return names
