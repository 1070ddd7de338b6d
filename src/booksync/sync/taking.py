"""A person takes the tool's version of a record into booksync (issue 13): the `take_tool`
transition. Drift accepted, or an invoice reissued, leaves nothing to push: the job is synced at the
record's new version with nothing written to the tool, and what the tool holds becomes what was last
pushed, so it reads as no drift and its webhook echo as none either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import null
from sqlalchemy.orm import Session

from booksync.store.models import SyncJob
from booksync.sync.moves import move, set_blockers


def take_tool(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    pushed_fields: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Synced at `version`, nothing sent; `pushed_fields` is the tool's version, now booksync's."""
    values: dict[str, Any] = {
        "synced_version": version,
        "pushed_fields": pushed_fields if pushed_fields is not None else null(),
        "last_error": None,
        "error_rule": None,
        "error_fix": None,
        "attempts": 0,
        "blocked_reasons": [],
        "next_attempt_at": None,
        "verification": null(),
        "updated_at": now,
    }
    moved = move(session, job, version, "take_tool", values)
    set_blockers(session, job, ())
    return moved


__all__ = ["take_tool"]
