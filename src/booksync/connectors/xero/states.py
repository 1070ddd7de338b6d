"""Xero's objects as `two_way.RemoteState`: where a document or contact stands in Xero, in
booksync's words, with its payments. Pure functions: no HTTP here.

Statuses (tests/specs/api-facts.md; Invoice.Status, xero_accounting.yaml): DRAFT and SUBMITTED
are drafts; AUTHORISED is open, or part paid once anything is paid or credited on it (Xero then
refuses edits until the payments and allocations are removed, as it does for PAID: "Invoice not of
valid status for modification"); PAID, VOIDED and DELETED are themselves. A credit note is part
paid once part of it is allocated or refunded (RemainingCredit below its Total). Quotes and
purchase orders have no payments: DELETED is deleted, DRAFT a draft, every other stage (SENT,
ACCEPTED, DECLINED, INVOICED; SUBMITTED, AUTHORISED, BILLED) open, as `RemoteStatus` has no word
for "closed"; their own status is kept in `fields["status"]` where it names one of booksync's.

Contacts: ContactStatus ACTIVE or ARCHIVED (GDPRREQUEST, a contact Xero is erasing, counts as
archived); a contact with `MergedToContactID` ("ID for the destination of a merged contact",
xero_accounting.yaml line 21188) is merged into that one. Items have no status: one Xero lists is
active.

What is paid: the invoice's `Payments` (each with PaymentID, Date, Amount), its `CreditNotes`
(allocated credit, with AppliedAmount), `Prepayments` and `Overpayments` (AppliedAmount);
`amount_paid` is all of it (AmountPaid + AmountCredited), as that is what no longer is due.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from booksync.connectors.two_way import RemotePayment, RemoteState, RemoteStatus
from booksync.connectors.xero.documents import money
from booksync.connectors.xero.mapping import ENDPOINTS
from booksync.connectors.xero.reading import fields
from booksync.connectors.xero.settings import xero_date
from booksync.domain.types import EntityType

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
ZERO = Decimal(0)

#: Xero's document status -> booksync's, before payments are looked at.
DOCUMENT_STATUSES = {
    "DRAFT": RemoteStatus.DRAFT,
    "SUBMITTED": RemoteStatus.DRAFT,
    "AUTHORISED": RemoteStatus.OPEN,
    "PAID": RemoteStatus.PAID,
    "VOIDED": RemoteStatus.VOIDED,
    "DELETED": RemoteStatus.DELETED,
}
#: Quotes and purchase orders: only these stages are not "open".
ORDER_STATUSES = {"DRAFT": RemoteStatus.DRAFT, "DELETED": RemoteStatus.DELETED}
#: Allocations of other money an invoice lists beside its payments: (list, id field).
APPLIED = (
    ("CreditNotes", "CreditNoteID"),
    ("Prepayments", "PrepaymentID"),
    ("Overpayments", "OverpaymentID"),
)


def xero_datetime(value: Any) -> datetime | None:
    """A moment as Xero writes it (`/Date(1552262400000+0000)/`, or ISO 8601 in UTC when it has
    no offset, as `eventDateUtc` and `UpdatedDateUTCString`), aware and in UTC; None if absent."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def state_of(entity: EntityType, row: Mapping[str, Any]) -> RemoteState:
    """The state of one Xero object of booksync's record type `entity`."""
    endpoint = ENDPOINTS[entity]
    remote_id = str(row.get(endpoint.id_field) or "")
    updated = xero_datetime(row.get("UpdatedDateUTC"))
    if entity.is_party:
        merged = str(row.get("MergedToContactID") or "") or None
        if merged and merged != remote_id:
            status = RemoteStatus.MERGED
        elif row.get("ContactStatus", "ACTIVE") == "ACTIVE":
            status = RemoteStatus.ACTIVE
        else:
            status = RemoteStatus.ARCHIVED
        return RemoteState(
            entity,
            remote_id,
            status,
            updated_at=updated,
            reference=_text(row.get("Name")),
            fields=fields(entity, row),
            merged_into=merged if status is RemoteStatus.MERGED else None,
        )
    if entity is EntityType.PRODUCT:
        return RemoteState(
            entity,
            remote_id,
            RemoteStatus.ACTIVE,
            updated_at=updated,
            reference=_text(row.get("Code")),
            fields=fields(entity, row),
        )
    assert endpoint.number_field is not None
    total = money(row.get("Total"))
    reference = _text(row.get(endpoint.number_field))
    raw = str(row.get("Status") or "")
    if entity not in (EntityType.INVOICE, EntityType.CREDIT_NOTE):
        return RemoteState(
            entity,
            remote_id,
            ORDER_STATUSES.get(raw, RemoteStatus.OPEN),
            updated_at=updated,
            reference=reference,
            fields=fields(entity, row),
            total=total,
        )
    payments = payments_of(entity, row)
    paid: Decimal | None
    if entity is EntityType.INVOICE:
        due = money(row.get("AmountDue"))
        paid = (money(row.get("AmountPaid")) or ZERO) + (money(row.get("AmountCredited")) or ZERO)
    else:
        # A credit note "owes" its remaining credit; what was allocated or refunded is "paid".
        due = money(row.get("RemainingCredit"))
        if due is None:
            due = money(row.get("AmountDue"))
        paid = (total - due) if total is not None and due is not None else None
    status = DOCUMENT_STATUSES.get(raw, RemoteStatus.OPEN)
    if status is RemoteStatus.OPEN and ((paid or ZERO) > 0 or payments):
        status = RemoteStatus.PART_PAID
    return RemoteState(
        entity,
        remote_id,
        status,
        updated_at=updated,
        reference=reference,
        fields=fields(entity, row),
        total=total,
        amount_paid=paid,
        amount_due=due,
        payments=payments,
    )


