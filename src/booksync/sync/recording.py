"""Recording what became of each push: the tool's answers, failed calls, refused connections.

Every outcome is a transition of the job (`sync/jobs.py`), an event on the record's timeline, and,
for errors (and successes when the integration asks for them), a notice with its fix. Results are
committed right after the call, so a worker killed before this leaves jobs in flight that the next
worker recovers and looks up instead of creating again.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from booksync.clock import Clock
from booksync.connectors.fields import json_text
from booksync.connectors.protocol import AuthError, Connector, Outcome, PushResult, RemoteDocument
from booksync.domain.rulebook import Tools
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import SyncJob, Tenant
from booksync.sync import jobs, verification
from booksync.sync.gating import Ready, plain
from booksync.sync.pacing import Backoff
from booksync.sync.report import Notice, Reporter


class Recorder:
    """Writes a worker's outcomes back to the store, as job transitions, events and notices."""

    def __init__(
        self,
        store: Store,
        worker: str,
        *,
        clock: Clock,
        backoff: Backoff,
        rng: random.Random,
        tools: Tools,
    ) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock
        self.backoff = backoff
        self.rng = rng
        self.tools = tools
        #: job id -> the claim token this worker got (set by the engine per round): outcomes are
        #: recorded only for jobs still under that claim (issue 12: fencing).
        self.fence: jobs.Fence | None = None

    def answers(
        self,
        chunk: list[Ready],
        answers: list[PushResult],
        tool: str,
        tenant_name: str,
        show_success: bool,
        report: Reporter,
        *,
        adopted: dict[int, str] | None = None,
        connector: Connector | None = None,
        tenant: str | None = None,
    ) -> None:
        """Write a batch's answers back in one transaction; successes in bulk statements.

        `adopted` (job id -> remote id): refusals of a create found in the tool after all (what
        an unanswered push made): linked to it and pushed again, not failed. With the `connector`
        and its `tenant`, a create refused for a number the tool has is looked up and linked when
        it is the same document (`verification.py`)."""
        adopted = adopted or {}
        now = self.clock.utcnow()
        taken = (
            verification.taken_numbers(connector, tenant, chunk, answers)
            if connector is not None and tenant is not None
            else {}
        )
        synced = [
            (ready, answer)
            for ready, answer in zip(chunk, answers, strict=True)
            if answer.outcome in (Outcome.CREATED, Outcome.UPDATED) and answer.remote_id
        ]
        # Lost in a server crash, these answers are as if the worker died before writing them: the
        # jobs stay marked sent, and the next worker looks them up before creating anything.
        with self.store.session(durable=False) as session:
            if synced:
                self._synced(session, synced, tool, tenant_name, show_success, report, now)
            done = {id(r) for r, _ in synced}
            if len(done) < len(chunk):
                self._not_synced(
                    session, chunk, answers, done, adopted, taken, tenant_name, report, now
                )
        entity = synced[0][0].item.entity if synced else None
        if entity is not None and not entity.is_document:
            # Documents wait only on clients, suppliers and products: their release runs once
            # more after the commit, for a race's waiters (`releases.py`).
            with self.store.session(durable=False) as session:  # lost: they wait out the delay
                ids = [r.item.record_id for r, _ in synced]
                jobs.release_dependents(session, entity, ids, now)

    def _not_synced(
        self,
        session: Session,
        chunk: list[Ready],
        answers: list[PushResult],
        done: set[int],
        adopted: dict[int, str],
        taken: dict[int, list[RemoteDocument]],
        tenant_name: str,
        report: Reporter,
        now: datetime,
    ) -> None:
        """The answers other than "synced": adopted, refused, or not known to have been applied."""
        mine = jobs.held(session, self.worker, [r.job_id for r in chunk], self.fence)
        for ready, answer in zip(chunk, answers, strict=True):
            if id(ready) in done:
                continue
            job = mine.get(ready.job_id)
            if job is None:
                continue
            if ready.job_id in adopted:
                self._adopted(session, job, ready, adopted[ready.job_id], answer, now)
            elif answer.outcome is Outcome.REJECTED:
                refusal = (
                    verification.settle_taken(session, job, ready, answer, taken[ready.job_id], now)
                    if ready.job_id in taken
                    else answer
                )
                if refusal is not None:
                    self._rejected(session, job, ready, refusal, tenant_name, report, now)
            else:
                message = answer.message or "the tool did not say whether it applied this"
                self._retry_one(
                    session, job, ready, message, answer.retry_after, tenant_name, report,
                    uncertain=True,
                )  # fmt: skip
            report.progress(tenant_name)

    def _synced(
        self,
        session: Session,
        synced: list[tuple[Ready, PushResult]],
        tool: str,
        tenant_name: str,
        show_success: bool,
        report: Reporter,
        now: datetime,
    ) -> None:
        entity = synced[0][0].item.entity  # a batch holds one record type
        jobs.set_remote_ids(
            session, entity, [(r.item.record_id, str(a.remote_id)) for r, a in synced]
        )
        found = verification.found_by_job(synced)
        jobs.succeed(
            session,
            self.worker,
            [(r.job_id, r.version, str(a.remote_id)) for r, a in synced],
            now,
            fence=self.fence,
            pushed={r.job_id: json_text(r.item.payload) for r, _ in synced},
            verification=found,
        )
        jobs.release_dependents(session, entity, [r.item.record_id for r, _ in synced], now)
        events = []
        for ready, answer in synced:
            text = f"{ready.label} → {self.tools.label(tool)} '{tenant_name}' as {answer.remote_id}"
            events.append(
                {
                    "entity_type": entity.value,
                    "record_id": ready.item.record_id,
                    "record_version": ready.version,
                    "kind": "synced",
                    "message": f"{answer.outcome.value}: {text}",
                    "request": plain(answer.request),
                    "response": plain(answer.response),
                    "at": now,
                }
            )
            report.tally(tenant_name, "synced")
            if show_success:
                report.notice(Notice("success", text))
            report.progress(tenant_name)
        jobs.add_events(session, events)
        verification.record(
            session,
            [s for s in synced if self.fence is None or s[0].job_id in self.fence],
            found,
            tool_label=self.tools.label(tool),
            tenant_name=tenant_name,
            report=report,
        )

    def _adopted(
        self,
        session: Session,
        job: SyncJob,
        ready: Ready,
        remote_id: str,
        answer: PushResult,
        now: datetime,
    ) -> None:
        entity = ready.item.entity
        jobs.set_remote_ids(session, entity, [(ready.item.record_id, remote_id)])
        jobs.adopt(session, job, ready.version, remote_id=remote_id, now=now)
        jobs.event(
            session,
            job,
            "matched",
            f"{ready.label} was refused as a duplicate ({answer.message}) after an unanswered "
            f"push, and found in the tool as {remote_id}: linked to it, to be updated",
            version=ready.version,
        )

    def matched(self, entity: EntityType, found: list[tuple[Ready, str]]) -> None:
        """Lookups found what unanswered pushes created: link the records, say so on their timelines."""
        if not found:
            return
        with self.store.session() as session:
            jobs.set_remote_ids(session, entity, [(r.item.record_id, rid) for r, rid in found])
            mine = jobs.held(session, self.worker, [r.job_id for r, _ in found], self.fence)
            for ready, remote_id in found:
                job = mine.get(ready.job_id)
                if job is not None:
                    jobs.event(
                        session,
                        job,
                        "matched",
                        f"{ready.label} was found in the tool as {remote_id} after an unanswered "
                        "push; updating it instead of creating it again",
                    )

    def release(self, batch: list[Ready]) -> None:
        """Hand back unsent jobs: the worker is stopping. No attempt was counted for them."""
        self.defer(batch, None)

    def defer(self, batch: list[Ready], until: datetime | None, message: str | None = None) -> int:
        """Hand back unsent jobs due at `until` (None: now), no attempt counted: their tenant must
        wait (rate budget, Retry-After) and the worker goes on with other tenants."""
        if not batch:
            return 0
        with self.store.session() as session:
            return jobs.defer(
                session,
                self.worker,
                [r.job_id for r in batch],
                until,
                message=message,
                fence=self.fence,
            )

    def _rejected(
        self,
        session: Session,
        job: SyncJob,
        ready: Ready,
        answer: PushResult,
        tenant_name: str,
        report: Reporter,
        now: datetime,
    ) -> None:
        jobs.reject(
            session,
            job,
            ready.version,
            message=answer.message,
            rule=answer.rule,
            fix=answer.fix,
            now=now,
        )
        jobs.event(
            session,
            job,
            "rejected",
            f"{ready.label} rejected: {answer.message}",
            request=plain(answer.request),
            response=plain(answer.response),
            version=ready.version,
        )
        report.tally(tenant_name, "failed")
        text = f"{ready.label} was rejected by '{tenant_name}': {answer.message}"
        report.notice(Notice("error", text, answer.fix))

    def retry_later(
        self,
        chunk: list[Ready],
        message: str,
        retry_after: float | None,
        tenant_name: str,
        report: Reporter,
        *,
        uncertain: bool,
    ) -> None:
        """A call failed as a whole: every job in it is retried after one backoff, or given up."""
        with self.store.session() as session:
            mine = jobs.held(session, self.worker, [ready.job_id for ready in chunk], self.fence)
            # One delay for the whole batch, so it is retried as a batch (and replayed as one, where
            # the tool keys its idempotency by request).
            attempts = max((j.attempts for j in mine.values()), default=1)
            delay = self.backoff.delay(attempts, retry_after, self.rng)
            for ready in chunk:
                job = mine.get(ready.job_id)
                if job is not None:
                    self._retry_one(
                        session, job, ready, message, retry_after, tenant_name, report,
                        uncertain=uncertain, delay=delay,
                    )  # fmt: skip
                report.progress(tenant_name)

    def _retry_one(
        self,
        session: Session,
        job: SyncJob,
        ready: Ready,
        message: str,
        retry_after: float | None,
        tenant_name: str,
        report: Reporter,
        *,
        uncertain: bool,
        delay: float | None = None,
    ) -> None:
        now = self.clock.utcnow()
        attempts = job.attempts
        # Whether any push of it may have landed unanswered: this one (`uncertain`), or one before.
        landed = uncertain or ready.uncertain
        if self.backoff.exhausted(attempts):
            gave_up = f"gave up after {attempts} attempts: {message}"
            jobs.give_up(session, job, ready.version, message=gave_up, uncertain=landed, now=now)
            jobs.event(session, job, "dead", f"{ready.label}: {gave_up}")
            report.tally(tenant_name, "failed")
            retry = f"booksync sync retry {ready.item.entity.value} {ready.item.reference!r}"
            text = f"{ready.label} could not reach '{tenant_name}' after {attempts} attempts: {message}"
            report.notice(Notice("error", text, retry))
            return
        if delay is None:
            delay = self.backoff.delay(attempts, retry_after, self.rng)
        until = now + timedelta(seconds=delay)
        if uncertain:
            jobs.lose_answer(session, job, ready.version, message=message, until=until, now=now)
        else:
            jobs.retry_later(
                session, job, ready.version, message=message, until=until, now=now, uncertain=landed
            )
        jobs.event(
            session,
            job,
            "retry",
            f"{ready.label}: attempt {attempts} failed ({message}); retrying in {delay:.0f} s",
        )
        report.tally(tenant_name, "waiting")

    def disconnected(
        self, tenant_id: int, chunk: list[Ready], error: AuthError, report: Reporter
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
            mine = jobs.held(session, self.worker, [ready.job_id for ready in chunk], self.fence)
            for ready in chunk:
                job = mine.get(ready.job_id)
                if job is not None:
                    jobs.requeue(
                        session, job, ready.version, error=message, uncertain=ready.uncertain
                    )
            tenant = session.get(Tenant, tenant_id)
            name = tenant.name if tenant else "?"
        text = f"Tenant '{name}' refused the connection: {message}"
        report.notice(Notice("error", text, f"booksync tenant connect {name!r}", disconnected=True))

    def requeue(self, batch: list[Ready]) -> None:
        """Hand jobs back unpushed: their tenant refused us, and the rules hold them next time."""
        if not batch:
            return
        with self.store.session() as session:
            mine = jobs.held(session, self.worker, [ready.job_id for ready in batch], self.fence)
            for ready in batch:
                job = mine.get(ready.job_id)
                if job is not None:
                    jobs.requeue(session, job, ready.version)


__all__ = ["Recorder"]
