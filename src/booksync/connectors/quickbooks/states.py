"""QuickBooks Online's objects as `two_way.RemoteState`: where a document or name stands, in
booksync's words, with the payments applied to it. Pure functions: no HTTP here.

- Invoices and credit memos have no status field: where they stand follows from `Balance` (what
  is still owed, or for a credit memo what credit is left) against `TotalAmt`: all of it open,
  part of it part paid, none of it paid. A voided one stays, worth nothing: "The Invoice Amounts
  and Quantities are zeroed; PrivateNote is marked as "Voided""
  (https://blogs.intuit.com/blog/2016/04/06/voiding-invoice-objects/), so a zero total with a
  PrivateNote starting "Voided" is voided. A zero-total document that is not voided owes nothing
  and is left open (QuickBooks lets it be edited).
- Estimates and purchase orders carry no money owed: open (their TxnStatus / POStatus is in
  `fields["status"]` where it names one of booksync's).
- Customers, vendors and items: `Active` true or false. QuickBooks never deletes a name; a merged
  one is made inactive and reads like any other inactive name, so a merge is only known from its
  webhook (Merge, with the merged-away id) or from Change Data Capture, which lists the merged-away
  name as "Deleted".
- A transaction deleted in QuickBooks is gone from queries (and a tombstone `{"Id", "status":
  "Deleted"}` in Change Data Capture): DELETED.
- Payments: the document's `LinkedTxn` lists every Payment applied to it; each Payment's lines say
  how much of it went to which transaction (`Line[].LinkedTxn[{TxnId, TxnType}]`,
  https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment). A
  zero-amount payment that applies a credit memo to an invoice counts on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.connectors.quickbooks.mapping import ENTITIES
from booksync.connectors.quickbooks.reading import fields
from booksync.connectors.two_way import RemotePayment, RemoteState, RemoteStatus
from booksync.domain.types import EntityType

ZERO = Decimal(0)
VOIDED = "Voided"
#: Documents whose Balance says what is owed.
OWING = (EntityType.INVOICE, EntityType.CREDIT_NOTE)


def money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def qbo_datetime(value: Any) -> datetime | None:
    """`MetaData.LastUpdatedTime` ("2026-11-02T01:00:00-08:00") in UTC; None if absent."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def updated_at(row: Mapping[str, Any]) -> datetime | None:
    meta = row.get("MetaData")
    return qbo_datetime(meta.get("LastUpdatedTime")) if isinstance(meta, Mapping) else None


def is_voided(row: Mapping[str, Any]) -> bool:
    note = str(row.get("PrivateNote") or "")
    return note.startswith(VOIDED) and (money(row.get("TotalAmt")) or ZERO) == 0


def linked_payments(row: Mapping[str, Any]) -> list[str]:
    """The ids of the Payments a document's LinkedTxn names."""
    return [
        str(link.get("TxnId"))
        for link in row.get("LinkedTxn") or []
        if isinstance(link, Mapping) and link.get("TxnType") == "Payment" and link.get("TxnId")
    ]


def applied(payment: Mapping[str, Any], txn_type: str, txn_id: str) -> Decimal | None:
    """What `payment` applies to one transaction; None when it applies nothing to it."""
    total: Decimal | None = None
    for line in payment.get("Line") or []:
        if not isinstance(line, Mapping):
            continue
        for link in line.get("LinkedTxn") or []:
            if (
                isinstance(link, Mapping)
                and link.get("TxnType") == txn_type
                and str(link.get("TxnId")) == txn_id
            ):
                total = (total or ZERO) + (money(line.get("Amount")) or ZERO)
    return total


def payment_of(
    payment: Mapping[str, Any], txn_type: str, txn_id: str, reference: str | None = None
) -> RemotePayment | None:
    """A Payment as booksync sees it on one transaction; None when it does not touch it."""
    amount = applied(payment, txn_type, txn_id)
    paid_on = _day(payment.get("TxnDate"))
    if amount is None or paid_on is None or not payment.get("Id"):
        return None
    currency = payment.get("CurrencyRef")
    return RemotePayment(
        str(payment["Id"]),
        txn_id,
        amount,
        paid_on,
        currency=str(currency.get("value")) if isinstance(currency, Mapping) else None,
        reference=reference or _text(payment.get("PaymentRefNum")),
    )


def state_of(
    entity: EntityType, row: Mapping[str, Any], payments: Mapping[str, Mapping[str, Any]]
) -> RemoteState:
    """The state of one QuickBooks object of booksync's record type `entity`; `payments` holds the
    Payments its LinkedTxn names, by Id (a missing one is left out)."""
    remote_id = str(row.get("Id") or "")
    when = updated_at(row)
    if str(row.get("status") or "") == "Deleted":  # a Change Data Capture tombstone
        return RemoteState(entity, remote_id, RemoteStatus.DELETED, updated_at=when)
    if entity.is_party or entity is EntityType.PRODUCT:
        active = row.get("Active", True) is not False
        reference = row.get("DisplayName") if entity.is_party else row.get("Sku") or row.get("Name")
        return RemoteState(
            entity,
            remote_id,
            RemoteStatus.ACTIVE if active else RemoteStatus.ARCHIVED,
            updated_at=when,
            reference=_text(reference),
            fields=fields(entity, row),
        )
    total = money(row.get("TotalAmt"))
    common: dict[str, Any] = {
        "updated_at": when,
        "reference": _text(row.get("DocNumber")),
        "fields": fields(entity, row),
        "total": total,
    }
    if entity not in OWING:
        return RemoteState(entity, remote_id, RemoteStatus.OPEN, **common)
    txn_type = ENTITIES[entity]
    found = [
        made
        for made in (
            payment_of(payments[p], txn_type, remote_id)
            for p in linked_payments(row)
            if p in payments
        )
        if made is not None
    ]
    balance = money(row.get("Balance"))
    if balance is None:
        balance = money(row.get("RemainingCredit"))
    paid = (total - balance) if total is not None and balance is not None else None
    return RemoteState(
        entity,
        remote_id,
        _owing_status(row, total, balance),
        amount_paid=paid,
        amount_due=balance,
        payments=tuple(found),
        **common,
    )


def _owing_status(
    row: Mapping[str, Any], total: Decimal | None, balance: Decimal | None
) -> RemoteStatus:
    if is_voided(row):
        return RemoteStatus.VOIDED
    if total is None or balance is None or total <= 0 or balance >= total:
        return RemoteStatus.OPEN
    return RemoteStatus.PAID if balance <= 0 else RemoteStatus.PART_PAID


def deleted(entity: EntityType, remote_id: str) -> RemoteState:
    """An id QuickBooks no longer has."""
    return RemoteState(entity, remote_id, RemoteStatus.DELETED)


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


__all__ = [
    "applied",
    "deleted",
    "is_voided",
    "linked_payments",
    "money",
    "payment_of",
    "qbo_datetime",
    "state_of",
]