def payments_of(entity: EntityType, row: Mapping[str, Any]) -> tuple[RemotePayment, ...]:
    """The payments and applied credits a Xero invoice or credit note lists."""
    document_id = str(row.get(ENDPOINTS[entity].id_field) or "")
    currency = _text(row.get("CurrencyCode"))
    found: list[RemotePayment] = []
    for payment in _dicts(row.get("Payments")):
        made = _payment(payment, "PaymentID", "Amount", document_id, currency)
        if made is not None:
            found.append(made)
    if entity is EntityType.INVOICE:
        for key, id_field in APPLIED:
            for applied in _dicts(row.get(key)):
                made = _payment(applied, id_field, "AppliedAmount", document_id, currency)
                if made is not None:
                    number = applied.get("CreditNoteNumber")
                    found.append(made if not number else _with_reference(made, str(number)))
    else:
        for allocation in _dicts(row.get("Allocations")):
            made = _payment(allocation, "AllocationID", "Amount", document_id, currency)
            invoice = allocation.get("Invoice")
            number = invoice.get("InvoiceNumber") if isinstance(invoice, dict) else None
            if made is not None:
                found.append(made if not number else _with_reference(made, f"to {number}"))
    return tuple(found)


def payment_answer(row: Mapping[str, Any], document_id: str) -> RemotePayment | None:
    """A payment as GET/PUT /Payments answers it (spec Payment, line 11589)."""
    made = _payment(row, "PaymentID", "Amount", document_id, None)
    if made is None:
        return None
    return replace(made, active=row.get("Status", "AUTHORISED") != "DELETED")


def _payment(
    row: Mapping[str, Any], id_field: str, amount_field: str, document_id: str, currency: str | None
) -> RemotePayment | None:
    remote_id = str(row.get(id_field) or "")
    amount = money(row.get(amount_field))
    paid_on = xero_date(row.get("Date"))
    if not remote_id or amount is None or paid_on is None:
        return None
    return RemotePayment(
        remote_id,
        document_id,
        amount,
        paid_on,
        currency=currency,
        reference=_text(row.get("Reference")),
    )


def _with_reference(payment: RemotePayment, reference: str) -> RemotePayment:
    return replace(payment, reference=payment.reference or reference)


def deleted(entity: EntityType, remote_id: str) -> RemoteState:
    """An id Xero no longer has."""
    return RemoteState(entity, remote_id, RemoteStatus.DELETED)


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


__all__ = ["deleted", "payment_answer", "payments_of", "state_of", "xero_datetime"]
