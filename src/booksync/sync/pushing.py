"""Pushing one tenant's ready records of one type: in batches, at the tool's pace, exactly once.

Each batch is marked sent (an attempt counted, `uncertain` set) in its own commit just before the
call, and its results are committed right after (`recording.py`): a worker killed at any point
leaves jobs that the next worker finishes, and only those that may have reached the tool are looked
up. Lookups go in one read per batch where the tool allows it (`BatchLookup`), before anything is
created again; the idempotency key (record + version) makes the tool replay rather than repeat a
write. A worker asked to stop hands back, unsent, the batches it has not sent yet.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence

from booksync.clock import Clock
from booksync.connectors.protocol import (
    AuthError,
    BatchLookup,
    Connector,
    ConnectorError,
    Outcome,
    PushResult,
    TransientError,
)
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.sync import jobs
from booksync.sync.gating import Ready
from booksync.sync.pacing import Pacer
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

    @property
    def pace_key(self) -> str:
        """One pacing lane per tenant of a tool (its rate limits are per tenant)."""
        return f"{self.tool}:{self.remote_id}"


class Pusher:
    """Sends batches to a connector and hands every answer (or failure) to the `Recorder`."""

    def __init__(
        self, store: Store, worker: str, *, clock: Clock, pacer: Pacer, recorder: Recorder
    ) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock
        self.pacer = pacer
        self.recorder = recorder
        #: Set when the worker must stop: no batch is sent after it, the rest are handed back.
        self.stop = threading.Event()
        self.on_step: StepHook | None = None

    def step(self, name: str, chunk: Sequence[Ready] | Sequence[int]) -> None:
        if self.on_step is not None:
            self.on_step(name, [r if isinstance(r, int) else r.job_id for r in chunk])

    def push_group(
        self,
        connector: Connector,
        to: Destination,
        entity: EntityType,
        batch: list[Ready],
        report: Reporter,
    ) -> bool:
        """Push one tenant's records of one type, batch by batch; False if the tenant refused us."""
        size = connector.limits.batch_for(entity)
        for start in range(0, len(batch), size):
            if not self.stop.is_set():
                self.pacer.wait(to.pace_key, connector.limits.calls_per_minute, self.stop)
            if self.stop.is_set():
                self.recorder.release(batch[start:])
                return True
            chunk = batch[start : start + size]
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
                    continue
                answered = self._call(connector, to, entity, chunk, report)
                self.step("answered", chunk)
            if isinstance(answered, AuthError):
                self.recorder.disconnected(to.tenant_id, chunk, answered, report)
                self.recorder.requeue(batch[start + size :])
                return False
            if isinstance(answered, TransientError):
                if answered.retry_after:
                    self.pacer.pause(to.pace_key, answered.retry_after)
                self.recorder.retry_later(
                    chunk, str(answered), answered.retry_after, to.name, report, uncertain=False
                )
            elif isinstance(answered, ConnectorError):  # OutcomeUnknown, or a garbled answer
                self.recorder.retry_later(
                    chunk, str(answered), None, to.name, report, uncertain=True
                )
            else:
                adopted = self._adopt(connector, to.remote_id, entity, chunk, answered)
                self.recorder.answers(
                    chunk, answered, to.tool, to.name, to.show_success, report, adopted=adopted
                )
            self.step("recorded", chunk)
        return True

    def _mark_sent(self, chunk: list[Ready]) -> None:
        """Commit the "sent" mark on the jobs this worker still holds, on its own, before the call."""
        with self.store.session() as session:
            jobs.start_attempt(session, self.worker, [r.job_id for r in chunk])
            jobs.heartbeat(session, self.worker, self.clock.utcnow())

    def _still_held(self, chunk: list[Ready]) -> list[Ready]:
        """The jobs still this worker's, right before the call: one another worker took over (this
        worker's lease ran out) is that worker's to push now, and is not sent from here."""
        with self.store.session() as session:
            mine = jobs.held(session, self.worker, [r.job_id for r in chunk])
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


__all__ = ["Destination", "Pusher", "StepHook", "look_up"]
