"""Sliding-window counters for an emulator's rate limits, on the emulator's clock (so a virtual
minute passes in no time).

A `SlidingWindow` counts calls per key (a tenant, a realm, an app) over the last `seconds`. It
holds no lock: a limiter checks several windows as one decision, so the limiter locks around all
of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable


class SlidingWindow:
    def __init__(self, limit: int, seconds: float) -> None:
        if limit < 1 or seconds <= 0:
            raise ValueError(f"limit={limit} must be at least 1 and seconds={seconds} above 0")
        self.limit = limit
        self.seconds = seconds
        self._calls: dict[Hashable, deque[float]] = {}

    def used(self, key: Hashable, now: float) -> int:
        """Calls counted for `key` within the window ending `now`."""
        return len(self._trim(key, now))

    def full(self, key: Hashable, now: float) -> bool:
        return self.used(key, now) >= self.limit

    def add(self, key: Hashable, now: float) -> None:
        self._trim(key, now).append(now)

    def undo(self, key: Hashable) -> None:
        """Take back the latest call (one that turned out not to count)."""
        calls = self._calls.get(key)
        if calls:
            calls.pop()

    def _trim(self, key: Hashable, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.seconds:
            calls.popleft()
        return calls
