"""The one way a transition out of `in_flight` is written, and the records that hold a job.

`move` applies a transition to one job only while it still stands for the record version the worker
pushed and is still under the claim the worker got (`claim_token`). A job whose record was edited
while its push was in flight goes back to `pending` for its new version instead, keeping what the
push learned about the tool; a job another worker took over is left alone (that worker records it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booksync.domain.findings import Finding
from booksync.domain.types import SyncStatus
from booksync.store.models import SyncJob, SyncJobBlocker
from booksync.sync.holding import job_name
from booksync.sync.states import check

#: What a push learned about the tool, kept when the record was edited while it was in flight.
_KEPT_WHEN_EDITED = ("uncertain", "remote_id")


def synced(now: datetime) -> dict[str, Any]:
    """What a job reaching `synced` writes, however it got there: no error, no attempts, nothing
    blocking or waiting."""
    return {
        "last_error": None,
        "error_rule": None,
        "error_fix": None,
        "attempts": 0,
        "uncertain": False,
        "blocked_reasons": [],
        "next_attempt_at": None,
        "updated_at": now,
    }


def move(session: Session, job: SyncJob, version: int, name: str, values: dict[str, Any]) -> bool:
    """Apply transition `name` to `job` if it still stands for `version`; else back to pending."""
    target = check(name, job.status, job_name(job)).target.value
    # Fenced: still under the claim this job object was read with (the caller's, see `held`).
    claim = (SyncJob.claim_token == job.claim_token) & (SyncJob.status == job.status)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SyncJob)
        .where(SyncJob.id == job.id, SyncJob.record_version == version, claim)
        .values(status=target, claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    moved = bool(result.rowcount)
    if not moved:
        # Edited while in flight: the outbox already queued the new version. What this push
        # learned about the tool stays true whatever the version: whether it may have created
        # the object (`uncertain`: look it up before creating again) and the ID it was given.
        target = SyncStatus.PENDING.value
        learned = {k: values[k] for k in _KEPT_WHEN_EDITED if k in values}
        result = session.execute(  # type: ignore[assignment]
            update(SyncJob)
            .where(SyncJob.id == job.id, claim)
            .values(status=target, claimed_by=None, claimed_at=None, **learned)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:
            return False  # another worker took it over: its outcome is that worker's to record
    set_committed_value(job, "status", target)  # the object in hand tells the truth too
    return moved


def set_blockers(session: Session, job: SyncJob, findings: Iterable[Finding]) -> None:
    """Remember which records hold `job`, so a change to any of them releases it."""
    session.execute(
        delete(SyncJobBlocker)
        .where(SyncJobBlocker.job_id == job.id)
        .execution_options(synchronize_session=False)
    )
    subjects = set()
    for finding in findings:
        node: Finding | None = finding
        while node is not None:
            if node.subject.id is not None:
                subjects.add((node.subject.type, node.subject.id))
            node = node.cause
    if subjects:
        session.execute(
            insert(SyncJobBlocker),
            [{"job_id": job.id, "subject_type": t, "subject_id": i} for t, i in sorted(subjects)],
        )


__all__ = ["move", "set_blockers"]
