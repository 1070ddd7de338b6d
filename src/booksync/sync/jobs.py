"""One function per transition of the sync job's life (the table is in `sync/states.py`).

The engine calls these and never writes a job's status itself. Each checks the table first and
raises `IllegalTransition` when asked to move a job from a state the table does not allow. Every
move out of `in_flight` is guarded by the record version the worker pushed: a record edited while
its push was in flight goes back to `pending` for its new version (the function then returns False).
Bulk moves (`succeed`, `release_dependents`) filter on the table's source states instead.
Every move out of `in_flight` is fenced too: it applies only while the job is still under the claim
the worker got (`claim_token`), so a worker whose lease ran out records nothing (`claiming.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, null, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booksync.domain.findings import Finding
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import SYNCABLE_MODELS, SyncJob, SyncJobBlocker
from booksync.sync.claiming import (
    Fence,
    assign_tenants,
    claim,
    counts_by_status,
    defer,
    fenced,
    heartbeat,
    held,
    job_name,
    next_due_in,
    release,
    start_attempt,
)
from booksync.sync.states import check, sources
from booksync.sync.timeline import add_events, event

# -- the rules' verdict ---------------------------------------------------------------------------


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


# -- the tool's answer ----------------------------------------------------------------------------


def succeed(
    session: Session,
    worker: str,
    synced: Sequence[tuple[int, int, str]],
    now: datetime,
    *,
    fence: Fence | None = None,
) -> list[int]:
    """Mark (job id, version, remote id) synced in one statement; return jobs edited while in flight.

    Those keep the remote ID they earned and go back to pending, so their new version is pushed as
    an update of the object just created. Only jobs still under `worker`'s claim (with `fence`, the
    very claim it got) are marked: one another worker took over is that worker's to record.
    """
    if not synced:
        return []
    table: Table = SyncJob.__table__  # type: ignore[assignment]
    if fence is not None:
        synced = [s for s in synced if s[0] in fence]
        if not synced:
            return []
    fenced_by = (
        table.c.claim_token == bindparam("b_token")
        if fence is not None
        else table.c.claimed_by == worker
    )
    session.execute(
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.record_version == bindparam("b_version"),
            # An IN list cannot take part in an executemany: one equality per source state.
            or_(*(table.c.status == state for state in sources("succeed"))),
            fenced_by,
        )
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
        [
            {"b_id": j, "b_version": v, "b_remote": r}
            | ({"b_token": fence[j]} if fence is not None else {})
            for j, v, r in synced
        ],
    )
    remote = {j: r for j, _, r in synced}
    edited = list(held(session, worker, remote, fence))
    if edited:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=SyncStatus.PENDING.value,
                remote_id=bindparam("b_remote"),
                uncertain=False,  # the tool's ID is known: the next push updates it
                claimed_by=None,
                claimed_at=None,
            ),
            [{"b_id": j, "b_remote": remote[j]} for j in edited],
        )
    return edited


def reject(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    message: str | None,
    rule: str | None,
    fix: str | None,
    now: datetime,
) -> bool:
    """The tool refused the record for a reason a person must fix (`rule` and `fix` say which)."""
    values = {
        "last_error": message,
        "error_rule": rule,
        "error_fix": fix,
        "uncertain": False,
        "next_attempt_at": None,
        "updated_at": now,
    }
    return _move(session, job, version, "reject", values)


def retry_later(
    session: Session,
    job: SyncJob,
    version: int,
    *,
    message: str,
    until: datetime,
    now: datetime,
    uncertain: bool | None = None,
) -> bool:
    """The call failed without reaching the tool's books (rate limit, outage): try at `until`.

    `uncertain` puts back what was known before the call was marked sent (`start_attempt`)."""
    values: dict[str, Any] = {"last_error": message, "next_attempt_at": until, "updated_at": now}
    if uncertain is not None:
        values["uncertain"] = uncertain
    return _move(session, job, version, "retry_later", values)


def lose_answer(
    session: Session, job: SyncJob, version: int, *, message: str, until: datetime, now: datetime
) -> bool:
    """The push may have landed but its answer was lost: try at `until`, looking it up first."""
    values = {"last_error": message, "uncertain": True, "next_attempt_at": until, "updated_at": now}
    return _move(session, job, version, "lose_answer", values)


def give_up(
    session: Session, job: SyncJob, version: int, *, message: str, uncertain: bool, now: datetime
) -> bool:
    """The last allowed attempt failed; the job waits for a person (`booksync sync retry`).

    `uncertain` says whether any of its pushes may have landed unanswered (the caller knows: the
    stored flag is the "sent" mark of this very attempt)."""
    values = {"last_error": message, "uncertain": uncertain, "updated_at": now}
    return _move(session, job, version, "give_up", values)


def adopt(session: Session, job: SyncJob, version: int, *, remote_id: str, now: datetime) -> bool:
    """A create refused as a duplicate of what an unanswered push created: linked to `remote_id`
    and due now, so the current version goes as an update of it."""
    values = {
        "remote_id": remote_id,
        "uncertain": False,
        "last_error": None,
        "next_attempt_at": None,
        "updated_at": now,
    }
    return _move(session, job, version, "adopt", values)


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


def set_remote_ids(session: Session, entity: EntityType, pairs: Sequence[tuple[int, str]]) -> None:
    """Write the tool's IDs back to the records (not an edit: no new version, no new job)."""
    if not pairs:
        return
    table: Table = SYNCABLE_MODELS[entity].__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(remote_id=bindparam("b_remote")),
        [{"b_id": i, "b_remote": r} for i, r in pairs],
    )


