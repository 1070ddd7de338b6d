"""When the queue next has work, and how many jobs stand where: what a pass asks before it waits.

A job that waits on a dependency (a document whose client must sync first) can do nothing before
that dependency may be pushed: when the dependency was handed back for an hour (a Retry-After, a
spent budget), the document is not due in a minute, whatever its own recheck time says. Counting it
so lets a pass whose every tenant waits return at once, saying until when, instead of sleeping
through its rechecks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from booksync.domain.types import SyncStatus
from booksync.store.models import SyncJob, SyncJobBlocker

PENDING, IN_FLIGHT = SyncStatus.PENDING.value, SyncStatus.IN_FLIGHT.value


def next_due_in(session: Session, now: datetime, lease: timedelta) -> float | None:
    """Seconds until the next job can move (0 if one can now), or None when nothing is open.

    Counts jobs another worker holds too: if that worker died, its jobs fall due when the lease ends.
    A pending job waiting on a dependency that is itself pending counts from whichever is later:
    its own due time or its dependency's.
    """
    own = func.coalesce(SyncJob.next_attempt_at, now)
    free = session.scalar(select(func.min(own)).where(SyncJob.status == PENDING, ~_waits()))
    waiting = session.scalar(
        select(func.min(_later(session, own, _dep_due(now)))).where(
            SyncJob.status == PENDING, _waits()
        )
    )
    held_since = session.scalar(
        select(func.min(SyncJob.claimed_at)).where(SyncJob.status == IN_FLIGHT)
    )
    held_at = _aware(held_since, now)
    moments = [
        _aware(free, now),
        _aware(waiting, now),
        held_at + lease if held_at is not None else None,
    ]
    due = [m for m in moments if m is not None]
    if not due:
        return None
    return max(0.0, (min(due) - now).total_seconds())


def _waits() -> Any:
    """The job has records it waits on (or was held by): rows in `sync_job_blockers`."""
    return SyncJob.id.in_(select(SyncJobBlocker.job_id))


def _dep_due(now: datetime) -> Any:
    """The latest due time among the job's dependencies still pending (None: none is)."""
    dep = aliased(SyncJob)
    return (
        select(func.max(func.coalesce(dep.next_attempt_at, now)))
        .select_from(SyncJobBlocker)
        .join(
            dep,
            (dep.entity_type == SyncJobBlocker.subject_type)
            & (dep.record_id == SyncJobBlocker.subject_id),
        )
        .where(SyncJobBlocker.job_id == SyncJob.id, dep.status == PENDING)
        .scalar_subquery()
    )


def _later(session: Session, own: Any, dependency: Any) -> Any:
    """SQL: the later of two times, the second possibly NULL."""
    greatest = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    return greatest(own, func.coalesce(dependency, own))


def counts_by_status(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(SyncJob.status, func.count()).group_by(SyncJob.status)).all()
    )  # type: ignore[arg-type]


def _aware(value: datetime | str | None, now: datetime) -> datetime | None:
    """Aggregates come back untyped: text on SQLite, sometimes naive; make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)


__all__ = ["counts_by_status", "next_due_in"]
