"""Drift: where the tool's version of a record differs from what booksync last pushed.

Measured field by field with the plan's own comparison (`plan_diff.diff`): `sync_jobs.pushed_fields`
(booksync's side, JSON-safe) against the fields the tool answered (its side, as the connector read
them). booksync's own write coming back by webhook equals what was pushed, so it is no drift: echo
suppression needs nothing more. A payment is not drift either: the tool's status moving to paid or
part paid is recorded as a status, not as a difference; a void, a deletion, an archive or a merge is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from booksync.connectors.two_way import RemoteState, RemoteStatus
from booksync.services.plan_diff import changed, diff

#: What the tool did to a record that booksync's version does not say: a status difference.
STATUS_DRIFT = frozenset(
    {RemoteStatus.VOIDED, RemoteStatus.DELETED, RemoteStatus.ARCHIVED, RemoteStatus.MERGED}
)

Rows = list[dict[str, Any]]


def drift_rows(pushed: Mapping[str, Any] | None, state: RemoteState) -> Rows | None:
    """The fields where the tool differs from what booksync pushed ({"field", "booksync", "tool"}),
    None when they agree or booksync never pushed the record."""
    if not pushed:
        return None
    rows: Rows = [
        {"field": r.field, "booksync": r.booksync, "tool": r.tool}
        for r in changed(diff(pushed, state.fields))
        if r.field != "status"
    ]
    if state.status in STATUS_DRIFT:
        ours = pushed.get("status")
        tool = state.status.value
        if state.merged_into:
            tool += f" into {state.merged_into}"
        rows.insert(0, {"field": "status", "booksync": str(ours) if ours else None, "tool": tool})
    return rows or None


def drift_state(
    rows: Sequence[Mapping[str, Any]] | None,
    previous_rows: Sequence[Mapping[str, Any]] | None,
    previous_state: str | None,
) -> str | None:
    """ "open" for a new difference; the decision already taken (left, accepted, pushed) kept while
    the tool's version is the same one it was taken on; None when nothing differs."""
    if not rows:
        return None
    if previous_state and previous_rows is not None and list(previous_rows) == list(rows):
        return previous_state
    return "open"


__all__ = ["STATUS_DRIFT", "drift_rows", "drift_state"]
