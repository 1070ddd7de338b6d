"""What comes back, kept running: the worker's thread, and one round on demand (`booksync pull`).

A round handles the webhook events waiting (`processing`), writes the payments recorded in booksync
(`payment_push`) and, when it is due, polls every tenant's change feed (`polling`). The worker runs
rounds in a thread beside its sync engine: every second (sooner on PostgreSQL, where a stored
webhook or a recorded payment NOTIFYs, as a saved record does), polling every
`BOOKSYNC_PULL_INTERVAL` seconds (300 by default).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from booksync.connectors.budget import Counts
from booksync.errors import BadInput
from booksync.services.inbound.payment_push import Pushed, push_payments
from booksync.services.inbound.polling import PullReport, pull
from booksync.services.inbound.processing import BATCH, Processed, process_events
from booksync.services.inbound.reach import Connectors, sharing_budget, tenant_connector
from booksync.services.references import find
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync.sync.wakeup import Wakeup

log = logging.getLogger(__name__)

INTERVAL_ENV = "BOOKSYNC_PULL_INTERVAL"
DEFAULT_INTERVAL = 300.0
#: Seconds between looks for webhook events and payments when nothing wakes the thread.
POLL = 1.0
#: Seconds between looks for tenants due a poll (each is polled once per interval, by one worker).
PULL_CHECK = 30.0


def pull_interval(environ: dict[str, str] | None = None) -> float:
    """Seconds between polls: BOOKSYNC_PULL_INTERVAL, else 300."""
    raw = (os.environ if environ is None else environ).get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise BadInput(
            INTERVAL_ENV, raw, "is not a number of seconds", "a number above 0, e.g. 300"
        )
    return value


@dataclass
class Round:
    """One round: webhook events handled, the poll (None: not due), payments written."""

    events: Processed = field(default_factory=Processed)
    polled: PullReport | None = None
    payments: Pushed = field(default_factory=Pushed)

    def to_json(self) -> dict[str, Any]:
        return {
            "events": {
                "handled": self.events.done,
                "failed": self.events.failed,
                "ignored": self.events.ignored,
                "calls": self.events.calls,
            },
            "polled": self.polled.to_json() if self.polled is not None else None,
            "payments": {
                "sent": self.payments.sent,
                "found": self.payments.found,
                "failed": self.payments.failed,
                "uncertain": self.payments.uncertain,
                "calls": self.payments.calls,
            },
        }


def pull_now(
    store: Store, tenant: str | None = None, *, connectors: Connectors = tenant_connector
) -> Round:
    """`booksync pull`: handle waiting webhook events, poll (one tenant, or every connected one),
    then write pending payments."""
    tenant_id = None
    if tenant is not None:
        with store.session() as s:
            tenant_id = find(s, Tenant, tenant, field="tenant").id
    done = Round()
    done.events = process_events(store.session, connectors=connectors)
    done.polled = pull(store.session, tenant, connectors=connectors)
    done.payments = push_payments(store.session, connectors=connectors, tenant_id=tenant_id)
    return done


class TwoWayThread(threading.Thread):
    """The worker's thread for what comes back; stops within about a second of `stop`."""

    def __init__(
        self,
        store: Store,
        stop: threading.Event,
        *,
        connectors: Connectors = tenant_connector,
        interval: float | None = None,
        poll: float = POLL,
    ) -> None:
        super().__init__(name="booksync-two-way", daemon=True)
        self.store = store
        self.stop = stop
        self.connectors = connectors
        self.interval = pull_interval() if interval is None else interval
        self.poll = poll
        self.rounds = 0

    def run(self) -> None:
        wakeup = Wakeup(self.store)
        # The first look for due polls waits a while: a worker just started pushes first, and does
        # not spend its tenants' budget on reads the moment it (or a restart) comes up.
        next_pull = time.monotonic() + min(self.interval, PULL_CHECK)
        try:
            while not self.stop.is_set():
                busy = False
                try:
                    events = process_events(self.store.session, connectors=self.connectors)
                    busy = events.claimed >= BATCH
                    push_payments(self.store.session, connectors=self.connectors)
                    if time.monotonic() >= next_pull:
                        # Checked often, done when due: each tenant is polled once per interval
                        # by whichever worker takes it first (`pull`'s `due_after`).
                        next_pull = time.monotonic() + min(self.interval, PULL_CHECK)
                        pull(
                            self.store.session,
                            connectors=self.connectors,
                            due_after=timedelta(seconds=self.interval),
                        )
                except Exception:  # noqa: BLE001 - one bad round must not stop the thread
                    log.exception("a round of reading back from the tools failed")
                self.rounds += 1
                if not busy:
                    wakeup.wait(self.poll, self.stop)
        finally:
            wakeup.close()


def start_two_way(
    store: Store, stop: threading.Event, *, counts: Counts | None = None, **options: Any
) -> TwoWayThread:
    """Start the thread (in `booksync worker`, beside the engine, sharing its rate budget)."""
    connectors = options.pop("connectors", tenant_connector)
    if counts is not None:
        connectors = sharing_budget(counts, connectors)
    thread = TwoWayThread(store, stop, connectors=connectors, **options)
    thread.start()
    return thread


__all__ = [
    "DEFAULT_INTERVAL",
    "INTERVAL_ENV",
    "Round",
    "TwoWayThread",
    "pull_interval",
    "pull_now",
    "start_two_way",
]
