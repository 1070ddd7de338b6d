"""What an integration holds: its tenants, the records that sync to them and their sync jobs, so a
person disabling it is told what stops syncing before they confirm."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from booksync.connectors.registry import tool_for
from booksync.domain.types import EntityType
from booksync.services.sync import job_tenant_names
from booksync.store.models import Client, Document, Integration, Product, Supplier, SyncJob, Tenant


@dataclass
class Holdings:
    tenants: list[str] = field(default_factory=list)
    records: Counter[EntityType] = field(default_factory=Counter)
    #: Sync jobs of those records by status (pending, blocked, failed, ...).
    jobs: Counter[str] = field(default_factory=Counter)

    @property
    def record_total(self) -> int:
        return sum(self.records.values())

    @property
    def job_total(self) -> int:
        return sum(self.jobs.values())


def integration_holdings(session: Session, kind: str) -> Holdings:
    """The records (set to one of the integration's tenants) and jobs disabling `kind` stops."""
    tool = tool_for(kind).kind
    held = Holdings()
    tenants = session.execute(
        select(Tenant.id, Tenant.name).join(Integration).where(Integration.kind == tool)
    ).all()
    if not tenants:
        return held
    ids = [t.id for t in tenants]
    held.tenants = sorted(t.name for t in tenants)
    for entity, model in (
        (EntityType.CLIENT, Client),
        (EntityType.SUPPLIER, Supplier),
        (EntityType.PRODUCT, Product),
    ):
        stmt = select(func.count()).select_from(model).where(model.tenant_id.in_(ids))
        if n := session.scalar(stmt):
            held.records[entity] = n
    documents = (
        select(Document.kind, func.count())
        .outerjoin(Client, Client.id == Document.client_id)
        .outerjoin(Supplier, Supplier.id == Document.supplier_id)
        .where(or_(Client.tenant_id.in_(ids), Supplier.tenant_id.in_(ids)))
        .group_by(Document.kind)
    )
    for document_kind, n in session.execute(documents):
        held.records[EntityType(document_kind)] = n
    names = set(held.tenants)
    tenant_of = job_tenant_names(session)
    for job_id, status in session.execute(select(SyncJob.id, SyncJob.status)):
        if tenant_of.get(job_id) in names:
            held.jobs[status] += 1
    return held


__all__ = ["Holdings", "integration_holdings"]
