"""QuickBooks Online's throttles, per company (realm) and app: 500 calls a minute (batch calls
included), 40 batch calls a minute, and 10 calls in flight at once. Sliding windows on the
emulator's clock, so a virtual minute passes in no time.

A refused call gets 429 ThrottleExceeded (`errors.throttled`) and does not count. QBO sends no
Retry-After or remaining-calls headers; its documentation says to wait 60 seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from booksync_emulators.clock import VirtualClock
from booksync_emulators.ratelimit import SlidingWindow

MINUTE = 60.0


@dataclass(frozen=True)
class QboLimits:
    per_minute: int = 500
    batch_per_minute: int = 40
    concurrent: int = 10


class RateLimiter:
    def __init__(self, clock: VirtualClock, limits: QboLimits) -> None:
        self.clock = clock
        self.limits = limits
        self._minute = SlidingWindow(limits.per_minute, MINUTE)
        self._batch = SlidingWindow(limits.batch_per_minute, MINUTE)
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, realm_id: str, *, batch: bool) -> bool:
        """Count a call and hold one of the realm's concurrent slots; False when a limit says no."""
        with self._lock:
            now = self.clock.now()
            if (
                self._minute.full(realm_id, now)
                or (batch and self._batch.full(realm_id, now))
                or self._in_flight.get(realm_id, 0) >= self.limits.concurrent
            ):
                return False
            self._minute.add(realm_id, now)
            if batch:
                self._batch.add(realm_id, now)
            self._in_flight[realm_id] = self._in_flight.get(realm_id, 0) + 1
            return True

    def release(self, realm_id: str) -> None:
        with self._lock:
            self._in_flight[realm_id] = max(0, self._in_flight.get(realm_id, 0) - 1)

    def refund(self, realm_id: str, *, batch: bool) -> None:
        """Undo an `acquire` whose call turned out not to count (an injected 429)."""
        with self._lock:
            self._minute.undo(realm_id)
            if batch:
                self._batch.undo(realm_id)
            self._in_flight[realm_id] = max(0, self._in_flight.get(realm_id, 0) - 1)

    def used(self, realm_id: str) -> int:
        """Calls counted for the realm in the last minute."""
        with self._lock:
            return self._minute.used(realm_id, self.clock.now())

    def in_flight(self, realm_id: str) -> int:
        with self._lock:
            return self._in_flight.get(realm_id, 0)
