"""Drift: records changed in the tool after booksync pushed them, and the three ways to settle one.

The intake (`services.inbound`) compares what the tool holds with what booksync last pushed and
keeps the differences on the record's `remote_states` row (`drift`: field by field, `drift_state`
open). Here a person lists them and chooses, per record:
- accept: the tool's version becomes booksync's (`tool_version`), with nothing pushed back;
- push: booksync's version goes to the tool again, over the bookkeeper's change, except where the
  tool refuses an edit (paid, part-paid, voided, deleted: `document.editable_in_tool`);
- leave: the difference stays as it is, no longer listed as open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.domain.rules_tool import GONE, SETTLED
from booksync.domain.types import EntityType
from booksync.errors import BadInput, Conflict
from booksync.services.doctor import parse_type
from booksync.services.references import find
from booksync.services.tool_version import (
    apply_to_record,
    job_of,
    refuse_in_flight,
    remote_state,
    settle,
)
from booksync.store import outbox
from booksync.store.models import SYNCABLE_MODELS, RemoteState, Syncable, Tenant
from booksync.sync import jobs

OPEN = "open"
CHOICES = ("accept", "push", "leave")
#: choice -> the drift_state it leaves behind.
SETTLED_AS = {"accept": "accepted", "push": "pushed", "leave": "left"}


@dataclass(frozen=True)
class Drift:
    """One record that differs in the tool from what booksync last pushed."""

    type: EntityType
    ref: str
    record_id: int
    tenant: str
    remote_id: str
    #: The record's state in the tool (open, paid, voided, archived, ...).
    tool_status: str
    state: str
    #: [{"field", "booksync", "tool", "changed"}], as the intake found them.
    fields: list[dict[str, Any]] = field(default_factory=list)
    seen_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "ref": self.ref,
            "id": self.record_id,
            "tenant": self.tenant,
            "remote_id": self.remote_id,
            "tool_status": self.tool_status,
            "drift_state": self.state,
            "fields": self.fields,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
            "choices": list(CHOICES),
        }


@dataclass(frozen=True)
class Settled:
    """What a choice did, in one sentence for each face to show."""

    choice: str
    type: EntityType
    ref: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "choice": self.choice,
            "type": self.type.value,
            "ref": self.ref,
            "drift_state": SETTLED_AS[self.choice],
            "message": self.message,
        }


def list_drift(session: Session, *, tenant: str | None = None) -> list[Drift]:
    """Every linked record with open drift, by tenant, type and reference."""
    stmt = (
        select(RemoteState, Tenant.name)
        .join(Tenant, Tenant.id == RemoteState.tenant_id)
        .where(RemoteState.drift_state == OPEN, RemoteState.record_id.is_not(None))
        .order_by(Tenant.name, RemoteState.entity_type, RemoteState.record_id)
    )
    if tenant is not None:
        stmt = stmt.where(RemoteState.tenant_id == find(session, Tenant, tenant, field="tenant").id)
    found: list[Drift] = []
    for state, tenant_name in session.execute(stmt):
        entity = EntityType(state.entity_type)
        record = session.get(SYNCABLE_MODELS[entity], state.record_id)  # type: ignore[arg-type]
        if record is None or record.remote_id != state.remote_id:
            continue  # deleted or relinked since: nothing of booksync's differs
        found.append(
            Drift(
                entity,
                record.reference,
                record.id,
                tenant_name,
                state.remote_id,
                state.status,
                OPEN,
                [_row(r) for r in state.drift or []],
                state.seen_at,
            )
        )
    return found


def settle_drift(
    session: Session,
    entity: str | EntityType,
    ref: str,
    choice: str,
    *,
    now: datetime | None = None,
) -> Settled:
    """Apply `choice` (accept, push or leave) to the record's drift; all of it or none of it."""
    if choice not in CHOICES:
        raise BadInput("choice", choice, "is not a way to settle drift", ", ".join(CHOICES))
    kind = entity if isinstance(entity, EntityType) else parse_type(entity)
    model: Any = SYNCABLE_MODELS[kind]
    record: Syncable = find(session, model, ref, field="ref", kind=_kind(kind))
    label = f"{kind.label} '{record.reference}'"
    state = remote_state(session, record)
    if state is None:
        raise BadInput(
            "ref",
            ref,
            f"has nothing read back from the tool: {label} has no drift to settle",
            "a record `booksync drift` lists",
        )
    when = now or datetime.now(UTC)
    if choice == "leave":
        message = _leave(state, label)
    elif choice == "push":
        message = _push(session, record, state, label, when)
    else:
        message = _accept(session, record, state, label, when)
    state.drift_state = SETTLED_AS[choice]
    session.flush()
    return Settled(choice, kind, record.reference, message)


def _leave(state: RemoteState, label: str) -> str:
    if state.drift_state != OPEN:
        raise BadInput(
            "ref", label, "has no open drift to leave", "a record `booksync drift` lists"
        )
    return f"Left {label} as it is: booksync and the tool keep their own versions."


def _push(session: Session, record: Syncable, state: RemoteState, label: str, now: datetime) -> str:
    """booksync's version again, over the tool's; never over what the tool will not take."""
    if record.entity_type.is_document and state.status in SETTLED | GONE:
        fix = (
            f"booksync invoice reissue {record.reference}"
            if state.status in SETTLED and record.entity_type is EntityType.INVOICE
            else f"booksync drift accept {record.entity_type.value} {record.reference}"
        )
        raise Conflict(
            "ref",
            record.reference,
            f"is {state.status.replace('_', ' ')} in the tool, which refuses an edit of it "
            "(document.editable_in_tool): booksync does not push over it",
            fix,
        )
    job = job_of(session, record)
    if job is None:
        raise BadInput("ref", record.reference, "has no sync job", "a record booksync has pushed")
    if job.status != "in_flight":
        jobs.retry(session, job, now)
    jobs.event(
        session, job, "drift", f"{label}: booksync's version is pushed again over the tool's"
    )
    outbox.wake(session)
    return f"Queued {label}: the next pass pushes booksync's version over the tool's."


def _accept(
    session: Session, record: Syncable, state: RemoteState, label: str, now: datetime
) -> str:
    """The tool's version into booksync, with nothing pushed back (no echo)."""
    refuse_in_flight(session, record, record.reference)
    if not state.fields:
        raise BadInput(
            "ref",
            record.reference,
            "has no fields read back from the tool to accept",
            "read it back first (booksync pull), or leave it",
        )
    apply_to_record(session, record, state.fields, state.status, now)
    message = f"{label} now holds the tool's version; nothing is pushed back."
    settle(session, record, state.fields, now, message)
    return message


def _kind(entity: EntityType) -> EntityType | None:
    return entity if entity.is_document else None


def _row(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        return {"field": str(row), "booksync": None, "tool": None, "changed": True}
    return {
        "field": str(row.get("field", "?")),
        "booksync": row.get("booksync"),
        "tool": row.get("tool"),
        "changed": bool(row.get("changed", True)),
    }


__all__ = ["CHOICES", "Drift", "Settled", "list_drift", "settle_drift"]
