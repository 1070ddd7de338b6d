"""The engine: gates each sync job with the rules, pushes dependencies first, in batches, within the
tools' limits, and records every outcome so that nothing is pushed twice and nothing is lost.

A round claims due jobs (clients, suppliers and products before documents; each tenant's share:
`claiming.py`), evaluates them against one snapshot of the books (`gating.py`), and pushes what is
ready batch by batch, tenant by tenant in turn (`fairness.py`), up to `concurrency` calls at once
(to one tenant as many as its tool allows at once, each on a connector of its own), each within
the tenant's rate budget (`connectors/budget.py`, shared by every worker through
`budget_store.py`). Waiting never holds work: a tenant whose budget is spent, or that the tool
asked to wait (Retry-After), has its jobs handed back with a due time and the round goes on with
the others. Every outcome is a transition of the job's state machine (`recording.py`,
`jobs.py`, `states.py`), fenced by the claim token the worker got; a heartbeat thread
(`heartbeat.py`) keeps the claims alive meanwhile, and `stop` ends it between batches.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import fields
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from booksync.clock import Clock
from booksync.connectors.budget import PLACE_WAIT, Counts, RateBudget, sharing
from booksync.connectors.protocol import Connector, Limits
from booksync.connectors.registry import rule_tools
from booksync.connectors.registry import tools as installed_tools
from booksync.domain.records import DocumentView, TenantView
from booksync.domain.rulebook import Tools
from booksync.store.db import Store
from booksync.store.models import SyncJob, Tenant
from booksync.sync import jobs
from booksync.sync.budget_store import counts_for, end_abandoned_transactions
from booksync.sync.fairness import Schedule, Turn
from booksync.sync.gating import Ready, gate_round
from booksync.sync.heartbeat import Heartbeat
from booksync.sync.pacing import Backoff, nap
from booksync.sync.pushing import Answer, Destination, Pusher, StepHook
from booksync.sync.recording import Recorder
from booksync.sync.report import Notice, PassResult, Progress, Reporter

log = logging.getLogger(__name__)

ConnectorFactory = Callable[[Tenant], Connector]
#: A tenant whose budget frees within this many seconds keeps its place in the round; one that
#: must wait longer has its jobs handed back with a due time.
SHORT_WAIT = 2.0
#: The longest a connector's own call waits in place for the budget; longer is handed back.
CALL_WAIT = 5.0
#: Looks for a free in-flight place before a tenant's jobs are handed back for a second.
PLACE_TRIES = 40
#: A batch's "sent" mark renews all of the worker's claims when the last claim or renewal is this
#: share of the lease old on the engine's clock (the heartbeat thread renews them on the real one).
BEAT_SHARE = 0.1


class Engine:
    """One worker: claims due jobs, gates them, pushes them, and says what happened."""

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
        tools: Tools | None = None,
        concurrency: int = 1,
        counts: Counts | None = None,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock or Clock()
        self.backoff = backoff or Backoff()
        self.claim_limit = claim_limit
        self.lease = lease
        self.wait_delay = wait_delay
        self.rng = rng or random.Random()
        self.on_progress = on_progress
        self.on_notice = on_notice
        self.concurrency = max(1, concurrency)
        #: The installed tools' names and tax rounding, for the rules and the notices.
        self.tools = tools or rule_tools()
        #: Where the rate budget's counts live: shared by every worker, or this process's own.
        self._owns_counts = counts is None
        self.counts = counts or counts_for(store, concurrency=self.concurrency)
        self._budgets: dict[str, RateBudget] = {}
        self.recorder = Recorder(
            store,
            self.worker,
            clock=self.clock,
            backoff=self.backoff,
            rng=self.rng,
            tools=self.tools,
        )
        self.pusher = Pusher(store, self.worker, clock=self.clock, recorder=self.recorder)
        self.pusher.lease_ok = self._lease_ok
        self.pusher.beat_every = lease * BEAT_SHARE
        #: Keeps this worker's claims alive from its own thread while a pass runs.
        self.heartbeat = Heartbeat(store, self.worker, clock=self.clock, lease=lease)
        #: tenant id -> its first connector (what its limits are read from) and where it goes.
        self._open: dict[int, tuple[Connector, Destination]] = {}
        #: tenant id -> its connectors not in a call now (a connector serves one call at a time).
        self._idle: dict[int, list[Connector]] = {}
        self._connectors: list[Connector] = []
        self._claimed = 0.0
        self._pool: ThreadPoolExecutor | None = None

    @property
    def stop(self) -> threading.Event:
        """Set it to stop: no batch is sent after it, what the worker holds unsent is handed back."""
        return self.pusher.stop

    @stop.setter
    def stop(self, event: threading.Event) -> None:
        self.pusher.stop = event

    @property
    def on_step(self) -> StepHook | None:
        """Called between the steps of a push: "claimed", "built", "sent", "answered", "recorded"."""
        return self.pusher.on_step

    @on_step.setter
    def on_step(self, hook: StepHook | None) -> None:
        self.pusher.on_step = hook

    # -- driving --------------------------------------------------------------------------------------

    def run_pass(self, *, max_wait: float = 0.0) -> PassResult:
        """Work until no job is due; wait (up to `max_wait` s in all) for jobs that fall due.
        What must wait longer is said in the result's `waits`, with its due time."""
        report = _Shared(PassResult(), self.on_progress, self.on_notice)
        beating = self.heartbeat.running
        if not beating:
            self.heartbeat.start()
        try:
            self._run(report, max_wait)
        finally:
            if not beating:
                self.heartbeat.stop()
        if self.stop.is_set():
            with self.store.session() as session:
                jobs.release(session, self.worker)  # anything still held, unsent: back to pending
        return report.result

    def _run(self, report: Reporter, max_wait: float) -> None:
        while not self.stop.is_set():
            now = self.clock.utcnow()
            with self.store.session(durable=False) as session:  # lost: claimed again
                claimed = jobs.claim(
                    session, self.worker, limit=self.claim_limit, now=now, lease=self.lease
                )
                fence = {j.id: j.claim_token for j in claimed}
            self._claimed = time.monotonic()
            self.pusher.claimed(now)
            if fence:
                self.recorder.fence = fence
                self.pusher.step("claimed", list(fence))
                self._process(claimed, report)
                continue
            with self.store.session() as session:
                due = jobs.next_due_in(session, self.clock.utcnow(), self.lease)
            if due is None or due > max_wait:
                return
            max_wait -= due  # in all: a document waiting on a held dependency must not loop
            nap(self.clock, due, self.stop)

    def run_forever(self, stop: threading.Event, *, poll: float = 0.5) -> None:
        """The worker loop: a pass whenever something is due, waking on a NOTIFY (PostgreSQL) or
        looking every `poll` s. Setting `stop` (SIGTERM) ends it within moments: the batch in flight
        is recorded, nothing more is sent, and the jobs it holds unsent go back to pending."""
        from booksync.sync.wakeup import Wakeup

        self.stop = stop
        end_abandoned_transactions(self.store)
        wakeup = Wakeup(self.store)
        try:
            with self.heartbeat:
                while not stop.is_set():
                    try:
                        result = self.run_pass()
                    except SQLAlchemyError as exc:  # a lost connection ends a pass, not the worker
                        log.warning("sync pass ended by a database error: %s", exc)
                        stop.wait(poll)
                        continue
                    if not result.handled:
                        wakeup.wait(poll, stop)
        finally:
            wakeup.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for connector in {id(c): c for c in self._connectors}.values():  # a factory may share one
            connector.close()
        self._connectors.clear()
        self._open.clear()
        self._idle.clear()
        if self._owns_counts:
            self.counts.close()

    def _lease_ok(self) -> bool:
        """Whether this worker's claims surely still hold: a claim or heartbeat (on the real clock)
        well within the lease. A process paused past it finds out here before it sends anything."""
        last = max(self._claimed, self.heartbeat.last_beat)
        return time.monotonic() - last < self.lease.total_seconds() * 0.8

    # -- one round: evaluate, then push tenant by tenant ------------------------------------------------

    def _process(self, claimed: Sequence[SyncJob], report: Reporter) -> None:
        job_ids = [job.id for job in claimed]
        with self.store.session(durable=False) as session:  # lost: gated again
            gated = gate_round(
                session,
                claimed,
                clock=self.clock,
                wait_delay=self.wait_delay,
                tools=self.tools,
                report=report,
            )
        groups = gated.groups
        if gated.waits_on:  # committed: now a release elsewhere sees the round's blockers
            with self.store.session(durable=False) as session:  # lost: they wait out the delay
                jobs.wake_waiting(session, gated.waits_on, self.clock.utcnow())
        self.pusher.step("built", job_ids)
        schedule = Schedule.of(
            groups, lambda t, e: self._destination(t)[0].limits.batch_for(e), self._at_once
        )
        running: dict[Future[Answer], tuple[Turn, Connector]] = {}
        while True:
            if self.stop.is_set():
                self.recorder.release(schedule.drop_all())
            turn = schedule.next(self.clock.now()) if len(running) < self.concurrency else None
            if turn is None:
                if not running and not schedule.queued:
                    return
                if running:
                    done, _ = wait(
                        running, timeout=self._until_wake(schedule), return_when=FIRST_COMPLETED
                    )
                    for future in done:
                        turn, lent = running.pop(future)
                        self._idle[turn.tenant_id].append(lent)
                        self._answered(turn, future.result(), schedule, report)
                else:
                    nap(self.clock, self._until_wake(schedule) or 0.0, self.stop)
                continue
            connector, to = self._destination(turn.tenant_id)
            budget = self._budget(to.tool, connector)
            permit = budget.permit(to.remote_id)
            if not isinstance(permit, float):
                schedule.sent(turn.tenant_id)
                if self.concurrency == 1:
                    answer = self._push(connector, to, turn, permit, budget, report)
                    self._answered(turn, answer, schedule, report)
                else:
                    pool = self._pool or ThreadPoolExecutor(self.concurrency, "booksync-push")
                    self._pool = pool
                    lent = self._lend(turn.tenant_id)
                    future = pool.submit(self._push, lent, to, turn, permit, budget, report)
                    running[future] = (turn, lent)
            elif permit == PLACE_WAIT and schedule.busy_tries(turn.tenant_id) > PLACE_TRIES:
                reason = f"every call to '{to.name}' it allows at once is in flight elsewhere"
                rest = [*turn.chunk, *schedule.drop(turn.tenant_id)]
                self._hand_back(to, rest, 1.0, reason, report)
            elif permit <= SHORT_WAIT:
                schedule.later(turn, self.clock.now() + permit)
            else:
                reason = f"the rate limit allows the next call to '{to.name}' in {permit:.0f} s"
                self._hand_back(
                    to, [*turn.chunk, *schedule.drop(turn.tenant_id)], permit, reason, report
                )

    def _push(
        self,
        connector: Connector,
        to: Destination,
        turn: Turn,
        permit: object,
        budget: RateBudget,
        report: Reporter,
    ) -> Answer:
        with permit:  # type: ignore[attr-defined]
            if self.stop.is_set():
                self.recorder.release(turn.chunk)
                return Answer()
            return self.pusher.push(connector, to, turn.entity, turn.chunk, report, budget)

    def _answered(self, turn: Turn, answer: Answer, schedule: Schedule, report: Reporter) -> None:
        schedule.answered(turn.tenant_id)
        rest = schedule.drop(turn.tenant_id) if answer.refused or answer.wait else []
        if answer.refused:
            self.recorder.requeue(rest)  # the rules hold these until it is reconnected
        elif answer.wait:
            _, to = self._destination(turn.tenant_id)
            self._hand_back(to, rest, answer.wait, answer.reason, report)

    def _hand_back(
        self, to: Destination, batch: list[Ready], seconds: float, reason: str, report: Reporter
    ) -> None:
        """The tenant must wait: its jobs go back, due when it may be called again."""
        until = self.clock.utcnow() + timedelta(seconds=seconds)
        handed = self.recorder.defer(batch, until, reason)
        if handed:
            report.wait(to.name, handed, until, reason)

    def _until_wake(self, schedule: Schedule) -> float | None:
        at = schedule.wake_at()
        return None if at is None else max(0.0, at - self.clock.now())

    def _destination(self, tenant_id: int) -> tuple[Connector, Destination]:
        """The tenant's first connector (its limits) and where its calls go."""
        if tenant_id not in self._open:
            connector, to = self._connect(tenant_id)
            self._open[tenant_id] = (connector, to)
            self._idle[tenant_id] = [connector]
        return self._open[tenant_id]

    def _at_once(self, tenant_id: int) -> int:
        """The calls the tenant's tool allows in flight at once (its budget's limit)."""
        connector, to = self._destination(tenant_id)
        return self._budget(to.tool, connector).concurrency

    def _lend(self, tenant_id: int) -> Connector:
        """A connector of the tenant's for one call: an idle one, or one more (up to the calls the
        tenant allows at once, which the schedule keeps to)."""
        self._destination(tenant_id)
        idle = self._idle[tenant_id]
        return idle.pop() if idle else self._connect(tenant_id)[0]

    def _connect(self, tenant_id: int) -> tuple[Connector, Destination]:
        with self.store.session() as session:
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            kind = tenant.integration.kind
            tool = installed_tools().get(kind)
            # The connector's own budget (its HTTP client's) counts in this engine's ledger.
            with sharing(self.counts, kind, tool.limits if tool else None, max_wait=CALL_WAIT):
                connector = self.connectors(tenant)
            to = Destination(
                tenant.id,
                tenant.name,
                tenant.remote_tenant_id,
                kind,
                tenant.integration.show_success_messages,
            )
        self._connectors.append(connector)
        return connector, to

    def _budget(self, kind: str, connector: Connector) -> RateBudget:
        """The tool's budget as the engine asks it: the connector's limits, and where it says
        nothing, the tool's documented ones."""
        budget = self._budgets.get(kind)
        if budget is None:
            tool = installed_tools().get(kind)
            limits = merged(connector.limits, tool.limits if tool else None)
            budget = RateBudget(
                limits=limits, counts=self.counts, scope=kind, clock=self.clock, max_wait=CALL_WAIT
            )
            self._budgets[kind] = budget
        return budget


def merged(own: Limits, documented: Limits | None) -> Limits:
    """`own` limits, with `documented` filling in those it leaves unset (None)."""
    if documented is None:
        return own
    values = {
        f.name: getattr(own, f.name)
        if getattr(own, f.name) is not None
        else getattr(documented, f.name)
        for f in fields(Limits)
    }
    return Limits(**values)


class _Shared(Reporter):
    """A `Reporter` the push threads share."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lock = threading.RLock()

    def tally(self, tenant_name: str, outcome: str) -> None:
        with self._lock:
            super().tally(tenant_name, outcome)

    def notice(self, notice: Notice) -> None:
        with self._lock:
            super().notice(notice)

    def progress(self, tenant_name: str) -> None:
        with self._lock:
            super().progress(tenant_name)

    def call(self) -> None:
        with self._lock:
            super().call()

    def wait(self, tenant_name: str, jobs: int, until: object, reason: str) -> None:  # type: ignore[override]
        with self._lock:
            super().wait(tenant_name, jobs, until, reason)  # type: ignore[arg-type]


__all__ = [
    "ConnectorFactory",
    "DocumentView",
    "Engine",
    "Notice",
    "PassResult",
    "TenantView",
    "merged",
]
