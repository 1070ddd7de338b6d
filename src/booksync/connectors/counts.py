"""Where a rate budget's counts live (`Counts`), and the store of them for one process
(`LocalCounts`). `booksync.sync.budget_store` keeps them where every worker process on every machine
sees them (PostgreSQL, or Redis)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from typing import Protocol

from booksync.connectors.lanes import Lane, wait_ms


class Counts(Protocol):
    """Where a budget's counts live. Every method is atomic across the processes it serves."""

    #: Whether other processes see the same counts (False: this process only).
    shared: bool
    #: Where, in words, for the worker's log line.
    where: str

    def take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        """Milliseconds until a call fits every lane and no hold applies (0: it fits now, and it is
        counted in every lane when `count`). A call that does not fit is counted nowhere."""
        ...

    def restamp(self, lanes: Sequence[Lane], from_ms: int, to_ms: int) -> None:
        """Move one call counted at `from_ms` in each of `lanes` to `to_ms` (later: when the call
        was over). The tool counts a call when it arrives, which is after we counted it (the
        engine's permit counts before its push is marked sent and its payload built); a stamp no
        earlier than the arrival keeps our window from ending before the tool's."""
        ...

    def fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        """The tool counts more calls than we do (other apps, other workers): count phantom calls
        now, so the lane holds at least `at_least` in its window."""
        ...

    def hold(self, key: str, until_ms: int) -> None: ...

    def enter(self, key: str, limit: int) -> object | None:
        """One of `limit` in-flight places for `key`, or None when all are taken."""
        ...

    def leave(self, place: object) -> None: ...

    def close(self) -> None: ...


class LocalCounts:
    """Counts in this process's memory: exact for one process, blind to every other."""

    shared = False
    where = "this process only"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: dict[str, list[int]] = {}
        self._holds: dict[str, int] = {}
        self._inflight: dict[str, int] = {}

    def _log(self, lane: Lane, now_ms: int) -> list[int]:
        log = self._logs.setdefault(lane.key, [])
        stale = bisect.bisect_left(log, now_ms - lane.rate.interval - 1)
        if stale:
            del log[:stale]
        return log

    def take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        with self._lock:
            wait = max(0, *(self._holds.get(k, 0) - now_ms for k in holds))
            if wait > 0:
                return wait
            for lane in lanes:
                wait = max(wait, wait_ms(lane, self._log(lane, now_ms), now_ms))
            if wait or not count:
                return wait
            for lane in lanes:
                bisect.insort(self._logs[lane.key], now_ms)
            return 0

    def restamp(self, lanes: Sequence[Lane], from_ms: int, to_ms: int) -> None:
        with self._lock:
            for lane in lanes:
                log = self._logs.get(lane.key)
                if not log:
                    continue
                at = bisect.bisect_left(log, from_ms)
                if at < len(log) and log[at] == from_ms:
                    del log[at]
                    bisect.insort(log, to_ms)

    def fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        with self._lock:
            log = self._log(lane, now_ms)
            counted = len(log) - bisect.bisect_left(log, now_ms - lane.rate.interval)
            for _ in range(min(at_least, lane.limit) - counted):
                bisect.insort(log, now_ms)

    def hold(self, key: str, until_ms: int) -> None:
        with self._lock:
            self._holds[key] = max(self._holds.get(key, 0), until_ms)

    def enter(self, key: str, limit: int) -> object | None:
        with self._lock:
            if self._inflight.get(key, 0) >= limit:
                return None
            self._inflight[key] = self._inflight.get(key, 0) + 1
            return key

    def leave(self, place: object) -> None:
        with self._lock:
            key = str(place)
            self._inflight[key] = max(0, self._inflight.get(key, 0) - 1)

    def close(self) -> None:
        pass


__all__ = ["Counts", "LocalCounts"]
