"""`booksync sync plan`: what the next pass would do, per tenant and record, writing nothing anywhere.

The store is read in one transaction that is rolled back (`plan_local`), then each tenant's tool is
read, read-only and counted (`plan_remote`), and what it answered is kept outside the store for a
few minutes (`plan_cache`). Judging is the engine's own: its evaluator and gate, its payload
builder, its lookup, `domain.matching.linkable` for documents the tool already holds; the plan only
reports what they decide.

The one write a plan can cause is not its own: a cloud tool's access token that expires during the
plan is refreshed and saved (the tool rotates refresh tokens, so an unsaved one would disconnect
the tenant), in a short transaction of its own, exactly as during a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import Connector, ConnectorError
from booksync.domain.types import ConnectionState, EntityType
from booksync.errors import BooksyncError
from booksync.services import plan_cache
from booksync.services.connect import tenant_connector
from booksync.services.doctor import MODELS, parse_type, tools
from booksync.services.plan_local import OPEN, LocalPlan, count_unchanged, draft
from booksync.services.plan_model import NO_TENANT, Action, Plan, RecordPlan, TenantPlan
from booksync.services.plan_remote import CallCounter, TenantReads, read_tenant
from booksync.services.references import find
from booksync.store.books import load_books
from booksync.store.db import Store
from booksync.store.models import Document, SyncEvent, SyncJob, Tenant
from booksync.sync.payloads import reference_of

#: Builds the connector that reaches a tenant (the engine's `ConnectorFactory`).
ConnectorFactory = Callable[[Tenant], Connector]


@contextmanager
def reading(store: Store) -> Iterator[Session]:
    """A session that never writes: whatever happens inside is rolled back."""
    with store.sessions() as session:
        try:
            yield session
        finally:
            session.rollback()


def plan(
    store: Store,
    *,
    tenant: str | None = None,
    connectors: ConnectorFactory | None = None,
    offline: bool = False,
    fresh: bool = False,
) -> Plan:
    """The next pass, tenant by tenant: every record's action with its evidence, reasons and diff,
    the matching report, and the calls it took. `offline` reads nothing from the tools; `fresh`
    ignores what an earlier plan kept."""
    with reading(store) as session:
        only = find(session, Tenant, tenant, field="tenant").id if tenant is not None else None
        books = load_books(session, whole=True)
        jobs = session.scalars(select(SyncJob).where(SyncJob.status.in_(OPEN)).order_by(SyncJob.id))
        local = draft(session, books, tools(), list(jobs))
        local.unchanged = count_unchanged(session)
        fingerprint = _fingerprint(session)
        tenants = {t.id: t for t in session.scalars(select(Tenant).order_by(Tenant.name))}
        plans = _tenant_plans(local, tenants, only)
        kinds = {t.id: t.integration.kind for t in tenants.values()}
    for tenant_plan in plans:
        tid = tenant_plan.tenant_id
        if tid is None:
            continue
        tenant_plan.tool = kinds[tid]
        if offline:
            tenant_plan.remote_note = "not read: --offline"
            _mark_undiffed(tenant_plan.records, "the tool was not read (--offline)")
            continue
        _read(store, tid, tenant_plan, local, connectors, fingerprint, fresh=fresh)
    return Plan(plans)


def plan_record(
    store: Store,
    entity: EntityType | str,
    ref: str,
    *,
    connectors: ConnectorFactory | None = None,
    offline: bool = False,
    fresh: bool = False,
) -> tuple[RecordPlan, TenantPlan]:
    """One record's plan with the exact push item the pass would send (None: nothing is sent),
    and its tenant's part (calls, matches for it)."""
    kind = entity if isinstance(entity, EntityType) else parse_type(entity)
    with reading(store) as session:
        if kind.is_document:
            row: Any = find(session, Document, ref, field=kind.value, kind=kind)
        else:
            row = find(session, MODELS[kind], ref, field=kind.value)
        job = session.scalars(
            select(SyncJob).where(SyncJob.entity_type == kind.value, SyncJob.record_id == row.id)
        ).first()
        books = load_books(session)
        local = draft(session, books, tools(), [job] if job else [])
        fingerprint = _fingerprint(session)
        record = local.records[0] if local.records else _untouched(row, kind, job, books)
        tenant_row = session.get(Tenant, record.tenant_id) if record.tenant_id else None
        tenant_plan = TenantPlan(
            tenant_row.name if tenant_row else NO_TENANT,
            tenant_row.id if tenant_row else None,
            tenant_row.integration.kind if tenant_row else None,
            records=[record],
        )
    if tenant_plan.tenant_id is not None and record.action is not Action.NOTHING:
        if offline:
            _mark_undiffed([record], "the tool was not read (--offline)")
        else:
            _read(
                store,
                tenant_plan.tenant_id,
                tenant_plan,
                local,
                connectors,
                fingerprint,
                fresh=fresh,
            )
    tenant_plan.matches = [
        c
        for c in tenant_plan.matches
        if (c.local.entity, c.local.record_id) == (record.entity, record.record_id)
    ]
    return record, tenant_plan


