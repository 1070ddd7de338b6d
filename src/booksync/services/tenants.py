"""Importing what a tenant's tool already has (connecting is `services.connect`).

Import brings in the tool's account codes and tax types (what the rules check codes and mappings
against) and its contacts and items, so records that already exist there are linked rather than
created a second time (matching by booksync's number, then exact name for contacts; by code for
items, or by name for items the tool knows only by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.connectors import Connector, ConnectorError
from booksync.domain.types import ConnectionState, EntityType
from booksync.services.connect import connect_tenant, connect_tool, tenant_connector
from booksync.services.errors import BadInput, BooksyncError
from booksync.services.references import find
from booksync.store.models import (
    AccountCode,
    Client,
    Product,
    RemoteObject,
    Supplier,
    Tenant,
    TenantTaxType,
)
from booksync.store.types import utcnow
from booksync.sync.payloads import party_number, product_code

__all__ = [
    "ImportSummary",
    "connect_tenant",
    "connect_tool",
    "import_from_tool",
    "imported_counts",
    "tenant_connector",
]


@dataclass
class ImportSummary:
    tenant: str
    account_codes: int = 0
    archived_account_codes: int = 0
    tax_types: int = 0
    contacts: int = 0
    items: int = 0
    linked: list[str] = field(default_factory=list)


def import_from_tool(
    session: Session, ref: str, *, connector: Connector | None = None
) -> ImportSummary:
    """Import account codes, tax types, contacts and items from the tenant's tool, and link matches."""
    tenant = find(session, Tenant, ref, field="tenant")
    if tenant.connection_state != ConnectionState.CONNECTED.value:
        raise BadInput(
            "tenant",
            tenant.name,
            "is not connected",
            f"connect it first: booksync tenant connect '{tenant.name}'",
        )
    tool = connector or tenant_connector(tenant)
    remote = tenant.remote_tenant_id
    try:
        accounts = tool.account_codes(remote)
        tax_types = tool.tax_types(remote)
        contacts = tool.contacts(remote)
        items = tool.items(remote)
    except ConnectorError as exc:
        raise BooksyncError(f"import from tenant '{tenant.name}' failed: {exc}") from exc
    finally:
        if connector is None:
            tool.close()  # a cloud connector holds an HTTP connection pool
    summary = ImportSummary(tenant.name)

    existing = {
        a.code: a
        for a in session.scalars(
            select(AccountCode).where(
                AccountCode.tenant_id == tenant.id, AccountCode.imported_from_tool.is_(True)
            )
        )
    }
    seen = set()
    for account in accounts:
        seen.add(account.code)
        row = existing.get(account.code)
        if row is None:
            row = AccountCode(tenant_id=tenant.id, imported_from_tool=True, code=account.code)
            session.add(row)
        row.name, row.kind, row.active = account.name, account.kind.value, account.active
        summary.account_codes += account.active
        summary.archived_account_codes += not account.active
    for code, row in existing.items():
        if code not in seen:
            row.active = False  # gone from the tool: documents may no longer post to it

    known_types = {
        t.tax_type: t
        for t in session.scalars(select(TenantTaxType).where(TenantTaxType.tenant_id == tenant.id))
    }
    for tax in tax_types:
        row_t = known_types.pop(tax.tax_type, None)
        if row_t is None:
            row_t = TenantTaxType(tenant_id=tenant.id, tax_type=tax.tax_type)
            session.add(row_t)
        row_t.name, row_t.percent, row_t.active = tax.name, tax.percent, tax.active
        summary.tax_types += tax.active
    for gone in known_types.values():
        gone.active = False

    objects = {
        (o.object_type, o.remote_id): o
        for o in session.scalars(select(RemoteObject).where(RemoteObject.tenant_id == tenant.id))
    }
    for contact in contacts:
        # A tool with separate customer and vendor Ids (QuickBooks) keeps them apart here too.
        kind = contact.entity.value if contact.entity is not None else "contact"
        obj = objects.get((kind, contact.remote_id)) or RemoteObject(
            tenant_id=tenant.id, object_type=kind, remote_id=contact.remote_id
        )
        obj.name, obj.number, obj.active = contact.name, contact.number, contact.active
        session.add(obj)
        summary.contacts += 1
    for item in items:
        obj = objects.get(("item", item.remote_id)) or RemoteObject(
            tenant_id=tenant.id, object_type="item", remote_id=item.remote_id
        )
        obj.name, obj.number, obj.active = item.name, item.code, True
        session.add(obj)
        summary.items += 1

    summary.linked = _link_matches(session, tenant, contacts, items)
    now = utcnow()
    tenant.accounts_imported_at = now
    tenant.tax_types_imported_at = now
    session.flush()
    return summary


def _link_matches(
    session: Session, tenant: Tenant, contacts: list[Any], items: list[Any]
) -> list[str]:
    """Give unlinked records the remote ID of the tool's matching object, so none is created twice."""
    linked: list[str] = []
    # A tool with separate customers and vendors (entity set) links each only to its own kind.
    by_number: dict[EntityType, dict[str, Any]] = {}
    by_name: dict[EntityType, dict[str, Any]] = {}
    for kind in (EntityType.CLIENT, EntityType.SUPPLIER):
        usable = [c for c in contacts if c.active and c.entity in (None, kind)]
        by_number[kind] = {c.number: c for c in usable if c.number}
        by_name[kind] = {c.name.casefold(): c for c in usable}
    unlinked: list[Client | Supplier] = [
        *session.scalars(
            select(Client).where(Client.tenant_id == tenant.id, Client.remote_id.is_(None))
        ),
        *session.scalars(
            select(Supplier).where(Supplier.tenant_id == tenant.id, Supplier.remote_id.is_(None))
        ),
    ]
    for record in unlinked:
        entity = record.entity_type
        match = by_number[entity].get(party_number(entity, record.id)) or by_name[entity].get(
            record.name.casefold()
        )
        if match is not None:
            record.remote_id = match.remote_id
            linked.append(f"{entity.label} '{record.name}' → {match.remote_id}")
    by_code = {i.code: i for i in items}
    # An item the tool knows only by its name (a QuickBooks item without a SKU) matches that name.
    by_item_name = {i.name.casefold(): i for i in items if i.code == i.name}
    for product in session.scalars(
        select(Product).where(Product.tenant_id == tenant.id, Product.remote_id.is_(None))
    ):
        found = by_code.get(product_code(product)) or by_item_name.get(product.name.casefold())
        if found is not None:
            product.remote_id = found.remote_id
            linked.append(f"product '{product.name}' → {found.remote_id}")
    return linked


def imported_counts(session: Session, tenant: Tenant) -> dict[str, int]:
    def count(stmt: Any) -> int:
        return session.scalar(stmt) or 0

    return {
        "account_codes": count(
            select(func.count())
            .select_from(AccountCode)
            .where(AccountCode.tenant_id == tenant.id, AccountCode.imported_from_tool.is_(True))
        ),
        "tax_types": count(
            select(func.count())
            .select_from(TenantTaxType)
            .where(TenantTaxType.tenant_id == tenant.id)
        ),
    }
