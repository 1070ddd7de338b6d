"""Taking due sync jobs: the `claim` and `recover` transitions, in one windowed query.

Claims take row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers and takes
the same query without them), so any number of workers can share the queue. A claim lasts a lease:
a worker keeps its claims alive with a heartbeat from a thread of its own (`heartbeat.py`), and a job
still in flight when the lease ends belonged to a worker that died (or hung) mid-push.

What one claim takes (`turns`): each chosen tenant gets a *turn*, a full batch of its tool (50 for
Xero, 30 for QuickBooks) of its due jobs in dependency order (its clients, suppliers and products
before any of its documents), so every call carries a full batch even at 1,000 tenants. Tenants take
turns in rotation: each worker starts the next claim after the last tenant it served, so one
tenant's backlog of 50,000 never starves another's five; tenants with nothing of theirs in flight go
before those a worker is pushing already, so several workers spread over the tenants. When fewer
tenants have work than a claim has room for, they get a second turn each, then a third (one tenant
alone gets the whole claim). A turn is never more than half the claim, so a claim always has room
for two tenants.

Fenced: every claim bumps the job's `claim_token`, and the worker's later writes name the token it
got (`holding.py`, and the transitions in `jobs.py`), so a worker paused past its lease, whose jobs
another worker took over, can neither push them nor record anything for them.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, true, union_all, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from booksync.connectors.registry import tools as installed_tools
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import Client, Document, Integration, Supplier, SyncJob, Tenant
from booksync.sync.holding import job_name
from booksync.sync.states import TRANSITIONS, check
from booksync.sync.timeline import event

#: Dependencies (clients, suppliers, products) are claimed before the documents that need them.
DEPENDENCY_TYPES = (EntityType.CLIENT.value, EntityType.SUPPLIER.value, EntityType.PRODUCT.value)
PRIORITY = case((SyncJob.entity_type.in_(DEPENDENCY_TYPES), 0), else_=1)
PENDING, IN_FLIGHT = SyncStatus.PENDING.value, SyncStatus.IN_FLIGHT.value
#: Where `claim` and `recover` both take a job.
TARGET = TRANSITIONS["claim"].target.value
assert TRANSITIONS["recover"].target.value == TARGET
#: Rows per IN list.
CHUNK = 1000
#: A turn's size for a tenant whose tool is not installed (or jobs with no tenant yet).
DEFAULT_BATCH = 50


def due_filter(now: datetime, lease: timedelta) -> Any:
    """Jobs a claim may take: pending and due, or in flight past their lease (abandoned)."""
    return or_(_due_pending(now), _abandoned(now, lease))


def _due_pending(now: datetime) -> Any:
    return (SyncJob.status == PENDING) & (
        SyncJob.next_attempt_at.is_(None) | (SyncJob.next_attempt_at <= now)
    )


def _abandoned(now: datetime, lease: timedelta) -> Any:
    return (SyncJob.status == IN_FLIGHT) & (SyncJob.claimed_at < now - lease)


class Rotation:
    """Where each worker (of this process) takes up the tenants' rotation at its next claim: after
    the last tenant its previous claim served. Kept per process: every worker rotates on its own,
    and `turns` puts the tenants another worker is pushing after the rest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._after: dict[str, int] = {}

    def after(self, worker: str) -> int:
        with self._lock:
            return self._after.get(worker, 0)

    def served(self, worker: str, tenants: set[int]) -> None:
        """The claim served `tenants`: the next starts after the last of them in rotation order."""
        if not tenants:
            return
        with self._lock:
            start = self._after.get(worker, 0)
            self._after[worker] = max(tenants, key=lambda t: (t <= start, t))


ROTATION = Rotation()


