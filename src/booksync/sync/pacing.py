"""Backoff with jitter between attempts, and naps a stopping worker cuts short.

Pacing calls within a tool's limits is the rate budget's job, and only its: one authority for the
engine and the connectors alike (`booksync.connectors.budget`, shared across processes by
`booksync.sync.budget_store`). `Clock` and `VirtualClock` live in `booksync.clock`; they are
re-exported here for callers that still import them from this module.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from booksync.clock import Clock, VirtualClock


def nap(clock: Clock, seconds: float, stop: threading.Event | None) -> None:
    """Sleep `seconds` on `clock`, waking at once when `stop` is set (a worker asked to stop must
    not sit out a 120 s Retry-After). A virtual clock's sleep is instant: it is slept on as is."""
    if stop is None or (isinstance(clock, VirtualClock) and clock.virtual):
        clock.sleep(seconds)
    else:
        stop.wait(max(0.0, seconds))


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter, capped, and never sooner than the tool's Retry-After."""

    base: float = 2.0
    cap: float = 600.0
    max_attempts: int = 8

    def delay(
        self, attempts: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(0, attempts - 1)))
        jittered = (rng or random).uniform(ceiling / 2, ceiling)
        return max(jittered, retry_after or 0.0)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


__all__ = ["Backoff", "Clock", "VirtualClock", "nap"]
