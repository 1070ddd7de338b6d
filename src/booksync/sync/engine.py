"""The engine: gates each sync job with the rules, pushes dependencies first, in batches, at the
tool's pace, and records every outcome so that nothing is pushed twice and nothing is lost.

A pass claims due jobs (clients, suppliers and products before documents), evaluates them against
one snapshot of the books, and pushes what is ready in batches per tenant and record type. Each
batch's attempt is committed before the call and its results right after, so a worker killed at any
point leaves jobs that the next worker finishes: a push whose answer was lost is looked up by
reference before anything is created again, and the idempotency key (record + version) makes the
tool replay rather than repeat a write.
"""

from __future__ import annotations

import dataclasses
import os
import random
import socket
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from booksync.connectors.protocol import (
    AuthError,
    Connector,
    ConnectorError,
    Outcome,
    OutcomeUnknown,
    PushItem,
    PushResult,
    TransientError,
)
from booksync.domain.evaluation import Evaluator
from booksync.domain.findings import Readiness, Status
from booksync.domain.records import Books, DocumentView, Record, TenantView
from booksync.domain.types import EntityType, SyncStatus
from booksync.services.books import document_view, load_books, prime
from booksync.store.db import Store
from booksync.store.models import (
    SYNCABLE_MODELS,
    Document,
    DocumentLine,
    Syncable,
    SyncJob,
    Tenant,
)
from booksync.sync import jobs
from booksync.sync.pacing import Backoff, Clock, Pacer
from booksync.sync.payloads import build_push_item

ConnectorFactory = Callable[[Tenant], Connector]


@dataclass(frozen=True)
class Notice:
    """A message for the person watching: successes (when asked for) and every error, with its fix."""

    level: str  # success | error | info
    text: str
    fix: str | None = None


@dataclass
class PassResult:
    """What one pass did, per tenant name: synced, waiting, blocked, failed (rejected or dead)."""

    tally: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    calls: int = 0
    notices: list[Notice] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.tally.values())

    @property
    def handled(self) -> int:
        return sum(sum(c.values()) for c in self.tally.values())


@dataclass
class _Ready:
    job_id: int
    version: int
    item: PushItem
    uncertain: bool
    label: str


Progress = Callable[[str, int], None]


