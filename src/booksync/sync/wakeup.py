"""Waking an idle worker the moment a sync job is queued, instead of at its next poll.

On PostgreSQL every transaction that queues or releases a job sends `NOTIFY booksync_sync_jobs`
(`booksync.store.outbox`), delivered when it commits. `Wakeup` LISTENs on a dedicated psycopg 3
connection of its own, so an idle worker pushes a saved record within milliseconds. On SQLite, or
when the LISTEN connection cannot be opened or breaks, `wait` simply sleeps out its timeout: polling
stays the fallback, and a broken connection is retried every `RETRY` seconds.

Usage (the engine's idle wait):

    wakeup = Wakeup(store)      # before the first look for due jobs: a NOTIFY sent between that
    try:                        # look and `wait` is queued on the connection, never lost
        while not stop.is_set():
            if not run_one_pass():              # nothing was due
                wakeup.wait(poll, stop)         # True: woken by a NOTIFY; False: timeout or stop
    finally:
        wakeup.close()

`wait(timeout, stop)` returns within about `SLICE` seconds of `stop` being set.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import make_url

from booksync.store.db import Store
from booksync.store.outbox import CHANNEL

log = logging.getLogger(__name__)

#: Longest stretch `wait` blocks on the connection before looking at `stop` again.
SLICE = 0.1
#: Seconds between attempts to reopen a LISTEN connection that failed or broke.
RETRY = 5.0


class Wakeup:
    """Waits for `NOTIFY booksync_sync_jobs` on PostgreSQL; on SQLite it only sleeps."""

    def __init__(self, store: Store) -> None:
        self._conninfo: str | None = None
        if store.dialect == "postgresql":
            # psycopg takes a libpq URL: SQLAlchemy's driver suffix ("+psycopg") dropped.
            url = make_url(store.url).set(drivername="postgresql")
            self._conninfo = url.render_as_string(hide_password=False)
        self._conn: Any = None
        self._next_try = 0.0
        self.notifications = 0
        self._listen()

    @property
    def listening(self) -> bool:
        """Whether a NOTIFY can wake this worker now (False: it polls)."""
        return self._conn is not None

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Block until a job may be due (a NOTIFY: True), `stop` is set, or `timeout` s pass (False).

        Every notification already queued is taken at once: a burst of saves wakes the worker once.
        """
        if self._conninfo is None:  # SQLite (or closed): poll
            stop.wait(max(0.0, timeout))
            return False
        deadline = time.monotonic() + max(0.0, timeout)
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._conn is None:
                if self._listen():
                    return True  # listening again: a NOTIFY sent while it was not may be missed
                stop.wait(min(left, SLICE * 10))
                continue
            try:
                got = sum(1 for _ in self._conn.notifies(timeout=min(left, SLICE), stop_after=1))
                if got:
                    got += sum(1 for _ in self._conn.notifies(timeout=0))  # the rest, queued
                    self.notifications += got
                    return True
            except Exception as exc:  # noqa: BLE001 - any failure: fall back to polling, retry later
                log.warning("lost the LISTEN connection (%s); polling until it is back", _why(exc))
                self._drop()
                return True  # a NOTIFY may have been missed: look once now
        return False

    def close(self) -> None:
        self._drop()
        self._conninfo = None

    def __enter__(self) -> Wakeup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _listen(self) -> bool:
        if self._conninfo is None or time.monotonic() < self._next_try:
            return False
        conn = None
        try:
            import psycopg

            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:  # noqa: BLE001 - no LISTEN: the worker polls, as on SQLite
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            log.warning("cannot LISTEN for new sync jobs (%s); polling instead", _why(exc))
            self._next_try = time.monotonic() + RETRY
            return False
        self._conn = conn
        return True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._next_try = time.monotonic() + RETRY
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                conn.close()


def _why(exc: BaseException) -> str:
    """The first line of an error, without the connection string (it may hold a password)."""
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


__all__ = ["RETRY", "SLICE", "Wakeup"]
