"""Staying within a tool's limits: per-tenant pacing, Retry-After pauses, and backoff with jitter.

`Clock` and `VirtualClock` live in `booksync.clock` (the connectors and emulators share them); they
are re-exported here for callers that still import them from this module.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from booksync.clock import Clock, VirtualClock


@dataclass
class Pacer:
    """Spaces calls to each tenant so a tool's calls-per-minute limit is never reached, and holds a
    tenant back for as long as the tool's Retry-After asks.

    One pacer per worker process: several workers sharing a tenant should divide its limit.
    """

    clock: Clock = field(default_factory=Clock)
    _next_call: dict[str, float] = field(default_factory=dict)

    def wait(
        self, tenant: str, calls_per_minute: int | None, stop: threading.Event | None = None
    ) -> float:
        """Block until a call to `tenant` is allowed, or until `stop` is set; return how long it
        waited."""
        now = self.clock.now()
        ready_at = self._next_call.get(tenant, now)
        waited = max(0.0, ready_at - now)
        if waited:
            nap(self.clock, waited, stop)
            if stop is not None and stop.is_set():
                return waited
        interval = 60.0 / calls_per_minute if calls_per_minute else 0.0
        self._next_call[tenant] = max(ready_at, now) + interval
        return waited

    def pause(self, tenant: str, seconds: float) -> None:
        """The tool said Retry-After: make the next call to `tenant` wait at least that long."""
        until = self.clock.now() + max(0.0, seconds)
        self._next_call[tenant] = max(self._next_call.get(tenant, 0.0), until)

    def ready_in(self, tenant: str) -> float:
        return max(0.0, self._next_call.get(tenant, 0.0) - self.clock.now())


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


__all__ = ["Backoff", "Clock", "Pacer", "VirtualClock", "nap"]
