"""Recording what a tool holds now: one `remote_states` row per record, its payments, its drift,
and a timeline event on the booksync record whenever something a person cares about moved.

Called with whatever read the states (a webhook's worker, a poll, a push's answer); `source` says
which, on the timeline. The history of a document's statuses and payments is its timeline: an event
("remote") is written only when its status, amount paid or due, a payment or its drift changed, so
a poll that finds nothing new writes nothing but `seen_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.fields import json_safe
from booksync.connectors.registry import label
from booksync.connectors.two_way import RemoteState, RemoteStatus
from booksync.domain.types import EntityType
from booksync.services.inbound.document_locks import hold_for_recording
from booksync.services.inbound.drift import drift_rows, drift_state
from booksync.services.inbound.linking import links
from booksync.services.inbound.tool_payments import record_tool_payments
from booksync.services.inbound.upserts import dialect, insert_new
from booksync.store.bulk import chunked
from booksync.store.models import Document, Tenant
from booksync.store.models import RemoteState as StateRow
from booksync.store.types import utcnow
from booksync.sync.timeline import add_events

#: The status of a row made just now, before the state is written into it.
FIRST_SEEN = ""
#: The timeline event's kind.
EVENT_KIND = "remote"


@dataclass
class Recorded:
    """What recording some states did."""

    states: int = 0
    #: Records whose status or amounts moved (or were seen for the first time).
    changed: int = 0
    #: Payments recorded, deleted or changed in the tool.
    payments: int = 0
    #: Records with a new or changed difference from what booksync pushed.
    drifted: int = 0
    #: Timeline events written.
    events: int = 0

    def add(self, other: Recorded) -> None:
        self.states += other.states
        self.changed += other.changed
        self.payments += other.payments
        self.drifted += other.drifted
        self.events += other.events


def record_states(
    session: Session,
    tenant: Tenant,
    states: Sequence[RemoteState],
    source: str,
    *,
    now: datetime | None = None,
) -> Recorded:
    """Upsert each state by (tenant, entity, remote id); see the module's docstring."""
    done = Recorded()
    latest: dict[tuple[EntityType, str], RemoteState] = {}
    for s in states:  # the last word on a record wins (a feed may give one twice)
        latest[(s.entity, s.remote_id)] = s
    by_entity: dict[EntityType, list[RemoteState]] = {}
    for (entity, _), s in latest.items():
        by_entity.setdefault(entity, []).append(s)
    for entity, group in by_entity.items():
        for part in chunked(group):
            done.add(_record(session, tenant, entity, list(part), source, now or utcnow()))
    return done


def _rows(
    session: Session, tenant: Tenant, entity: EntityType, ids: list[str], now: datetime
) -> dict[str, StateRow]:
    """Each id's row, made if new, and locked on PostgreSQL until the transaction ends."""
    blank: list[dict[str, Any]] = [
        {
            "tenant_id": tenant.id,
            "entity_type": entity.value,
            "remote_id": i,
            "status": FIRST_SEEN,
            "fields": {},
            "seen_at": now,
        }
        for i in ids
    ]
    insert_new(session, StateRow, blank, ["tenant_id", "entity_type", "remote_id"])
    stmt = select(StateRow).where(
        StateRow.tenant_id == tenant.id,
        StateRow.entity_type == entity.value,
        StateRow.remote_id.in_(ids),
    )
    if dialect(session) == "postgresql":
        stmt = stmt.with_for_update()
    return {r.remote_id: r for r in session.scalars(stmt)}


def _record(
    session: Session,
    tenant: Tenant,
    entity: EntityType,
    states: list[RemoteState],
    source: str,
    now: datetime,
) -> Recorded:
    done = Recorded(states=len(states))
    ids = [s.remote_id for s in states]
    linked = links(session, tenant.id, entity, ids)
    rows = _rows(session, tenant, entity, ids, now)
    tool = label(tenant.integration.kind)
    currencies: dict[int, str] = {}
    if entity.is_document:
        record_ids = [link.record_id for link in linked.values()]
        # A reader of these documents sees the states and payments below all or none.
        hold_for_recording(
            session, [*record_ids, *(r.record_id for r in rows.values() if r.record_id)]
        )
        currencies = {
            i: c
            for i, c in session.execute(
                select(Document.id, Document.currency).where(Document.id.in_(record_ids))
            )
        }
    events: list[dict[str, Any]] = []
    for state in states:
        row = rows[state.remote_id]
        link = linked.get(state.remote_id)
        if link is not None:
            row.record_id = link.record_id
        moved = _moved(row, state)
        drift = drift_rows(link.pushed if link else None, state)
        drift_moved = drift != row.drift and drift is not None
        row.drift_state = drift_state(drift, row.drift, row.drift_state)
        row.drift = drift
        _write(row, state, now)
        said: list[str] = []
        if row.record_id is not None and entity.is_document and (state.payments or moved):
            said = record_tool_payments(
                session,
                tenant.id,
                row.record_id,
                state,
                currencies.get(row.record_id, tenant.base_currency),
                tool,
            )
        done.changed += bool(moved)
        done.payments += len(said)
        done.drifted += drift_moved
        if row.record_id is None or not (moved or said or drift_moved):
            continue
        lines = [f"{tool}: {moved}"] if moved else []
        lines += said
        if drift_moved and drift:
            lines.append(
                f"changed in {tool} since booksync pushed it: "
                + ", ".join(str(r["field"]) for r in drift)
            )
        events.append(
            {
                "entity_type": entity.value,
                "record_id": row.record_id,
                "record_version": None,
                "tenant_id": tenant.id,
                "kind": EVENT_KIND,
                "message": "; ".join(lines) + f" (seen by {source})",
                "request": None,
                "response": _summary(state, source),
                "at": now,
            }
        )
    add_events(session, events)
    done.events = len(events)
    return done


def _money(value: Decimal | None) -> str | None:
    return format(value, "f") if value is not None else None


def _words(state: RemoteState) -> str:
    status = state.status.value.replace("_", " ")
    if state.status is RemoteStatus.MERGED and state.merged_into:
        status += f" into {state.merged_into}"
    parts = [status]
    if state.amount_paid is not None:
        parts.append(f"{_money(state.amount_paid)} paid")
    if state.amount_due is not None:
        parts.append(f"{_money(state.amount_due)} due")
    return ", ".join(parts)


def _moved(row: StateRow, state: RemoteState) -> str | None:
    """The new status and amounts in words when they moved (or are seen first); else None."""
    same = (
        row.status == state.status.value
        and row.amount_paid == state.amount_paid
        and row.amount_due == state.amount_due
        and row.merged_into == state.merged_into
    )
    return None if same and row.status != FIRST_SEEN else _words(state)


def _write(row: StateRow, state: RemoteState, now: datetime) -> None:
    row.status = state.status.value
    row.reference = state.reference[:255] if state.reference else row.reference
    row.total = state.total
    row.amount_paid = state.amount_paid
    row.amount_due = state.amount_due
    row.merged_into = state.merged_into
    if state.fields or state.status.gone:
        row.fields = json_safe(dict(state.fields))
    row.remote_updated_at = state.updated_at or row.remote_updated_at
    row.seen_at = now


def _summary(state: RemoteState, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "status": state.status.value,
        "total": _money(state.total),
        "amount_paid": _money(state.amount_paid),
        "amount_due": _money(state.amount_due),
        "updated_at": state.updated_at.isoformat() if state.updated_at else None,
    }


__all__ = ["EVENT_KIND", "Recorded", "record_states"]
