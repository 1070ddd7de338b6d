"""The tool's answer to a push, as transitions: synced (in bulk), refused for a person to fix,
to be tried again later, answer lost, given up, or adopted after a duplicate; and the tool's IDs
written back to the records."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Integer, Table, Text, bindparam, case, cast, null, or_, update
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType, SyncStatus
from booksync.store.bulk import rows_params, rows_source, takes_rows
from booksync.store.models import SYNCABLE_MODELS, SyncJob
from booksync.sync.holding import Fence, held
from booksync.sync.moves import move as _move
from booksync.sync.moves import synced as synced_values
from booksync.sync.states import sources

_TABLE: Table = SyncJob.__table__  # type: ignore[assignment]
#: A time for the values a statement built once binds at each run instead.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def succeed(
    session: Session,
    worker: str,
    synced: Sequence[tuple[int, int, str]],
    now: datetime,
    *,
    fence: Fence | None = None,
    pushed: Mapping[int, str] | None = None,
    verification: Mapping[int, list[dict[str, str]] | None] | None = None,
) -> list[int]:
    """Mark (job id, version, remote id) synced in one statement; return jobs edited while in flight.

    `pushed` is what each job's push sent (its payload's fields as JSON text, `json_text`, by job
    id), kept as the job's `pushed_fields`: what the tool's version is compared with to find
    drift. `verification` (by job id) is where the tool booked it differently (`verification.py`;
    None: it agreed), written in the same statement.

    Those keep the remote ID they earned and go back to pending, so their new version is pushed as
    an update of the object just created. Only jobs still under `worker`'s claim (with `fence`, the
    very claim it got) are marked: one another worker took over is that worker's to record.
    """
    if not synced:
        return []
    if fence is not None:
        synced = [s for s in synced if s[0] in fence]
        if not synced:
            return []
    values = synced_values(now) | {
        "status": SyncStatus.SYNCED.value,
        "claimed_by": None,
        "claimed_at": None,
    }
    if takes_rows(session):
        moved = _succeed_rows(session, worker, synced, values, fence, pushed, verification)
    else:
        moved = _succeed_many(session, worker, synced, values, fence, pushed, verification)
    remote = {j: r for j, _, r in synced if j not in moved}
    edited = list(held(session, worker, remote, fence)) if remote else []
    if edited:
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("b_id"))
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


def _succeed_rows(
    session: Session,
    worker: str,
    synced: Sequence[tuple[int, int, str]],
    values: dict[str, Any],
    fence: Fence | None,
    pushed: Mapping[int, str] | None,
    verification: Mapping[int, list[dict[str, str]] | None] | None,
) -> set[int]:
    """`succeed` on PostgreSQL: one UPDATE joined to the batch's rows; the ids it marked."""
    shape = (fence is not None, pushed is not None, verification is not None)
    rows = [
        (j, v, r, fence[j] if fence is not None else None)
        + ((pushed.get(j),) if pushed is not None else ())
        + ((verification.get(j),) if verification is not None else ())
        for j, v, r in synced
    ]
    params = rows_params(session, "v", _succeed_columns(*shape), rows)
    result = session.execute(
        _succeed_statement(*shape), params | {"b_worker": worker, "b_now": values["updated_at"]}
    )
    return set(result.scalars())


_ROW: tuple[tuple[str, Any], ...] = (
    ("id", Integer()),
    ("version", Integer()),
    ("remote", Text()),
    ("token", Integer()),
)
_FIELDS, _FOUND = ("fields", Text()), ("found", JSON())


def _succeed_columns(fenced: bool, fields: bool, found: bool) -> tuple[tuple[str, Any], ...]:
    return _ROW + ((_FIELDS,) if fields else ()) + ((_FOUND,) if found else ())


