"""The engine: gates each sync job with the rules, pushes dependencies first, in batches, at the
tool's pace, and records every outcome so that nothing is pushed twice and nothing is lost.

A pass claims due jobs (clients, suppliers and products before documents: `claiming.py`), evaluates
them against one snapshot of the books (`gating.py`), and pushes what is ready in batches per
tenant and record type (`pushing.py`), recording each answer as a transition of the job's state
machine (`recording.py`, `jobs.py`, `states.py`). This module is the loop that drives them; a
heartbeat thread (`heartbeat.py`) keeps the worker's claims alive meanwhile, and `stop` ends it
between batches, handing back what it holds unsent.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from booksync.clock import Clock
from booksync.connectors.protocol import Connector
from booksync.connectors.registry import tools as installed_tools
from booksync.domain.records import DocumentView, TenantView
from booksync.domain.rulebook import Tools
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync.sync import jobs
from booksync.sync.gating import gate_round
from booksync.sync.heartbeat import Heartbeat
from booksync.sync.pacing import Backoff, Pacer, nap
from booksync.sync.pushing import Destination, Pusher, StepHook
from booksync.sync.recording import Recorder
from booksync.sync.report import Notice, PassResult, Progress, Reporter

ConnectorFactory = Callable[[Tenant], Connector]


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
        #: The installed tools' names, for the rules and the notices to speak of.
        self.tools = tools or Tools({k: t.label for k, t in installed_tools().items()})
        recorder = Recorder(
            store,
            self.worker,
            clock=self.clock,
            backoff=self.backoff,
            rng=self.rng,
            tools=self.tools,
        )
        self.recorder = recorder
        self.pusher = Pusher(
            store, self.worker, clock=self.clock, pacer=self.pacer, recorder=recorder
        )
        #: Keeps this worker's claims alive from its own thread while a pass runs.
        self.heartbeat = Heartbeat(store, self.worker, clock=self.clock, lease=lease)
        self._open: dict[int, Connector] = {}

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
        """Work until no job is due; wait (up to `max_wait` s at a time) for backoffs and Retry-After."""
        report = Reporter(PassResult(), self.on_progress, self.on_notice)
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
                self.pusher.step("claimed", claimed)
                self._process(claimed, report)
                continue
            with self.store.session() as session:
                wait = jobs.next_due_in(session, self.clock.utcnow(), self.lease)
            if wait is None or wait > max_wait:
                return
            nap(self.clock, wait, self.stop)

    def run_forever(self, stop: threading.Event, *, poll: float = 0.5) -> None:
        """The worker loop: a pass whenever something is due, checking for new changes every `poll` s.

        Setting `stop` (SIGTERM) ends it within moments, even in a long Retry-After pause: the batch
        in flight is recorded, nothing more is sent, and the jobs it holds unsent go back to pending.
        """
        self.stop = stop
        with self.heartbeat:
            while not stop.is_set():
                result = self.run_pass()
                if not result.handled:
                    stop.wait(poll)

    def close(self) -> None:
        for connector in self._open.values():
            connector.close()
        self._open.clear()

    # -- one round: evaluate, then push -----------------------------------------------------------------

    def _process(self, job_ids: Sequence[int], report: Reporter) -> None:
        with self.store.session() as session:
            groups = gate_round(
                session,
                job_ids,
                clock=self.clock,
                wait_delay=self.wait_delay,
                tools=self.tools,
                report=report,
            )
        self.pusher.step("built", job_ids)
        refused: set[int] = set()
        for (tenant_id, entity), batch in groups.items():
            if self.stop.is_set():
                self.recorder.release(batch)
                continue
            if tenant_id in refused:
                self.recorder.requeue(batch)  # the rules will hold these until it is reconnected
                continue
            connector, to = self._destination(tenant_id)
            if not self.pusher.push_group(connector, to, entity, batch, report):
                refused.add(tenant_id)

    def _destination(self, tenant_id: int) -> tuple[Connector, Destination]:
        with self.store.session() as session:
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            if tenant.id not in self._open:
                self._open[tenant.id] = self.connectors(tenant)
            to = Destination(
                tenant.id,
                tenant.name,
                tenant.remote_tenant_id,
                tenant.integration.kind,
                tenant.integration.show_success_messages,
            )
        return self._open[tenant_id], to


__all__ = [
    "ConnectorFactory",
    "DocumentView",
    "Engine",
    "Notice",
    "PassResult",
    "TenantView",
]
