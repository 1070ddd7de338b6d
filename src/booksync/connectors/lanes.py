"""Rate lanes: one limit of one tenant (or of the whole app) as a sliding window, and
pyrate-limiter's verdict on one more call in it. The pure part of the rate budget (`budget.py`):
no clock, no store, no I/O."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pyrate_limiter import Rate, SlidingWindowLog

#: The tenant name of the whole app's lanes (every tenant's calls), beside each tenant's own.
APP = "*"
#: Seconds our windows outlast the tool's. A call's count is moved to when the call was over
#: (`RateBudget.slot`), never before the tool stamped it on arrival; this margin covers the
#: rest: millisecond rounding, and clocks a little apart (another machine's, the tool's).
MARGIN = 0.25
WINDOW = 60.0 + MARGIN
SECOND_MS, MINUTE_MS, DAY_MS = 1_000, 60_000, 86_400_000

_POLICY = SlidingWindowLog()


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


@dataclass(frozen=True)
class Bounds:
    """pyrate-limiter's policy for one more call in a lane, as numbers a store can check in one
    statement (`booksync.sync.budget_store`): the window's first millisecond, the most calls the
    window may hold for the call to be admitted, and which call (from the newest) its wait reads."""

    start: int
    room: int
    offset: int


def bounds(lane: Lane, now_ms: int) -> Bounds:
    rate = lane.rate
    offset = _POLICY.blocking_offset(rate, 1)
    return Bounds(_POLICY.window_start(rate, now_ms), _room(lane), -1 if offset is None else offset)


@lru_cache(maxsize=16_384)
def _room(lane: Lane) -> int:
    """The most counted calls with which the policy still admits one more (-1: never), asked of
    the policy itself (its verdict is monotonic in the count) rather than restated here."""
    rate, low, high = lane.rate, -1, lane.limit
    while high - low > 1:
        middle = (low + high) // 2
        if _POLICY.admit([rate], [middle], 1).allowed:
            low = middle
        else:
            high = middle
    return low


__all__ = [
    "APP",
    "Bounds",
    "DAY_MS",
    "MARGIN",
    "MINUTE_MS",
    "SECOND_MS",
    "WINDOW",
    "Lane",
    "bounds",
    "decide",
    "wait_ms",
]
