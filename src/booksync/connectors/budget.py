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
"""

from __future__ import annotations

import bisect
import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol

from pyrate_limiter import Rate, SlidingWindowLog

from booksync.clock import Clock
from booksync.connectors.protocol import Limits, TransientError


@dataclass(frozen=True)
class RateHeaders:
    """The response headers in which a tool says how many calls remain (None: it does not say)."""

    minute: str | None = None
    day: str | None = None
    app_minute: str | None = None
    problem: str | None = None


#: The tenant name of the whole app's lanes (every tenant's calls), beside each tenant's own.
APP = "*"
#: Seconds our windows outlast the tool's: it stamps a call on arrival and rounds its own way.
MARGIN = 0.25
WINDOW = 60.0 + MARGIN
SECOND_MS, MINUTE_MS, DAY_MS = 1_000, 60_000, 86_400_000
#: How often a slot looks again for a free in-flight place (real seconds).
POLL = 0.005
#: What `permit` says when every in-flight place of the tenant is taken (by other workers).
PLACE_WAIT = 0.05

_POLICY = SlidingWindowLog()


class RateLimited(TransientError):
    """The budget allows no call for `retry_after` seconds, longer than this caller may wait: nothing
    was sent (the engine reschedules, without counting an attempt)."""


@dataclass(frozen=True)
class Lane:
    """One limit of one tenant (or of the app): at most `limit` calls in any `interval_ms`."""

    key: str
    limit: int
    interval_ms: int

    @property
    def rate(self) -> Rate:
        return Rate(self.limit, self.interval_ms + int(MARGIN * 1000))


def wait_ms(lane: Lane, log: Sequence[int], now_ms: int) -> int:
    """Milliseconds until `lane` has room for one more call, given its sorted log of call times."""
    counted = len(log) - bisect.bisect_left(log, _POLICY.window_start(lane.rate, now_ms))
    return decide(
        lane, counted, lambda offset: log[-1 - offset] if offset < len(log) else None, now_ms
    )


def decide(lane: Lane, counted: int, peek: Callable[[int], int | None], now_ms: int) -> int:
    """pyrate-limiter's sliding-window verdict for one more call: 0, or the milliseconds to wait.
    `counted` is the calls in the window; `peek(n)` the time of the n-th newest call."""
    decision = _POLICY.decide([lane.rate], [counted], 1, now_ms, peek)
    if decision.allowed:
        return 0
    return max(1, decision.retry_after_ms or 1)


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


# --- sharing one store of counts with the connectors the engine builds --------------------------------------


@dataclass(frozen=True)
class Sharing:
    """What a `RateBudget` built inside `sharing(...)` adopts: the engine's counts, the tool's name
    (its lanes' prefix) and documented limits, and how long a call may wait in place."""

    counts: Counts
    scope: str
    limits: Limits | None = None
    max_wait: float | None = None


_SHARING: contextvars.ContextVar[Sharing | None] = contextvars.ContextVar("sharing", default=None)
#: The permits the current thread holds, by (counts, tenant lane): a connector's call uses them.
_PERMITS: contextvars.ContextVar[Mapping[tuple[int, str], Permit] | None] = contextvars.ContextVar(
    "permits", default=None
)


@contextmanager
def sharing(
    counts: Counts, scope: str, limits: Limits | None = None, *, max_wait: float | None = None
) -> Iterator[None]:
    """Every `RateBudget` made in this block (a connector's) counts in `counts`, as `scope`'s."""
    token = _SHARING.set(Sharing(counts, scope, limits, max_wait))
    try:
        yield
    finally:
        _SHARING.reset(token)


@dataclass
class Permit:
    """One in-flight place and one counted call for a tenant, held by the engine for one push. Enter
    it around the push: the connector's first call to that tenant uses it."""

    budget: RateBudget
    base: str
    place: object | None
    used: bool = False
    _token: contextvars.Token[Mapping[tuple[int, str], Permit] | None] | None = field(
        default=None, repr=False
    )

    def __enter__(self) -> Permit:
        held = dict(_PERMITS.get() or {})
        held[(id(self.budget.counts), self.base)] = self
        self._token = _PERMITS.set(held)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _PERMITS.reset(self._token)
            self._token = None
        self.release()

    def release(self) -> None:
        if self.place is not None:
            self.budget.counts.leave(self.place)
            self.place = None


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
        shared = _SHARING.get()
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
        return (
            self.counts.take(self._holds(tenant), self.lanes(tenant), self._now_ms(), True) / 1000
        )

    def permit(self, tenant: str) -> Permit | float:
        """An in-flight place and a counted call for `tenant`, or the seconds to wait for them (a
        place taken by another process frees within a call's time: a short wait is said)."""
        place = self.counts.enter(self.base(tenant), self.concurrency)
        if place is None:
            return PLACE_WAIT
        wait = self.try_take(tenant)
        if wait:
            self.counts.leave(place)
            return wait
        return Permit(self, self.base(tenant), place)

    @contextmanager
    def slot(self, tenant: str) -> Iterator[None]:
        """Around one HTTP call: an in-flight place (unless the engine's permit holds one) and one
        counted call (the permit's own, for its first call), waiting up to `max_wait`."""
        permit = (_PERMITS.get() or {}).get((id(self.counts), self.base(tenant)))
        if permit is not None:
            if permit.used:
                self._take(tenant)
            permit.used = True
            yield
            return
        place = self._enter(tenant)
        try:
            self._take(tenant)
            yield
        finally:
            self.counts.leave(place)

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

    def _take(self, tenant: str) -> None:
        while True:
            wait = self.try_take(tenant)
            if wait <= 0:
                return
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
            left = _int(headers.get(name)) if name else None
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


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after(value: str | None, clock: Clock) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - clock.utcnow()).total_seconds())


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
