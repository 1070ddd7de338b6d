"""Record lists that answer "what is stuck?": one page of a record type, searched, filtered by sync
state, by a state in the tool (paid, drifted, ...) or by the root cause holding the record, sorted
and paged, each row with its sync state and its facts in the tool.

The parts live beside this: the query and its columns (`record_list_query`), the sync states and
their counts (`record_states`), the facts in the tool (`record_tool_states`) and the bulk actions
(`record_bulk`). Their public names are re-exported here for callers that want one import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType
from booksync.services.record_bulk import Bulk, queue_records
from booksync.services.record_list_query import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    ListQuery,
    list_columns,
    parse_list_query,
    sort_keys,
)
from booksync.services.record_states import (
    STATES,
    RecordState,
    StateCounts,
    SyncState,
    cause_key,
    combine,
    record_states,
    state_counts,
)
from booksync.services.record_tool_states import (
    TOOL_STATES,
    ToolState,
    tool_filter,
    tool_state_counts,
    tool_states,
    tool_states_for,
)
from booksync.services.references import search_filter


@dataclass
class RecordList:
    """One page of a list: the records with their sync state, and where the page is."""

    query: ListQuery
    rows: list[tuple[Any, RecordState | None]]
    total: int
    page: int
    pages: int
    #: Record id -> its facts in the tool, for the rows that have any.
    tool: dict[int, frozenset[ToolState]] = field(default_factory=dict)

    def tool_of(self, record_id: int) -> tuple[ToolState, ...]:
        """A row's facts in the tool, in display order (empty: nothing to say)."""
        facts = self.tool.get(record_id, frozenset())
        return tuple(s for s in TOOL_STATES if s in facts)


def list_records(
    session: Session,
    entity: EntityType,
    query: ListQuery,
    *,
    filters: Mapping[str, Any] | None = None,
    key_search: str | None = None,
    offset: int | None = None,
) -> RecordList:
    """One page of `entity` records matching `query`, each with its sync state.

    For the API's older parameters: `filters` (exact values of the record's attributes, as
    `RecordType.list` takes them) and `key_search` (its natural keys, as `RecordType.list`
    searches) narrow the list too, and `offset` starts the page there instead of at `query.page`
    (not clamped: past the end is an empty page)."""
    model, sorts, search, stmt = list_columns(entity)
    for attr, value in (filters or {}).items():
        stmt = stmt.where(getattr(model, attr) == value)
    if key_search:
        stmt = stmt.where(search_filter(model, key_search))
    if query.search:
        pattern = f"%{query.search.lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(pattern) for c in search)))
    if query.tool_state is not None:
        stmt = stmt.where(tool_filter(entity, query.tool_state))
    key = query.sort_key
    if key in sorts:
        column = sorts[key]
        stmt = stmt.order_by(column.desc() if query.descending else column.asc(), model.id)
    else:
        stmt = stmt.order_by(model.id)  # by sync state: ordered below, ties by id
    whole = query.sync_state is not None or query.cause is not None or key == "sync_state"
    size = query.page_size
    states: dict[tuple[EntityType, int], RecordState]
    if whole:
        ids = list(session.scalars(stmt))
        states = record_states(session, (entity,))
        if query.sync_state is not None:
            ids = [
                i
                for i in ids
                if (entity, i) in states and states[(entity, i)].state is query.sync_state
            ]
        if query.cause is not None:
            ids = [
                i
                for i in ids
                if (entity, i) in states and query.cause in states[(entity, i)].causes
            ]
        if key == "sync_state":
            rank = {state: n for n, state in enumerate(STATES)}
            sign = -1 if query.descending else 1  # ties keep the order by id either way

            def by_state(i: int) -> int:
                found = states.get((entity, i))
                return sign * (rank[found.state] if found is not None else -1)

            ids.sort(key=by_state)
        total = len(ids)
        pages = max(math.ceil(total / size), 1)
        page, start = _window(query.page, pages, size, offset)
        page_ids = ids[start : start + size]
    else:
        total = (
            session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        )
        pages = max(math.ceil(total / size), 1)
        page, start = _window(query.page, pages, size, offset)
        page_ids = list(session.scalars(stmt.limit(size).offset(start)))
        states = record_states(session, (entity,), page_ids) if page_ids else {}
    objects = {o.id: o for o in session.scalars(select(model).where(model.id.in_(page_ids)))}
    rows = [(objects[i], states.get((entity, i))) for i in page_ids if i in objects]
    return RecordList(query, rows, total, page, pages, tool_states(session, entity, page_ids))


def _window(page: int, pages: int, size: int, offset: int | None) -> tuple[int, int]:
    """(page number, index of its first record): by `offset` when given, else the page asked,
    clamped to the last."""
    if offset is not None:
        return offset // size + 1, offset
    page = min(page, pages)
    return page, (page - 1) * size


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "PAGE_SIZES",
    "STATES",
    "TOOL_STATES",
    "Bulk",
    "ListQuery",
    "RecordList",
    "RecordState",
    "StateCounts",
    "SyncState",
    "ToolState",
    "cause_key",
    "combine",
    "list_records",
    "parse_list_query",
    "queue_records",
    "record_states",
    "sort_keys",
    "state_counts",
    "tool_state_counts",
    "tool_states",
    "tool_states_for",
]
