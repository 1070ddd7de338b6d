"""Gating one round of claimed jobs with the rules: hold, let wait, or ready to push.

A round reads one snapshot of the books (only the rows its records need, in bulk) and evaluates
every claimed job against it, as the doctor would. A job the rules hold is blocked with its reasons;
one whose client, supplier or product must sync first waits for it (and makes sure that dependency
is queued); the rest become `Ready` push items, grouped per tenant and record type. Two documents
never reach the tool as a create: one voided before it was ever sent (nothing to write: synced as
it stands), and one the tool already has under its number with the same contact and total (linked
to it, and pushed as an update of it).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booksync.clock import Clock
from booksync.connectors.protocol import DocumentPayload, PushItem
from booksync.domain.evaluation import Evaluator
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.matching import linkable
from booksync.domain.records import Books, DocumentView, LineView, Record, RemoteDocumentView
from booksync.domain.rulebook import Tools
from booksync.domain.totals import TaxRounding
from booksync.domain.types import DocumentStatus, EntityType, SyncStatus
from booksync.store.books import document_view, load_books, prime
from booksync.store.bulk import among, chunked
from booksync.store.document_views import (
    REMOTE_COLUMNS,
    priced_lines,
    remote_view,
    tool_states,
)
from booksync.store.models import (
    SYNCABLE_MODELS,
    Client,
    Document,
    RemoteDocument,
    Supplier,
    Syncable,
    SyncJob,
)
from booksync.sync import jobs
from booksync.sync.payloads import build_push_item, tax_rounding
from booksync.sync.report import Reporter
from booksync.sync.verdicts import Verdicts

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


@dataclass(frozen=True)
class Gated:
    """What a round decided: the jobs ready to push, grouped for batching, and the dependencies
    (record type -> ids) it let jobs wait on, for the engine to wake them once it has committed
    should one have synced meanwhile (`jobs.wake_waiting`)."""

    groups: dict[Group, list[Ready]]
    waits_on: dict[str, set[int]]


def gate_round(
    session: Session,
    claimed: Sequence[SyncJob],
    *,
    clock: Clock,
    wait_delay: timedelta,
    tools: Tools,
    report: Reporter,
) -> Gated:
    """Evaluate the `claimed` jobs; return what is ready to push, grouped for batching.

    The jobs are the claim's own objects, as it left them (claimed, locked, its token bumped),
    taken into `session` without reading them again: every verdict is written guarded by the
    record version and the claim token they carry, so a job taken over since is left alone.
    The rules run in memory over one bulk read of the round; the jobs they hold or let wait are
    written at the end in a few statements (`verdicts.py`), not a handful per job."""
    groups: dict[Group, list[Ready]] = defaultdict(list)
    books = load_books(session)
    evaluator = Evaluator(books, tools)
    claimed = sorted(claimed, key=_job_id)
    session.add_all(claimed)  # detached by the claim's commit: attached, not read again
    records = round_records(session, books, claimed)
    verdicts = Verdicts()
    rounding: dict[int, TaxRounding] = {}
    for job in claimed:
        found = records.get((job.entity_type, job.record_id))
        if found is None:
            jobs.drop(session, job, "the record was deleted; nothing to sync")
            continue
        record, view = found
        ready = _gate(
            session, books, evaluator, verdicts, rounding, job, record, view, clock, wait_delay,
            report,
        )  # fmt: skip
        if ready is not None:
            groups[ready[0]].append(ready[1])
    verdicts.write(session, clock.utcnow())
    return Gated(groups, dict(verdicts.dependencies))


def _gate(
    session: Session,
    books: Books,
    evaluator: Evaluator,
    verdicts: Verdicts,
    rounding: dict[int, TaxRounding],
    job: SyncJob,
    record: Syncable,
    view: Record,
    clock: Clock,
    wait_delay: timedelta,
    report: Reporter,
) -> tuple[Group, Ready] | None:
    """Evaluate one job: hold it with its reasons, let it wait on a dependency, or ready it to push."""
    now = clock.utcnow()
    evaluation = evaluator.evaluate(view, with_tax=False)
    tenant = evaluation.target.tenant
    verdicts.tenant(job, tenant.id if tenant else None)
    label = f"{record.entity_type.label.capitalize()} {record.reference}"
    tenant_name = tenant.name if tenant else "(no tenant)"
    if isinstance(record, Document) and nothing_to_send(record, job):
        # Whatever the rules would say: nothing is written, so nothing can be wrong in the tool.
        jobs.skip(session, job, record.version, now=now)
        jobs.event(session, job, "skipped", f"{label} {VOIDED_UNSENT}")
        report.tally(tenant_name, "synced")
        report.progress(tenant_name)
        return None
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
        verdicts.block(job, record.version, reasons=reasons, holders=holders, now=now)
        if changed:
            verb = (
                "blocked" if evaluation.readiness is Readiness.BLOCKED else "held (not yet known)"
            )
            details = "; ".join(r["detail"] for r in reasons)
            verdicts.event(job, "blocked", f"{label} {verb}: {details}")
        report.tally(tenant_name, "blocked")
        report.progress(tenant_name)
        return None
    waiting = [
        p
        for p in evaluation.problems
        if p.status is Status.WAITING and p.rule.startswith("dependency.")
    ]
    if waiting:
        verdicts.wait(
            job,
            record.version,
            reasons=[reason(p) | {"status": "waiting"} for p in waiting],
            holders=waiting,
            until=now + wait_delay,
            now=now,
        )
        for p in waiting:
            verdicts.queue_dependency(p.subject.type, p.subject.id)
        on = ", ".join(str(p.subject) for p in waiting)
        verdicts.event(job, "waiting", f"{label} is waiting on {on}")
        return None
    assert tenant is not None  # pushable implies a connected tenant
    if tenant.integration_id not in rounding:
        rounding[tenant.integration_id] = tax_rounding(books, tenant)
    document = view if isinstance(view, DocumentView) else None
    item = build_push_item(
        books, record, tenant, rounding=rounding[tenant.integration_id], view=document
    )
    if isinstance(view, DocumentView) and item.remote_id is None:
        item = _link(session, books, job, view, item, label)
    return (tenant.id, record.entity_type), Ready(
        job.id, record.version, item, job.uncertain, label
    )


#: What a voided document's timeline says when it was never sent.
VOIDED_UNSENT = "was voided before it was sent: nothing to write to the tool"


def nothing_to_send(record: Document, job: SyncJob) -> bool:
    """A document voided before it ever reached the tool: the tools refuse to create a voided
    document, and there is nothing in them to void. (One whose push may have landed unanswered is
    still sent: the lookup before it finds what to void.)"""
    return (
        record.status == DocumentStatus.VOIDED.value
        and record.remote_id is None
        and not job.uncertain
    )


def _link(
    session: Session, books: Books, job: SyncJob, view: DocumentView, item: PushItem, label: str
) -> PushItem:
    """A document the tool already has under its number, with the same contact and total, is
    linked (adopted) and pushed as an update of it, never created a second time; any other
    document under that number is `document.number_free`'s to hold."""
    total = item.payload.total if isinstance(item.payload, DocumentPayload) else None
    match = linkable(view, books.party(view), total)
    if match is None:
        return item
    jobs.set_remote_ids(session, item.entity, [(item.record_id, match.remote_id)])
    jobs.event(
        session,
        job,
        "matched",
        f"{label} is in the tool already as {match.remote_id} (same number, contact and "
        "total): linked to it, and updating it instead of creating another",
    )
    return dataclasses.replace(item, remote_id=match.remote_id)


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


