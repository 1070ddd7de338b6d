"""The rules' verdict on a claimed job: held by a rule, waiting on a dependency, handed back
unpushed, or synced as it stands with nothing to send."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import null
from sqlalchemy.orm import Session

from booksync.domain.findings import Finding
from booksync.store.models import SyncJob
from booksync.sync.moves import move as _move
from booksync.sync.moves import set_blockers as _set_blockers


def block(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    reasons: list[dict[str, Any]],
    holders: Iterable[Finding],
    now: datetime,
) -> bool:
    """A rule holds the record: keep the reasons to show, and which records hold it."""
    moved = _move(session, job, version, "block", {"blocked_reasons": reasons, "updated_at": now})
    _set_blockers(session, job, holders)
    return moved


def wait(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    reasons: list[dict[str, Any]],
    holders: Iterable[Finding],
    until: datetime,
    now: datetime,
) -> bool:
    """A dependency must sync first: look again at `until`, or as soon as the dependency syncs."""
    values = {"next_attempt_at": until, "blocked_reasons": reasons, "updated_at": now}
    moved = _move(session, job, version, "wait", values)
    _set_blockers(session, job, holders)
    return moved


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
    values: dict[str, Any] = {
        "synced_version": version,
        "last_error": None,
        "error_rule": None,
        "error_fix": None,
        "attempts": 0,
        "uncertain": False,
        "blocked_reasons": [],
        "next_attempt_at": None,
        "verification": null(),  # SQL NULL: nothing was booked, so nothing differs
        "updated_at": now,
    }
    moved = _move(session, job, version, "succeed", values)
    _set_blockers(session, job, ())
    return moved


__all__ = ["block", "requeue", "skip", "wait"]
