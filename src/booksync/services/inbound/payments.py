"""Payments recorded in booksync (to be written to the tool once), and every payment of a document.

`record_payment` checks what the tool would refuse before anything is stored: the amount (more than
zero, in the currency's places, not more than the tool says is still due less what booksync has
recorded and not yet sent), the date, the bank account, and that the invoice reached the tool and
is still open there. The payment is stored pending; `payment_push` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.domain.money import MoneyError, minor_units, parse_decimal
from booksync.domain.types import EntityType
from booksync.errors import BadInput
from booksync.services.documents import Documents
from booksync.services.inbound.document_locks import hold_for_reading
from booksync.services.inbound.tool_payments import money
from booksync.store.models import Client, Document, Payment, SyncJob, Tenant
from booksync.store.models import RemoteState as StateRow
from booksync.store.outbox import wake

#: Statuses in the tool that take no payment (booksync's words, `two_way.RemoteStatus`).
CLOSED = {
    "paid": "is paid in full",
    "voided": "is voided",
    "deleted": "is deleted",
    "draft": "is a draft",
}
INVOICES = Documents(EntityType.INVOICE)


@dataclass(frozen=True)
class DocumentStanding:
    """A document as the tool last showed it, for the faces: its status, amounts and payments."""

    currency: str
    status: str | None
    total: Decimal | None
    amount_paid: Decimal | None
    amount_due: Decimal | None
    seen_at: Any
    payments: list[Payment]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "currency": self.currency,
            "total": _text(self.total, self.currency),
            "amount_paid": _text(self.amount_paid, self.currency),
            "amount_due": _text(self.amount_due, self.currency),
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
            "payments": [payment_json(p) for p in self.payments],
        }


def _text(value: Decimal | None, currency: str) -> str | None:
    return money(value, currency) if value is not None else None


def payment_json(p: Payment, number: str | None = None) -> dict[str, Any]:
    out = {
        "id": p.id,
        "amount": money(p.amount, p.currency),
        "currency": p.currency,
        "paid_on": p.paid_on.isoformat(),
        "reference": p.reference,
        "account_code": p.account_code,
        "source": p.source,
        "status": p.status,
        "remote_id": p.remote_id,
        "error": p.last_error,
    }
    if number is not None:
        out = {"document": number} | out
    return out


def standing(session: Session, document: Document) -> DocumentStanding:
    """What the tool holds for `document` (None fields: not read yet), and its payments: as one
    recording left them (`document_locks`), never a status without the payments behind it."""
    hold_for_reading(session, document.id)
    row = session.scalars(
        select(StateRow)
        .where(StateRow.entity_type == document.kind, StateRow.record_id == document.id)
        .order_by(StateRow.seen_at.desc())
    ).first()
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.document_id == document.id)
            .order_by(Payment.paid_on, Payment.id)
        )
    )
    if row is None:
        return DocumentStanding(document.currency, None, None, None, None, None, payments)
    return DocumentStanding(
        document.currency,
        row.status,
        row.total,
        row.amount_paid,
        row.amount_due,
        row.seen_at,
        payments,
    )


def list_payments(
    session: Session, document: str | None = None, *, limit: int = 500
) -> list[tuple[str, Payment]]:
    """Payments, newest first, each with its document's number; of one invoice when named (as
    one recording left them, so its `standing` read next in the transaction agrees)."""
    stmt = select(Document.number, Payment).join(Document, Payment.document_id == Document.id)
    if document is not None:
        invoice = INVOICES.get(session, document)
        hold_for_reading(session, invoice.id)
        stmt = stmt.where(Payment.document_id == invoice.id)
    stmt = stmt.order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit)
    return [(number, p) for number, p in session.execute(stmt)]


def _amount(value: Any, currency: str) -> Decimal:
    try:
        amount = parse_decimal(value, places=minor_units(currency))
    except MoneyError as exc:
        raise BadInput("amount", value, str(exc)) from None
    if amount <= 0:
        raise BadInput("amount", value, "is not more than zero", "an amount such as 49.00")
    return amount


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput("date", value, "is not a date", "YYYY-MM-DD, e.g. 2026-11-02") from None


def _tenant(session: Session, document: Document) -> Tenant:
    party = session.get(Client, document.client_id) if document.client_id else None
    tenant = session.get(Tenant, party.tenant_id) if party and party.tenant_id else None
    if tenant is None:
        raise BadInput(
            "invoice", document.number, "has a client with no tenant", "an invoice that has synced"
        )
    return tenant


def _remote_id(session: Session, document: Document) -> str | None:
    job_remote = session.scalar(
        select(SyncJob.remote_id).where(
            SyncJob.entity_type == document.kind, SyncJob.record_id == document.id
        )
    )
    return job_remote or document.remote_id


def _unsent(session: Session, document: Document) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.document_id == document.id,
            Payment.source == "booksync",
            Payment.status == "pending",
        )
    )
    return Decimal(total or 0)


def record_payment(
    session: Session,
    document: str,
    amount: Any,
    paid_on: Any,
    account_code: str,
    reference: str = "",
) -> Payment:
    """Store a payment on the invoice `document` (its number or #id), to be written to the tool
    once; BadInput (field, value, what is accepted) and nothing stored when it would be refused."""
    invoice = INVOICES.get(session, document)
    amount_ = _amount(amount, invoice.currency)
    day = _date(paid_on)
    code = (account_code or "").strip()
    if not code:
        raise BadInput(
            "account", account_code, "is required", "the tool's code of the bank account, e.g. 090"
        )
    if len(code) > 50:
        raise BadInput("account", account_code, "is longer than 50 characters", "a short code")
    if _remote_id(session, invoice) is None:
        raise BadInput(
            "invoice",
            invoice.number,
            "has not reached its tool yet",
            f"an invoice that has synced (booksync doctor invoice {invoice.number})",
        )
    tenant = _tenant(session, invoice)
    now = standing(session, invoice)
    if now.status in CLOSED:
        raise BadInput(
            "invoice",
            invoice.number,
            f"{CLOSED[now.status]} in the tool and takes no payment",
            "an open or part-paid invoice",
        )
    if now.amount_due is not None:
        left = now.amount_due - _unsent(session, invoice)
        if amount_ > left:
            raise BadInput(
                "amount",
                money(amount_, invoice.currency),
                f"is more than the {money(left, invoice.currency)} {invoice.currency} still due "
                "in the tool",
                f"at most {money(left, invoice.currency)}",
            )
    payment = Payment(
        document_id=invoice.id,
        tenant_id=tenant.id,
        amount=amount_,
        currency=invoice.currency,
        paid_on=day,
        reference=(reference or "").strip()[:255],
        account_code=code,
        source="booksync",
        status="pending",
        attempts=0,
        uncertain=False,
    )
    session.add(payment)
    session.flush()
    wake(session)  # a worker writes it at once (PostgreSQL); else at its next look
    return payment


def payments_of(payments: Sequence[tuple[str, Payment]]) -> list[dict[str, Any]]:
    return [payment_json(p, number) for number, p in payments]


__all__ = [
    "DocumentStanding",
    "list_payments",
    "payment_json",
    "payments_of",
    "record_payment",
    "standing",
]
