"""Taking the tool's version of a record into booksync: drift accepted, or an invoice reissued.

The tool's fields are in the payload's terms (`connectors.protocol.RemoteFields`, JSON-safe as
`remote_states.fields` keeps them: money and dates as text). They are written onto booksync's row
through the ORM, so the edit is a new version with its timeline entry like any other; then the
record's job is moved by `take_tool` to synced at that version, with the tool's fields as what was
last pushed: nothing goes back to the tool (no echo), and its webhook echo is not drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.domain.types import SUPPLIER_DOCUMENTS, DocumentStatus, SyncStatus
from booksync.errors import BadInput, Conflict
from booksync.store.models import (
    Client,
    Document,
    DocumentLine,
    Product,
    RemoteState,
    Supplier,
    Syncable,
    SyncJob,
)
from booksync.sync import jobs
from booksync.sync.taking import take_tool

#: The tool's state of a document (`RemoteStatus`) -> booksync's document status.
STATUS_FROM_TOOL = {
    "draft": DocumentStatus.DRAFT.value,
    "open": DocumentStatus.AUTHORISED.value,
    "part_paid": DocumentStatus.AUTHORISED.value,
    "paid": DocumentStatus.PAID.value,
    "voided": DocumentStatus.VOIDED.value,
    "deleted": DocumentStatus.VOIDED.value,
}


def remote_state(session: Session, record: Syncable) -> RemoteState | None:
    """The tool's last known state of `record` (under its current remote id), or None."""
    if record.remote_id is None:
        return None
    return session.scalars(
        select(RemoteState).where(
            RemoteState.entity_type == record.entity_type.value,
            RemoteState.record_id == record.id,
            RemoteState.remote_id == record.remote_id,
        )
    ).first()


def job_of(session: Session, record: Syncable) -> SyncJob | None:
    """The record's job as stored now (the outbox writes it in SQL, behind the ORM's back)."""
    return session.scalars(
        select(SyncJob)
        .where(SyncJob.entity_type == record.entity_type.value, SyncJob.record_id == record.id)
        .execution_options(populate_existing=True)
    ).first()


def refuse_in_flight(session: Session, record: Syncable, label: str) -> None:
    job = job_of(session, record)
    if job is not None and job.status == SyncStatus.IN_FLIGHT.value:
        raise Conflict(
            "ref",
            label,
            "is being pushed to the tool right now",
            "the same command again once the push has landed (booksync status)",
        )


def tool_lines(
    session: Session, document: Document, lines: Any, where: str = "lines"
) -> list[DocumentLine]:
    """The tool's lines as booksync's: each item code is a product's code; a line without one
    keeps the product (and tax rate override) of booksync's line at that position."""
    if not isinstance(lines, Sequence) or isinstance(lines, str):
        raise BadInput(where, lines, "are not lines the tool reported", "a list of lines")
    current = {ln.position: ln for ln in document.lines}
    made: list[DocumentLine] = []
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, Mapping):
            raise BadInput(f"{where}[{position}]", line, "is not a line", "a line's fields")
        mine = current.get(position)
        code = line.get("item_code")
        product_id = mine.product_id if mine is not None else None
        if code:
            found = session.scalars(select(Product.id).where(Product.code == str(code))).first()
            if found is None:
                raise BadInput(
                    f"{where}[{position}].item_code",
                    str(code),
                    "is not the code of any product in booksync",
                    "add a product with that code first, or leave the tool's version",
                )
            product_id = found
        if product_id is None:
            raise BadInput(
                f"{where}[{position}].item_code",
                None,
                "names no product, and booksync has no line at that position to take it from",
                "a line with an item code",
            )
        made.append(
            DocumentLine(
                position=position,
                product_id=product_id,
                description=str(line.get("description") or ""),
                quantity=_amount(line.get("quantity"), f"{where}[{position}].quantity"),
                unit_price=_amount(line.get("unit_price"), f"{where}[{position}].unit_price"),
                tax_rate_id=mine.tax_rate_id if mine is not None else None,
            )
        )
    return made


def apply_to_document(
    session: Session,
    document: Document,
    fields: Mapping[str, Any],
    status: str | None,
    now: datetime,
) -> None:
    """The tool's dates, reference, currency, contact, lines and status onto `document`."""
    for name in ("issue_date", "due_date"):
        if name in fields:
            value = _date(fields[name], name)
            if value is not None or name == "due_date":
                setattr(document, name, value)
    if "reference" in fields:
        document.reference_text = str(fields["reference"] or "")
    if fields.get("currency"):
        document.currency = str(fields["currency"])
    contact = fields.get("contact_remote_id")
    if contact and contact != _party_remote_id(document):
        model: type[Client | Supplier] = (
            Supplier if document.kind in {e.value for e in SUPPLIER_DOCUMENTS} else Client
        )
        party_id = session.scalars(select(model.id).where(model.remote_id == str(contact))).first()
        if party_id is None:
            raise BadInput(
                "contact_remote_id",
                str(contact),
                f"is not the remote id of any {model.entity_type.label} in booksync",
                f"link the {model.entity_type.label} first (booksync link), or leave it",
            )
        if model is Supplier:
            document.supplier_id = party_id
        else:
            document.client_id = party_id
    if "lines" in fields:
        document.lines = tool_lines(session, document, fields["lines"])
    if status is not None and status in STATUS_FROM_TOOL:
        document.status = STATUS_FROM_TOOL[status]
    document.updated_at = now  # a change of lines alone is still an edit of the document


def apply_to_record(
    session: Session,
    record: Syncable,
    fields: Mapping[str, Any],
    status: str | None,
    now: datetime,
) -> None:
    """The tool's version onto any record: a document's fields, a contact's name and email, a
    product's name, description and prices."""
    if isinstance(record, Document):
        apply_to_document(session, record, fields, status, now)
    elif isinstance(record, Client | Supplier):
        if fields.get("name"):
            record.name = str(fields["name"])
        if "email" in fields:
            record.email = str(fields["email"]) if fields["email"] else None
    elif isinstance(record, Product):
        for name in ("name", "description"):
            if fields.get(name) is not None:
                setattr(record, name, str(fields[name]))
        for name in ("price", "cost"):
            if fields.get(name) is not None:
                setattr(record, name, _amount(fields[name], name))


def settle(
    session: Session, record: Syncable, fields: Mapping[str, Any], now: datetime, message: str
) -> SyncJob | None:
    """After the tool's version was written onto `record`: its job synced at the new version,
    nothing pushed, the tool's fields as what was last pushed, and `message` on its timeline."""
    session.flush()
    job = job_of(session, record)
    if job is None:
        return None
    if job.status == SyncStatus.DEAD.value:  # only a person's retry revives it: this is one
        jobs.retry(session, job, now)
        job = job_of(session, record)
        assert job is not None
    if job.status != SyncStatus.SYNCED.value or job.synced_version != record.version:
        take_tool(session, job, record.version, pushed_fields=dict(fields), now=now)
    jobs.event(session, job, "accepted", message, version=record.version)
    return job


def _party_remote_id(document: Document) -> str | None:
    party = document.party
    return party.remote_id if party is not None else None


def _date(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadInput(field, value, "is not a date the tool reported", "YYYY-MM-DD") from None


def _amount(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadInput(field, value, "is not an amount the tool reported", "a number") from None


__all__ = [
    "STATUS_FROM_TOOL",
    "apply_to_document",
    "apply_to_record",
    "job_of",
    "refuse_in_flight",
    "remote_state",
    "settle",
    "tool_lines",
]
