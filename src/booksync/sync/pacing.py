"""Staying within a tool's limits: per-tenant pacing, Retry-After pauses, and backoff with jitter."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


class Clock:
    """Time as the engine sees it: the real one here; tests and benchmarks use `VirtualClock`."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock(Clock):
    """A clock that only moves when slept on, so hours of rate-limited syncing take seconds."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.elapsed += max(0.0, seconds)

    def utcnow(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)


@dataclass
class Pacer:
    """Spaces calls to each tenant so a tool's calls-per-minute limit is never reached, and holds a
    tenant back for as long as the tool's Retry-After asks.

    One pacer per worker process: several workers sharing a tenant should divide its limit.
    """

    clock: Clock = field(default_factory=Clock)
    _next_call: dict[str, float] = field(default_factory=dict)

    def wait(self, tenant: str, calls_per_minute: int | None) -> float:
        """Block until a call to `tenant` is allowed; return how long it waited."""
        now = self.clock.now()
        ready_at = self._next_call.get(tenant, now)
        waited = max(0.0, ready_at - now)
        if waited:
            self.clock.sleep(waited)
        interval = 60.0 / calls_per_minute if calls_per_minute else 0.0
        self._next_call[tenant] = max(ready_at, now) + interval
        return waited

    def pause(self, tenant: str, seconds: float) -> None:
        """The tool said Retry-After: make the next call to `tenant` wait at least that long."""
        until = self.clock.now() + max(0.0, seconds)
        self._next_call[tenant] = max(self._next_call.get(tenant, 0.0), until)

    def ready_in(self, tenant: str) -> float:
        return max(0.0, self._next_call.get(tenant, 0.0) - self.clock.now())


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
