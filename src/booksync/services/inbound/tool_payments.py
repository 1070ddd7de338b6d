"""The payments a tool holds on a document, kept in `payments` (source "tool").

Upserted by (tenant, remote id): a new one is recorded, one the tool deleted or reversed is marked
deleted (kept, so the history shows it). A payment booksync wrote itself comes back with the remote
id booksync recorded, and is the same row. A payment that vanished from the tool's list (Xero drops
a deleted payment from the invoice) is marked deleted only when the list is complete, i.e. it adds
up to the amount paid the tool states, so a connector that reads no payment list deletes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.two_way import RemotePayment, RemoteState
from booksync.domain.money import MoneyError, round_money
from booksync.services.inbound.upserts import insert_new
from booksync.store.models import Payment
from booksync.store.types import utcnow


def money(amount: Decimal, currency: str | None) -> str:
    """An amount as text in its currency's places ("3.00"; the store may hold more places)."""
    try:
        return format(round_money(amount, currency or ""), "f")
    except MoneyError:
        return format(amount.normalize(), "f")


def _said(p: RemotePayment | Payment) -> str:
    ref = f" (reference {p.reference})" if p.reference else ""
    return f"{money(p.amount, p.currency)} on {p.paid_on.isoformat()}{ref}"


def _complete(state: RemoteState) -> bool:
    if state.amount_paid is None:
        return False
    total = sum((p.amount for p in state.payments if p.active), Decimal(0))
    return total == state.amount_paid


def record_tool_payments(
    session: Session, tenant_id: int, document_id: int, state: RemoteState, currency: str, tool: str
) -> list[str]:
    """Bring the document's payments in line with the tool's; one line per change, for the
    timeline (none when nothing changed)."""
    rows = {
        p.remote_id: p
        for p in session.scalars(
            select(Payment).where(
                Payment.tenant_id == tenant_id, Payment.document_id == document_id
            )
        )
        if p.remote_id
    }
    said: list[str] = []
    now = utcnow()
    seen = set()
    for p in state.payments:
        seen.add(p.remote_id)
        row = rows.get(p.remote_id)
        if row is None:
            new = {
                "document_id": document_id,
                "tenant_id": tenant_id,
                "remote_id": p.remote_id,
                "amount": p.amount,
                "currency": (p.currency or currency)[:3],
                "paid_on": p.paid_on,
                "reference": (p.reference or "")[:255],
                "account_code": None,
                "source": "tool",
                "status": "recorded" if p.active else "deleted",
                "attempts": 0,
                "uncertain": False,
                "created_at": now,
                "updated_at": now,
            }
            if insert_new(session, Payment, [new], ["tenant_id", "remote_id"]) and p.active:
                said.append(f"payment of {_said(p)} recorded in {tool}")
            continue
        if not p.active and row.status != "deleted":
            row.status = "deleted"
            said.append(f"payment of {_said(row)} deleted in {tool}")
        elif p.active and row.status == "deleted":
            row.status = "recorded" if row.source == "tool" else "sent"
            said.append(f"payment of {_said(p)} recorded again in {tool}")
        if p.active and row.amount != p.amount:
            said.append(
                f"payment of {_said(row)} changed in {tool} to {money(p.amount, row.currency)}"
            )
            row.amount = p.amount
    if _complete(state):
        for remote_id, row in rows.items():
            if remote_id not in seen and row.status in ("recorded", "sent"):
                row.status = "deleted"
                said.append(f"payment of {_said(row)} deleted in {tool}")
    return said


__all__ = ["record_tool_payments"]
