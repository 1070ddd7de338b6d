"""After the fact: dependencies that synced release the jobs they held, a synced job is pushed
again, a person retries a job, and a deleted record's job goes.

Waking a waiting job races with the push of what it waits on when they are on two workers: the
round that decides "wait" read the dependency unlinked, and its blockers become visible only when
it commits, while the other worker's release reads the blockers before its own answers commit.
Both sides therefore look again *after* their commit: the worker that synced a dependency releases
its dependents with its answers (so a crash loses no release) and once more in a transaction of its
own (`release_dependents`, called by the recorder), and the round that let jobs wait wakes those
whose dependency is linked by then (`wake_waiting`). Whichever commits last sees the other's work,
so no waiting job sleeps out its wait for a dependency that synced meanwhile."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Text, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booksync.domain.types import EntityType, SyncStatus
from booksync.store.bulk import among, any_of, chunked, takes_rows
from booksync.store.models import SYNCABLE_MODELS, SyncJob, SyncJobBlocker
from booksync.sync.holding import job_name
from booksync.sync.states import check, sources
from booksync.sync.timeline import event


def release_dependents(
    session: Session, entity: EntityType, record_ids: Sequence[int], now: datetime
) -> int:
    """Dependencies just synced: jobs waiting on them are woken, jobs held by them released.

    The jobs they hold are read first (by the blockers' subject index), then moved by id: one
    UPDATE filtering the held jobs by status could start from the status index instead, and visit
    every held job of the book for each batch when the planner's statistics are stale.

    Nothing waits on a document (the rules' `dependency.*` name clients, suppliers and products):
    a batch of documents releases nothing, and reads nothing to find that out."""
    if entity.is_document:
        return 0
    held_by = session.scalars(
        _holding(takes_rows(session)), {"b_type": entity.value, "b_ids": list(record_ids)}
    ).all()
    if not held_by:
        return 0
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SyncJob)
        .where(among(session, SyncJob.id, held_by), SyncJob.status.in_(sources("release", "wake")))
        .values(status=SyncStatus.PENDING.value, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@functools.cache
def _holding(postgres: bool) -> Any:
    """The jobs the records among b_ids (of type b_type) hold (built once: it runs every batch)."""
    blockers = SyncJobBlocker.__table__.c
    return (
        select(blockers.job_id)
        .where(
            blockers.subject_type == bindparam("b_type", type_=Text()),
            any_of(blockers.subject_id, "b_ids", postgres),
        )
        .distinct()
    )


def linked(session: Session, entity: str, ids: Iterable[int]) -> list[int]:
    """Those of `ids` whose record (of type `entity`) has a remote ID now, in id order."""
    model: Any = SYNCABLE_MODELS[EntityType(entity)]
    return [
        i
        for part in chunked(sorted(set(ids)))
        for i in session.scalars(
            select(model.id)
            .where(among(session, model.id, part), model.remote_id.is_not(None))
            .order_by(model.id)
        )
    ]


def wake_waiting(session: Session, waits_on: Mapping[str, Set[int]], now: datetime) -> int:
    """After a round that let jobs wait on dependencies (record type -> ids) has committed: those
    of the dependencies that are linked by now synced meanwhile, on another worker, whose release
    may have looked before the round's blockers were there. Their jobs are released here."""
    woken = 0
    for entity, ids in sorted(waits_on.items()):
        found = linked(session, entity, ids)
        if found:
            woken += release_dependents(session, EntityType(entity), found, now)
    return woken


def resync(session: Session, job: SyncJob) -> None:
    """A job that synced once goes back to pending, due now."""
    transition = check("resync", job.status, job_name(job))
    job.status = transition.target.value
    job.next_attempt_at = None


def retry(session: Session, job: SyncJob, now: datetime) -> None:
    """A person asked for this job now, with a fresh count of attempts (`booksync sync retry`)."""
    transition = check("retry", job.status, job_name(job))
    session.execute(
        update(SyncJob)
        .where(SyncJob.id == job.id)
        .values(status=transition.target.value, attempts=0, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(job, "status", transition.target.value)


def drop(session: Session, job: SyncJob, message: str) -> None:
    """The record was deleted: its job goes, with a last word on the timeline."""
    event(session, job, "deleted", message)
    session.delete(job)


__all__ = [
    "drop",
    "linked",
    "release_dependents",
    "resync",
    "retry",
    "wake_waiting",
]
