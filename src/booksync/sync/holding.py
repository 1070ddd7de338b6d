"""The jobs a worker holds: whether its claim still stands, marking a batch sent, handing jobs back,
and keeping the lease alive (the `defer` transition, and the claim's fence).

Every write here names the worker, and with a `Fence` (job id -> the claim token the worker got,
`claiming.py`) the very claim it got: a worker paused past its lease, whose jobs another worker took
over, finds them gone here and writes nothing for them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from booksync.domain.types import SyncStatus
from booksync.store.bulk import among, rows_params, rows_source, takes_rows
from booksync.store.models import SyncJob
from booksync.sync.states import check

PENDING, IN_FLIGHT = SyncStatus.PENDING.value, SyncStatus.IN_FLIGHT.value
#: A fence: job id -> the claim token the worker got for it.
Fence = Mapping[int, int]


def held(
    session: Session, worker: str, job_ids: Iterable[int], fence: Fence | None = None
) -> dict[int, SyncJob]:
    """The jobs among `job_ids` still in flight under `worker`'s claim (id -> job); with `fence`,
    only those still under the very claim the worker got.

    A job missing here was deleted with its record, or taken over by another worker after this
    one's lease ran out: its outcome is that worker's to record now.
    """
    ids = list(job_ids)
    if not ids:
        return {}
    found = session.scalars(
        select(SyncJob).where(
            among(session, SyncJob.id, ids),
            SyncJob.status == IN_FLIGHT,
            SyncJob.claimed_by == worker,
        )
    )
    return {
        job.id: job
        for job in found
        if fence is None or fence.get(job.id, job.claim_token) == job.claim_token
    }


def start_attempt(
    session: Session, worker: str, job_ids: Iterable[int], fence: Fence | None = None
) -> None:
    """Mark a batch sent, just before its call: an attempt counted, and `uncertain` set, so that a
    crash from here on leaves exactly these jobs "outcome unknown" (looked up before a create).
    With `fence`, only jobs still under the claim the worker got are marked.

    The caller commits this on its own, before the call. The answer clears the mark (or puts back
    what was known before, when the call surely did not reach the tool's books).
    """
    ids = list(job_ids)
    if not ids:
        return
    if fence is not None and takes_rows(session) and any(i in fence for i in ids):
        session.execute(
            _fenced_attempt(any(i not in fence for i in ids)),
            _fence_params(session, fence, ids) | {"b_worker": worker},
        )
        return
    stmt = update(SyncJob).where(SyncJob.claimed_by == worker, SyncJob.status == IN_FLIGHT)
    params: dict[str, Any] = {}
    if fence is not None:
        clause, params = fenced(fence, ids, session)
        stmt = stmt.where(clause)
    else:
        stmt = stmt.where(among(session, SyncJob.id, ids))
    session.execute(
        stmt.values(attempts=SyncJob.attempts + 1, uncertain=True).execution_options(
            synchronize_session=False
        ),
        params,
    )


_PAIRS: tuple[tuple[str, Any], ...] = (("id", Integer()), ("token", Integer()))
_JOBS: Table = SyncJob.__table__  # type: ignore[assignment]


@functools.cache
def _fenced_attempt(unknown: bool) -> Any:
    """`start_attempt`'s UPDATE under a fence on PostgreSQL, built once (it runs for every batch),
    on the table (no ORM bulk-update handling): the worker (b_worker) and `_fence_clause`'s
    parameters are given at each run."""
    jobs = _JOBS.c
    return (
        update(_JOBS)
        .where(
            jobs.claimed_by == bindparam("b_worker", type_=Text()),
            jobs.status == IN_FLIGHT,
            _fence_clause(unknown),
        )
        .values(attempts=jobs.attempts + 1, uncertain=True)
    )


def fenced(
    fence: Fence, ids: Sequence[int], session: Session | None = None
) -> tuple[Any, dict[str, Any]]:
    """A WHERE clause, with the parameters to run it with: each of `ids` still under the claim
    token the worker got for it (an id the fence does not name: any token). With a PostgreSQL
    `session`, the (id, token) pairs go as one JSON document (`store/bulk.py`, `_fence_clause`),
    not as a CASE of a branch an id."""
    known = [i for i in ids if i in fence]
    if not known:
        return SyncJob.id.in_(list(ids)), {}
    if session is not None and takes_rows(session):
        unknown = len(known) < len(ids)
        return _fence_clause(unknown), _fence_params(session, fence, ids)
    tokens = case({i: fence[i] for i in known}, value=SyncJob.id, else_=SyncJob.claim_token)
    return SyncJob.id.in_(list(ids)) & (SyncJob.claim_token == tokens), {}


@functools.cache
def _fence_clause(unknown: bool) -> Any:
    """`fenced`'s clause on PostgreSQL, built once: the batch's ids (b_ids), the (id, token) pairs
    the fence names (fence_rows) and, with `unknown`, the ids it does not (b_unknown) are its
    parameters (`_fence_params`).

    The ids as an array as well: the rows are found by their key before the pairs are matched,
    whatever the planner guesses of the jobs in flight (guessing one, it matched the pairs against
    every job in flight, the JSON read again for each: 18 ms a batch of 50 with 1,000 in flight,
    3 ms so)."""
    jobs = _JOBS.c
    ids = ARRAY(Integer())
    pairs = rows_source("fence", _PAIRS)
    mine: Any = tuple_(jobs.id, jobs.claim_token).in_(select(pairs.c.id, pairs.c.token))
    if unknown:
        mine = or_(mine, jobs.id == any_(bindparam("b_unknown", type_=ids)))
    return and_(jobs.id == any_(bindparam("b_ids", type_=ids)), mine)


def _fence_params(session: Session, fence: Fence, ids: Sequence[int]) -> dict[str, Any]:
    """`_fence_clause`'s parameters for the batch `ids` under `fence`."""
    known = [(i, fence[i]) for i in ids if i in fence]
    return rows_params(session, "fence", _PAIRS, known) | {
        "b_ids": list(ids),
        "b_unknown": [i for i in ids if i not in fence],
    }


def release(session: Session, worker: str, job_ids: Iterable[int] | None = None) -> int:
    """Hand back unsent jobs `worker` holds (all of them when `job_ids` is None): pending again, due
    now, no attempt counted, their `uncertain` mark as it was. For a worker asked to stop."""
    return defer(session, worker, job_ids, None)


def defer(
    session: Session,
    worker: str,
    job_ids: Iterable[int] | None,
    until: datetime | None,
    *,
    message: str | None = None,
    fence: Fence | None = None,
) -> int:
    """Hand back unsent jobs `worker` holds, due at `until` (None: now), no attempt counted: their
    tenant's rate budget is spent or the tool asked to wait (`message` says which), and the worker
    goes on with other tenants instead of holding them."""
    check("defer", IN_FLIGHT)
    stmt = update(SyncJob).where(SyncJob.claimed_by == worker, SyncJob.status == IN_FLIGHT)
    params: dict[str, Any] = {}
    if job_ids is not None:
        ids = list(job_ids)
        if not ids:
            return 0
        if fence is not None:
            clause, params = fenced(fence, ids, session)
            stmt = stmt.where(clause)
        else:
            stmt = stmt.where(among(session, SyncJob.id, ids))
    values: dict[str, Any] = {"status": PENDING, "claimed_by": None, "claimed_at": None}
    if until is not None:
        values["next_attempt_at"] = until
    if message is not None:
        values["last_error"] = message
    result = session.execute(
        stmt.values(**values).execution_options(synchronize_session=False), params
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def heartbeat(session: Session, worker: str, now: datetime) -> None:
    """Every job `worker` still holds keeps its lease while it works.

    On PostgreSQL a row another transaction has locked (this worker's own thread recording it) is
    skipped, renewed at the next beat: waiting for it could deadlock with that transaction."""
    mine: Any = (SyncJob.claimed_by == worker) & (SyncJob.status == IN_FLIGHT)
    if session.get_bind().dialect.name == "postgresql":
        free = select(SyncJob.id).where(mine).order_by(SyncJob.id)
        mine = SyncJob.id.in_(free.with_for_update(skip_locked=True))
    session.execute(update(SyncJob).where(mine).values(claimed_at=now))


def job_name(job: SyncJob) -> str:
    """How an error names a job: its id, record type and record id."""
    return f"{job.id} ({job.entity_type} {job.record_id})"


__all__ = [
    "Fence",
    "defer",
    "fenced",
    "heartbeat",
    "held",
    "job_name",
    "release",
    "start_attempt",
]
