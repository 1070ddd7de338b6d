"""A claimed job handed back unpushed, or synced as it stands with nothing to send. (A rule's hold
and a dependency's wait are a round's verdicts, written in bulk: `verdicts.py`.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import null
from sqlalchemy.orm import Session

from booksync.store.models import SyncJob
from booksync.sync.moves import move as _move
from booksync.sync.moves import set_blockers as _set_blockers
from booksync.sync.moves import synced as synced_values


def requeue(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    error: str | None = None,
    uncertain: bool | None = None,
) -> bool:
    """Hand a claimed job back unpushed (its tenant refused the connection: `error` says how; or
    the worker stops). `uncertain` puts back what was known before a refused call was marked sent."""
    values: dict[str, Any] = {} if error is None else {"last_error": error}
    if uncertain is not None:
        values["uncertain"] = uncertain
    return _move(session, job, version, "requeue", values)


def skip(session: Session, job: SyncJob, version: int, *, now: datetime) -> bool:
    """Nothing to send (a document voided before it ever reached the tool): synced as it stands,
    with nothing written to the tool, by the `succeed` transition without a remote ID."""
    values = synced_values(now) | {
        "synced_version": version,
        "verification": null(),  # SQL NULL: nothing was booked, so nothing differs
    }
    moved = _move(session, job, version, "succeed", values)
    _set_blockers(session, job, ())
    return moved


__all__ = ["requeue", "skip"]