def claim(
    session: Session, worker: str, *, limit: int, now: datetime, lease: timedelta
) -> list[SyncJob]:
    """Claim up to `limit` due jobs, a full batch per tenant in turn (see the module's docstring);
    every claimed job's `claim_token` is bumped.

    A job found in flight past its lease belonged to a worker that died mid-push: it is recovered
    as it stands. Only a job whose batch was marked sent (`start_attempt`) is uncertain, and looked
    up before anything is created again; one the dead worker claimed but never sent is not.
    """
    assign_tenants(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    chosen = turns(
        now=now, lease=lease, limit=limit, after=ROTATION.after(worker), lateral=postgres
    )
    stmt = (
        select(SyncJob)
        .where(SyncJob.id.in_(chosen), due_filter(now, lease))
        .order_by(SyncJob.id)
        .execution_options(populate_existing=True)
    )
    if postgres:
        stmt = stmt.with_for_update(skip_locked=True, of=SyncJob)
    claimed = list(session.scalars(stmt))
    for job in claimed:
        if job.status == IN_FLIGHT:
            check("recover", job.status, job_name(job))
            event(
                session,
                job,
                "recovered",
                f"{worker} took over a push left unfinished by {job.claimed_by}",
            )
        else:
            check("claim", job.status, job_name(job))
    # One statement for the whole claim (the rows are locked: each token is the one read, plus 1),
    # instead of an UPDATE a job from the unit of work's flush.
    for start in range(0, len(claimed), CHUNK):
        ids = [job.id for job in claimed[start : start + CHUNK]]
        session.execute(
            update(SyncJob)
            .where(SyncJob.id.in_(ids))
            .values(
                status=TARGET,
                claimed_by=worker,
                claimed_at=now,
                claim_token=func.coalesce(SyncJob.claim_token, 0) + 1,
            )
            .execution_options(synchronize_session=False)
        )
    for job in claimed:
        for key, value in (
            ("status", TARGET),
            ("claimed_by", worker),
            ("claimed_at", now),
            ("claim_token", (job.claim_token or 0) + 1),
        ):
            set_committed_value(job, key, value)
    ROTATION.served(worker, {job.tenant_id or 0 for job in claimed})
    return claimed


def batch_sizes(limit: int) -> dict[str, int]:
    """Integration kind -> a turn's size: the tool's largest batch, at most half of `limit`."""
    most = max(1, limit // 2)
    sizes = {}
    for kind, tool in installed_tools().items():
        batch = max((tool.limits.batch_for(e) for e in EntityType), default=1)
        sizes[kind] = min(batch, most)
    return sizes


def turns(*, now: datetime, lease: timedelta, limit: int, after: int, lateral: bool = False) -> Any:
    """The ids of the jobs one claim takes, as a subquery (window functions, no lock of its own).

    First per tenant (one aggregate over the due jobs): its most urgent level (dependencies, else
    documents), how many jobs it has there, and its turn's size. Tenants are ordered, those with
    nothing in flight first, then in rotation from the tenant after `after`, and only those whose
    first turn starts within `limit` go on. Their jobs of that level are numbered in order
    (`ROW_NUMBER() OVER (PARTITION BY tenant ...)`) and cut into turns; every tenant's first turn
    comes before anyone's second, and a turn is taken whole while it fits in `limit` (the very
    first one, cut to `limit`, always). With `lateral` (PostgreSQL), only each tenant's first
    `limit` jobs are numbered.
    """
    tenant = func.coalesce(SyncJob.tenant_id, 0)
    flying = aliased(SyncJob)
    live = (flying.status == IN_FLIGHT) & (flying.claimed_at >= now - lease)
    flying_tenant = func.coalesce(flying.tenant_id, 0)
    # A tenant whose dependencies are being pushed right now: its documents would only wait.
    pushing_dependencies = select(flying_tenant).where(
        live, flying.entity_type.in_(DEPENDENCY_TYPES)
    )
    due = and_(due_filter(now, lease), or_(PRIORITY == 0, tenant.not_in(pushing_dependencies)))
    per_tenant = (
        select(
            tenant.label("tenant"),
            func.min(PRIORITY).label("top"),
            func.sum(case((PRIORITY == 0, 1), else_=0)).label("dependencies"),
            func.count().label("jobs"),
        )
        .where(due)
        .group_by(tenant)
        .subquery("per_tenant")
    )
    sizes = batch_sizes(limit)
    default = min(DEFAULT_BATCH, max(1, limit // 2))
    unit: Any = case(sizes, value=Integration.kind, else_=default) if sizes else literal(default)
    at_top = case((per_tenant.c.top == 0, per_tenant.c.dependencies), else_=per_tenant.c.jobs)
    first_turn = case((at_top < unit, at_top), else_=unit)
    held = case((per_tenant.c.tenant.in_(select(flying_tenant).where(live)), 1), else_=0)
    wrapped = case((per_tenant.c.tenant > after, 0), else_=1)
    rotation = (
        select(
            per_tenant.c.tenant,
            per_tenant.c.top,
            unit.label("unit"),
            held.label("held"),
            wrapped.label("wrapped"),
            first_turn.label("first_turn"),
            func.sum(first_turn)
            .over(order_by=(held, wrapped, per_tenant.c.tenant), rows=(None, 0))
            .label("through"),
        )
        .select_from(per_tenant)
        .outerjoin(Tenant, Tenant.id == per_tenant.c.tenant)
        .outerjoin(Integration, Integration.id == Tenant.integration_id)
        .subquery("rotation")
    )
    # Materialised: read by both branches below, and computed once.
    chosen = (
        select(rotation)
        .where(rotation.c.through - rotation.c.first_turn < limit)
        .cte("chosen")
        .prefix_with("MATERIALIZED")
    )

    def of_chosen(tenant_matches: Any) -> Any:
        return (
            select(SyncJob.id, chosen.c.tenant, chosen.c.held, chosen.c.wrapped, chosen.c.unit)
            .join(chosen, tenant_matches)
            .where(due, chosen.c.top == PRIORITY)
        )

    # Two branches, so that the first can walk the (tenant_id, status, id) index; the second
    # (jobs with no tenant yet) is read only when they were chosen.
    no_tenant_chosen = select(chosen.c.tenant).where(chosen.c.tenant == 0).exists()
    if lateral:
        # A job after its tenant's first `limit` cannot be in this claim (each comes after every
        # earlier one of its tenant): each tenant's are cut there before they are numbered, so a
        # claim reads a claim's worth of jobs, not the whole backlog.
        first = (
            select(SyncJob.id)
            .where(SyncJob.tenant_id == chosen.c.tenant, due, chosen.c.top == PRIORITY)
            .order_by(SyncJob.id)
            .limit(limit)
            .lateral("first")
        )
        unassigned = (
            select(SyncJob.id)
            .where(SyncJob.tenant_id.is_(None), due, chosen.c.top == PRIORITY)
            .where(chosen.c.tenant == 0)
            .order_by(SyncJob.id)
            .limit(limit)
            .lateral("unassigned")
        )
        picked = (chosen.c.tenant, chosen.c.held, chosen.c.wrapped, chosen.c.unit)
        jobs_of_chosen = union_all(
            select(first.c.id, *picked).select_from(chosen).join(first, true()),
            select(unassigned.c.id, *picked)
            .select_from(chosen)
            .join(unassigned, true())
            .where(no_tenant_chosen),
        ).subquery("jobs_of_chosen")
    else:
        jobs_of_chosen = union_all(
            of_chosen(SyncJob.tenant_id == chosen.c.tenant),
            of_chosen(SyncJob.tenant_id.is_(None) & (chosen.c.tenant == 0)).where(no_tenant_chosen),
        ).subquery("jobs_of_chosen")
    numbered = select(
        jobs_of_chosen,
        func.row_number()
        .over(partition_by=jobs_of_chosen.c.tenant, order_by=jobs_of_chosen.c.id)
        .label("rn"),
    ).subquery("numbered")
    lap = (numbered.c.rn - 1) // numbered.c.unit
    ordered = select(
        numbered.c.id,
        lap.label("lap"),
        numbered.c.tenant,
        func.row_number()
        .over(order_by=(lap, numbered.c.held, numbered.c.wrapped, numbered.c.tenant, numbered.c.rn))
        .label("pos"),
    ).subquery("ordered")
    turn = (ordered.c.lap, ordered.c.tenant)
    placed = select(
        ordered.c.id,
        ordered.c.pos,
        func.min(ordered.c.pos).over(partition_by=turn).label("first"),
        func.max(ordered.c.pos).over(partition_by=turn).label("last"),
    ).subquery("placed")
    return select(placed.c.id).where(
        or_(placed.c.last <= limit, and_(placed.c.first == 1, placed.c.pos <= limit))
    )


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
    # The ids as a subquery (of its own copy of the table), not a list of thousands of parameters.
    queued = aliased(SyncJob)
    ids = (
        select(queued.id)
        .where(
            queued.tenant_id.is_(None),
            queued.status == PENDING,
            queued.entity_type.not_in(DEPENDENCY_TYPES),
        )
        .order_by(queued.id)
        .limit(limit)
    )
    result = session.execute(
        update(SyncJob)
        .where(SyncJob.id.in_(ids))
        .values(tenant_id=tenant)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "DEPENDENCY_TYPES",
    "ROTATION",
    "Rotation",
    "assign_tenants",
    "batch_sizes",
    "claim",
    "due_filter",
    "turns",
]