def _untouched(row: Any, kind: EntityType, job: SyncJob | None, books: Any) -> RecordPlan:
    """A record the pass leaves alone: synced at its current version, or with no job."""
    owner = row.party if isinstance(row, Document) else row
    tenant_id = getattr(owner, "tenant_id", None)
    tenant = books.tenants.get(tenant_id) if tenant_id is not None else None
    plan = RecordPlan(
        entity=kind,
        record_id=row.id,
        ref=row.number if isinstance(row, Document) else row.name,
        reference=reference_of(row),
        tenant=tenant.name if tenant else NO_TENANT,
        tenant_id=tenant.id if tenant else None,
        action=Action.NOTHING,
        job_status=job.status if job else None,
        remote_id=row.remote_id,
    )
    if job is None:
        plan.notes.append("it has no sync job: nothing is queued for it")
    else:
        plan.notes.append(
            f"synced at version {job.synced_version}: nothing is sent until it changes"
        )
    return plan


def _tenant_plans(
    local: LocalPlan, tenants: dict[int, Tenant], only: int | None
) -> list[TenantPlan]:
    plans: dict[int | None, TenantPlan] = {
        t.id: TenantPlan(t.name, t.id) for t in tenants.values() if only in (None, t.id)
    }
    for record in local.records:
        target = plans.get(record.tenant_id)
        if target is None and only is None and record.tenant_id is None:
            target = plans[None] = TenantPlan(NO_TENANT, None)
        if target is not None:
            target.records.append(record)
    for tenant_id, counts in local.unchanged.items():
        target = plans.get(tenant_id)
        if target is None and only is None and tenant_id is None:
            target = plans[None] = TenantPlan(NO_TENANT, None)
        if target is not None:
            target.unchanged.update(counts)
    return list(plans.values())


def _read(
    store: Store,
    tenant_id: int,
    tenant_plan: TenantPlan,
    local: LocalPlan,
    connectors: ConnectorFactory | None,
    fingerprint: str,
    *,
    fresh: bool,
) -> None:
    """Read what the tenant's plan needs from its tool, through the plan cache."""
    unlinked = local.unlinked.get(tenant_id, [])
    needed = unlinked or any(
        r.action in (Action.UPDATE, Action.LINK) or (r.action is Action.CREATE and r.uncertain)
        for r in tenant_plan.records
    )
    if not needed:
        return
    # The tenant is loaded in a session of its own that ends before any call, so a token the
    # connector refreshes is saved in a transaction of its own (never rolled back with a plan).
    with store.session() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        if tenant.connection_state != ConnectionState.CONNECTED.value:
            tenant_plan.remote_note = "not read: the tenant is not connected"
            _mark_undiffed(tenant_plan.records, "the tenant is not connected")
            return
        path = plan_cache.cache_path(
            store.engine.url.render_as_string(hide_password=True),
            tenant.integration.kind,
            tenant.remote_tenant_id,
        )
        remote_tenant = tenant.remote_tenant_id
        try:
            connector = (connectors or tenant_connector)(tenant)
        except BooksyncError as exc:
            tenant_plan.remote_note = f"not read: {exc}"
            _mark_undiffed(tenant_plan.records, "the tool could not be reached")
            return
    fetched = (None if fresh else plan_cache.load(path, fingerprint)) or plan_cache.Fetched()
    counter = CallCounter()
    counter.attach(connector)
    reads = TenantReads(remote_tenant, connector, fetched, counter)
    try:
        tenant_plan.matches = read_tenant(
            reads, tenant_plan.records, unlinked, local.linked.get(tenant_id, set())
        )
    except ConnectorError as exc:
        tenant_plan.remote_note = f"the tool could not be read: {exc}"
        _mark_undiffed(tenant_plan.records, "the tool could not be read")
    finally:
        connector.close()
    tenant_plan.calls, tenant_plan.reads = counter.calls, counter.reads
    tenant_plan.cached = counter.calls == 0
    plan_cache.save(path, fingerprint, fetched)


def _mark_undiffed(records: list[RecordPlan], why: str) -> None:
    for r in records:
        if r.action in (Action.UPDATE, Action.LINK) and r.diff is None:
            r.notes.append(f"diff not available: {why}")


def _fingerprint(session: Session) -> str:
    """The books' sync state: any push, edit or import since changes it (see `plan_cache`)."""
    events = session.scalar(select(func.max(SyncEvent.id)))
    jobs = session.scalar(select(func.max(SyncJob.updated_at)))
    imported = session.scalar(select(func.max(Tenant.accounts_imported_at)))
    return f"{events}|{jobs}|{imported}"


__all__ = ["OPEN", "ConnectorFactory", "plan", "plan_record", "reading"]
