"""Xero's API limits: per tenant 60 calls a minute, 5,000 a day and 5 in flight at once; per app
10,000 a minute. Sliding windows on the emulator's clock, so a virtual minute passes in no time.

Every Accounting API answer carries what is left (`X-DayLimit-Remaining`, `X-MinLimit-Remaining`,
`X-AppMinLimit-Remaining`); a refused call gets 429 with `Retry-After` (seconds until the window
frees a slot) and `X-Rate-Limit-Problem` (`minute`, `day`, `appminute` or `concurrent`). Refused
calls do not count. Xero documents "minute" and "day"; the other two names are the emulator's.
The app minute limit counts every tenant's calls of the one app the emulator serves (Xero: "There
is also a limit to the number of API calls your app can make per minute across all tenants",
https://developer.xero.com/faq/limits).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from booksync_emulators.clock import VirtualClock

MINUTE, DAY = 60.0, 86_400.0


@dataclass(frozen=True)
class XeroLimits:
    """Xero's limits as https://developer.xero.com/faq/limits states them (and
    /work/shared/specs/api-facts.md, line 8): per tenant "Concurrent Limit: 5 calls in progress at
    one time", "Minute Limit: 60 calls per minute", "Daily Limit: 5000 calls per day"; per app
    "App Minute Limit: 10,000 calls per minute" across all tenants."""

    per_minute: int = 60
    per_day: int = 5_000
    concurrent: int = 5
    app_per_minute: int = 10_000

    def scaled(self, factor: float) -> XeroLimits:
        """Every rate divided by `factor` (rounded, at least 1 call), for a benchmark that keeps
        Xero's proportions on a machine slower than Xero (`python -m bench scale --factor`). Calls
        in flight are not a rate and stay as they are."""
        if factor < 1:
            raise ValueError(f"factor={factor} must be 1 or more")
        return XeroLimits(
            per_minute=max(1, round(self.per_minute / factor)),
            per_day=max(1, round(self.per_day / factor)),
            concurrent=self.concurrent,
            app_per_minute=max(1, round(self.app_per_minute / factor)),
        )


@dataclass(frozen=True)
class Admission:
    """The limiter's answer: allowed, or which limit said no and when to come back."""

    allowed: bool
    headers: dict[str, str]
    problem: str | None = None
    retry_after: float = 0.0


class RateLimiter:
    def __init__(self, clock: VirtualClock, limits: XeroLimits) -> None:
        self.clock = clock
        self.limits = limits
        self._minute: dict[str, deque[float]] = {}
        self._day: dict[str, deque[float]] = {}
        self._app: deque[float] = deque()
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, tenant_id: str) -> Admission:
        """Count a call and hold one of the tenant's concurrent slots, or refuse it."""
        with self._lock:
            now = self.clock.now()
            minute = _trim(self._minute.setdefault(tenant_id, deque()), now - MINUTE)
            day = _trim(self._day.setdefault(tenant_id, deque()), now - DAY)
            app = _trim(self._app, now - MINUTE)
            refusal = None
            if len(day) >= self.limits.per_day:
                refusal = ("day", day[0] + DAY - now)
            elif len(minute) >= self.limits.per_minute:
                refusal = ("minute", minute[0] + MINUTE - now)
            elif len(app) >= self.limits.app_per_minute:
                refusal = ("appminute", app[0] + MINUTE - now)
            elif self._in_flight.get(tenant_id, 0) >= self.limits.concurrent:
                refusal = ("concurrent", 1.0)
            if refusal is None:
                for window in (minute, day, app):
                    window.append(now)
                self._in_flight[tenant_id] = self._in_flight.get(tenant_id, 0) + 1
            headers = self._headers(tenant_id)
        if refusal is None:
            return Admission(True, headers)
        return Admission(False, headers, refusal[0], max(refusal[1], 1.0))

    def release(self, tenant_id: str) -> None:
        with self._lock:
            self._in_flight[tenant_id] = max(0, self._in_flight.get(tenant_id, 0) - 1)

    def refund(self, tenant_id: str) -> dict[str, str]:
        """Undo the last `acquire` (a call that turned out not to count); return fresh headers."""
        with self._lock:
            for window in (self._minute[tenant_id], self._day[tenant_id], self._app):
                if window:
                    window.pop()
            self._in_flight[tenant_id] = max(0, self._in_flight.get(tenant_id, 0) - 1)
            return self._headers(tenant_id)

    def in_flight(self, tenant_id: str) -> int:
        with self._lock:
            return self._in_flight.get(tenant_id, 0)

    def _headers(self, tenant_id: str) -> dict[str, str]:
        return {
            "X-DayLimit-Remaining": str(self.limits.per_day - len(self._day.get(tenant_id, ()))),
            "X-MinLimit-Remaining": str(
                self.limits.per_minute - len(self._minute.get(tenant_id, ()))
            ),
            "X-AppMinLimit-Remaining": str(self.limits.app_per_minute - len(self._app)),
        }


def _trim(window: deque[float], horizon: float) -> deque[float]:
    while window and window[0] <= horizon:
        window.popleft()
    return window
