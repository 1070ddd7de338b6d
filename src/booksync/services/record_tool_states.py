"""What the tool did with a linked record after booksync pushed it (issue 13's `remote_states`), as
the record lists show and filter it: paid, part paid, voided in the tool, drifted.

These are facts beside the sync state, not sync states: a document is synced *and* paid, or synced
*and* drifted. A record has at most one of paid / part paid / voided (its status in the tool) and
may also be drifted (the tool differs from what booksync pushed, not yet settled on the drift
page). Only the `remote_states` row of the record's current link counts (same remote ID), as the
drift page and the engine's `tool_state` read it: a row left from an older link says nothing.
Every read here is one query (a join or an `EXISTS`), never one per record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import Session

from booksync.connectors.two_way import RemoteStatus
from booksync.domain.types import EntityType
from booksync.services.drift import OPEN
from booksync.store.models import SYNCABLE_MODELS, Document, RemoteState


class ToolState(StrEnum):
    """A fact about a record in the tool that the lists show beside its sync state."""

    PAID = "paid"
    PART_PAID = "part_paid"
    VOIDED = "voided"
    DRIFTED = "drifted"

    @property
    def label(self) -> str:
        return _LABELS.get(self, self.value)


_LABELS = {ToolState.PART_PAID: "part paid", ToolState.VOIDED: "voided in tool"}
#: Display order: money first, then what needs a person's look.
TOOL_STATES: tuple[ToolState, ...] = tuple(ToolState)
#: The tool's status that each status-borne fact stands for.
_STATUS = {
    ToolState.PAID: RemoteStatus.PAID.value,
    ToolState.PART_PAID: RemoteStatus.PART_PAID.value,
    ToolState.VOIDED: RemoteStatus.VOIDED.value,
}
_BY_STATUS = {status: state for state, status in _STATUS.items()}


def tool_states_for(entity: EntityType) -> tuple[ToolState, ...]:
    """The facts a record of `entity` can have: documents are paid or voided, contacts and items
    are not (their archive or merge in the tool shows as drift)."""
    return TOOL_STATES if entity.is_document else (ToolState.DRIFTED,)


def _linked(model: Any, entity: Any) -> ColumnElement[bool]:
    """The `remote_states` row of `model`'s current link (`entity`: the type as a SQL value)."""
    return and_(
        RemoteState.record_id == model.id,
        RemoteState.entity_type == entity,
        RemoteState.remote_id == model.remote_id,
    )


def _holds(state: ToolState) -> ColumnElement[bool]:
    if state is ToolState.DRIFTED:
        return RemoteState.drift_state == OPEN
    return RemoteState.status == _STATUS[state]


def tool_filter(entity: EntityType, state: ToolState) -> ColumnElement[bool]:
    """A `WHERE` clause for a query over `entity`'s model: its records that have `state`."""
    model = SYNCABLE_MODELS[entity]
    return select(RemoteState.id).where(_linked(model, entity.value), _holds(state)).exists()


def tool_states(
    session: Session, entity: EntityType, ids: Sequence[int]
) -> dict[int, frozenset[ToolState]]:
    """Record id -> its facts in the tool, for the `ids` of `entity` that have any (one query)."""
    if not ids:
        return {}
    model = SYNCABLE_MODELS[entity]
    rows = session.execute(
        select(model.id, RemoteState.status, RemoteState.drift_state)
        .join(RemoteState, _linked(model, entity.value))
        .where(model.id.in_(ids))
    )
    found: dict[int, set[ToolState]] = {}
    for record_id, status, drift_state in rows:
        facts = found.setdefault(record_id, set())
        if status in _BY_STATUS:
            facts.add(_BY_STATUS[status])
        if drift_state == OPEN:
            facts.add(ToolState.DRIFTED)
    return {record_id: frozenset(facts) for record_id, facts in found.items() if facts}


def tool_state_counts(session: Session) -> dict[EntityType, Counter[ToolState]]:
    """How many records of each type have each fact (one grouped query per table)."""
    found: dict[EntityType, Counter[ToolState]] = {}
    parties = (EntityType.CLIENT, EntityType.SUPPLIER, EntityType.PRODUCT)
    tables: list[tuple[Any, Any]] = [(Document, Document.kind)]
    tables += [(SYNCABLE_MODELS[e], e.value) for e in parties]
    for model, kind in tables:
        columns = [
            func.count(distinct(case((_holds(state), model.id)))).label(state.value)
            for state in TOOL_STATES
        ]
        stmt = select(*columns).select_from(model).join(RemoteState, _linked(model, kind))
        if isinstance(kind, str):
            rows = [(kind, row) for row in session.execute(stmt)]
        else:
            grouped = stmt.add_columns(kind).group_by(kind)
            rows = [(row[-1], row) for row in session.execute(grouped)]
        for entity, row in rows:
            counts = +Counter({s: row._mapping[s.value] for s in TOOL_STATES})  # no zeros
            if counts:
                found[EntityType(entity)] = counts
    return found


__all__ = [
    "TOOL_STATES",
    "ToolState",
    "tool_filter",
    "tool_state_counts",
    "tool_states",
    "tool_states_for",
]
