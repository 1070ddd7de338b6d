"""The doctor: why a record is (not) syncing, and what stands in the way across the whole books."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from booksync.connectors.registry import rule_tools as tools
from booksync.domain.evaluation import Evaluation, Evaluator, readiness_of
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.records import Books, Record
from booksync.domain.rules import holds
from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.fixes import fix_json
from booksync.services.references import find
from booksync.services.rule_docs import docs_url
from booksync.store.books import document_view, iter_document_views, load_books
from booksync.store.models import Client, Document, Product, Supplier

SYNCABLE = [e.value for e in EntityType]
#: Where each record type that is not a document is kept (documents share `Document`, by kind).
MODELS: dict[EntityType, type[Client | Supplier | Product]] = {
    EntityType.CLIENT: Client,
    EntityType.SUPPLIER: Supplier,
    EntityType.PRODUCT: Product,
}


def parse_type(text: str) -> EntityType:
    cleaned = text.strip().lower().replace("-", "_")
    cleaned = cleaned[:-1] if cleaned.endswith("s") and cleaned[:-1] in SYNCABLE else cleaned
    try:
        return EntityType(cleaned)
    except ValueError:
        raise BadInput(
            "type", text, "is not a record type that syncs", ", ".join(SYNCABLE)
        ) from None


def record_view(session: Session, books: Books, entity: EntityType, ref: str) -> Record:
    """The domain view of the record a person named, found as `booksync TYPE show REF` finds it
    (without the service layer's input models, which a read does not need)."""
    if entity.is_document:
        return document_view(find(session, Document, ref, field=entity.value, kind=entity))
    row = find(session, MODELS[entity], ref, field=entity.value)
    if entity is EntityType.CLIENT:
        return books.clients[row.id]
    if entity is EntityType.SUPPLIER:
        return books.suppliers[row.id]
    return books.products[row.id]


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.rule,
        "subject": {"type": f.subject.type, "ref": f.subject.ref},
        "field": f.field,
        "detail": f.detail,
        **fix_json(f.fix),
        "docs": docs_url(f.rule),
    }


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    """The doctor's answer for one record, in the documented `--json` shape."""
    record = ev.record
    checks = []
    for check in ev.checks():
        fix = next((f.fix for f in check.findings if f.fix), None)
        checks.append(
            {
                "id": check.rule.id,
                "ok": check.ok,
                "status": check.status.value,
                "question": check.rule.question,
                "detail": check.detail,
                **fix_json(fix),
                "docs": docs_url(check.rule.id),
            }
        )
    return {
        "record": {"type": record.type.value, "ref": record.subject.ref, "id": record.id},
        "integration": ev.target.integration.kind if ev.target.integration else None,
        "tenant": ev.target.tenant.name if ev.target.tenant else None,
        "ready": ev.ready,
        "status": ev.readiness.value,
        "checks": checks,
        "blockers": [_finding_json(f) for f in ev.blockers()],
        "waiting_on": [{"type": s.type, "ref": s.ref} for s in ev.waiting_on],
        "tax": [
            {
                "line": t.position,
                "product": t.product.ref,
                "rate": t.resolution.rate.name if t.resolution.rate else None,
                "percent": format(t.resolution.rate.percent.normalize(), "f")
                if t.resolution.rate
                else None,
                "level": t.resolution.level.value if t.resolution.level else None,
                "source": (
                    {"type": t.resolution.source.type, "ref": t.resolution.source.ref}
                    if t.resolution.source
                    else None
                ),
                "explanation": t.resolution.describe(),
                "notes": list(t.resolution.notes),
            }
            for t in ev.tax
        ],
    }


def diagnose(session: Session, entity: EntityType | str, ref: str) -> Evaluation:
    """Evaluate one record by its type and reference (name, number, code or id)."""
    entity = entity if isinstance(entity, EntityType) else parse_type(entity)
    books = load_books(session)
    return Evaluator(books, tools()).evaluate(record_view(session, books, entity, ref))


