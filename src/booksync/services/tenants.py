"""Importing what a tenant's tool already has (connecting is `services.connect`).

Import brings in the tool's account codes and tax types (what the rules check codes and mappings
against) and its contacts and items, so records that already exist there are linked rather than
created a second time (matching by booksync's number, then exact name for contacts; by code for
items, or by name for items the tool knows only by name). Account codes match by code, then by
name, so an account renamed in the tool or edited here is updated, never imported twice. Where the
connector offers them, it also brings the tool's settings (currencies, lock date, default terms,
tracking) and the documents the tool holds under the numbers of booksync's unsent documents
(`services.tool_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.connectors import Connector, ConnectorError
from booksync.connectors.protocol import RemoteAccount
from booksync.domain.types import ConnectionState, EntityType
from booksync.services.connect import connect_tenant, connect_tool, tenant_connector
from booksync.services.errors import BadInput, BooksyncError
from booksync.services.references import find
from booksync.services.tool_settings import (
    fetch_documents,
    fetch_settings,
    settings_summary,
    store_documents,
    store_settings,
    unlinked_numbers,
)
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
    #: Whether the tool's settings were imported (False: its connector cannot read them).
    settings_imported: bool = False
    #: Documents found in the tool under the numbers of booksync's unsent documents; None: the
    #: connector cannot look them up.
    documents_found: int | None = None
    #: What else the import did or could not do, one line each, for people.
    notes: list[str] = field(default_factory=list)


def import_from_tool(
    session: Session, ref: str, *, connector: Connector | None = None
) -> ImportSummary:
    """Import account codes, tax types, contacts and items from the tenant's tool, and link matches;
    and, where its connector offers them, its settings and the documents under booksync's numbers.
    Everything is read before anything is written, so a failed call leaves the books as they were."""
    tenant = find(session, Tenant, ref, field="tenant")
    if tenant.connection_state != ConnectionState.CONNECTED.value:
        raise BadInput(
            "tenant",
            tenant.name,
            "is not connected",
            f"connect it first: booksync tenant connect '{tenant.name}'",
        )
    numbers = unlinked_numbers(session, tenant)
    tool = connector or tenant_connector(tenant)
    remote = tenant.remote_tenant_id
    try:
        accounts = tool.account_codes(remote)
        tax_types = tool.tax_types(remote)
        contacts = tool.contacts(remote)
        items = tool.items(remote)
        settings = fetch_settings(tool, remote)
        found = fetch_documents(tool, remote, numbers)
    except ConnectorError as exc:
        raise BooksyncError(f"import from tenant '{tenant.name}' failed: {exc}") from exc
    finally:
        if connector is None:
            tool.close()  # a cloud connector holds an HTTP connection pool
    summary = ImportSummary(tenant.name)
    _import_accounts(session, tenant, accounts, summary)

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
    if settings is not None:
        store_settings(tenant, settings)
        summary.settings_imported = True
        summary.notes.append("settings: " + "; ".join(settings_summary(tenant)))
    else:
        summary.notes.append(
            "settings: this tool's connector cannot read them (currency, lock date and payment "
            "terms checks stay unknown)"
        )
    if found is not None:
        summary.documents_found = store_documents(session, tenant, found)
        if summary.documents_found:
            summary.notes.append(
                f"{summary.documents_found} document(s) found in the tool under the numbers of "
                "documents not yet sent (see `booksync doctor`)"
            )
    session.flush()
    return summary


def _import_accounts(
    session: Session, tenant: Tenant, accounts: list[RemoteAccount], summary: ImportSummary
) -> None:
    """Match the tool's accounts to the tenant's account codes by code, then by name and kind, so
    an account whose code changed (in the tool, or by an edit here) is updated, not duplicated; an
    imported account the tool no longer has is archived."""
    rows = list(session.scalars(select(AccountCode).where(AccountCode.tenant_id == tenant.id)))
    by_code = {a.code: a for a in rows if a.imported_from_tool}
    claimed: set[int] = set()
    pending: list[RemoteAccount] = []
    matched: list[tuple[RemoteAccount, AccountCode | None]] = []
    for account in accounts:
        row = by_code.get(account.code)
        if row is None or row.id in claimed:
            pending.append(account)
        else:
            claimed.add(row.id)
            matched.append((account, row))
    for account in pending:
        row = _by_name(rows, account, claimed)
        if row is not None:
            claimed.add(row.id)
            if row.code != account.code:
                summary.notes.append(
                    f"account code '{row.name}' has the tool's code {account.code} again "
                    f"(was {row.code or 'empty'})"
                )
        matched.append((account, row))
    for account, found in matched:
        row = found
        if row is None:
            row = AccountCode(tenant_id=tenant.id)
            session.add(row)
        row.code, row.imported_from_tool = account.code, True
        row.name, row.kind, row.active = account.name, account.kind.value, account.active
        summary.account_codes += account.active
        summary.archived_account_codes += not account.active
    for row in rows:
        if row.imported_from_tool and row.id not in claimed:
            row.active = False  # gone from the tool: documents may no longer post to it


def _by_name(
    rows: list[AccountCode], account: RemoteAccount, claimed: set[int]
) -> AccountCode | None:
    """The tenant's account code of the same name and kind: an imported one first (its code
    changed in the tool), else one made the user's own by an edit."""
    same = [
        r
        for r in rows
        if r.id not in claimed
        and r.name.casefold() == account.name.casefold()
        and r.kind == account.kind.value
    ]
    same.sort(key=lambda r: not r.imported_from_tool)
    return same[0] if same else None


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