# -- after the fact: releases and people ----------------------------------------------------------


def release_dependents(
    session: Session, entity: EntityType, record_ids: Sequence[int], now: datetime
) -> int:
    """Dependencies just synced: jobs waiting on them are woken, jobs held by them released."""
    held_by = select(SyncJobBlocker.job_id).where(
        SyncJobBlocker.subject_type == entity.value, SyncJobBlocker.subject_id.in_(record_ids)
    )
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(SyncJob)
        .where(SyncJob.id.in_(held_by), SyncJob.status.in_(sources("release", "wake")))
        .values(status=SyncStatus.PENDING.value, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def queue_dependency(session: Session, entity: str, record_id: int | None, now: datetime) -> None:
    """A dependency the engine must push first: make sure it has a job and that it is not parked.

    A dependency with no job yet is queued (as the outbox would); one synced once but unlinked since
    is pushed again (`resync`).
    """
    if record_id is None:
        return
    job = session.scalars(
        select(SyncJob).where(SyncJob.entity_type == entity, SyncJob.record_id == record_id)
    ).first()
    if job is None:
        model = SYNCABLE_MODELS[EntityType(entity)]
        version = session.scalar(select(model.version).where(model.id == record_id)) or 0  # type: ignore[attr-defined]
        session.execute(
            insert(SyncJob).values(
                entity_type=entity,
                record_id=record_id,
                record_version=version,
                status=SyncStatus.PENDING.value,
                created_at=now,
                updated_at=now,
            )
        )
    elif job.status == SyncStatus.SYNCED.value:
        resync(session, job)


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


# -- internals ------------------------------------------------------------------------------------


#: What a push learned about the tool, kept when the record was edited while it was in flight.
_KEPT_WHEN_EDITED = ("uncertain", "remote_id")


def _move(session: Session, job: SyncJob, version: int, name: str, values: dict[str, Any]) -> bool:
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


def _set_blockers(session: Session, job: SyncJob, findings: Iterable[Finding]) -> None:
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


__all__ = [
    "Fence",
    "add_events",
    "adopt",
    "assign_tenants",
    "block",
    "claim",
    "counts_by_status",
    "defer",
    "drop",
    "event",
    "fenced",
    "give_up",
    "heartbeat",
    "held",
    "lose_answer",
    "next_due_in",
    "queue_dependency",
    "reject",
    "release",
    "release_dependents",
    "requeue",
    "resync",
    "retry",
    "retry_later",
    "set_remote_ids",
    "skip",
    "start_attempt",
    "succeed",
    "wait",
]
