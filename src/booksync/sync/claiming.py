"""Which sync jobs are due, and taking them: the `claim` and `recover` transitions.

Claims take row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so any
number of workers can share the queue. A claim lasts a lease: a worker keeps its claims alive with a
heartbeat from a thread of its own (`heartbeat.py`), and a job still in flight when the lease ends
belonged to a worker that died (or hung) mid-push.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import SyncJob
from booksync.sync.states import check
from booksync.sync.timeline import event

#: Dependencies (clients, suppliers, products) are claimed before the documents that need them.
DEPENDENCY_TYPES = (EntityType.CLIENT.value, EntityType.SUPPLIER.value, EntityType.PRODUCT.value)
PRIORITY = case((SyncJob.entity_type.in_(DEPENDENCY_TYPES), 0), else_=1)


def due_filter(now: datetime, lease: timedelta) -> Any:
    pending = (SyncJob.status == SyncStatus.PENDING.value) & (
        SyncJob.next_attempt_at.is_(None) | (SyncJob.next_attempt_at <= now)
    )
    abandoned = (SyncJob.status == SyncStatus.IN_FLIGHT.value) & (SyncJob.claimed_at < now - lease)
    return or_(pending, abandoned)


def claim(
    session: Session, worker: str, *, limit: int, now: datetime, lease: timedelta
) -> list[SyncJob]:
    """Claim up to `limit` due jobs of the most urgent level (dependencies before documents).

    A job found in flight past its lease belonged to a worker that died mid-push: it is recovered
    as it stands. Only a job whose batch was marked sent (`start_attempt`) is uncertain, and looked
    up before anything is created again; one the dead worker claimed but never sent is not.
    """
    stmt = (
        select(SyncJob, PRIORITY.label("priority"))
        .where(due_filter(now, lease))
        .order_by(PRIORITY, SyncJob.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=SyncJob)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    level = rows[0][1]
    claimed = []
    for job, priority in rows:
        if priority != level:
            break
        if job.status == SyncStatus.IN_FLIGHT.value:
            transition = check("recover", job.status, job_name(job))
            event(
                session,
                job,
                "recovered",
                f"{worker} took over a push left unfinished by {job.claimed_by}",
            )
        else:
            transition = check("claim", job.status, job_name(job))
        job.status = transition.target.value
        job.claimed_by = worker
        job.claimed_at = now
        claimed.append(job)
    session.flush()
    return claimed


def held(session: Session, worker: str, job_ids: Iterable[int]) -> dict[int, SyncJob]:
    """The jobs among `job_ids` still in flight under `worker`'s claim (id -> job).

    A job missing here was deleted with its record, or taken over by another worker after this
    one's lease ran out: its outcome is that worker's to record now.
    """
    ids = list(job_ids)
    if not ids:
        return {}
    found = session.scalars(
        select(SyncJob).where(
            SyncJob.id.in_(ids),
            SyncJob.status == SyncStatus.IN_FLIGHT.value,
            SyncJob.claimed_by == worker,
        )
    )
    return {job.id: job for job in found}


def start_attempt(session: Session, worker: str, job_ids: Iterable[int]) -> None:
    """Mark a batch sent, just before its call: an attempt counted, and `uncertain` set, so that a
    crash from here on leaves exactly these jobs "outcome unknown" (looked up before a create).

    The caller commits this on its own, before the call. The answer clears the mark (or puts back
    what was known before, when the call surely did not reach the tool's books).
    """
    session.execute(
        update(SyncJob)
        .where(
            SyncJob.id.in_(list(job_ids)),
            SyncJob.claimed_by == worker,
            SyncJob.status == SyncStatus.IN_FLIGHT.value,
        )
        .values(attempts=SyncJob.attempts + 1, uncertain=True)
    )


def release(session: Session, worker: str, job_ids: Iterable[int] | None = None) -> int:
    """Hand back unsent jobs `worker` holds (all of them when `job_ids` is None): pending again, due
    now, no attempt counted, their `uncertain` mark as it was. For a worker asked to stop."""
    check("requeue", SyncStatus.IN_FLIGHT.value)
    stmt = update(SyncJob).where(
        SyncJob.claimed_by == worker, SyncJob.status == SyncStatus.IN_FLIGHT.value
    )
    if job_ids is not None:
        stmt = stmt.where(SyncJob.id.in_(list(job_ids)))
    result = session.execute(
        stmt.values(
            status=SyncStatus.PENDING.value, claimed_by=None, claimed_at=None
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def heartbeat(session: Session, worker: str, now: datetime) -> None:
    """Every job `worker` still holds keeps its lease while it works."""
    session.execute(
        update(SyncJob)
        .where(SyncJob.claimed_by == worker, SyncJob.status == SyncStatus.IN_FLIGHT.value)
        .values(claimed_at=now)
    )


def next_due_in(session: Session, now: datetime, lease: timedelta) -> float | None:
    """Seconds until the next job is due (0 if one is due now), or None when nothing is open.

    Counts jobs another worker holds too: if that worker died, its jobs fall due when the lease ends.
    """
    pending = session.scalar(
        select(func.min(func.coalesce(SyncJob.next_attempt_at, now))).where(
            SyncJob.status == SyncStatus.PENDING.value
        )
    )
    held_since = session.scalar(
        select(func.min(SyncJob.claimed_at)).where(SyncJob.status == SyncStatus.IN_FLIGHT.value)
    )
    held_at = _aware(held_since, now)
    moments = [_aware(pending, now), held_at + lease if held_at is not None else None]
    due = [m for m in moments if m is not None]
    if not due:
        return None
    return max(0.0, (min(due) - now).total_seconds())


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


def job_name(job: SyncJob) -> str:
    """How an error names a job: its id, record type and record id."""
    return f"{job.id} ({job.entity_type} {job.record_id})"


__all__ = [
    "claim",
    "counts_by_status",
    "due_filter",
    "heartbeat",
    "held",
    "job_name",
    "next_due_in",
    "release",
    "start_attempt",
]
