"""Sync operations every face offers: run a pass, see where jobs stand, read a record's timeline,
retry a job that gave up."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from booksync.domain.types import EntityType, SyncStatus
from booksync.services.doctor import parse_type
from booksync.services.records import DOCUMENTS, RECORD_TYPES
from booksync.services.tenants import tenant_connector
from booksync.store import outbox
from booksync.store.db import Store
from booksync.store.models import Client, Document, Product, Supplier, SyncEvent, SyncJob, Tenant
from booksync.store.types import utcnow
from booksync.sync import jobs
from booksync.sync.budget_store import end_abandoned_transactions
from booksync.sync.engine import Engine, Notice, PassResult

STATUSES = [s.value for s in SyncStatus]


def make_engine(store: Store, *, trigger: str = "pass", **options: Any) -> Engine:
    """An engine over `store` that reaches each tenant through its configured connector, and
    after each pass records it for the activity page and sends its digest of failures to the
    notification channels. `trigger` names the face that runs it (cli, api, web); a worker's
    `run_forever` records its passes as "worker"."""
    from booksync.services.activity_recording import RecordingEngine

    return RecordingEngine(store, tenant_connector, trigger=trigger, **options)


#: A worker's calls in flight unless told (`booksync worker --concurrency`): while one call's
#: answers are written to the store, the next batch is built and sent, which keeps a worker's core
#: busy even against a tool that answers at once (a third of documents a second more than one call
#: at a time: `python -m bench throughput`). Against a real tool, whose answers take the network's
#: time, more (--concurrency 8).
WORKER_CONCURRENCY = 2


def make_worker(store: Store, **options: Any) -> Engine:
    """The engine of a `booksync worker` process (`make_engine`'s), with the store's connections
    set up for workers sharing it (`end_abandoned_transactions`) before any thread of the process
    opens one: a connection opened while that setting is added fails."""
    end_abandoned_transactions(store)
    return make_engine(store, **options)


def _record_id(session: Session, entity: EntityType, ref: str) -> int:
    if entity.is_document:
        return DOCUMENTS[entity].get(session, ref).id
    return RECORD_TYPES[entity.value].get(session, ref).id  # type: ignore[no-any-return]


def _job_tenant_stmt() -> Select[int, str]:
    """(job id, tenant name) for every job: documents reach theirs through their client or supplier."""
    client, supplier = aliased(Client), aliased(Supplier)
    doc_client, doc_supplier = aliased(Client), aliased(Supplier)
    tenant_id = func.coalesce(
        SyncJob.tenant_id,
        client.tenant_id,
        supplier.tenant_id,
        Product.tenant_id,
        doc_client.tenant_id,
        doc_supplier.tenant_id,
    )
    stmt = (
        select(SyncJob.id, Tenant.name)
        .outerjoin(client, (SyncJob.entity_type == "client") & (client.id == SyncJob.record_id))
        .outerjoin(
            supplier, (SyncJob.entity_type == "supplier") & (supplier.id == SyncJob.record_id)
        )
        .outerjoin(Product, (SyncJob.entity_type == "product") & (Product.id == SyncJob.record_id))
        .outerjoin(
            Document,
            SyncJob.entity_type.in_([e.value for e in EntityType if e.is_document])
            & (Document.id == SyncJob.record_id),
        )
        .outerjoin(doc_client, doc_client.id == Document.client_id)
        .outerjoin(doc_supplier, doc_supplier.id == Document.supplier_id)
        .outerjoin(Tenant, Tenant.id == tenant_id)
    )
    return stmt


def job_tenant_names(session: Session) -> dict[int, str]:
    """job id -> the tenant name its record syncs to (documents through their client or supplier)."""
    return {job_id: name or "(no tenant)" for job_id, name in session.execute(_job_tenant_stmt())}


def blocked_by_tenant(session: Session) -> Counter[str]:
    """How many jobs stand blocked per tenant name (read only the blocked ones: the activity page
    takes this after every pass that did something)."""
    stmt = _job_tenant_stmt().where(SyncJob.status == SyncStatus.BLOCKED.value)
    return Counter(name or "(no tenant)" for _, name in session.execute(stmt))


def due_by_tenant(session: Session) -> Counter[str]:
    """How many jobs a pass has ahead of it per tenant (for progress bars)."""
    names = job_tenant_names(session)
    open_ids = session.scalars(
        select(SyncJob.id).where(SyncJob.status.in_(["pending", "in_flight"]))
    ).all()
    return Counter(names.get(i, "(no tenant)") for i in open_ids)


@dataclass
class StatusReport:
    by_tenant: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_tenant.values():
            total.update(counts)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "totals": {s: self.totals()[s] for s in STATUSES},
            "tenants": {t: {s: c[s] for s in STATUSES} for t, c in sorted(self.by_tenant.items())},
            "errors": self.errors,
        }


def sync_status(session: Session, *, errors: int = 20) -> StatusReport:
    report = StatusReport()
    names = job_tenant_names(session)
    for job_id, status in session.execute(select(SyncJob.id, SyncJob.status)):
        report.by_tenant[names.get(job_id, "(no tenant)")][status] += 1
    failing = session.scalars(
        select(SyncJob)
        .where(SyncJob.status.in_(["failed", "dead"]) | SyncJob.last_error.is_not(None))
        .order_by(SyncJob.updated_at.desc())
        .limit(errors)
    )
    for job in failing:
        report.errors.append(
            {
                "type": job.entity_type,
                "record_id": job.record_id,
                "status": job.status,
                "attempts": job.attempts,
                "error": job.last_error,
                "fix": job.error_fix,
                "tenant": names.get(job.id),
            }
        )
    return report


def timeline(
    session: Session, entity: str | EntityType, ref: str, *, limit: int = 200
) -> dict[str, Any]:
    """A record's sync job and every event on it: changes, evaluations, attempts, what went and came back."""
    kind = entity if isinstance(entity, EntityType) else parse_type(entity)
    record_id = _record_id(session, kind, ref)
    job = session.scalars(
        select(SyncJob).where(SyncJob.entity_type == kind.value, SyncJob.record_id == record_id)
    ).first()
    events = session.scalars(
        select(SyncEvent)
        .where(SyncEvent.entity_type == kind.value, SyncEvent.record_id == record_id)
        .order_by(SyncEvent.id.desc())
        .limit(limit)
    ).all()
    return {
        "record": {"type": kind.value, "ref": ref, "id": record_id},
        "job": None
        if job is None
        else {
            "status": job.status,
            "record_version": job.record_version,
            "synced_version": job.synced_version,
            "attempts": job.attempts,
            "next_attempt_at": job.next_attempt_at.isoformat() if job.next_attempt_at else None,
            "remote_id": job.remote_id,
            "last_error": job.last_error,
            "fix": job.error_fix,
            "blocked_reasons": job.blocked_reasons,
        },
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "version": e.record_version,
                "message": e.message,
                "request": e.request,
                "response": e.response,
            }
            for e in reversed(events)
        ],
    }


