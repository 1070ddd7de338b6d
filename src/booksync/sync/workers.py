"""The workers registry: each `booksync worker` process says who it is and how it is doing.

A row per worker (`workers` table): host, pid, when it started, its last heartbeat, how many jobs it
holds and how many calls it makes at once. The worker writes it from a thread of its own every
`interval` seconds, whatever its pushing thread is doing, and deletes it when it stops cleanly; a
row whose heartbeat is older than `STALE_AFTER` beats belongs to a worker that died without saying
so (`booksync status` shows it as such; `register` clears rows a day old).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from booksync.clock import Clock
from booksync.domain.types import SyncStatus
from booksync.store.db import Store
from booksync.store.models import SyncJob, Worker

log = logging.getLogger(__name__)

#: Seconds between a worker's registry beats.
INTERVAL = 5.0
#: A worker silent for this many intervals is shown as gone.
STALE_AFTER = 3
#: Rows of workers silent this long are deleted when another worker registers.
FORGET_AFTER = timedelta(days=1)


def is_stale(heartbeat_at: datetime, now: datetime, interval: float = INTERVAL) -> bool:
    return now - heartbeat_at > timedelta(seconds=interval * STALE_AFTER)


class WorkerRegistry:
    """Keeps `worker`'s row in the `workers` table fresh from a thread, until `stop()`."""

    def __init__(
        self,
        store: Store,
        worker: str,
        *,
        concurrency: int = 1,
        interval: float = INTERVAL,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.concurrency = concurrency
        self.interval = interval
        self.clock = clock or Clock()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = self.clock.utcnow()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> int:
        """Write this worker's row now; return the jobs it holds."""
        now = self.clock.utcnow()
        with self.store.session() as session:
            held = session.scalar(
                select(func.count())
                .select_from(SyncJob)
                .where(
                    SyncJob.claimed_by == self.worker,
                    SyncJob.status == SyncStatus.IN_FLIGHT.value,
                )
            )
            values: dict[str, Any] = {
                "name": self.worker,
                "host": self.host,
                "pid": self.pid,
                "started_at": self.started_at,
                "heartbeat_at": now,
                "jobs_held": held or 0,
                "concurrency": self.concurrency,
            }
            dialect = session.get_bind().dialect.name
            mod: Any = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
            stmt = mod.insert(Worker).values(**values)
            keep = {k: v for k, v in values.items() if k != "name"}
            session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=keep))
        return held or 0

    def start(self) -> WorkerRegistry:
        with self.store.session() as session:
            session.execute(
                delete(Worker).where(Worker.heartbeat_at < self.started_at - FORGET_AFTER)
            )
        self.beat()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"registry {self.worker}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and remove this worker's row: it stopped cleanly."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            with self.store.session() as session:
                session.execute(delete(Worker).where(Worker.name == self.worker))
        except SQLAlchemyError as exc:  # the row goes stale and is shown as such
            log.warning("could not remove worker %s from the registry: %s", self.worker, exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except SQLAlchemyError as exc:  # a busy or briefly unreachable database
                log.warning("worker registry beat failed: %s", type(exc).__name__)

    def __enter__(self) -> WorkerRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["FORGET_AFTER", "INTERVAL", "STALE_AFTER", "WorkerRegistry", "is_stale"]