class Engine:
    def __init__(
        self,
        store: Store,
        connectors: ConnectorFactory,
        *,
        worker: str | None = None,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        claim_limit: int = 600,  # a multiple of every tool's batch size (50, 30, 200)
        lease: timedelta = timedelta(minutes=5),
        wait_delay: timedelta = timedelta(seconds=60),
        rng: random.Random | None = None,
        on_progress: Progress | None = None,
        on_notice: Callable[[Notice], None] | None = None,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock or Clock()
        self.pacer = Pacer(self.clock)
        self.backoff = backoff or Backoff()
        self.claim_limit = claim_limit
        self.lease = lease
        self.wait_delay = wait_delay
        self.rng = rng or random.Random()
        self.on_progress = on_progress
        self.on_notice = on_notice
        self._open: dict[int, Connector] = {}

    # -- driving --------------------------------------------------------------------------------------

    def run_pass(self, *, max_wait: float = 0.0) -> PassResult:
        """Work until no job is due; wait (up to `max_wait` s at a time) for backoffs and Retry-After."""
        result = PassResult()
        while True:
            with self.store.session() as session:
                claimed = [
                    j.id
                    for j in jobs.claim(
                        session,
                        self.worker,
                        limit=self.claim_limit,
                        now=self.clock.utcnow(),
                        lease=self.lease,
                    )
                ]
            if claimed:
                self._process(claimed, result)
                continue
            with self.store.session() as session:
                wait = jobs.next_due_in(session, self.clock.utcnow(), self.lease)
            if wait is None or wait > max_wait:
                return result
            self.clock.sleep(wait)

    def run_forever(self, stop: threading.Event, *, poll: float = 0.5) -> None:
        """The worker loop: a pass whenever something is due, checking for new changes every `poll` s."""
        while not stop.is_set():
            result = self.run_pass()
            if not result.handled:
                stop.wait(poll)

    def close(self) -> None:
        for connector in self._open.values():
            connector.close()
        self._open.clear()

    def _connector(self, tenant: Tenant) -> Connector:
        if tenant.id not in self._open:
            self._open[tenant.id] = self.connectors(tenant)
        return self._open[tenant.id]

    # -- one round: evaluate, then push -----------------------------------------------------------------

    def _process(self, job_ids: Sequence[int], result: PassResult) -> None:
        groups: dict[tuple[int, EntityType], list[_Ready]] = defaultdict(list)
        with self.store.session() as session:
            books = load_books(session)
            evaluator = Evaluator(books)
            claimed = session.scalars(
                select(SyncJob).where(SyncJob.id.in_(job_ids)).order_by(SyncJob.id)
            ).all()
            records = _load_records(session, claimed)
            _prime(books, records.values())
            for job in claimed:
                record = records.get((job.entity_type, job.record_id))
                if record is None:
                    jobs.event(session, job, "deleted", "the record was deleted; nothing to sync")
                    session.delete(job)
                    continue
                ready = self._gate(session, books, evaluator, job, record, result)
                if ready is not None:
                    groups[ready[0]].append(ready[1])
        refused: set[int] = set()
        for (tenant_id, entity), batch in groups.items():
            if tenant_id in refused:
                self._requeue(batch)  # the rules will hold these until the tenant is reconnected
            elif not self._push_group(tenant_id, entity, batch, result):
                refused.add(tenant_id)

    def _gate(
        self,
        session: Session,
        books: Books,
        evaluator: Evaluator,
        job: SyncJob,
        record: Syncable,
        result: PassResult,
    ) -> tuple[tuple[int, EntityType], _Ready] | None:
        """Evaluate one job: hold it with its reasons, let it wait on a dependency, or ready it to push."""
        now = self.clock.utcnow()
        view = _view(books, record)
        evaluation = evaluator.evaluate(view, with_tax=False)
        tenant = evaluation.target.tenant
        job.tenant_id = tenant.id if tenant else None
        label = f"{record.entity_type.label.capitalize()} {record.reference}"
        tenant_name = tenant.name if tenant else "(no tenant)"
        if not evaluation.pushable:
            reasons = [
                _reason(f)
                for f in (
                    evaluation.blockers()
                    or [p.root for p in evaluation.problems if p.status is Status.UNKNOWN]
                )
            ]
            changed = reasons != job.blocked_reasons or job.status != SyncStatus.BLOCKED.value
            # Guarded by version: a record edited since it was read is evaluated again, not held.
            jobs.finish(
                session,
                job,
                record.version,
                {"status": SyncStatus.BLOCKED.value, "blocked_reasons": reasons, "updated_at": now},
            )
            jobs.set_blockers(
                session, job, [p for p in evaluation.problems if p.status is not Status.OK]
            )
            if changed:
                verb = (
                    "blocked"
                    if evaluation.readiness is Readiness.BLOCKED
                    else "held (not yet known)"
                )
                jobs.event(
                    session,
                    job,
                    "blocked",
                    f"{label} {verb}: " + "; ".join(r["detail"] for r in reasons),
                )
            result.tally[tenant_name]["blocked"] += 1
            self._progress(tenant_name)
            return None
        waiting = [
            p
            for p in evaluation.problems
            if p.status is Status.WAITING and p.rule.startswith("dependency.")
        ]
        if waiting:
            jobs.finish(
                session,
                job,
                record.version,
                {
                    "status": SyncStatus.PENDING.value,
                    "next_attempt_at": now + self.wait_delay,
                    "blocked_reasons": [_reason(p) | {"status": "waiting"} for p in waiting],
                    "updated_at": now,
                },
            )
            jobs.set_blockers(session, job, waiting)
            for p in waiting:
                _ensure_due(session, p.subject.type, p.subject.id, now)
            jobs.event(
                session,
                job,
                "waiting",
                f"{label} is waiting on " + ", ".join(str(p.subject) for p in waiting),
            )
            return None
        assert tenant is not None  # pushable implies a connected tenant
        item = build_push_item(books, record, tenant)
        return (tenant.id, record.entity_type), _Ready(
            job.id, record.version, item, job.uncertain, label
        )

    def _requeue(self, batch: list[_Ready]) -> None:
        with self.store.session() as session:
            for ready in batch:
                job = session.get(SyncJob, ready.job_id)
                if job is not None:
                    jobs.finish(session, job, ready.version, {"status": SyncStatus.PENDING.value})

    def _push_group(
        self, tenant_id: int, entity: EntityType, batch: list[_Ready], result: PassResult
    ) -> bool:
        """Push one tenant's records of one type, batch by batch; False if the tenant refused us."""
        with self.store.session() as session:
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            connector = self._connector(tenant)
            tenant_name, remote_tenant = tenant.name, tenant.remote_tenant_id
            tool = tenant.integration.kind
            show_success = tenant.integration.show_success_messages
        size = connector.limits.batch_for(entity)
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            self.pacer.wait(f"{tool}:{remote_tenant}", connector.limits.calls_per_minute)
            with self.store.session() as session:
                # The attempt is on record before the call: a crash from here on is "outcome unknown".
                session.execute(
                    update(SyncJob)
                    .where(SyncJob.id.in_([r.job_id for r in chunk]))
                    .values(attempts=SyncJob.attempts + 1)
                )
                # Heartbeat: every job this worker still holds keeps its lease while it works.
                session.execute(
                    update(SyncJob)
                    .where(
                        SyncJob.claimed_by == self.worker,
                        SyncJob.status == SyncStatus.IN_FLIGHT.value,
                    )
                    .values(claimed_at=self.clock.utcnow())
                )
            chunk = self._resolve_uncertain(connector, remote_tenant, entity, chunk)
            try:
                answers = connector.push(remote_tenant, entity, [r.item for r in chunk])
                result.calls += 1
                if len(answers) != len(chunk):
                    raise ConnectorError(
                        f"the tool answered {len(answers)} results for {len(chunk)} elements"
                    )
            except TransientError as exc:
                result.calls += 1
                if exc.retry_after:
                    self.pacer.pause(f"{tool}:{remote_tenant}", exc.retry_after)
                self._retry_later(
                    chunk, str(exc), exc.retry_after, tenant_name, result, uncertain=False
                )
                continue
            except OutcomeUnknown as exc:
                result.calls += 1
                self._retry_later(chunk, str(exc), None, tenant_name, result, uncertain=True)
                continue
            except AuthError as exc:
                result.calls += 1
                self._disconnected(tenant_id, chunk, exc, result)
                self._requeue(batch[start + size :])
                return False
            except ConnectorError as exc:
                result.calls += 1
                self._retry_later(chunk, str(exc), None, tenant_name, result, uncertain=True)
                continue
            self._record(chunk, answers, tool, tenant_name, show_success, result)
        return True

    def _resolve_uncertain(
        self, connector: Connector, tenant: str, entity: EntityType, chunk: list[_Ready]
    ) -> list[_Ready]:
        """Before re-creating anything whose last push went unanswered, ask the tool if it exists."""
        resolved = []
        for ready in chunk:
            if ready.uncertain and ready.item.remote_id is None:
                found = connector.lookup(tenant, entity, ready.item.reference)
                if found is not None:
                    item = dataclasses.replace(ready.item, remote_id=found)
                    with self.store.session() as session:
                        model = SYNCABLE_MODELS[entity]
                        session.execute(
                            update(model).where(model.id == item.record_id).values(remote_id=found)
                        )  # type: ignore[attr-defined]
                        job = session.get(SyncJob, ready.job_id)
                        if job is not None:
                            jobs.event(
                                session,
                                job,
                                "matched",
                                f"{ready.label} was found in the tool as {found} after an unanswered push; updating it instead of creating it again",
                            )
                    ready = dataclasses.replace(ready, item=item)
            resolved.append(ready)
        return resolved

    # -- recording outcomes ------------------------------------------------------------------------------

    def _record(
        self,
        chunk: list[_Ready],
        answers: list[PushResult],
        tool: str,
        tenant_name: str,
        show_success: bool,
        result: PassResult,
    ) -> None:
        """Write a batch's answers back in one transaction; successes in bulk statements."""
        now = self.clock.utcnow()
        tool_label = {"ledger": "Ledger", "xero": "Xero", "quickbooks": "QuickBooks"}.get(
            tool, tool
        )
        synced = [
            (ready, answer)
            for ready, answer in zip(chunk, answers, strict=True)
            if answer.outcome in (Outcome.CREATED, Outcome.UPDATED) and answer.remote_id
        ]
        with self.store.session() as session:
            if synced:
                entity = synced[0][0].item.entity  # a batch holds one record type
                jobs.set_remote_ids(
                    session, entity, [(r.item.record_id, str(a.remote_id)) for r, a in synced]
                )
                jobs.finish_synced(
                    session,
                    self.worker,
                    [(r.job_id, r.version, str(a.remote_id)) for r, a in synced],
                    now,
                )
                jobs.release_dependents(session, entity, [r.item.record_id for r, _ in synced], now)
                events = []
                for ready, answer in synced:
                    text = f"{ready.label} → {tool_label} '{tenant_name}' as {answer.remote_id}"
                    events.append(
                        {
                            "entity_type": entity.value,
                            "record_id": ready.item.record_id,
                            "record_version": ready.version,
                            "kind": "synced",
                            "message": f"{answer.outcome.value}: {text}",
                            "request": _plain(answer.request),
                            "response": _plain(answer.response),
                            "at": now,
                        }
                    )
                    result.tally[tenant_name]["synced"] += 1
                    if show_success:
                        self._notice(result, Notice("success", text))
                    self._progress(tenant_name)
                jobs.add_events(session, events)
            done = {id(r) for r, _ in synced}
            for ready, answer in zip(chunk, answers, strict=True):
                if id(ready) in done:
                    continue
                job = session.get(SyncJob, ready.job_id)
                if job is None:
                    continue
                if answer.outcome is Outcome.REJECTED:
                    jobs.finish(
                        session,
                        job,
                        ready.version,
                        {
                            "status": SyncStatus.FAILED.value,
                            "last_error": answer.message,
                            "error_rule": answer.rule,
                            "error_fix": answer.fix,
                            "uncertain": False,
                            "next_attempt_at": None,
                            "updated_at": now,
                        },
                    )
                    jobs.event(
                        session,
                        job,
                        "rejected",
                        f"{ready.label} rejected: {answer.message}",
                        request=_plain(answer.request),
                        response=_plain(answer.response),
                        version=ready.version,
                    )
                    result.tally[tenant_name]["failed"] += 1
                    self._notice(
                        result,
                        Notice(
                            "error",
                            f"{ready.label} was rejected by '{tenant_name}': {answer.message}",
                            answer.fix,
                        ),
                    )
                else:
                    self._retry_one(
                        session,
                        job,
                        ready,
                        answer.message or "the tool did not say whether it applied this",
                        answer.retry_after,
                        tenant_name,
                        result,
                        uncertain=True,
                    )
                self._progress(tenant_name)

    def _retry_later(
        self,
        chunk: list[_Ready],
        message: str,
        retry_after: float | None,
        tenant_name: str,
        result: PassResult,
        *,
        uncertain: bool,
    ) -> None:
        with self.store.session() as session:
            found = {ready.job_id: session.get(SyncJob, ready.job_id) for ready in chunk}
            # One delay for the whole batch, so it is retried as a batch (and replayed as one, where
            # the tool keys its idempotency by request).
            attempts = max((j.attempts for j in found.values() if j is not None), default=1)
            delay = self.backoff.delay(attempts, retry_after, self.rng)
            for ready in chunk:
                job = found[ready.job_id]
                if job is not None:
                    self._retry_one(
                        session,
                        job,
                        ready,
                        message,
                        retry_after,
                        tenant_name,
                        result,
                        uncertain=uncertain,
                        delay=delay,
                    )
                self._progress(tenant_name)

    def _retry_one(
        self,
        session: Session,
        job: SyncJob,
        ready: _Ready,
        message: str,
        retry_after: float | None,
        tenant_name: str,
        result: PassResult,
        *,
        uncertain: bool,
        delay: float | None = None,
    ) -> None:
        now = self.clock.utcnow()
        attempts = job.attempts
        if self.backoff.exhausted(attempts):
            jobs.finish(
                session,
                job,
                ready.version,
                {
                    "status": SyncStatus.DEAD.value,
                    "last_error": f"gave up after {attempts} attempts: {message}",
                    "uncertain": uncertain or job.uncertain,
                    "updated_at": now,
                },
            )
            jobs.event(
                session, job, "dead", f"{ready.label}: gave up after {attempts} attempts: {message}"
            )
            result.tally[tenant_name]["failed"] += 1
            self._notice(
                result,
                Notice(
                    "error",
                    f"{ready.label} could not reach '{tenant_name}' after {attempts} attempts: {message}",
                    f"booksync sync retry {ready.item.entity.value} {ready.item.reference!r}",
                ),
            )
            return
        if delay is None:
            delay = self.backoff.delay(attempts, retry_after, self.rng)
        jobs.finish(
            session,
            job,
            ready.version,
            {
                "status": SyncStatus.PENDING.value,
                "last_error": message,
                "uncertain": uncertain or job.uncertain,
                "next_attempt_at": now + timedelta(seconds=delay),
                "updated_at": now,
            },
        )
        jobs.event(
            session,
            job,
            "retry",
            f"{ready.label}: attempt {attempts} failed ({message}); retrying in {delay:.0f} s",
        )
        result.tally[tenant_name]["waiting"] += 1

    def _disconnected(
        self, tenant_id: int, chunk: list[_Ready], error: AuthError, result: PassResult
    ) -> None:
        """The tool refused the tenant's credentials: mark it, and let the rules hold its jobs."""
        message = str(error)
        state = "revoked" if error.revoked else "expired"
        with self.store.session() as session:
            session.execute(
                update(Tenant)
                .where(Tenant.id == tenant_id)
                .values(connection_state=state, connection_detail=message[:500])
            )
            for ready in chunk:
                job = session.get(SyncJob, ready.job_id)
                if job is not None:
                    jobs.finish(
                        session,
                        job,
                        ready.version,
                        {"status": SyncStatus.PENDING.value, "last_error": message},
                    )
            tenant = session.get(Tenant, tenant_id)
            name = tenant.name if tenant else "?"
        self._notice(
            result,
            Notice(
                "error",
                f"Tenant '{name}' refused the connection: {message}",
                f"booksync tenant connect {name!r}",
            ),
        )

    def _notice(self, result: PassResult, notice: Notice) -> None:
        result.notices.append(notice)
        if self.on_notice:
            self.on_notice(notice)

    def _progress(self, tenant_name: str) -> None:
        if self.on_progress:
            self.on_progress(tenant_name, 1)


def _reason(finding: Any) -> dict[str, Any]:
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
        "fix": finding.fix.command if finding.fix else None,
    }


def _plain(value: Any) -> Any:
    """Exchanges as JSON-ready data for the timeline (Decimals and dates as text)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
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


def _ensure_due(session: Session, subject_type: str, subject_id: int | None, now: Any) -> None:
    """A dependency the engine must push first: make sure it has a job and that the job is not parked."""
    if subject_id is None:
        return
    job = session.scalars(
        select(SyncJob).where(SyncJob.entity_type == subject_type, SyncJob.record_id == subject_id)
    ).first()
    if job is None:
        model = SYNCABLE_MODELS[EntityType(subject_type)]
        version = session.scalar(select(model.version).where(model.id == subject_id)) or 0  # type: ignore[attr-defined]
        session.execute(
            insert(SyncJob).values(
                entity_type=subject_type,
                record_id=subject_id,
                record_version=version,
                status="pending",
                created_at=now,
                updated_at=now,
            )
        )
    elif job.status == SyncStatus.SYNCED.value:
        job.status = SyncStatus.PENDING.value  # synced once, but unlinked since: push it again
        job.next_attempt_at = None


__all__ = ["DocumentView", "Engine", "Notice", "PassResult", "TenantView"]
