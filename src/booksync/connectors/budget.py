"""The one rate authority: every call to a tool waits for its budget, per tenant and per app.

A tool's documented limits (`Limits`: calls a second, a minute and a day per tenant, at once per
tenant, a minute per app) become *lanes*: sliding windows decided by pyrate-limiter's
`SlidingWindowLog` in a `Counts` store. `LocalCounts` keeps them in this process
(SQLite stores, tests); `booksync.sync.budget_store` keeps them where every worker process on every
machine sees them (PostgreSQL, or Redis). The tool's remaining-calls headers correct the count (calls
other apps or workers made), a 429's Retry-After holds the tenant for everyone, and a wait longer
than `max_wait` is never slept: it is raised as `RateLimited` for the engine to reschedule.

The engine asks first (`permit`, before a batch is marked sent): a permit holds one of the tenant's
in-flight slots and one counted call, and the connector's first HTTP call to that tenant in the same
thread uses it instead of counting another (`slot`). A connector built inside `sharing(...)` (the
engine builds them so) shares the engine's counts, lanes and short `max_wait`.

When a call is over, its count moves to that moment (`Counts.restamp`). The tool counts a call when
it arrives; the permit counted it before the push was marked sent and its payload built, which on
a loaded machine takes longer than our windows' margin, and varies from call to call: a window
started at the count would end before the tool's, and a tenant's next call arrive while the tool
still counts the first (a 429). Counted at its end, a call is never counted earlier than the tool
counts it.

The parts: lanes and pyrate-limiter's verdict `lanes.py`; where counts live `counts.py`; sharing
and permits `permits.py`; the tool's rate headers `rate_headers.py`. Their names stay importable
from here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from booksync.clock import Clock
from booksync.connectors.counts import Counts, LocalCounts
from booksync.connectors.lanes import (
    APP,
    DAY_MS,
    MARGIN,
    MINUTE_MS,
    SECOND_MS,
    WINDOW,
    Lane,
    decide,
    wait_ms,
)
from booksync.connectors.permits import Permit, Sharing, permit_for, sharing
from booksync.connectors.permits import shared as current_sharing
from booksync.connectors.protocol import Limits, TransientError
from booksync.connectors.rate_headers import RateHeaders, header_int, retry_after

#: How often a slot looks again for a free in-flight place (real seconds).
POLL = 0.005
#: What `permit` says when every in-flight place of the tenant is taken (by other workers).
PLACE_WAIT = 0.05


class RateLimited(TransientError):
    """The budget allows no call for `retry_after` seconds, longer than this caller may wait: nothing
    was sent (the engine reschedules, without counting an attempt)."""


class RateBudget:
    """A tool's limits as lanes: per tenant a second, a minute and a day, calls at once per tenant,
    and a minute per app. No call while the tool's remaining-calls headers say none remain (`reserve`
    kept spare), none before a Retry-After has passed. A wait longer than `max_wait` is raised as
    `RateLimited(retry_after=...)`.

    `per_minute`/`concurrency` describe a budget of its own (a tool's sub-limit, as QuickBooks' 40
    batch requests a minute); `limits` gives every lane at once. Built inside `sharing(...)`, a
    budget whose minute limit is the tool's takes the tool's documented lanes and the shared counts.
    """

    def __init__(
        self,
        per_minute: int | None = None,
        concurrency: int = 1,
        *,
        headers: RateHeaders | None = None,
        clock: Clock | None = None,
        reserve: int = 0,
        max_wait: float = 60.0,
        limits: Limits | None = None,
        counts: Counts | None = None,
        scope: str | None = None,
    ) -> None:
        shared = current_sharing()
        suffix = ""
        if shared is not None and counts is None:
            counts, scope = shared.counts, scope or shared.scope
            main = shared.limits
            if limits is None and main is not None:
                if per_minute in (None, main.calls_per_minute):
                    limits = main
                else:  # a sub-limit of the tool's (its own lanes beside the tenant's)
                    suffix = f"/{per_minute}pm"
            if shared.max_wait is not None:
                max_wait = min(max_wait, shared.max_wait)
        if limits is None:
            limits = Limits({}, calls_per_minute=per_minute, concurrency=concurrency)
        self.limits = limits
        self.per_minute = limits.calls_per_minute
        self.concurrency = max(1, limits.concurrency)
        self.headers = headers or RateHeaders()
        self.clock = clock or Clock()
        self.reserve = reserve
        self.max_wait = max_wait
        self.counts: Counts = counts or LocalCounts()
        self.scope = scope or ""
        self._suffix = suffix

    # --- lanes ------------------------------------------------------------------------------------

    def base(self, tenant: str) -> str:
        return f"{self.scope}|{tenant}{self._suffix}"

    def lanes(self, tenant: str) -> list[Lane]:
        base, app = self.base(tenant), self.base(APP)
        found = [
            Lane(f"{base}|{name}", limit, interval)
            for name, limit, interval in (
                ("s", self.limits.calls_per_second, SECOND_MS),
                ("m", self.limits.calls_per_minute, MINUTE_MS),
                ("d", self.limits.calls_per_day, DAY_MS),
            )
            if limit
        ]
        if self.limits.app_calls_per_minute and tenant != APP:
            found.append(Lane(f"{app}|m", self.limits.app_calls_per_minute, MINUTE_MS))
        return found

    def _lane(self, tenant: str, name: str) -> Lane | None:
        wanted = f"{self.base(tenant)}|{name}"
        return next((lane for lane in self.lanes(tenant) if lane.key == wanted), None)

    def _holds(self, tenant: str) -> list[str]:
        return [self.base(tenant), self.base(APP)]

    def _now_ms(self) -> int:
        return int(self.clock.utcnow().timestamp() * 1000)

    # --- asking -----------------------------------------------------------------------------------

    def wait_for(self, tenant: str) -> float:
        """Seconds until a call to `tenant` is allowed (0 when it may go now); nothing is counted."""
        return (
            self.counts.take(self._holds(tenant), self.lanes(tenant), self._now_ms(), False) / 1000
        )

    ready_in = wait_for

    def try_take(self, tenant: str) -> float:
        """Count one call to `tenant` if it fits now (0.0); else the seconds until it would."""
        return self._try_take(tenant)[0]

    def _try_take(self, tenant: str) -> tuple[float, int]:
        """(seconds to wait, 0.0 when counted; the millisecond it was counted at, or asked at)."""
        now = self._now_ms()
        return self.counts.take(self._holds(tenant), self.lanes(tenant), now, True) / 1000, now

    def permit(self, tenant: str) -> Permit | float:
        """An in-flight place and a counted call for `tenant`, or the seconds to wait for them (a
        place taken by another process frees within a call's time: a short wait is said)."""
        place = self.counts.enter(self.base(tenant), self.concurrency)
        if place is None:
            return PLACE_WAIT
        wait, counted_at = self._try_take(tenant)
        if wait:
            self.counts.leave(place)
            return wait
        return Permit(self, self.base(tenant), place, counted_at=counted_at)

    @contextmanager
    def slot(self, tenant: str) -> Iterator[None]:
        """Around one HTTP call: an in-flight place (unless the engine's permit holds one) and one
        counted call (the permit's own, for its first call), waiting up to `max_wait`.

        When the call is over (answered or not), its count is moved to that moment (`restamp`):
        the tool counts a call when it arrives, and a permit's call was counted before the push
        was marked sent and its payload built, a delay that grows with the load. Counted at the
        end, no call of ours is stamped before the tool stamped it, so our window never ends
        before the tool's, whatever the delays were."""
        permit = permit_for(self.counts, self.base(tenant))
        if permit is not None:
            counted_at = self._take(tenant) if permit.used else permit.counted_at
            permit.used = True
            try:
                yield
            finally:
                self._over(tenant, counted_at)
            return
        place = self._enter(tenant)
        try:
            counted_at = self._take(tenant)
            try:
                yield
            finally:
                self._over(tenant, counted_at)
        finally:
            self.counts.leave(place)

    def _over(self, tenant: str, counted_at: int | None) -> None:
        """The call counted at `counted_at` is over: count it now instead."""
        now = self._now_ms()
        if counted_at is not None and now > counted_at:
            self.counts.restamp(self.lanes(tenant), counted_at, now)

    def _enter(self, tenant: str) -> object:
        deadline = time.monotonic() + self.max_wait
        while True:
            place = self.counts.enter(self.base(tenant), self.concurrency)
            if place is not None:
                return place
            if time.monotonic() > deadline:
                raise RateLimited(
                    f"{self.concurrency} calls to this tenant are already in flight",
                    retry_after=1.0,
                )
            time.sleep(POLL)

    def _take(self, tenant: str) -> int:
        """Count one call to `tenant`, waiting up to `max_wait`; the millisecond it was counted at."""
        while True:
            wait, counted_at = self._try_take(tenant)
            if wait <= 0:
                return counted_at
            if wait > self.max_wait + MARGIN + 0.05:  # a whole window of ours may be waited out
                raise RateLimited(
                    f"the rate limit for this tenant allows the next call in {wait:.0f} s",
                    retry_after=wait,
                )
            self.clock.sleep(wait)

    # --- what the tool says -----------------------------------------------------------------------

    def observe(self, tenant: str, headers: Mapping[str, str]) -> None:
        """Read the tool's remaining-calls headers: a lane that believes more calls remain than the
        tool says counts the difference now (calls it could not see)."""
        now = self._now_ms()
        for name, who, lane_name in (
            (self.headers.minute, tenant, "m"),
            (self.headers.day, tenant, "d"),
            (self.headers.app_minute, APP, "m"),
        ):
            left = header_int(headers.get(name)) if name else None
            lane = self._lane(who, lane_name) if who != APP else self._app_lane()
            if left is None or lane is None:
                continue
            self.counts.fill(lane, lane.limit - left + self.reserve, now)

    def _app_lane(self) -> Lane | None:
        limit = self.limits.app_calls_per_minute
        return Lane(f"{self.base(APP)}|m", limit, MINUTE_MS) if limit else None

    def hold(self, tenant: str, seconds: float, *, app: bool = False) -> None:
        """The tool said Retry-After: no call to `tenant` (every tenant, when `app`) before it has
        passed, in any process sharing these counts."""
        until = self._now_ms() + int(max(0.0, seconds) * 1000)
        self.counts.hold(self.base(APP if app else tenant), until)


__all__ = [
    "APP",
    "PLACE_WAIT",
    "MARGIN",
    "WINDOW",
    "Lane",
    "Counts",
    "LocalCounts",
    "Permit",
    "RateBudget",
    "RateHeaders",
    "RateLimited",
    "Sharing",
    "retry_after",
    "sharing",
    "decide",
    "wait_ms",
]
