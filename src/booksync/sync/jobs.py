"""The sync jobs' lifecycle in the store: claiming due jobs and recording what became of them.

Claims take row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so any
number of workers can share the queue. Every state change is guarded by the job's record version: a
record edited while its push was in flight stays pending for its new version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CursorResult,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from booksync.domain.findings import Finding
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import SyncEvent, SyncJob, SyncJobBlocker

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

    A job found in flight past its lease belonged to a worker that died mid-push: its outcome is
    uncertain, so it is marked for a lookup before anything is created again.
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
            job.uncertain = True
            event(
                session,
                job,
                "recovered",
                f"{worker} took over a push left unfinished by {job.claimed_by}",
            )
        job.status = SyncStatus.IN_FLIGHT.value
        job.claimed_by = worker
        job.claimed_at = now
        claimed.append(job)
    session.flush()
    return claimed


def next_due_in(session: Session, now: datetime, lease: timedelta) -> float | None:
    """Seconds until the next job is due (0 if one is due now), or None when nothing is open.

    Counts jobs another worker holds too: if that worker died, its jobs fall due when the lease ends.
    """
    pending = session.scalar(
        select(func.min(func.coalesce(SyncJob.next_attempt_at, now))).where(
            SyncJob.status == SyncStatus.PENDING.value
        )
    )
    held = session.scalar(
        select(func.min(SyncJob.claimed_at)).where(SyncJob.status == SyncStatus.IN_FLIGHT.value)
    )
    held_at = _aware(held, now)
    moments = [_aware(pending, now), held_at + lease if held_at is not None else None]
    due = [m for m in moments if m is not None]
    if not due:
        return None
    return max(0.0, (min(due) - now).total_seconds())


def _aware(value: datetime | str | None, now: datetime) -> datetime | None:
    """Aggregates come back untyped: text on SQLite, sometimes naive; make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)


def event(
    session: Session,
    job: SyncJob,
    kind: str,
    message: str,
    *,
    request: Any = None,
    response: Any = None,
    version: int | None = None,
) -> None:
    session.execute(
        insert(SyncEvent).values(
            entity_type=job.entity_type,
            record_id=job.record_id,
            record_version=version if version is not None else job.record_version,
            tenant_id=job.tenant_id,
            kind=kind,
            message=message,
            request=request,
            response=response,
        )
    )


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


def release_dependents(
    session: Session, entity: EntityType, record_ids: Sequence[int], now: datetime
) -> int:
    """Dependencies just synced: documents waiting on them (or blocked by their rejection) are due now."""
    held = select(SyncJobBlocker.job_id).where(
        SyncJobBlocker.subject_type == entity.value, SyncJobBlocker.subject_id.in_(record_ids)
    )
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SyncJob)
        .where(SyncJob.id.in_(held), SyncJob.status.in_(("pending", "blocked", "failed")))
        .values(status=SyncStatus.PENDING.value, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def finish(session: Session, job: SyncJob, version: int, values: dict[str, Any]) -> bool:
    """Move `job` on if it still stands for `version`; False if the record was edited meanwhile."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SyncJob)
        .where(SyncJob.id == job.id, SyncJob.record_version == version)
        .values(claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        return True
    # Edited while in flight: the outbox already queued the new version. Keep what we learnt.
    keep = {k: v for k, v in values.items() if k in ("remote_id",)}
    session.execute(
        update(SyncJob)
        .where(SyncJob.id == job.id)
        .values(claimed_by=None, claimed_at=None, status=SyncStatus.PENDING.value, **keep)
        .execution_options(synchronize_session=False)
    )
    return False


def finish_synced(
    session: Session, worker: str, synced: Sequence[tuple[int, int, str]], now: datetime
) -> list[int]:
    """Mark (job id, version, remote id) synced in one statement; return jobs edited while in flight.

    Those keep the remote ID they earned and go back to pending, so their new version is pushed as
    an update of the object just created.
    """
    if not synced:
        return []
    table: Table = SyncJob.__table__  # type: ignore[assignment]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.record_version == bindparam("b_version"))
        .values(
            status=SyncStatus.SYNCED.value,
            synced_version=bindparam("b_version"),
            remote_id=bindparam("b_remote"),
            last_error=None,
            error_rule=None,
            error_fix=None,
            attempts=0,
            uncertain=False,
            blocked_reasons=[],
            next_attempt_at=None,
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        ),
        [{"b_id": j, "b_version": v, "b_remote": r} for j, v, r in synced],
    )
    remote = {j: r for j, _, r in synced}
    edited = list(
        session.scalars(
            select(SyncJob.id).where(
                SyncJob.id.in_(remote),
                SyncJob.status == SyncStatus.IN_FLIGHT.value,
                SyncJob.claimed_by == worker,
            )
        )
    )
    if edited:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=SyncStatus.PENDING.value,
                remote_id=bindparam("b_remote"),
                claimed_by=None,
                claimed_at=None,
            ),
            [{"b_id": j, "b_remote": remote[j]} for j in edited],
        )
    return edited


def set_remote_ids(session: Session, entity: EntityType, pairs: Sequence[tuple[int, str]]) -> None:
    """Write the tool's IDs back to the records (not an edit: no new version, no new job)."""
    if not pairs:
        return
    from booksync.store.models import SYNCABLE_MODELS

    table: Table = SYNCABLE_MODELS[entity].__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(remote_id=bindparam("b_remote")),
        [{"b_id": i, "b_remote": r} for i, r in pairs],
    )


def add_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SyncEvent), list(rows))


def counts_by_status(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(SyncJob.status, func.count()).group_by(SyncJob.status)).all()
    )  # type: ignore[arg-type]


__all__ = [
    "Sequence",
    "claim",
    "counts_by_status",
    "event",
    "finish",
    "next_due_in",
    "release_dependents",
]
