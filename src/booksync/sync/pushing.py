"""Pushing one batch of a tenant's ready records of one type, exactly once.

Each batch is marked sent (an attempt counted, `uncertain` set) in its own commit just before the
call, and its results are committed right after (`recording.py`): a worker killed at any point
leaves jobs that the next worker finishes, and only those that may have reached the tool are looked
up. Lookups go in one read per batch where the tool allows it (`BatchLookup`), before anything is
created again; the idempotency key (record + version) makes the tool replay rather than repeat a
write. The engine holds the tenant's rate-budget permit around the push (`fairness.py` chooses
which batch goes next); a Retry-After holds the tenant in the shared budget and is handed back to
the engine, which reschedules the tenant's other batches instead of sleeping on them. Fenced: the
"sent" mark and the last look before the call name the claim token the worker got, and a worker whose
heartbeat fell behind its lease (paused, say) sends nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, bindparam, select

from booksync.clock import Clock
from booksync.connectors.budget import RateBudget
from booksync.connectors.protocol import (
    AuthError,
    BatchLookup,
    Connector,
    ConnectorError,
    Outcome,
    PushResult,
    TransientError,
)
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.bulk import any_of, takes_rows
from booksync.store.db import Store
from booksync.store.models import SyncJob
from booksync.sync import jobs
from booksync.sync.gating import Ready
from booksync.sync.recording import Recorder
from booksync.sync.report import Reporter

#: Called between the steps of a push ("sent", "answered", "recorded") with the batch's job ids:
#: the seam the interleaving tests use to edit, crash or take a lease at each step.
StepHook = Callable[[str, Sequence[int]], None]


@dataclasses.dataclass(frozen=True)
class Destination:
    """Where a group goes: the tenant as the store and the tool know it, and its settings."""

    tenant_id: int
    name: str
    remote_id: str
    tool: str
    show_success: bool


@dataclasses.dataclass(frozen=True)
class Answer:
    """What became of a batch, for the engine's schedule: the tenant `refused` our credentials, or
    the tool asked to `wait` that many seconds before any call to it (Retry-After)."""

    refused: bool = False
    wait: float | None = None
    reason: str = ""


class Pusher:
    """Sends batches to a connector and hands every answer (or failure) to the `Recorder`."""

    def __init__(self, store: Store, worker: str, *, clock: Clock, recorder: Recorder) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock
        self.recorder = recorder
        #: Set when the worker must stop: no batch is sent after it, the rest are handed back.
        self.stop = threading.Event()
        self.on_step: StepHook | None = None
        #: Whether this worker's lease surely still holds (its heartbeat is recent): when it is not,
        #: nothing is sent (another worker may have taken its jobs over).
        self.lease_ok: Callable[[], bool] = lambda: True
        #: How old (on the worker's clock) the last claim or beat may be before a batch's "sent"
        #: mark renews every claim the worker holds (None: at every batch). The heartbeat thread
        #: renews them anyway; this keeps them fresh on a clock that jumps (paused, virtual).
        self.beat_every: timedelta | None = None
        self._fresh_at: datetime | None = None

    def step(self, name: str, chunk: Sequence[Ready] | Sequence[int]) -> None:
        if self.on_step is not None:
            self.on_step(name, [r if isinstance(r, int) else r.job_id for r in chunk])

    def push(
        self,
        connector: Connector,
        to: Destination,
        entity: EntityType,
        chunk: list[Ready],
        report: Reporter,
        budget: RateBudget | None = None,
    ) -> Answer:
        """Push one batch (the caller holds the tenant's permit) and record what became of it."""
        if not self.lease_ok():
            self.recorder.release(chunk)
            return Answer()
        answered: list[PushResult] | ConnectorError
        try:
            chunk = self._resolve_uncertain(connector, to.remote_id, entity, chunk)
        except ConnectorError as exc:  # the lookup failed: nothing was sent
            answered = exc
            if not isinstance(exc, AuthError | TransientError):
                answered = TransientError(f"looking up an unanswered push failed: {exc}")
            self._mark_sent(chunk)  # counts the attempt, so it gives up in the end
        else:
            self._mark_sent(chunk)
            self.step("sent", chunk)
            chunk = self._still_held(chunk)
            if not chunk:
                return Answer()
            if not self.lease_ok():  # paused since the mark: the lookup before a create covers it
                self.recorder.release(chunk)
                return Answer()
            answered = self._call(connector, to, entity, chunk, report)
            self.step("answered", chunk)
        answer = Answer()
        if isinstance(answered, AuthError):
            self.recorder.disconnected(to.tenant_id, chunk, answered, report)
            answer = Answer(refused=True)
        elif isinstance(answered, TransientError):
            if answered.retry_after:
                if budget is not None:  # every worker holds back from this tenant, not just us
                    budget.hold(to.remote_id, answered.retry_after)
                answer = Answer(wait=answered.retry_after, reason=str(answered))
            self.recorder.retry_later(
                chunk, str(answered), answered.retry_after, to.name, report, uncertain=False
            )
        elif isinstance(answered, ConnectorError):  # OutcomeUnknown, or a garbled answer
            self.recorder.retry_later(chunk, str(answered), None, to.name, report, uncertain=True)
        else:
            adopted = self._adopt(connector, to.remote_id, entity, chunk, answered)
            self.recorder.answers(
                chunk, answered, to.tool, to.name, to.show_success, report, adopted=adopted,
                connector=connector, tenant=to.remote_id,
            )  # fmt: skip
        self.step("recorded", chunk)
        return answer

    def claimed(self, now: datetime) -> None:
        """The worker just claimed (at `now`, on its clock): every job it holds is fresh."""
        self._fresh_at = now

    def _mark_sent(self, chunk: list[Ready]) -> None:
        """Commit the "sent" mark on the jobs this worker still holds, on its own, before the call;
        with it a beat for all of them when the last claim or beat is `beat_every` old (on the
        worker's clock, which a paused or virtual one may have moved on)."""
        with self.store.session() as session:
            fence = self.recorder.fence
            jobs.start_attempt(session, self.worker, [r.job_id for r in chunk], fence)
            now = self.clock.utcnow()
            fresh = self._fresh_at
            if fresh is None or self.beat_every is None or now - fresh >= self.beat_every:
                jobs.heartbeat(session, self.worker, now)
                self._fresh_at = now

    def _still_held(self, chunk: list[Ready]) -> list[Ready]:
        """The jobs still this worker's, right before the call: one another worker took over (this
        worker's lease ran out) is that worker's to push now, and is not sent from here.

        `jobs.held`'s question, asked for ids and claim tokens only: no job is loaded."""
        ids = [r.job_id for r in chunk]
        fence = self.recorder.fence
        with self.store.session() as session:
            rows = session.execute(
                _claims(takes_rows(session)), {"b_ids": ids, "b_worker": self.worker}
            )
            mine = {i for i, token in rows if fence is None or fence.get(i, token) == token}
        return [r for r in chunk if r.job_id in mine]

    def _call(
        self,
        connector: Connector,
        to: Destination,
        entity: EntityType,
        chunk: list[Ready],
        report: Reporter,
    ) -> list[PushResult] | ConnectorError:
        """One call: its answers, one per element, or the error that failed it as a whole."""
        try:
            answers = connector.push(to.remote_id, entity, [r.item for r in chunk])
        except ConnectorError as exc:
            report.call()
            return exc
        report.call()
        if len(answers) != len(chunk):
            return ConnectorError(
                f"the tool answered {len(answers)} results for {len(chunk)} elements"
            )
        return answers

    def _resolve_uncertain(
        self, connector: Connector, tenant: str, entity: EntityType, chunk: list[Ready]
    ) -> list[Ready]:
        """Before re-creating anything whose last push went unanswered, ask the tool if it exists
        (one read for the whole batch where the tool allows it)."""
        wanted = [r for r in chunk if r.uncertain and r.item.remote_id is None]
        if not wanted:
            return chunk
        found = look_up(connector, tenant, entity, wanted)
        if not found:
            return chunk
        linked = {r.job_id: found[r.item.reference] for r in wanted if r.item.reference in found}
        self.recorder.matched(entity, [(r, linked[r.job_id]) for r in wanted if r.job_id in linked])
        return [
            dataclasses.replace(r, item=dataclasses.replace(r.item, remote_id=linked[r.job_id]))
            if r.job_id in linked
            else r
            for r in chunk
        ]

    def _adopt(
        self,
        connector: Connector,
        tenant: str,
        entity: EntityType,
        chunk: list[Ready],
        answers: list[PushResult],
    ) -> dict[int, str]:
        """Creates refused after an unanswered push: the refusal may be the tool's "already
        exists" (QuickBooks' 6240 duplicate name) for what that push created. An exact match found
        now is adopted (job id -> remote id): linked, and pushed again as an update."""
        refused = [
            r
            for r, a in zip(chunk, answers, strict=True)
            if a.outcome is Outcome.REJECTED and r.uncertain and r.item.remote_id is None
        ]
        if not refused:
            return {}
        try:
            found = look_up(connector, tenant, entity, refused)
        except ConnectorError:
            return {}  # the refusals stand; a person sees them, with the tool's words
        return {r.job_id: found[r.item.reference] for r in refused if r.item.reference in found}


@functools.cache
def _claims(postgres: bool) -> Any:
    """The claim tokens of the jobs among b_ids still in flight under b_worker (built once, on
    the table: no ORM handling)."""
    jobs = SyncJob.__table__.c
    return select(jobs.id, jobs.claim_token).where(
        any_of(jobs.id, "b_ids", postgres),
        jobs.status == SyncStatus.IN_FLIGHT.value,
        jobs.claimed_by == bindparam("b_worker", type_=Text()),
    )


def look_up(
    connector: Connector, tenant: str, entity: EntityType, wanted: Sequence[Ready]
) -> dict[str, str]:
    """Remote ids by reference: one `lookup_many` read where the tool has it, else one `lookup`
    per reference."""
    if isinstance(connector, BatchLookup):
        return connector.lookup_many(tenant, entity, [r.item for r in wanted])
    found = {}
    for ready in wanted:
        remote_id = connector.lookup(tenant, entity, ready.item.reference)
        if remote_id is not None:
            found[ready.item.reference] = remote_id
    return found


__all__ = ["Answer", "Destination", "Pusher", "StepHook", "look_up"]
