"""Record lists that answer "what is stuck?": each syncable record's sync state, and lists searched,
filtered by that state (or by the root cause holding the record), sorted and paged.

A record's sync state joins what the doctor says (blocked, waiting, not yet known, ready) with what
its sync job says (failed, synced), so the health page's counts, the lists' filters and the API
agree on one answer. The doctor is the truth about readiness (a job still `pending` before the first
pass may already be blocked by a rule); the job is the truth about what the tool did.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from booksync.connectors.registry import rule_tools
from booksync.domain.checklist import readiness_of
from booksync.domain.evaluation import Evaluator
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.records import Books, Record
from booksync.domain.rules import holds
from booksync.domain.types import SUPPLIER_DOCUMENTS, EntityType, SyncStatus
from booksync.services.errors import BadInput, BooksyncError, one_of
from booksync.services.references import search_filter
from booksync.services.sync import retry
from booksync.services.text import check_text
from booksync.store.books import document_view, iter_document_views, load_books, prime
from booksync.store.models import Client, Document, ItemGroup, Product, Supplier, SyncJob, Tenant


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
PAGE_SIZES = (10, 25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 25
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


def _job_statuses(
    session: Session, entity: EntityType, ids: Sequence[int] | None
) -> dict[int, str]:
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
        jobs = _job_statuses(session, entity, ids)
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


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """What a person asked of a list. `sort` is a column key, `-key` for descending."""

    search: str = ""
    sync_state: SyncState | None = None
    cause: str | None = None
    sort: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def _positive(name: str, text: str | int | None, default: int, strict: bool) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if value < 1:
        if strict:
            raise BadInput(name, text, "is not a whole number of 1 or more", "1, 2, 3, ...")
        return default
    return value


def parse_list_query(
    entity: EntityType | None,
    *,
    search: str | None = None,
    sync_state: str | None = None,
    cause: str | None = None,
    sort: str | None = None,
    page: str | int | None = None,
    page_size: str | int | None = None,
    strict: bool = True,
) -> ListQuery:
    """A list's query from a face's parameters. `strict` (the API) refuses a bad value naming it;
    otherwise (the web, where a typed URL should still show a page) it falls back to the default
    and a page number out of range is clamped by `list_records`."""
    state: SyncState | None = None
    if sync_state:
        named = sync_state.strip().lower().replace(" ", "_").replace("-", "_")
        named = "unknown" if named == "not_yet_known" else named  # as the health page says it
        try:
            state = SyncState(named)
        except ValueError:
            if strict:
                raise BadInput(
                    "sync_state", sync_state, "is not a sync state", one_of(STATES)
                ) from None
    order = (sort or "").strip()
    keys = sort_keys(entity) if entity is not None else []
    if order and order.removeprefix("-") not in keys:
        if strict:
            raise BadInput("sort", order, "is not a sortable column", one_of(keys))
        order = ""
    size = _positive("page_size", page_size, DEFAULT_PAGE_SIZE, strict)
    if size not in PAGE_SIZES:
        if strict:
            raise BadInput(
                "page_size", page_size, "is not a page size", one_of(map(str, PAGE_SIZES))
            )
        size = min(PAGE_SIZES, key=lambda s: abs(s - size))
    text = (search or "").strip()
    if text:
        check_text("search", text)
    return ListQuery(
        search=text,
        sync_state=state,
        cause=(cause or "").strip() or None,
        sort=order,
        page=_positive("page", page, 1, strict),
        page_size=size,
    )


def _party_model(entity: EntityType) -> type[Client] | type[Supplier]:
    return Supplier if entity in SUPPLIER_DOCUMENTS or entity is EntityType.SUPPLIER else Client


def _columns(entity: EntityType) -> tuple[type[Any], dict[str, Any], list[Any], Select[Any]]:
    """The model, its sortable columns, its search columns, and the base id query with the
    joins those need."""
    if entity.is_document:
        party = aliased(_party_model(entity))
        on = Document.supplier_id if entity in SUPPLIER_DOCUMENTS else Document.client_id
        stmt = (
            select(Document.id)
            .outerjoin(party, party.id == on)
            .where(Document.kind == entity.value)
        )
        name = "supplier" if entity in SUPPLIER_DOCUMENTS else "client"
        sorts = {
            "number": Document.number,
            name: party.name,
            "issue_date": Document.issue_date,
            "due_date": Document.due_date,
            "status": Document.status,
            "currency": Document.currency,
            "remote_id": Document.remote_id,
        }
        return Document, sorts, [Document.number, party.name, Document.reference_text], stmt
    model: Any = {
        EntityType.CLIENT: Client,
        EntityType.SUPPLIER: Supplier,
        EntityType.PRODUCT: Product,
    }[entity]
    tenant = aliased(Tenant)
    stmt = select(model.id).outerjoin(tenant, tenant.id == model.tenant_id)
    sorts = {"name": model.name, "tenant": tenant.name, "remote_id": model.remote_id}
    search = [model.name, model.remote_id]
    if model is Product:
        group = aliased(ItemGroup)
        stmt = stmt.outerjoin(group, group.id == Product.item_group_id)
        sorts |= {"code": Product.code, "price": Product.price, "item_group": group.name}
        search.append(Product.code)
    else:
        sorts["email"] = model.email
        search.append(model.email)
    sorts["exclude_from_accounting"] = model.exclude_from_accounting
    return model, sorts, search, stmt


def sort_keys(entity: EntityType) -> list[str]:
    """The columns a list of `entity` sorts by (plus its sync state)."""
    return [*_columns(entity)[1], "sync_state"]


@dataclass
class RecordList:
    """One page of a list: the records with their sync state, and where the page is."""

    query: ListQuery
    rows: list[tuple[Any, RecordState | None]]
    total: int
    page: int
    pages: int


def list_records(
    session: Session,
    entity: EntityType,
    query: ListQuery,
    *,
    filters: Mapping[str, Any] | None = None,
    key_search: str | None = None,
    offset: int | None = None,
) -> RecordList:
    """One page of `entity` records matching `query`, each with its sync state.

    For the API's older parameters: `filters` (exact values of the record's attributes, as
    `RecordType.list` takes them) and `key_search` (its natural keys, as `RecordType.list`
    searches) narrow the list too, and `offset` starts the page there instead of at `query.page`
    (not clamped: past the end is an empty page)."""
    model, sorts, search, stmt = _columns(entity)
    for attr, value in (filters or {}).items():
        stmt = stmt.where(getattr(model, attr) == value)
    if key_search:
        stmt = stmt.where(search_filter(model, key_search))
    if query.search:
        pattern = f"%{query.search.lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(pattern) for c in search)))
    key = query.sort_key
    if key in sorts:
        column = sorts[key]
        stmt = stmt.order_by(column.desc() if query.descending else column.asc(), model.id)
    else:
        stmt = stmt.order_by(model.id)  # by sync state: ordered below, ties by id
    whole = query.sync_state is not None or query.cause is not None or key == "sync_state"
    size = query.page_size
    states: dict[tuple[EntityType, int], RecordState]
    if whole:
        ids = list(session.scalars(stmt))
        states = record_states(session, (entity,))
        if query.sync_state is not None:
            ids = [
                i
                for i in ids
                if (entity, i) in states and states[(entity, i)].state is query.sync_state
            ]
        if query.cause is not None:
            ids = [
                i
                for i in ids
                if (entity, i) in states and query.cause in states[(entity, i)].causes
            ]
        if key == "sync_state":
            rank = {state: n for n, state in enumerate(STATES)}
            sign = -1 if query.descending else 1  # ties keep the order by id either way

            def by_state(i: int) -> int:
                found = states.get((entity, i))
                return sign * (rank[found.state] if found is not None else -1)

            ids.sort(key=by_state)
        total = len(ids)
        pages = max(math.ceil(total / size), 1)
        page, start = _window(query.page, pages, size, offset)
        page_ids = ids[start : start + size]
    else:
        total = (
            session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        )
        pages = max(math.ceil(total / size), 1)
        page, start = _window(query.page, pages, size, offset)
        page_ids = list(session.scalars(stmt.limit(size).offset(start)))
        states = record_states(session, (entity,), page_ids) if page_ids else {}
    objects = {o.id: o for o in session.scalars(select(model).where(model.id.in_(page_ids)))}
    rows = [(objects[i], states.get((entity, i))) for i in page_ids if i in objects]
    return RecordList(query, rows, total, page, pages)


def _window(page: int, pages: int, size: int, offset: int | None) -> tuple[int, int]:
    """(page number, index of its first record): by `offset` when given, else the page asked,
    clamped to the last."""
    if offset is not None:
        return offset // size + 1, offset
    page = min(page, pages)
    return page, (page - 1) * size


# -- bulk actions --------------------------------------------------------------------------------


@dataclass
class Bulk:
    """What a bulk action did: the records queued, and those left alone with why."""

    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def queue_records(
    session: Session, entity: EntityType, ids: Iterable[int], *, skip_synced: bool = False
) -> Bulk:
    """Queue the chosen records' jobs again, now, with a fresh count of attempts (`sync.retry`
    for each); `skip_synced` leaves alone those whose job already synced their current version."""
    result = Bulk()
    chosen = sorted(set(ids))
    synced = {
        record_id
        for record_id, status in _job_statuses(session, entity, chosen).items()
        if status == SyncStatus.SYNCED.value
    }
    for record_id in chosen:
        if skip_synced and record_id in synced:
            result.skipped.append(f"#{record_id}: already synced")
            continue
        try:
            job = retry(session, entity, f"#{record_id}")
        except BooksyncError as exc:
            result.skipped.append(f"#{record_id}: {exc}")
            continue
        result.queued.append(str(job.record_id))
    return result


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "PAGE_SIZES",
    "STATES",
    "Bulk",
    "ListQuery",
    "RecordList",
    "RecordState",
    "StateCounts",
    "SyncState",
    "cause_key",
    "combine",
    "list_records",
    "parse_list_query",
    "queue_records",
    "record_states",
    "sort_keys",
    "state_counts",
]
