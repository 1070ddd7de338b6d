"""`booksync worker` inside another process: `booksync serve --worker` runs one beside the web
admin, so records sync on their own with nothing else to start.

It is the same worker as the command's: the engine `services.sync.make_engine` builds, its
`run_forever` loop, the two-way thread beside it (webhook events, payments, the scheduled pull),
and its row in the workers registry (so the banner and `booksync status` see
it). It runs in a thread of its own; `stop()` ends it as SIGTERM ends the command: the batch in
flight is recorded, the jobs it holds unsent go back to pending, and its registry row is removed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from booksync.services.inbound import start_two_way
from booksync.services.operations import observe_worker
from booksync.services.sync import make_engine
from booksync.store.db import Store
from booksync.sync.report import Notice

log = logging.getLogger("booksync.worker")

#: Seconds `stop()` waits for the worker to hand back what it holds.
STOP_WAIT = 30.0


def _log_notice(notice: Notice) -> None:
    level = logging.WARNING if notice.level == "error" else logging.INFO
    log.log(level, "%s%s", notice.text, f" (fix: {notice.fix})" if notice.fix else "")


class EmbeddedWorker:
    """A worker thread over `store`: `start()`, then `stop()` (or use it as a context manager)."""

    def __init__(
        self,
        store: Store,
        *,
        poll: float = 0.5,
        on_notice: Callable[[Notice], None] | None = _log_notice,
        **engine_options: Any,
    ) -> None:
        self.store = store
        self.poll = poll
        self.engine = make_engine(store, on_notice=on_notice, **engine_options)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        #: Why the worker ended on its own, if it did (shown in the log; the banner shows too).
        self.error: BaseException | None = None

    @property
    def name(self) -> str:
        return str(self.engine.worker)

    def start(self) -> EmbeddedWorker:
        """Start the thread; returns once the worker is in the registry (or has failed)."""
        self._thread = threading.Thread(target=self._run, name=f"worker {self.name}", daemon=True)
        self._thread.start()
        self._ready.wait()
        return self

    def _run(self) -> None:
        # As `booksync worker` does: webhook events, payments and the scheduled pull run beside
        # the engine, sharing its rate budget, and stop with it.
        two_way = start_two_way(self.store, self._stop, counts=self.engine.counts)
        try:
            with observe_worker(self.store, self.engine):
                self._ready.set()
                self.engine.run_forever(self._stop, poll=self.poll)
        except Exception as exc:  # noqa: BLE001 - the server goes on; the banner says no worker
            self.error = exc
            log.exception("the embedded worker stopped: %s", type(exc).__name__)
        finally:
            self._stop.set()
            two_way.join(STOP_WAIT)
            self._ready.set()
            self.engine.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = STOP_WAIT) -> None:
        """Ask the worker to stop and wait for it (up to `timeout` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the embedded worker did not stop within %.0f s", timeout)
            self._thread = None

    def __enter__(self) -> EmbeddedWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def default_on(store: Store) -> bool:
    """Whether `booksync serve` runs a worker when not told: yes on the embedded default store
    (a SQLite file, one machine, nothing else to start); no on PostgreSQL, where workers are
    processes of their own (`booksync worker`), as many as the load needs, on any machine."""
    return store.dialect == "sqlite"


__all__ = ["STOP_WAIT", "EmbeddedWorker", "default_on"]
