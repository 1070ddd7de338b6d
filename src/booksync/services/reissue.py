"""Reissue an invoice the tool will not let booksync edit (paid or part-paid there).

The tools' own practice, in one command (`booksync invoice reissue NUMBER`), in one transaction:
a credit note crediting the original for what the tool holds, a new invoice NUMBER-R1 (-R2, ...)
with booksync's current lines, and the original put back to what the tool holds, synced with
nothing to push (`document.editable_in_tool` no longer holds it). Run twice, the second run says
what the first made and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.domain.rules_tool import GONE, SETTLED
from booksync.domain.types import DocumentStatus, EntityType, SyncStatus
from booksync.errors import BadInput, Conflict
from booksync.services.records import DOCUMENTS
from booksync.services.tool_version import (
    STATUS_FROM_TOOL,
    apply_to_document,
    job_of,
    refuse_in_flight,
    remote_state,
    settle,
    tool_lines,
)
from booksync.store.models import Document, DocumentLine

#: What a reissue writes in the credit note's and the new invoice's reference.
REISSUE_OF = "reissue of "


@dataclass(frozen=True)
class Reissued:
    """What a reissue made (or, `already`, what an earlier one made)."""

    original: str
    invoice: str
    credit_note: str
    #: The total of the credit note's lines before tax, as the tool holds the original.
    credited: str
    already: bool = False

    @property
    def message(self) -> str:
        if self.already:
            return (
                f"Invoice '{self.original}' was already reissued as '{self.invoice}' (credit "
                f"note '{self.credit_note}'); nothing changed."
            )
        return (
            f"Invoice '{self.original}' reissued: credit note '{self.credit_note}' credits it "
            f"for {self.credited} before tax (what the tool holds), new invoice '{self.invoice}' "
            f"carries booksync's lines; '{self.original}' is back to the tool's version."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "invoice": self.invoice,
            "credit_note": self.credit_note,
            "credited": self.credited,
            "already": self.already,
            "message": self.message,
        }


def reissue(session: Session, ref: str, *, now: datetime | None = None) -> Reissued:
    """Reissue invoice `ref` (number or id); see the module's docstring."""
    when = now or datetime.now(UTC)
    original = DOCUMENTS[EntityType.INVOICE].get(session, ref)
    number = original.number
    earlier = _earlier(session, original)
    job = job_of(session, original)
    edit_pending = job is not None and (
        job.status != SyncStatus.SYNCED.value or job.synced_version != original.version
    )
    if earlier and not edit_pending:
        credit_note, invoice = earlier[-1]
        return Reissued(number, invoice.number, credit_note.number, "", already=True)
    if original.remote_id is None:
        raise BadInput(
            "number", number, "has not reached the tool yet", "edit it: booksync invoice edit"
        )
    if not edit_pending:
        raise BadInput(
            "number", number, "has no edit to reissue: the tool holds booksync's version", None
        )
    refuse_in_flight(session, original, number)
    state = remote_state(session, original)
    status = state.status if state is not None else None
    if status in GONE:
        raise Conflict(
            "number",
            number,
            f"is {status} in the tool: there is nothing to credit",
            f"a new invoice for the change, or the tool's version: booksync drift accept "
            f"invoice {number}",
        )
    if status is not None and status not in SETTLED:
        raise BadInput(
            "number",
            number,
            f"is {status} in the tool, which takes an edit: nothing to reissue",
            "push the edit: booksync sync",
        )
    held = _tool_fields(state, job)
    if not isinstance(held.get("lines"), list):
        raise BadInput(
            "number",
            number,
            "has no lines read back from the tool nor a record of what was last pushed",
            "read it back first (booksync pull)",
        )
    new_number = _free_number(session, number, len(earlier) + 1)
    cn_number = _free_credit_note(session, number, len(earlier) + 1)
    reference = f"{REISSUE_OF}{number}"
    today = when.date()

    # (b) the new invoice: booksync's current version, under its new number
    invoice = Document(
        kind=EntityType.INVOICE.value,
        number=new_number,
        client_id=original.client_id,
        issue_date=today,
        due_date=_due(original.issue_date, original.due_date, today),
        currency=original.currency,
        status=_new_status(original.status),
        reference_text=reference,
        exchange_rate=original.exchange_rate,
        tracking=original.tracking,
        lines=[_copy(ln) for ln in original.lines],
    )
    # (a) the credit note: what the tool holds, allocated to the original
    credit_note = Document(
        kind=EntityType.CREDIT_NOTE.value,
        number=cn_number,
        client_id=original.client_id,
        issue_date=today,
        currency=str(held.get("currency") or original.currency),
        status=DocumentStatus.AUTHORISED.value,
        reference_text=reference,
        exchange_rate=original.exchange_rate,
        tracking=original.tracking,
        credited_document_id=original.id,
    )
    credit_note.lines = tool_lines(session, original, held["lines"], "tool.lines")
    credited = sum(((ln.quantity or 0) * (ln.unit_price or 0) for ln in credit_note.lines), start=0)
    session.add_all([invoice, credit_note])
    # the original: back to what the tool holds, with nothing to push
    apply_to_document(session, original, held, status, when)
    if status is None and original.status not in STATUS_FROM_TOOL.values():
        original.status = DocumentStatus.AUTHORISED.value
    message = (
        f"reissued as '{new_number}' with credit note '{cn_number}'; back to the tool's version"
    )
    settle(session, original, held, when, f"Invoice '{number}' {message}")
    if state is not None and state.drift_state == "open":
        state.drift_state = "accepted"
    session.flush()
    return Reissued(number, new_number, cn_number, format(credited, "f"))


