"""Which sync jobs are due, and taking them: the `claim`, `recover` and `defer` transitions.

Claims take row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so any
number of workers can share the queue. A claim lasts a lease: a worker keeps its claims alive with a
heartbeat from a thread of its own (`heartbeat.py`), and a job still in flight when the lease ends
belonged to a worker that died (or hung) mid-push.

Fair between tenants: a claim takes each tenant's due jobs in turn (a share each, then the room
left, oldest first), so one tenant's backlog of 50,000 never starves another's five. Fenced: every
claim bumps the job's `claim_token`, and the worker's later writes name the token it got (`held`,
`start_attempt`, `defer`, and the transitions in `jobs.py`), so a worker paused past its lease,
whose jobs another worker took over, can neither push them nor record anything for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import Client, Document, Supplier, SyncJob, Tenant
from booksync.sync.states import check
from booksync.sync.timeline import event

#: Dependencies (clients, suppliers, products) are claimed before the documents that need them.
DEPENDENCY_TYPES = (EntityType.CLIENT.value, EntityType.SUPPLIER.value, EntityType.PRODUCT.value)
PRIORITY = case((SyncJob.entity_type.in_(DEPENDENCY_TYPES), 0), else_=1)
PENDING, IN_FLIGHT = SyncStatus.PENDING.value, SyncStatus.IN_FLIGHT.value
#: A fence: job id -> the claim token the worker got for it.
Fence = Mapping[int, int]


def due_filter(now: datetime, lease: timedelta) -> Any:
    abandoned = (SyncJob.status == IN_FLIGHT) & (SyncJob.claimed_at < now - lease)
    return or_(_due_pending(now), abandoned)


def _due_pending(now: datetime) -> Any:
    return (SyncJob.status == PENDING) & (
        SyncJob.next_attempt_at.is_(None) | (SyncJob.next_attempt_at <= now)
    )


def claim(
    session: Session, worker: str, *, limit: int, now: datetime, lease: timedelta
) -> list[SyncJob]:
    """Claim up to `limit` due jobs of the most urgent level (dependencies before documents), each
    tenant's in turn; every claimed job's `claim_token` is bumped.

    A job found in flight past its lease belonged to a worker that died mid-push: it is recovered
    as it stands. Only a job whose batch was marked sent (`start_attempt`) is uncertain, and looked
    up before anything is created again; one the dead worker claimed but never sent is not.
    """
    postgres = session.get_bind().dialect.name == "postgresql"

    def locked(stmt: Any) -> Any:
        return stmt.with_for_update(skip_locked=True, of=SyncJob) if postgres else stmt

    abandoned = (SyncJob.status == IN_FLIGHT) & (SyncJob.claimed_at < now - lease)
    stmt = select(SyncJob).where(abandoned).order_by(SyncJob.id).limit(limit)
    found = {job.id: job for job in session.scalars(locked(stmt))}
    level = _level(session, now)
    if level is not None and len(found) < limit:
        assign_tenants(session)
        tenants: list[int | None] = [*session.scalars(select(Tenant.id).order_by(Tenant.id)), None]
        share = max(1, -(-(limit - len(found)) // len(tenants)))
        for tenant in tenants:  # a share each ...
            for job in session.scalars(locked(_pending(now, level, tenant).limit(share))):
                found.setdefault(job.id, job)
        room = limit - len(found)
        if room > 0:  # ... then the room left, oldest first, to whoever has more
            rest = _pending(now, level, ...)
            if found:
                rest = rest.where(SyncJob.id.not_in(list(found)))
            for job in session.scalars(locked(rest.limit(room))):
                found.setdefault(job.id, job)
    claimed = []
    for job in sorted(found.values(), key=lambda j: j.id)[:limit]:
        if job.status == IN_FLIGHT:
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
        job.claim_token = (job.claim_token or 0) + 1
        claimed.append(job)
    session.flush()
    return claimed


def _level(session: Session, now: datetime) -> int | None:
    """0 when a dependency (client, supplier, product) is due, 1 when only documents are, else None."""
    dependency = SyncJob.entity_type.in_(DEPENDENCY_TYPES)
    for level, types in ((0, dependency), (1, ~dependency)):
        if session.scalar(select(SyncJob.id).where(_due_pending(now), types).limit(1)) is not None:
            return level
    return None


def _pending(now: datetime, level: int, tenant: Any) -> Any:
    """Due pending jobs of `level`, oldest first: one tenant's (None: those with no tenant yet), or
    every tenant's when `tenant` is Ellipsis."""
    dependency = SyncJob.entity_type.in_(DEPENDENCY_TYPES)
    stmt = select(SyncJob).where(_due_pending(now), dependency if level == 0 else ~dependency)
    if tenant is None:
        stmt = stmt.where(SyncJob.tenant_id.is_(None))
    elif tenant is not Ellipsis:
        stmt = stmt.where(SyncJob.tenant_id == tenant)
    return stmt.order_by(SyncJob.id)


