"""Turning a record's current version into what a connector pushes: tool-neutral payloads.

Account codes and tax types are resolved here, with the same rules the doctor explains, so the
tool receives exactly what the checklist vetted.
"""

from __future__ import annotations

import hashlib

from booksync.connectors.protocol import (
    DocumentPayload,
    ItemPayload,
    LinePayload,
    PartyPayload,
    PushItem,
)
from booksync.domain.records import Books, TenantView
from booksync.domain.rules import LineUse, account_for, expense_account, tax_for
from booksync.domain.types import EntityType
from booksync.store.books import document_view
from booksync.store.models import Client, Document, Product, Supplier, Syncable

PREFIX = {EntityType.CLIENT: "C", EntityType.SUPPLIER: "S", EntityType.PRODUCT: "P"}


def idempotency_key(tenant: TenantView, entity: EntityType, record_id: int, version: int) -> str:
    """The same record version always yields the same key (35 chars: within Xero's and QBO's limits)."""
    raw = f"{tenant.integration_id}:{tenant.remote_tenant_id}:{entity.value}:{record_id}:v{version}"
    return "bs-" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def party_number(entity: EntityType, record_id: int) -> str:
    """booksync's own stable reference for a client or supplier (Xero ContactNumber, ledger metadata)."""
    return f"{PREFIX[entity]}-{record_id:06d}"


def product_code(product: Product) -> str:
    return product.code or f"{PREFIX[EntityType.PRODUCT]}-{product.id:06d}"


def reference_of(record: Syncable) -> str:
    """What `Connector.lookup` finds the remote object by."""
    if isinstance(record, Client | Supplier):
        return party_number(record.entity_type, record.id)
    if isinstance(record, Product):
        return product_code(record)
    assert isinstance(record, Document)
    return record.number


def build_push_item(books: Books, record: Syncable, tenant: TenantView) -> PushItem:
    entity = record.entity_type
    key = idempotency_key(tenant, entity, record.id, record.version)
    return PushItem(
        key=key,
        entity=entity,
        record_id=record.id,
        reference=reference_of(record),
        remote_id=record.remote_id,
        payload=_payload(books, record, tenant),
    )


def _payload(
    books: Books, record: Syncable, tenant: TenantView
) -> PartyPayload | ItemPayload | DocumentPayload:
    if isinstance(record, Client | Supplier):
        return PartyPayload(
            record.entity_type, record.name, record.email, record.currency, reference_of(record)
        )
    if isinstance(record, Product):
        view = books.products[record.id]
        use = LineUse(EntityType.PRODUCT, view, None, tenant)
        income, _, _ = account_for(books, use)
        expense = expense_account(books, view)
        rate = tax_for(books, use).rate
        return ItemPayload(
            code=product_code(record),
            name=record.name,
            description=record.description or record.name,
            price=record.price,
            cost=record.cost,
            income_account_code=income.code if income else None,
            expense_account_code=expense.code if expense and expense.code else None,
            tax_type=rate.tax_types.get(tenant.id) if rate else None,
        )
    assert isinstance(record, Document)
    document = document_view(record)
    party = books.party(document)
    lines = []
    for line, row in zip(document.lines, record.lines, strict=True):
        product = books.products[line.product_id]
        use = LineUse(document.type, product, party, tenant, line, document.subject)
        account, _, _ = account_for(books, use)
        rate = tax_for(books, use).rate
        # The engine pushes only what passed tax.resolved; the view was read with its amounts.
        assert rate is not None and line.quantity is not None and line.unit_price is not None
        lines.append(
            LinePayload(
                item_code=product_code(row.product),
                item_remote_id=product.remote_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                account_code=account.code if account else None,
                tax_type=rate.tax_types.get(tenant.id),
                tax_percent=rate.percent,
            )
        )
    return DocumentPayload(
        entity=document.type,
        number=record.number,
        contact_remote_id=party.remote_id if party else None,
        contact_name=party.name if party else "",
        issue_date=record.issue_date,
        due_date=record.due_date,
        currency=record.currency,
        status=record.status,
        reference=record.reference_text or None,
        lines=tuple(lines),
    )
