"""A worker's heartbeat: its claims kept alive from a thread of its own.

A claim lasts a lease (`claiming.py`, `holding.py`); another worker takes over a job still in flight when its
lease runs out, taking its holder for dead. The pushing thread may spend longer than a lease in one
call or one Retry-After pause, so the heartbeat does not wait for it: it renews every claim the
worker holds a few times per lease, and stops when the worker stops (or dies with its process).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from booksync.clock import Clock
from booksync.store.db import Store
from booksync.sync import holding

#: Beats per lease: a lease survives two missed beats (a slow database, a paused thread).
BEATS_PER_LEASE = 3


class Heartbeat:
    """Renews `worker`'s claims every `lease / BEATS_PER_LEASE` seconds until `stop()`."""

    def __init__(self, store: Store, worker: str, *, clock: Clock, lease: timedelta) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock
        self.interval = max(0.05, lease.total_seconds() / BEATS_PER_LEASE)
        self.beats = 0
        #: When the last beat started, on the real monotonic clock (0.0: none yet): a worker whose
        #: last beat is older than its lease may have lost its claims, and sends nothing.
        self.last_beat = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"heartbeat {self.worker}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def beat(self) -> None:
        started = time.monotonic()
        with self.store.session() as session:
            holding.heartbeat(session, self.worker, self.clock.utcnow())
        self.last_beat = started
        self.beats += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except SQLAlchemyError:
                continue  # a busy or briefly unreachable database: the next beat tries again

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["BEATS_PER_LEASE", "Heartbeat"]
