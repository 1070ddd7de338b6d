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
for two tenants. A turn is taken whole or not at all (only the claim's very first is ever cut).

On PostgreSQL the same jobs are found by index reads (`_walked_turns`), tenant by tenant until the
claim is full, so a claim costs about a claim's worth of jobs however long the backlog; SQLite
aggregates every due job (`turns`). tests/sync/test_claiming.py checks that both choose the same.

Fenced: every claim bumps the job's `claim_token`, and the worker's later writes name the token it
got (`holding.py`, and the transitions in `jobs.py`), so a worker paused past its lease, whose jobs
another worker took over, can neither push them nor record anything for them.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from booksync.connectors.registry import tools as installed_tools
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.bulk import among, chunked
from booksync.store.models import Client, Document, Integration, Supplier, SyncJob, Tenant
from booksync.store.models.sync import PENDING_DEPENDENCIES, PENDING_DOCUMENTS
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
        # What the last push sent and what the tool booked differently are for drift and the
        # doctor, not for a push: a re-sync's claim does not decode its previous payload.
        .options(defer(SyncJob.pushed_fields), defer(SyncJob.verification))
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
    for part in chunked(claimed, CHUNK):
        ids = [job.id for job in part]
        session.execute(
            update(SyncJob)
            .where(among(session, SyncJob.id, ids))
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
    With `lateral` (PostgreSQL), `_walked_turns` finds the same with index reads instead.

    First per tenant (one aggregate over the due jobs): its most urgent level (dependencies, else
    documents), how many jobs it has there, and its turn's size. Tenants are ordered, those with
    nothing in flight first, then in rotation from the tenant after `after`, and only those whose
    first turn starts within `limit` go on. Their jobs of that level are numbered in order
    (`ROW_NUMBER() OVER (PARTITION BY tenant ...)`) and cut into turns; every tenant's first turn
    comes before anyone's second, and a turn is taken whole while it fits in `limit` (the very
    first one, cut to `limit`, always).
    """
    if lateral:
        return _walked_turns(now=now, lease=lease, limit=limit, after=after)
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
    jobs_of_chosen = union_all(
        of_chosen(SyncJob.tenant_id == chosen.c.tenant),
        of_chosen(SyncJob.tenant_id.is_(None) & (chosen.c.tenant == 0)).where(no_tenant_chosen),
    ).subquery("jobs_of_chosen")
    return _placed(jobs_of_chosen, limit)


def _quoted(values: tuple[str, ...]) -> str:
    """Code constants (record types) written into the SQL."""
    assert all(v.isidentifier() for v in values)
    return ", ".join(f"'{v}'" for v in values)


#: The due jobs of the tenant `{tenant_id}` (NULL: jobs with no tenant yet, tenant 0) at `{level}`
#: (0: dependencies, 1: documents), its first `{n}` in id order. Pending ones are read from the
#: level's partial index (ix_sync_jobs_pending_dependencies, ix_sync_jobs_pending_documents): its
#: predicate is written out word for word (`{pending}`, unqualified: only `j` has those columns),
#: as a bound parameter could not prove it, and the rows are ordered by the index's own columns,
#: so that walking the primary key cannot look cheaper (it does when the statistics still say
#: every job has no tenant, as they do once the queue is filled). A read stops after `{n}` however
#: long the backlog. Jobs in flight past their lease come from `flying`, read once per claim.
_DUE = """
    SELECT u.id FROM (
        (SELECT j.id FROM sync_jobs j
         WHERE j.tenant_id = {tenant_id} AND ({pending})
           AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= :now)
         ORDER BY j.tenant_id, j.id LIMIT {n})
        UNION ALL
        (SELECT j.id FROM sync_jobs j
         WHERE j.tenant_id IS NULL AND {tenant_id} IS NULL AND ({pending})
           AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= :now)
         ORDER BY j.tenant_id, j.id LIMIT {n})
        UNION ALL
        SELECT f.id FROM flying f WHERE NOT f.live AND f.tenant = {tenant} AND f.level = {level}
    ) u ORDER BY u.id LIMIT {n}"""


def _due(tenant_id: str, tenant: str, level: int, n: str) -> str:
    pending = PENDING_DEPENDENCIES if level == 0 else PENDING_DOCUMENTS
    return _DUE.format(tenant_id=tenant_id, tenant=tenant, level=level, n=n, pending=pending)


def _walked_turns(*, now: datetime, lease: timedelta, limit: int, after: int) -> Any:
    """`turns` on PostgreSQL, reading a claim's worth of jobs instead of aggregating every due one.

    The tenants, in rotation order (nothing in flight first, then from the tenant after `after`),
    are walked one at a time (a recursive query) until their first turns fill the claim: each
    tenant's first turn is counted with a read of at most a turn's size of its most urgent level.
    The tenants walked with something due are those the aggregate would choose. Each then reads, in
    id order, only as many jobs as could still be placed: its first turn, or what `limit` leaves
    after every other chosen tenant's first turn (any later job of it comes after all of those and
    its own earlier ones), plus one: that one, when there is one, lies past `limit`, so the turn it
    ends (cut short here) is known not to fit, as it would be read whole. Turns are then laid out
    as `turns` does (`_placed`).
    """
    sizes = batch_sizes(limit)
    default = min(DEFAULT_BATCH, max(1, limit // 2))
    params: dict[str, Any] = {
        "now": now,
        "cutoff": now - lease,
        "after": after,
        "limit": limit,
        "default_unit": default,
    }
    whens = []
    for i, (kind, size) in enumerate(sorted(sizes.items())):
        params[f"kind_{i}"], params[f"size_{i}"] = kind, size
        whens.append(f"WHEN :kind_{i} THEN :size_{i}")
    unit = f"CASE i.kind {' '.join(whens)} ELSE :default_unit END" if whens else ":default_unit"
    at = "q.{}[w.k + 1]"
    walk = (at.format("ids"), at.format("tenants"))
    walk_dependencies = _due(*walk, 0, at.format("units"))
    walk_documents = _due(*walk, 1, at.format("units"))
    read_dependencies = _due("c.tenant_id", "c.tenant", 0, "c.cap")
    read_documents = _due("c.tenant_id", "c.tenant", 1, "c.cap")
    order = "held, wrapped, tenant"
    # Only tenants with something due are walked (a probe of each level's index, nearly empty when
    # the queue is): a tenant with nothing due adds no turn, and walking a thousand of them on
    # every claim of an idle worker made its wake-up 30 ms slower.
    has_dependencies, has_documents = (
        f"SELECT 1 FROM sync_jobs j WHERE j.tenant_id = t.id AND ({pending}) "
        "AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= :now)"
        for pending in (PENDING_DEPENDENCIES, PENDING_DOCUMENTS)
    )
    sql = f"""
