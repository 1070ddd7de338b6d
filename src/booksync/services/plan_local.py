"""The store's half of a plan: what the next pass would do with each record, judged as it judges.

Nothing here writes. Each record with an open sync job is evaluated with the engine's own evaluator
and gate (`Evaluation.pushable`, dependency waits, blockers then unknowns as `sync.gating` holds
them) and, if it would be pushed, its push item is built with the engine's `build_push_item`. The
job's state says what the pass does with the rest: a blocked, failed or dead job stays where it is
until a fix or a person releases it; a synced one is left alone. A document the tool already holds
under its number, with the same contact and total, is linked (`domain.matching.linkable`) rather
than created, as `document.number_free` says.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import DocumentPayload, PushItem
from booksync.domain.evaluation import Evaluation, Evaluator
from booksync.domain.findings import Finding, Status
from booksync.domain.matching import linkable
from booksync.domain.records import Books, DocumentView, Record
from booksync.domain.rulebook import Tools
from booksync.domain.types import EntityType, SyncStatus
from booksync.services.fixes import fix_json
from booksync.services.plan_matching import Local
from booksync.services.plan_model import NO_TENANT, Action, RecordPlan
from booksync.services.rule_docs import docs_url
from booksync.store.models import (
    Client,
    Document,
    Product,
    Supplier,
    Syncable,
    SyncJob,
)
from booksync.sync.gating import VOIDED_UNSENT, nothing_to_send, round_records
from booksync.sync.payloads import build_push_item, reference_of

#: Jobs the pass may still do something with, or that hold a record back.
OPEN = (
    SyncStatus.PENDING.value,
    SyncStatus.IN_FLIGHT.value,
    SyncStatus.BLOCKED.value,
    SyncStatus.FAILED.value,
    SyncStatus.DEAD.value,
)
ORDER = {e: n for n, e in enumerate(EntityType)}


@dataclass
class LocalPlan:
    """Every record's draft, with what the tool phase needs to know per tenant."""

    records: list[RecordPlan] = field(default_factory=list)
    #: tenant id -> (record type -> count) of records synced at their current version.
    unchanged: dict[int | None, dict[str, int]] = field(default_factory=dict)
    #: tenant id -> the records not linked yet that a remote contact or item may match.
    unlinked: dict[int, list[Local]] = field(default_factory=dict)
    #: tenant id -> remote ids booksync's records are linked to, as ("contact"|"item", id).
    linked: dict[int, set[tuple[str, str]]] = field(default_factory=dict)


def finding_json(finding: Finding) -> dict[str, Any]:
    """A root cause as the doctor words it: rule id, subject, detail, and the fix in every face's
    terms (`services.fixes`), with the rule's page."""
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
        **fix_json(finding.fix),
        "docs": docs_url(finding.rule),
    }


def holding(evaluation: Evaluation) -> list[Finding]:
    """What holds a record, as the engine's gate keeps it: the blockers, else what is not known."""
    return evaluation.blockers() or [
        p.root for p in evaluation.problems if p.status is Status.UNKNOWN
    ]


def draft(
    session: Session,
    books: Books,
    tools: Tools,
    jobs: Sequence[SyncJob],
) -> LocalPlan:
    """Draft the plan of `jobs` (synced ones are only counted) against `books`."""
    plan = LocalPlan()
    evaluator = Evaluator(books, tools)
    open_jobs = [j for j in jobs if j.status in OPEN]
    for job in jobs:
        if job.status not in OPEN:
            tenant = job.tenant_id if job.tenant_id in books.tenants else None
            counts = plan.unchanged.setdefault(tenant, defaultdict(int))
            counts[job.entity_type] += 1
    records = round_records(session, books, open_jobs)
    for job in open_jobs:
        found = records.get((job.entity_type, job.record_id))
        if found is None:
            continue  # deleted: the pass drops its job, nothing reaches the tool
        record, view = found
        plan.records.append(_draft_one(books, evaluator, job, record, view))
    plan.records.sort(key=lambda r: (ORDER[r.entity], r.ref.casefold(), r.record_id))
    _index_links(session, plan)
    return plan