def assign_tenants(session: Session, limit: int = 5000) -> int:
    """Documents' jobs queued with no tenant yet get their client's (or supplier's), so that claiming
    can take each tenant's in turn. (Gating sets it again from what the rules evaluate.)"""
    docs = select(SyncJob.id).where(
        SyncJob.tenant_id.is_(None),
        SyncJob.status == PENDING,
        SyncJob.entity_type.not_in(DEPENDENCY_TYPES),
    )
    if session.scalar(docs.limit(1)) is None:
        return 0
    party = func.coalesce(
        select(Client.tenant_id).where(Client.id == Document.client_id).scalar_subquery(),
        select(Supplier.tenant_id).where(Supplier.id == Document.supplier_id).scalar_subquery(),
    )
    tenant = select(party).where(Document.id == SyncJob.record_id).scalar_subquery()
    ids = [*session.scalars(docs.order_by(SyncJob.id).limit(limit))]
    result = session.execute(
        update(SyncJob)
        .where(SyncJob.id.in_(ids))
        .values(tenant_id=tenant)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
            SyncJob.id.in_(ids), SyncJob.status == IN_FLIGHT, SyncJob.claimed_by == worker
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
    stmt = update(SyncJob).where(
        SyncJob.id.in_(ids), SyncJob.claimed_by == worker, SyncJob.status == IN_FLIGHT
    )
    if fence is not None:
        stmt = stmt.where(fenced(fence, ids))
    session.execute(
        stmt.values(attempts=SyncJob.attempts + 1, uncertain=True).execution_options(
            synchronize_session=False
        )
    )


def fenced(fence: Fence, ids: Sequence[int]) -> Any:
    """A WHERE clause: each of `ids` still under the claim token the worker got for it."""
    known = [i for i in ids if i in fence]
    if not known:
        return SyncJob.id.in_(list(ids))
    tokens = case({i: fence[i] for i in known}, value=SyncJob.id, else_=SyncJob.claim_token)
    return SyncJob.claim_token == tokens


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
    if job_ids is not None:
        ids = list(job_ids)
        if not ids:
            return 0
        stmt = stmt.where(SyncJob.id.in_(ids))
        if fence is not None:
            stmt = stmt.where(fenced(fence, ids))
    values: dict[str, Any] = {"status": PENDING, "claimed_by": None, "claimed_at": None}
    if until is not None:
        values["next_attempt_at"] = until
    if message is not None:
        values["last_error"] = message
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
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


def next_due_in(session: Session, now: datetime, lease: timedelta) -> float | None:
    """Seconds until the next job is due (0 if one is due now), or None when nothing is open.

    Counts jobs another worker holds too: if that worker died, its jobs fall due when the lease ends.
    """
    pending = session.scalar(
        select(func.min(func.coalesce(SyncJob.next_attempt_at, now))).where(
            SyncJob.status == PENDING
        )
    )
    held_since = session.scalar(
        select(func.min(SyncJob.claimed_at)).where(SyncJob.status == IN_FLIGHT)
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
    "Fence",
    "assign_tenants",
    "claim",
    "counts_by_status",
    "defer",
    "due_filter",
    "fenced",
    "heartbeat",
    "held",
    "job_name",
    "next_due_in",
    "release",
    "start_attempt",
]
