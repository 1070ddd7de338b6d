"""Recording each sync pass for the activity page (`services.activity` reads it back).

Every face runs the engine `services.sync.make_engine` builds, a `RecordingEngine`: after each
pass it writes one `sync_passes` row, with a row per tenant holding that tenant's outcome counts
and how many of its records stood blocked when the pass ended. A pass that did nothing (an idle
worker polls every half second) writes nothing, and rows older than `RETENTION` are deleted as
new ones are written (one indexed DELETE that usually finds nothing), so the tables stay bounded.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from booksync.services.notifications.sending import NotifyingEngine
from booksync.services.sync import blocked_by_tenant
from booksync.store.db import Store
from booksync.store.models import SyncPass, SyncPassTenant
from booksync.sync.engine import ConnectorFactory
from booksync.sync.report import PassResult

log = logging.getLogger(__name__)

#: Passes older than this are deleted.
RETENTION = timedelta(days=90)
#: How a pass was started: by a worker's loop, or by a face running one pass.
TRIGGERS = ("worker", "cli", "api", "web", "pass")
OUTCOMES = ("synced", "failed", "blocked", "waiting")


def did_something(result: PassResult) -> bool:
    """Whether a pass is worth a row: it handled a job, handed some back, or called a tool."""
    return bool(result.handled or result.waits or result.calls)


def hour_of(at: datetime) -> datetime:
    """The start of the UTC hour `at` falls in: the chart's bucket."""
    return at.replace(minute=0, second=0, microsecond=0)


def record_pass(
    store: Store,
    result: PassResult,
    *,
    started_at: datetime,
    finished_at: datetime,
    worker: str,
    trigger: str,
) -> int | None:
    """Write the pass (None, and nothing written, when it did nothing); returns its id.

    Tenants get a row when the pass touched them, or when records of theirs stand blocked (so the
    chart's blocked line follows them between their own passes)."""
    if not did_something(result):
        return None
    with store.session() as session:
        blocked_now = blocked_by_tenant(session)
        row = SyncPass(
            started_at=started_at,
            finished_at=finished_at,
            worker=worker[:100],
            trigger=trigger if trigger in TRIGGERS else "pass",
            **{outcome: result.count(outcome) for outcome in OUTCOMES},
            deferred=sum(w.jobs for w in result.waits.values()),
            calls=result.calls,
        )
        session.add(row)
        session.flush()
        touched = {name for name, counts in result.tally.items() if sum(counts.values())}
        names = touched | set(result.waits) | {n for n, c in blocked_now.items() if c}
        hour = hour_of(finished_at)
        for name in sorted(names):
            counts = result.tally.get(name)
            wait = result.waits.get(name)
            session.add(
                SyncPassTenant(
                    pass_id=row.id,
                    tenant=name[:255],
                    hour=hour,
                    **{outcome: counts[outcome] if counts else 0 for outcome in OUTCOMES},
                    deferred=wait.jobs if wait else 0,
                    blocked_now=blocked_now.get(name, 0),
                )
            )
        prune(session, finished_at)
        return row.id


def prune(session: Session, now: datetime) -> int:
    """Delete the passes older than `RETENTION` (their tenant rows go with them: ON DELETE
    CASCADE); returns how many."""
    deleted = session.execute(delete(SyncPass).where(SyncPass.finished_at < now - RETENTION))
    return int(getattr(deleted, "rowcount", 0) or 0)


class RecordingEngine(NotifyingEngine):
    """The engine every face runs: after each pass, it is recorded, then its digest goes out.
    Whatever happens to the record, the pass's result stands."""

    def __init__(
        self, store: Store, connectors: ConnectorFactory, *, trigger: str = "pass", **options: Any
    ) -> None:
        super().__init__(store, connectors, **options)
        self.trigger = trigger
        self._started: datetime | None = None

    def run_forever(self, stop: threading.Event, *, poll: float = 0.5) -> None:
        self.trigger = "worker"
        super().run_forever(stop, poll=poll)

    def run_pass(self, *, max_wait: float = 0.0) -> PassResult:
        self._started = self.clock.utcnow()
        return super().run_pass(max_wait=max_wait)

    def after_pass(self, result: PassResult) -> None:
        finished = self.clock.utcnow()
        try:
            record_pass(
                self.store,
                result,
                started_at=self._started or finished,
                finished_at=finished,
                worker=self.worker,
                trigger=self.trigger,
            )
        except Exception as exc:  # noqa: BLE001 - the activity log must never undo the pass
            log.warning("could not record the sync pass: %s", type(exc).__name__)
        super().after_pass(result)


__all__ = [
    "RETENTION",
    "TRIGGERS",
    "RecordingEngine",
    "did_something",
    "hour_of",
    "prune",
    "record_pass",
]