def _draft_one(
    books: Books,
    evaluator: Evaluator,
    job: SyncJob,
    record: Syncable,
    view: Record,
) -> RecordPlan:
    evaluation = evaluator.evaluate(view, with_tax=False)
    tenant = evaluation.target.tenant
    name = tenant.name if tenant else NO_TENANT
    plan = RecordPlan(
        entity=record.entity_type,
        record_id=record.id,
        ref=_ref(record),
        reference=reference_of(record),
        tenant=name,
        tenant_id=tenant.id if tenant else None,
        action=Action.HOLD,
        job_status=job.status,
        uncertain=bool(job.uncertain),
        remote_id=record.remote_id,
    )
    status = SyncStatus(job.status)
    claimable = status in (SyncStatus.PENDING, SyncStatus.IN_FLIGHT)
    if claimable and isinstance(record, Document) and nothing_to_send(record, job):
        plan.action = Action.NOTHING  # the pass marks it done and writes nothing, as its gate does
        plan.notes.append(f"it {VOIDED_UNSENT}")
        return plan
    if (
        status in (SyncStatus.BLOCKED, SyncStatus.FAILED, SyncStatus.DEAD)
        or not evaluation.pushable
    ):
        plan.reasons = [finding_json(f) for f in holding(evaluation)]
        if status in (SyncStatus.FAILED, SyncStatus.DEAD) and not plan.reasons:
            plan.reasons = [_tool_refusal(job)]
        if not plan.reasons and job.blocked_reasons:
            plan.reasons = list(job.blocked_reasons)
            plan.notes.append(
                "the rules no longer hold it: the next change to what held it releases it, or "
                f"now: booksync sync retry {record.entity_type.value} '{plan.ref}'"
            )
        return plan
    plan.waits_on = [
        str(p.subject)
        for p in evaluation.problems
        if p.status is Status.WAITING and p.rule.startswith("dependency.")
    ]
    if status is SyncStatus.IN_FLIGHT:
        plan.notes.append(
            "a worker is pushing it now; the next pass finds it done or takes it over"
        )
    assert tenant is not None  # pushable implies a connected tenant
    document = view if isinstance(view, DocumentView) else None  # its lines, read as rows
    item = build_push_item(books, record, tenant, view=document)
    plan.item = item
    if item.remote_id is not None:
        plan.action = Action.UPDATE if job.synced_version is not None else Action.LINK
        if plan.action is Action.LINK:
            plan.evidence = "remote ID set in booksync"
        return plan
    adopted = _adoptable(books, view, item)
    if adopted is not None:
        plan.action, plan.remote_id = Action.LINK, adopted
        plan.evidence = "number, contact and total"
        plan.item = dataclasses.replace(item, remote_id=adopted)
        return plan
    plan.action = Action.CREATE
    if plan.uncertain:
        plan.notes.append("its last push went unanswered: the pass looks it up before creating it")
    return plan


def _adoptable(books: Books, view: Record, item: PushItem) -> str | None:
    """The remote id of the tool's document this one is plainly the same as: `linkable` with the
    total the payload carries, as the engine's gate asks it."""
    payload = item.payload
    if not isinstance(view, DocumentView) or not isinstance(payload, DocumentPayload):
        return None
    found = linkable(view, books.party(view), payload.total)
    return found.remote_id if found is not None else None


def _tool_refusal(job: SyncJob) -> dict[str, Any]:
    return {
        "id": "tool.accepted",
        "status": "blocked",
        "subject": {"type": job.entity_type, "id": job.record_id, "ref": None},
        "field": None,
        "detail": job.last_error or "the tool refused the last push",
        "fix": job.error_fix or f"booksync sync retry {job.entity_type} '#{job.record_id}'",
        "fix_page": None,
        "remedy": None,
        "docs": docs_url("tool.accepted"),
    }


def _ref(record: Syncable) -> str:
    if isinstance(record, Document):
        return record.number
    assert isinstance(record, Client | Supplier | Product)
    return record.name


def count_unchanged(session: Session) -> dict[int | None, dict[str, int]]:
    """tenant id -> record type -> how many records are synced at their current version (counted
    in the database, not loaded: most of a book is)."""
    counts: dict[int | None, dict[str, int]] = {}
    rows = session.execute(
        select(SyncJob.tenant_id, SyncJob.entity_type, func.count())
        .where(SyncJob.status.not_in(OPEN))
        .group_by(SyncJob.tenant_id, SyncJob.entity_type)
    )
    for tenant_id, entity, n in rows:
        counts.setdefault(tenant_id, {})[entity] = n
    return counts


def _index_links(session: Session, plan: LocalPlan) -> None:
    """Per tenant: the remote ids booksync's records already use, and the unlinked clients,
    suppliers and products a remote contact or item may match: those the pass would create, or
    holds (but not those excluded from accounting, which never reach the tool)."""
    for model, kind in ((Client, "contact"), (Supplier, "contact"), (Product, "item")):
        rows = session.execute(
            select(model.tenant_id, model.remote_id).where(
                model.remote_id.is_not(None), model.tenant_id.is_not(None)
            )
        )
        for tenant_id, remote_id in rows:
            if tenant_id is not None and remote_id:
                plan.linked.setdefault(tenant_id, set()).add((kind, remote_id))
    for r in plan.records:
        if r.entity.is_document or r.remote_id or r.tenant_id is None:
            continue
        if r.action not in (Action.CREATE, Action.HOLD):
            continue
        if any(x.get("id") == "record.not_excluded" for x in r.reasons):
            continue
        plan.unlinked.setdefault(r.tenant_id, []).append(
            Local(r.entity, r.record_id, r.ref, r.reference)
        )


__all__ = ["LocalPlan", "count_unchanged", "draft", "finding_json", "holding"]
