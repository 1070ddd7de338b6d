"""Each syncable record's sync state, and the counts by state the health page shows.

A record's sync state joins what the doctor says (blocked, waiting, not yet known, ready) with what
its sync job says (failed, synced), so the health page's counts, the lists' filters and the API
agree on one answer. The doctor is the truth about readiness (a job still `pending` before the first
pass may already be blocked by a rule); the job is the truth about what the tool did. What the tool
did with the record afterwards (paid, drifted) is `services.record_tool_states`, beside this.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.registry import rule_tools
from booksync.domain.checklist import readiness_of
from booksync.domain.evaluation import Evaluator
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.records import Books, Record
from booksync.domain.rules import holds
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.books import document_view, iter_document_views, load_books, prime
from booksync.store.models import Document, SyncJob


class SyncState(StrEnum):
    """Where a record stands, in the words of the health page."""

    SYNCED = "synced"
    READY = "ready"
    WAITING = "waiting"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return "not yet known" if self is SyncState.UNKNOWN else self.value


#: Display order: done first, then what will go, then what needs a person.
STATES: tuple[SyncState, ...] = tuple(SyncState)
_FAILED_JOBS = (SyncStatus.FAILED.value, SyncStatus.DEAD.value)


@dataclass(frozen=True)
class RecordState:
    state: SyncState
    #: The tenant the record syncs to, as the doctor resolves it (None: no tenant yet).
    tenant: str | None = None
    #: Keys (`cause_key`) of the root causes holding it, as the health page groups them.
    causes: frozenset[str] = frozenset()


def cause_key(finding: Finding) -> str:
    """A root cause as text for a link: `account_code.matches_tool:account_code:7:code`."""
    root = finding.root
    subject_id = "" if root.subject.id is None else str(root.subject.id)
    return f"{root.rule}:{root.subject.type}:{subject_id}:{root.field or ''}"


def combine(readiness: Readiness, job_status: str | None) -> SyncState:
    """The job's failure first (the tool refused it), then the rules, then the job's success."""
    if job_status in _FAILED_JOBS:
        return SyncState.FAILED
    if readiness is Readiness.BLOCKED:
        return SyncState.BLOCKED
    if job_status == SyncStatus.SYNCED.value:
        return SyncState.SYNCED
    return {
        Readiness.WAITING: SyncState.WAITING,
        Readiness.UNKNOWN: SyncState.UNKNOWN,
    }.get(readiness, SyncState.READY)


def _causes(problems: Sequence[Finding], readiness: Readiness) -> frozenset[str]:
    """The same roots `doctor.health_report` groups: every blocker's root, and the first open
    question of a blocked or not-yet-known record."""
    keys = {cause_key(p) for p in problems if p.status is Status.BLOCKED}
    if readiness in (Readiness.BLOCKED, Readiness.UNKNOWN):
        for p in problems:
            if p.status is Status.UNKNOWN and holds(p.rule) and p.root.subject.id is not None:
                keys.add(cause_key(p))
                break
    return frozenset(keys)


def _views(
    session: Session, books: Books, entity: EntityType, ids: Sequence[int] | None
) -> Iterator[Record]:
    if entity.is_document:
        if ids is None:
            yield from (v for v in iter_document_views(session) if v.type is entity)
        else:
            for doc in session.scalars(select(Document).where(Document.id.in_(ids))):
                yield document_view(doc)
        return
    views: Any = {
        EntityType.CLIENT: books.clients,
        EntityType.SUPPLIER: books.suppliers,
        EntityType.PRODUCT: books.products,
    }[entity]
    if ids is None:
        yield from views.values()
        return
    prime(
        books,
        clients=ids if entity is EntityType.CLIENT else (),
        suppliers=ids if entity is EntityType.SUPPLIER else (),
        products=ids if entity is EntityType.PRODUCT else (),
    )
    for record_id in ids:
        view = views.get(record_id)
        if view is not None:
            yield view


def job_statuses(session: Session, entity: EntityType, ids: Sequence[int] | None) -> dict[int, str]:
    """Record id -> its sync job's status, for `entity` (every record, or only `ids`)."""
    stmt = select(SyncJob.record_id, SyncJob.status).where(SyncJob.entity_type == entity.value)
    if ids is not None:
        stmt = stmt.where(SyncJob.record_id.in_(ids))
    return {record_id: status for record_id, status in session.execute(stmt)}


def record_states(
    session: Session,
    entities: Iterable[EntityType] = tuple(EntityType),
    ids: Sequence[int] | None = None,
) -> dict[tuple[EntityType, int], RecordState]:
    """The sync state of every record of `entities` (or only those `ids`, of one entity)."""
    books = load_books(session, whole=ids is None)
    evaluator = Evaluator(books, rule_tools())
    found: dict[tuple[EntityType, int], RecordState] = {}
    for entity in entities:
        jobs = job_statuses(session, entity, ids)
        for view in _views(session, books, entity, ids):
            problems = evaluator.problems(view)
            blocked = any(p.status is Status.BLOCKED for p in problems)
            readiness = Readiness.BLOCKED if blocked else readiness_of(problems)
            tenant = evaluator.target(view).tenant
            found[(entity, view.id)] = RecordState(
                combine(readiness, jobs.get(view.id)),
                tenant.name if tenant is not None else None,
                _causes(problems, readiness),
            )
    return found


@dataclass
class StateCounts:
    """How many records stand in each state, per record type and per tenant."""

    by_type: dict[EntityType, Counter[SyncState]] = field(default_factory=dict)
    by_tenant: dict[str, Counter[SyncState]] = field(default_factory=dict)

    @property
    def totals(self) -> Counter[SyncState]:
        total: Counter[SyncState] = Counter()
        for counts in self.by_type.values():
            total.update(counts)
        return total


def state_counts(session: Session) -> StateCounts:
    """Every syncable record counted by its sync state (the health page's cards and tables)."""
    counts = StateCounts()
    by_tenant: dict[str, Counter[SyncState]] = defaultdict(Counter)
    for (entity, _), found in record_states(session).items():
        counts.by_type.setdefault(entity, Counter())[found.state] += 1
        by_tenant[found.tenant or "(no tenant)"][found.state] += 1
    counts.by_tenant = dict(sorted(by_tenant.items()))
    return counts


__all__ = [
    "STATES",
    "RecordState",
    "StateCounts",
    "SyncState",
    "cause_key",
    "combine",
    "job_statuses",
    "record_states",
    "state_counts",
]