def round_records(
    session: Session, books: Books, job_list: Sequence[SyncJob]
) -> dict[tuple[str, int], tuple[Syncable, Record]]:
    """The records of `job_list` with the views the rules read, in bulk: one query per record type,
    the clients, suppliers, products and sync states they use primed into `books`, and what the
    tools hold under the unsent documents' numbers. The engine's gate and the sync plan both read
    a round this way, so the plan sees what the pass will see."""
    records = _load_records(session, job_list)
    # The documents' lines as rows: the rules and the payloads read the views, not ORM lines.
    lines = priced_lines(session, [r.id for r in records.values() if isinstance(r, Document)])
    _prime(books, records.values(), lines)
    matches = _remote_matches(session, records.values())
    states = tool_states(session, records.values())  # document.editable_in_tool
    return {
        key: (record, _view(books, record, matches.get(record.id, ()), states, lines))
        for key, record in records.items()
    }


def _view(
    books: Books,
    record: Syncable,
    matches: tuple[RemoteDocumentView, ...],
    states: dict[int, str],
    lines: dict[int, tuple[LineView, ...]],
) -> Record:
    if isinstance(record, Document):
        return document_view(record, matches=matches, states=states, lines=lines.get(record.id, ()))
    entity = record.entity_type
    table = {EntityType.CLIENT: books.clients, EntityType.SUPPLIER: books.suppliers}.get(
        entity, books.products
    )
    return table[record.id]  # type: ignore[return-value]