def _earlier(session: Session, original: Document) -> list[tuple[Document, Document]]:
    """(credit note, new invoice) of each earlier reissue of `original`, oldest first."""
    reference = f"{REISSUE_OF}{original.number}"
    notes = session.scalars(
        select(Document)
        .where(
            Document.kind == EntityType.CREDIT_NOTE.value,
            Document.credited_document_id == original.id,
            Document.reference_text == reference,
        )
        .order_by(Document.id)
    ).all()
    found = []
    for note in notes:
        invoice = session.scalars(
            select(Document)
            .where(
                Document.kind == EntityType.INVOICE.value,
                Document.reference_text == reference,
                Document.id != original.id,
                Document.id < note.id,
            )
            .order_by(Document.id.desc())
        ).first()
        if invoice is not None:
            found.append((note, invoice))
    return found


def _free_number(session: Session, number: str, n: int) -> str:
    wanted = f"{number}-R{n}"
    taken = session.scalars(
        select(Document.id).where(
            Document.kind == EntityType.INVOICE.value, Document.number == wanted
        )
    ).first()
    if taken is not None:
        raise Conflict(
            "number",
            wanted,
            f"is already used by another invoice, so '{number}' cannot be reissued under it",
            f"renumber that invoice, then reissue '{number}' again",
        )
    return wanted


def _free_credit_note(session: Session, number: str, n: int) -> str:
    wanted = f"{number}-CN{n}"
    taken = session.scalars(
        select(Document.id).where(
            Document.kind == EntityType.CREDIT_NOTE.value, Document.number == wanted
        )
    ).first()
    if taken is not None:
        raise Conflict(
            "credit_note",
            wanted,
            "is already used by another credit note",
            f"renumber that credit note, then reissue '{number}' again",
        )
    return wanted


def _tool_fields(state: Any, job: Any) -> dict[str, Any]:
    """What the tool holds: as read back, else what booksync last pushed."""
    if state is not None and isinstance(state.fields, dict) and state.fields.get("lines"):
        return dict(state.fields)
    pushed = job.pushed_fields if job is not None else None
    return dict(pushed) if isinstance(pushed, dict) else {}


def _copy(line: DocumentLine) -> DocumentLine:
    return DocumentLine(
        position=line.position,
        product_id=line.product_id,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate_id=line.tax_rate_id,
    )


def _due(issued: date | None, due: date | None, today: date) -> date | None:
    """The original's terms from today: as many days after the new issue date."""
    if issued is None or due is None:
        return None
    return today + timedelta(days=max((due - issued).days, 0))


def _new_status(status: str) -> str:
    settled = (DocumentStatus.PAID.value, DocumentStatus.VOIDED.value)
    return DocumentStatus.AUTHORISED.value if status in settled else status


__all__ = ["REISSUE_OF", "Reissued", "reissue"]