@functools.cache
def _succeed_statement(fenced: bool, fields: bool, found: bool) -> Any:
    """`_succeed_rows`' UPDATE, built once for each shape of its rows: the worker, the time and
    the rows are its parameters (b_worker, b_now, v_rows)."""
    v = rows_source("v", _succeed_columns(fenced, fields, found))
    values: dict[str, Any] = synced_values(EPOCH) | {
        "status": SyncStatus.SYNCED.value,
        "claimed_by": None,
        "claimed_at": None,
        "updated_at": bindparam("b_now", type_=_TABLE.c.updated_at.type),
    }
    if fields:
        values["pushed_fields"] = cast(v.c.fields, JSON)  # the text as it was written
    if found:
        values["verification"] = v.c.found  # None: SQL NULL ("nothing differed")
    fenced_by = (
        _TABLE.c.claim_token == v.c.token
        if fenced
        else _TABLE.c.claimed_by == bindparam("b_worker", type_=Text())
    )
    return (
        update(_TABLE)
        .where(
            _TABLE.c.id == v.c.id,
            _TABLE.c.record_version == v.c.version,
            _TABLE.c.status.in_(sorted(sources("succeed"))),
            fenced_by,
        )
        .values(synced_version=v.c.version, remote_id=v.c.remote, **values)
        .returning(_TABLE.c.id)
    )


def _succeed_many(
    session: Session,
    worker: str,
    synced: Sequence[tuple[int, int, str]],
    values: dict[str, Any],
    fence: Fence | None,
    pushed: Mapping[int, str] | None,
    verification: Mapping[int, list[dict[str, str]] | None] | None,
) -> set[int]:
    """`succeed` elsewhere (SQLite): one executemany; the ids it marked, when its count says all."""
    fenced_by = (
        _TABLE.c.claim_token == bindparam("b_token")
        if fence is not None
        else _TABLE.c.claimed_by == worker
    )
    extra: dict[str, Any] = {}
    if pushed is not None:
        extra["pushed_fields"] = bindparam("b_fields", type_=Text())  # JSON text already
    if verification is not None:
        # SQL NULL where it agreed ("nothing differed"), not JSON null.
        extra["verification"] = case(
            (bindparam("b_agreed"), null()), else_=bindparam("b_found", type_=JSON())
        )
    result = session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.id == bindparam("b_id"),
            _TABLE.c.record_version == bindparam("b_version"),
            # An IN list cannot take part in an executemany: one equality per source state.
            or_(*(_TABLE.c.status == state for state in sources("succeed"))),
            fenced_by,
        )
        .values(
            synced_version=bindparam("b_version"),
            remote_id=bindparam("b_remote"),
            **values,
            **extra,
        ),
        [
            {"b_id": j, "b_version": v, "b_remote": r}
            | ({"b_token": fence[j]} if fence is not None else {})
            | ({"b_fields": pushed.get(j)} if pushed is not None else {})
            | (
                {"b_found": verification.get(j), "b_agreed": verification.get(j) is None}
                if verification is not None
                else {}
            )
            for j, v, r in synced
        ],
    )
    if result.rowcount == len(synced):  # type: ignore[attr-defined]
        return {j for j, _, _ in synced}
    return set()  # some did not move: `held` finds which


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


def set_remote_ids(session: Session, entity: EntityType, pairs: Sequence[tuple[int, str]]) -> None:
    """Write the tool's IDs back to the records (not an edit: no new version, no new job)."""
    if not pairs:
        return
    table: Table = SYNCABLE_MODELS[entity].__table__  # type: ignore[attr-defined]
    if takes_rows(session):
        session.execute(_linking(entity), rows_params(session, "v", _LINKS, pairs))
        return
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(remote_id=bindparam("b_remote")),
        [{"b_id": i, "b_remote": r} for i, r in pairs],
    )


_LINKS: tuple[tuple[str, Any], ...] = (("id", Integer()), ("remote", Text()))


@functools.cache
def _linking(entity: EntityType) -> Any:
    """`set_remote_ids`' UPDATE on PostgreSQL, built once a record type: the pairs are its rows."""
    table: Table = SYNCABLE_MODELS[entity].__table__  # type: ignore[attr-defined]
    v = rows_source("v", _LINKS)
    return update(table).where(table.c.id == v.c.id).values(remote_id=v.c.remote)


__all__ = [
    "adopt",
    "give_up",
    "lose_answer",
    "reject",
    "retry_later",
    "set_remote_ids",
    "succeed",
]
