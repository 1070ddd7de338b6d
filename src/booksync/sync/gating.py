"""Gating one round of claimed jobs with the rules: hold, let wait, or ready to push.

A round reads one snapshot of the books (only the rows its records need, in bulk) and evaluates
every claimed job against it, as the doctor would. A job the rules hold is blocked with its reasons;
one whose client, supplier or product must sync first waits for it (and makes sure that dependency
is queued); the rest become `Ready` push items, grouped per tenant and record type.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booksync.clock import Clock
from booksync.connectors.protocol import PushItem
from booksync.domain.evaluation import Evaluator
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.records import Books, Record
from booksync.domain.rulebook import Tools
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.books import document_view, load_books, prime
from booksync.store.models import SYNCABLE_MODELS, Document, DocumentLine, Syncable, SyncJob
from booksync.sync import jobs
from booksync.sync.payloads import build_push_item
from booksync.sync.report import Reporter

#: Where a ready job goes: (tenant id, record type). A batch never mixes tenants or record types.
Group = tuple[int, EntityType]


@dataclass(frozen=True)
class Ready:
    """A job the rules let through, with the push item built from the snapshot it was judged on."""

    job_id: int
    version: int
    item: PushItem
    uncertain: bool
    label: str


def gate_round(
    session: Session,
    job_ids: Sequence[int],
    *,
    clock: Clock,
    wait_delay: timedelta,
    tools: Tools,
    report: Reporter,
) -> dict[Group, list[Ready]]:
    """Evaluate the claimed jobs `job_ids`; return what is ready to push, grouped for batching."""
    groups: dict[Group, list[Ready]] = defaultdict(list)
    books = load_books(session)
    evaluator = Evaluator(books, tools)
    claimed = session.scalars(
        select(SyncJob).where(SyncJob.id.in_(job_ids)).order_by(SyncJob.id)
    ).all()
    records = _load_records(session, claimed)
    _prime(books, records.values())
    for job in claimed:
        record = records.get((job.entity_type, job.record_id))
        if record is None:
            jobs.drop(session, job, "the record was deleted; nothing to sync")
            continue
        ready = _gate(session, books, evaluator, job, record, clock, wait_delay, report)
        if ready is not None:
            groups[ready[0]].append(ready[1])
    return groups


def _gate(
    session: Session,
    books: Books,
    evaluator: Evaluator,
    job: SyncJob,
    record: Syncable,
    clock: Clock,
    wait_delay: timedelta,
    report: Reporter,
) -> tuple[Group, Ready] | None:
    """Evaluate one job: hold it with its reasons, let it wait on a dependency, or ready it to push."""
    now = clock.utcnow()
    evaluation = evaluator.evaluate(_view(books, record), with_tax=False)
    tenant = evaluation.target.tenant
    job.tenant_id = tenant.id if tenant else None
    label = f"{record.entity_type.label.capitalize()} {record.reference}"
    tenant_name = tenant.name if tenant else "(no tenant)"
    if not evaluation.pushable:
        reasons = [
            reason(f)
            for f in (
                evaluation.blockers()
                or [p.root for p in evaluation.problems if p.status is Status.UNKNOWN]
            )
        ]
        changed = reasons != job.blocked_reasons or job.status != SyncStatus.BLOCKED.value
        holders = [p for p in evaluation.problems if p.status is not Status.OK]
        # Guarded by version: a record edited since it was read is evaluated again, not held.
        jobs.block(session, job, record.version, reasons=reasons, holders=holders, now=now)
        if changed:
            verb = (
                "blocked" if evaluation.readiness is Readiness.BLOCKED else "held (not yet known)"
            )
            details = "; ".join(r["detail"] for r in reasons)
            jobs.event(session, job, "blocked", f"{label} {verb}: {details}")
        report.tally(tenant_name, "blocked")
        report.progress(tenant_name)
        return None
    waiting = [
        p
        for p in evaluation.problems
        if p.status is Status.WAITING and p.rule.startswith("dependency.")
    ]
    if waiting:
        jobs.wait(
            session,
            job,
            record.version,
            reasons=[reason(p) | {"status": "waiting"} for p in waiting],
            holders=waiting,
            until=now + wait_delay,
            now=now,
        )
        for p in waiting:
            jobs.queue_dependency(session, p.subject.type, p.subject.id, now)
        on = ", ".join(str(p.subject) for p in waiting)
        jobs.event(session, job, "waiting", f"{label} is waiting on {on}")
        return None
    assert tenant is not None  # pushable implies a connected tenant
    item = build_push_item(books, record, tenant)
    return (tenant.id, record.entity_type), Ready(
        job.id, record.version, item, job.uncertain, label
    )


def reason(finding: Finding) -> dict[str, Any]:
    """A finding as a blocked job keeps it (JSON): the fix as data, for each face to word."""
    return {
        "id": finding.rule,
        "status": finding.status.value,
        "subject": {
            "type": finding.subject.type,
            "id": finding.subject.id,
            "ref": finding.subject.ref,
        },
        "field": finding.field,
        "detail": finding.detail,
        "fix": plain(finding.fix),
    }


def plain(value: Any) -> Any:
    """Values as JSON-ready data for the store (dataclasses as objects, Decimals and dates as text)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def _view(books: Books, record: Syncable) -> Record:
    if isinstance(record, Document):
        return document_view(record)
    entity = record.entity_type
    table = {EntityType.CLIENT: books.clients, EntityType.SUPPLIER: books.suppliers}.get(
        entity, books.products
    )
    return table[record.id]  # type: ignore[return-value]


def _prime(books: Books, records: Iterable[Syncable]) -> None:
    """Read the clients, suppliers, products and sync states a round will evaluate, in bulk."""
    ids: dict[EntityType, set[int]] = defaultdict(set)
    for record in records:
        ids[record.entity_type].add(record.id)
        if isinstance(record, Document):
            party = EntityType.SUPPLIER if record.supplier_id else EntityType.CLIENT
            ids[party].add(record.client_id or record.supplier_id or 0)
            ids[EntityType.PRODUCT].update(line.product_id for line in record.lines)
    prime(
        books,
        clients=ids[EntityType.CLIENT],
        suppliers=ids[EntityType.SUPPLIER],
        products=ids[EntityType.PRODUCT],
        states=[(entity, i) for entity, found in ids.items() for i in found],
    )


def _load_records(session: Session, claimed: Sequence[SyncJob]) -> dict[tuple[str, int], Syncable]:
    wanted: dict[type[Syncable], list[int]] = defaultdict(list)
    for job in claimed:
        wanted[SYNCABLE_MODELS[EntityType(job.entity_type)]].append(job.record_id)
    found: dict[tuple[str, int], Syncable] = {}
    for model, ids in wanted.items():
        stmt = select(model).where(model.id.in_(ids))  # type: ignore[attr-defined]
        if model is Document:
            stmt = stmt.options(selectinload(Document.lines).selectinload(DocumentLine.product))
        for record in session.scalars(stmt):
            found[(record.entity_type.value, record.id)] = record  # type: ignore[attr-defined]
    return found


__all__ = ["Group", "Ready", "gate_round", "plain", "reason"]