def retry(session: Session, entity: str | EntityType, ref: str) -> SyncJob:
    """Queue a failed, dead or blocked job again, now, with a fresh attempt count."""
    kind = entity if isinstance(entity, EntityType) else parse_type(entity)
    record_id = _record_id(session, kind, ref)
    job = session.scalars(
        select(SyncJob).where(SyncJob.entity_type == kind.value, SyncJob.record_id == record_id)
    ).first()
    if job is None:
        from booksync.services.errors import BadInput

        raise BadInput(
            "record", ref, "has no sync job", "a record that was saved since booksync started"
        )
    jobs.retry(session, job, utcnow())
    outbox.wake(session)  # an idle worker on PostgreSQL pushes it now, not at its next poll
    return job


def run_pass(
    store: Store, *, max_wait: float = 0.0, trigger: str = "pass", **options: Any
) -> PassResult:
    engine = make_engine(store, trigger=trigger, **options)
    try:
        return engine.run_pass(max_wait=max_wait)
    finally:
        engine.close()


__all__ = [
    "Notice",
    "PassResult",
    "StatusReport",
    "blocked_by_tenant",
    "due_by_tenant",
    "make_engine",
    "make_worker",
    "WORKER_CONCURRENCY",
    "retry",
    "run_pass",
    "sync_status",
    "timeline",
]