WITH RECURSIVE
flying AS MATERIALIZED (
    SELECT j.id, coalesce(j.tenant_id, 0) AS tenant,
           CASE WHEN j.entity_type IN ({_quoted(DEPENDENCY_TYPES)}) THEN 0 ELSE 1 END AS level,
           j.claimed_at >= :cutoff AS live
    FROM sync_jobs j WHERE j.status = '{IN_FLIGHT}'
),
busy AS (
    SELECT tenant, bool_or(level = 0) AS pushing FROM flying WHERE live GROUP BY tenant
),
candidates AS (
    SELECT c.tenant_id, c.tenant, c.unit,
           CASE WHEN b.tenant IS NULL THEN 0 ELSE 1 END AS held,
           coalesce(b.pushing, false) AS pushing,
           CASE WHEN c.tenant > :after THEN 0 ELSE 1 END AS wrapped
    FROM (
        SELECT t.id AS tenant_id, t.id AS tenant, {unit} AS unit
        FROM tenants t LEFT JOIN integrations i ON i.id = t.integration_id
        WHERE EXISTS ({has_dependencies}) OR EXISTS ({has_documents})
           OR EXISTS (SELECT 1 FROM flying f WHERE f.tenant = t.id AND NOT f.live)
        UNION ALL
        SELECT NULL, 0, :default_unit
    ) c
    LEFT JOIN busy b ON b.tenant = c.tenant
),
queue AS MATERIALIZED (
    SELECT array_agg(tenant_id ORDER BY {order}) AS ids,
           array_agg(tenant ORDER BY {order}) AS tenants,
           array_agg(unit ORDER BY {order}) AS units,
           array_agg(held ORDER BY {order}) AS helds,
           array_agg(wrapped ORDER BY {order}) AS wrappeds,
           array_agg(pushing ORDER BY {order}) AS pushings,
           count(*) AS n
    FROM candidates
),
walk (k, through, tenant_id, tenant, unit, held, wrapped, top, first_turn) AS (
    SELECT 0::bigint, 0::bigint, NULL::integer, 0, 0, 0, 0, 0, 0::bigint
    UNION ALL
    SELECT w.k + 1, w.through + d0.n + coalesce(d1.n, 0),
           q.ids[w.k + 1], q.tenants[w.k + 1], q.units[w.k + 1], q.helds[w.k + 1],
           q.wrappeds[w.k + 1], CASE WHEN d0.n > 0 THEN 0 ELSE 1 END, d0.n + coalesce(d1.n, 0)
    FROM walk w
    CROSS JOIN queue q
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM ({walk_dependencies}) x) d0
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM ({walk_documents}) x
        WHERE d0.n = 0 AND NOT q.pushings[w.k + 1]
    ) d1 ON true
    WHERE w.k < q.n AND w.through < :limit
),
chosen AS MATERIALIZED (
    SELECT tenant_id, tenant, unit, held, wrapped, top,
           greatest(first_turn, :limit - sum(first_turn) OVER () + first_turn) + 1 AS cap
    FROM walk WHERE k > 0 AND first_turn > 0
)
SELECT d.id, c.tenant, c.held, c.wrapped, c.unit
FROM chosen c CROSS JOIN LATERAL ({read_dependencies}) d WHERE c.top = 0
UNION ALL
SELECT d.id, c.tenant, c.held, c.wrapped, c.unit
FROM chosen c CROSS JOIN LATERAL ({read_documents}) d WHERE c.top = 1
"""
    jobs_of_chosen = (
        text(sql)
        .bindparams(**params)
        .columns(id=Integer, tenant=Integer, held=Integer, wrapped=Integer, unit=Integer)
        .subquery("jobs_of_chosen")
    )
    return _placed(jobs_of_chosen, limit)


def _placed(jobs_of_chosen: Any, limit: int) -> Any:
    """The claim's ids among the chosen tenants' jobs (columns id, tenant, held, wrapped, unit):
    numbered per tenant, cut into turns, laid out lap by lap and taken while they fit."""
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
    docs = _unassigned_documents(SyncJob)
    if session.scalar(docs.limit(1)) is None:
        return 0
    party = func.coalesce(
        select(Client.tenant_id).where(Client.id == Document.client_id).scalar_subquery(),
        select(Supplier.tenant_id).where(Supplier.id == Document.supplier_id).scalar_subquery(),
    )
    tenant = select(party).where(Document.id == SyncJob.record_id).scalar_subquery()
    # The ids as a subquery (of its own copy of the table), not a list of thousands of parameters.
    ids = _unassigned_documents(aliased(SyncJob)).limit(limit)
    result = session.execute(
        update(SyncJob)
        .where(SyncJob.id.in_(ids))
        .values(tenant_id=tenant)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _unassigned_documents(jobs: Any) -> Any:
    """The ids of documents' pending jobs with no tenant, oldest first: read from the pending
    documents' index (its predicate written out, ordered by its columns), not from every pending
    job, so that finding none costs next to nothing however long the queue."""
    return (
        select(jobs.id)
        .where(jobs.tenant_id.is_(None), text(PENDING_DOCUMENTS))
        .order_by(jobs.tenant_id, jobs.id)
    )


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