def _prime(
    books: Books, records: Iterable[Syncable], lines: dict[int, tuple[LineView, ...]]
) -> None:
    """Read the clients, suppliers, products and sync states a round will evaluate, in bulk."""
    ids: dict[EntityType, set[int]] = defaultdict(set)
    for record in records:
        ids[record.entity_type].add(record.id)
        if isinstance(record, Document):
            party = EntityType.SUPPLIER if record.supplier_id else EntityType.CLIENT
            ids[party].add(record.client_id or record.supplier_id or 0)
            ids[EntityType.PRODUCT].update(line.product_id for line in lines.get(record.id, ()))
    prime(
        books,
        clients=ids[EntityType.CLIENT],
        suppliers=ids[EntityType.SUPPLIER],
        products=ids[EntityType.PRODUCT],
        states=[(entity, i) for entity, found in ids.items() for i in found],
    )
    # Then the tenants they name (with what each one's tool reported) and the account codes the
    # products and item groups post to: of a thousand tenants, a round reads its own.
    parties = [books.clients.get(i) for i in ids[EntityType.CLIENT]]
    parties += [books.suppliers.get(i) for i in ids[EntityType.SUPPLIER]]
    products = [books.products.get(i) for i in ids[EntityType.PRODUCT]]
    groups = books.item_groups.values()
    prime(
        books,
        tenants={r.tenant_id for r in (*parties, *products) if r is not None},
        account_codes={
            *(
                a
                for p in products
                if p is not None
                for a in (p.income_account_id, p.expense_account_id)
            ),
            *(a for g in groups for a in (g.income_account_id, g.expense_account_id)),
        },
    )


def _remote_matches(
    session: Session, records: Iterable[Syncable]
) -> dict[int, tuple[RemoteDocumentView, ...]]:
    """What the tools hold under the numbers of the round's unsent documents, in one read: document
    id -> the documents of its party's tenant under its kind and number (`document.number_free`)."""
    unsent = [r for r in records if isinstance(r, Document) and r.remote_id is None]
    if not unsent:
        return {}
    numbers = sorted({d.number for d in unsent})
    held: dict[tuple[int | None, str, str], list[RemoteDocumentView]] = defaultdict(list)
    for part in chunked(numbers):
        for row in session.execute(
            select(RemoteDocument.tenant_id, RemoteDocument.entity, *REMOTE_COLUMNS).where(
                RemoteDocument.entity.in_({d.kind for d in unsent}),
                among(session, RemoteDocument.number, part, Text()),
            )
        ):
            view = remote_view(row[2:])
            held[(row.tenant_id, row.entity, view.number)].append(view)
    found: dict[int, tuple[RemoteDocumentView, ...]] = {}
    for document in unsent:
        party = document.party
        tenant = party.tenant_id if party is not None else None
        views = held.get((tenant, document.kind, document.number))
        found[document.id] = tuple(sorted(views, key=_remote_id)) if views else ()
    return found


def _job_id(job: SyncJob) -> int:
    return job.id


def _remote_id(view: RemoteDocumentView) -> str:
    return view.remote_id


def _load_records(session: Session, claimed: Sequence[SyncJob]) -> dict[tuple[str, int], Syncable]:
    wanted: dict[type[Syncable], list[int]] = defaultdict(list)
    for job in claimed:
        wanted[SYNCABLE_MODELS[EntityType(job.entity_type)]].append(job.record_id)
    found: dict[tuple[str, int], Syncable] = {}
    for model, ids in wanted.items():
        for chunk in chunked(ids):  # a plan reads the whole book: bound each IN list
            stmt = select(model).where(among(session, model.id, chunk))  # type: ignore[attr-defined]
            for record in session.scalars(stmt):
                found[(record.entity_type.value, record.id)] = record  # type: ignore[attr-defined]
    _attach_parties(session, [r for r in found.values() if isinstance(r, Document)])
    # The invoices credit notes credit, in one read: their remote ids go in the payloads.
    credited = {
        r.credited_document_id
        for r in found.values()
        if isinstance(r, Document) and r.credited_document_id is not None
    }
    if credited:
        session.scalars(select(Document).where(among(session, Document.id, credited))).all()
    return found


def _attach_parties(session: Session, documents: Sequence[Document]) -> None:
    """Each document's client or supplier, read in one query per type and set on it: the payload
    reads their stored fields. (`selectinload` costs twice the documents' own read doing the same,
    its loader run for each document.)"""
    wanted: list[tuple[Any, str, set[int]]] = [
        (Client, "client", {d.client_id for d in documents if d.client_id is not None}),
        (Supplier, "supplier", {d.supplier_id for d in documents if d.supplier_id is not None}),
    ]
    for model, key, ids in wanted:
        parties: dict[int, Any] = {}
        for part in chunked(sorted(ids)):
            rows = session.scalars(select(model).where(among(session, model.id, part)))
            parties.update((p.id, p) for p in rows)
        for document in documents:
            set_committed_value(document, key, parties.get(getattr(document, f"{key}_id")))


__all__ = ["Gated", "Group", "Ready", "gate_round", "plain", "reason"]