@dataclass
class Cause:
    """One root cause and how many records of each type it blocks (or holds back)."""

    finding: Finding
    counts: Counter[EntityType] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def blocks_text(self) -> str:
        parts = []
        for entity, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0].value)):
            label = entity.label
            parts.append(f"{n} {label}" + ("s" if n != 1 else ""))
        return ", ".join(parts)


@dataclass
class HealthReport:
    counts: Counter[Readiness] = field(default_factory=Counter)
    by_type: dict[EntityType, Counter[Readiness]] = field(default_factory=dict)
    #: Root causes of blocked records, most records first.
    blockers: list[Cause] = field(default_factory=list)
    #: What cannot be checked yet, with the records (blocked ones too) it is the first open
    #: question of, most records first.
    unknowns: list[Cause] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        def cause(c: Cause) -> dict[str, Any]:
            return _finding_json(c.finding) | {
                "status": c.finding.status.value,
                "records": c.total,
                "by_type": {e.value: n for e, n in sorted(c.counts.items())},
                "summary": f"{c.finding.detail} → {'blocks' if c.finding.status is Status.BLOCKED else 'holds back'} {c.blocks_text()}",
            }

        return {
            "total": self.total,
            "ready": self.counts[Readiness.READY],
            "waiting": self.counts[Readiness.WAITING],
            "unknown": self.counts[Readiness.UNKNOWN],
            "blocked": self.counts[Readiness.BLOCKED],
            "by_type": {
                e.value: {r.value: c[r] for r in Readiness} for e, c in sorted(self.by_type.items())
            },
            "blockers": [cause(c) for c in self.blockers],
            "unknowns": [cause(c) for c in self.unknowns],
        }


def health_report(session: Session) -> HealthReport:
    """Every syncable record evaluated once; root causes grouped and ranked by how much they block."""
    books = load_books(session, whole=True)
    evaluator = Evaluator(books, tools())
    report = HealthReport()
    blockers: dict[tuple[str, str, int | None, str | None], Cause] = {}
    unknowns: dict[tuple[str, str, int | None, str | None], Cause] = {}

    tallies: Counter[tuple[EntityType, Readiness]] = Counter()

    def count(causes: dict[tuple[str, str, int | None, str | None], Cause], root: Finding) -> Cause:
        cause = causes.get(root.key)
        if cause is None:  # one Cause per root, not one per record it holds
            cause = causes[root.key] = Cause(root)
        return cause

    def tally(record: Record) -> None:
        problems = evaluator.problems(record)
        blocked = [p for p in problems if p.status is Status.BLOCKED]
        readiness = Readiness.BLOCKED if blocked else readiness_of(problems)
        tallies[(record.type, readiness)] += 1
        if blocked:
            seen = set()
            for p in blocked:
                root = p.root
                if root.key not in seen:
                    seen.add(root.key)
                    count(blockers, root).counts[record.type] += 1
        if blocked or readiness is Readiness.UNKNOWN:
            # A blocked record's open question is shown too: it is the next thing to do for it.
            for p in problems:
                # A question about no record at all ("no tenant is set") is answered by a blocker.
                if p.status is Status.UNKNOWN and holds(p.rule) and p.root.subject.id is not None:
                    count(unknowns, p.root).counts[record.type] += 1
                    break

    for view in books.clients.values():
        tally(view)
    for view in books.suppliers.values():
        tally(view)
    for product in books.products.values():
        tally(product)
    for document in iter_document_views(session):
        tally(document)
    for (entity, readiness), n in tallies.items():
        report.counts[readiness] += n
        report.by_type.setdefault(entity, Counter())[readiness] += n
    report.blockers = sorted(blockers.values(), key=lambda c: (-c.total, c.finding.detail))
    report.unknowns = sorted(unknowns.values(), key=lambda c: (-c.total, c.finding.detail))
    return report
