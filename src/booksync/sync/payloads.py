"""Turning a record's current version into what a connector pushes: tool-neutral payloads.

Account codes and tax types are resolved here, with the same rules the doctor explains, so the
tool receives exactly what the checklist vetted: the sales tax type on client documents and
products, the purchase one on purchase orders. A document also carries what booksync computed
(tax and total, rounded as the tool rounds: `Tool.tax_rounding`), which the tool's answer is
checked against after the push (`verification.py`), and what the tools apply when the document
says nothing: a due date from payment terms, tracking from its client and products.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import object_session

from booksync.connectors.protocol import (
    Address,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    PartyPayload,
    PaymentTerms,
    PushItem,
)
from booksync.connectors.registry import rule_tools
from booksync.domain.lines import posting
from booksync.domain.money import minor_units
from booksync.domain.records import Books, DocumentView, ProductView, TenantView
from booksync.domain.rules import LineUse, account_for, expense_account, tax_for
from booksync.domain.terms import DAYS_AFTER_BILL_DATE, due_date
from booksync.domain.totals import TaxRounding, document_totals
from booksync.domain.types import SUPPLIER_DOCUMENTS, EntityType
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


def product_code(product: Product | ProductView) -> str:
    return product.code or f"{PREFIX[EntityType.PRODUCT]}-{product.id:06d}"


def reference_of(record: Syncable) -> str:
    """What `Connector.lookup` finds the remote object by."""
    if isinstance(record, Client | Supplier):
        return party_number(record.entity_type, record.id)
    if isinstance(record, Product):
        return product_code(record)
    assert isinstance(record, Document)
    return record.number


def build_push_item(
    books: Books,
    record: Syncable,
    tenant: TenantView,
    *,
    rounding: str | None = None,
    view: DocumentView | None = None,
) -> PushItem:
    """The push item of `record`'s current version for `tenant`; `rounding` is the tool's
    `Tool.tax_rounding` (None: looked up from the tenant's integration); `view` is a document's
    view the caller has read already (the rules' own)."""
    entity = record.entity_type
    key = idempotency_key(tenant, entity, record.id, record.version)
    return PushItem(
        key=key,
        entity=entity,
        record_id=record.id,
        reference=reference_of(record),
        remote_id=record.remote_id,
        payload=_payload(books, record, tenant, rounding or tax_rounding(books, tenant), view),
    )


def tax_rounding(books: Books, tenant: TenantView) -> TaxRounding:
    """How the tenant's tool rounds tax (`Tool.tax_rounding`); "line" for a tool not installed."""
    integration = books.integrations.get(tenant.integration_id)
    return rule_tools().tax_rounding(integration.kind if integration else None)


def _payload(
    books: Books, record: Syncable, tenant: TenantView, rounding: str, view: DocumentView | None
) -> PartyPayload | ItemPayload | DocumentPayload:
    if isinstance(record, Client | Supplier):
        return PartyPayload(
            record.entity_type,
            record.name,
            record.email,
            record.currency,
            reference_of(record),
            address=address(record.address),
            payment_terms=_terms(record.payment_terms),
        )
    if isinstance(record, Product):
        product = books.products[record.id]
        use = LineUse(EntityType.PRODUCT, product, None, tenant)
        income, _, _ = account_for(books, use)
        expense = expense_account(books, product)
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
            purchase_tax_type=rate.purchase_tax_types.get(tenant.id) if rate else None,
        )
    assert isinstance(record, Document)
    return _document(books, record, tenant, rounding, view)


def _document(
    books: Books, record: Document, tenant: TenantView, rounding: str, view: DocumentView | None
) -> DocumentPayload:
    # What the tool holds under the number (the view's `remote_matches`) plays no part here.
    document = view if view is not None else document_view(record, matches=())
    party = books.party(document)
    party_row = record.party
    purchase = document.type in SUPPLIER_DOCUMENTS
    own_tracking = dict(record.tracking or {})
    party_tracking = dict(party_row.tracking or {}) if party_row is not None else {}
    # The document's tracking over its client's (or supplier's) over the product's: the same on
    # every line whose product tracks nothing, so those share one.
    inherited = {**party_tracking, **own_tracking}
    untracked = _pairs(inherited)
    subject = document.subject
    lines = []
    for line in document.lines:
        product = books.products[line.product_id]
        account, rate = posting(
            books, LineUse(document.type, product, party, tenant, line, subject)
        )
        # The engine pushes only what passed tax.resolved; the view was read with its amounts.
        assert rate is not None and line.quantity is not None and line.unit_price is not None
        types = rate.purchase_tax_types if purchase else rate.tax_types
        tracking = _pairs({**product.tracking, **inherited}) if product.tracking else untracked
        lines.append(
            LinePayload(
                item_code=product_code(product),
                item_remote_id=product.remote_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                account_code=account.code if account else None,
                tax_type=types.get(tenant.id),
                tax_percent=rate.percent,
                tracking=tracking,
            )
        )
    totals = document_totals(
        ((ln.quantity, ln.unit_price, ln.tax_percent) for ln in lines),
        "document" if rounding == "document" else "line",
        places=minor_units(record.currency),
    )
    return DocumentPayload(
        entity=document.type,
        number=record.number,
        contact_remote_id=party.remote_id if party else None,
        contact_name=party.name if party else "",
        issue_date=record.issue_date,
        due_date=_due_date(record, party_row, tenant),
        currency=record.currency,
        status=record.status,
        reference=record.reference_text or None,
        lines=tuple(lines),
        exchange_rate=record.exchange_rate,
        credited_remote_id=_credited_remote_id(record),
        tax_total=totals.tax,
        total=totals.total,
        contact_address=address(party_row.address) if party_row is not None else None,
        tracking=_pairs(own_tracking),
    )


def _due_date(record: Document, party: Client | Supplier | None, tenant: TenantView) -> date | None:
    """An invoice's own due date, else from its client's payment terms, else the tenant's default
    (as the tools apply them); other documents keep their own (none: the tool's default)."""
    if record.due_date is not None or record.entity_type is not EntityType.INVOICE:
        return record.due_date
    terms = _terms(party.payment_terms) if party is not None else None
    if terms is not None:
        return due_date(record.issue_date, (terms.type, terms.days))
    if tenant.payment_terms is not None:
        return due_date(record.issue_date, tenant.payment_terms)
    return None


def _credited_remote_id(record: Document) -> str | None:
    """The remote id of the invoice a credit note credits (read in bulk by the gating round)."""
    if record.credited_document_id is None:
        return None
    session = object_session(record)
    credited = session.get(Document, record.credited_document_id) if session else None
    return credited.remote_id if credited is not None else None


def address(value: Mapping[str, Any] | None) -> Address | None:
    """A stored address ({"lines": [...], "city", ...}) as the payload carries it."""
    if not value:
        return None
    return Address(
        lines=tuple(str(line) for line in value.get("lines") or ()),
        city=value.get("city") or None,
        region=value.get("region") or None,
        postal_code=value.get("postal_code") or None,
        country=value.get("country") or None,
    )


def _terms(value: Mapping[str, Any] | None) -> PaymentTerms | None:
    if not value or value.get("days") is None:
        return None
    return PaymentTerms(int(value["days"]), str(value.get("type") or DAYS_AFTER_BILL_DATE))


def _pairs(tracking: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in tracking.items()))
