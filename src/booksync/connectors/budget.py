"""Each tenant's rate budget: calls wait *before* a tool would refuse them.

A tool limits calls per tenant per minute (and per app), and says in response headers how many
remain; a 429 carries Retry-After. `RateBudget` keeps its own per-minute window, reads those headers
so it can see calls made by other workers, honours Retry-After holds, and caps calls in flight.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from booksync.clock import Clock
from booksync.connectors.protocol import TransientError


@dataclass(frozen=True)
class RateHeaders:
    """The response headers in which a tool says how many calls remain (None: it does not say)."""

    minute: str | None = None
    day: str | None = None
    app_minute: str | None = None
    problem: str | None = None


#: The window key of the whole app (every tenant's calls), beside each tenant's own.
APP = "*"
#: Seconds our per-minute window outlasts the tool's (see `RateBudget._wait`).
MARGIN = 0.25
WINDOW = 60.0 + MARGIN


@dataclass
class _Window:
    calls: deque[float] = field(default_factory=deque)
    minute_left: int | None = None
    seen_at: float = 0.0
    #: When the tool said no calls remain: the moment the oldest call it counted leaves its minute.
    frees_at: float = 0.0
    hold_until: float = 0.0
    slots: threading.BoundedSemaphore | None = None


class RateBudget:
    """Paces calls per tenant: never more than `per_minute` in any 60 s, at most `concurrency` at once,
    no call while the tool's own count says none remain (`reserve` kept spare for other workers), and
    none before a Retry-After has passed. A wait longer than `max_wait` is not slept: it is raised as
    `TransientError(retry_after=...)` for the engine to reschedule.
    """

    def __init__(
        self,
        per_minute: int | None,
        concurrency: int = 1,
        *,
        headers: RateHeaders | None = None,
        clock: Clock | None = None,
        reserve: int = 0,
        max_wait: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self.concurrency = max(1, concurrency)
        self.headers = headers or RateHeaders()
        self.clock = clock or Clock()
        self.reserve = reserve
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(
                slots=threading.BoundedSemaphore(self.concurrency)
            )
        return window

    def wait_for(self, key: str) -> float:
        """Seconds until a call to `key` is allowed (0 when it may go now)."""
        with self._lock:
            now = self.clock.now()
            own = self._wait(self._window(key), now, self.per_minute)
            return max(own, self._wait(self._window(APP), now, None))

    def _wait(self, window: _Window, now: float, per_minute: int | None) -> float:
        # A call leaves the tool's minute a little after ours says so: the tool stamps it on arrival
        # and rounds its own way, so our window runs MARGIN longer than 60 s.
        while window.calls and window.calls[0] + WINDOW < now:
            window.calls.popleft()
        wait = window.hold_until - now
        if per_minute and len(window.calls) >= per_minute:
            wait = max(wait, window.calls[len(window.calls) - per_minute] + WINDOW - now)
        if window.minute_left is not None and window.minute_left <= self.reserve:
            # The tool counts calls we cannot see (other workers). Wait until the oldest call it
            # counted leaves its minute, fixed when the header was read: one slot frees then, and the
            # next answer's header says how many are left.
            if now >= window.frees_at:
                window.minute_left = None
            else:
                wait = max(wait, window.frees_at - now)
        return max(0.0, wait)

    @contextmanager
    def slot(self, key: str) -> Iterator[None]:
        """Hold one of the tenant's concurrent slots, after waiting for its budget."""
        window = self._window(key)
        assert window.slots is not None
        window.slots.acquire()
        try:
            while True:
                wait = self.wait_for(key)
                if wait <= 0:
                    break
                if wait > self.max_wait + MARGIN:  # a full minute of our own window is waited out
                    raise TransientError(
                        f"the rate limit for this tenant allows the next call in {wait:.0f} s",
                        retry_after=wait,
                    )
                self.clock.sleep(wait)
            with self._lock:
                self._window(key).calls.append(self.clock.now())
                self._window(APP).calls.append(self.clock.now())
            yield
        finally:
            window.slots.release()

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Read the tool's remaining-calls headers from a response."""
        now = self.clock.now()
        with self._lock:
            for name, target in ((self.headers.minute, key), (self.headers.app_minute, APP)):
                value = _int(headers.get(name)) if name else None
                if value is not None:
                    window = self._window(target)
                    window.minute_left, window.seen_at = value, now
                    recent = [t for t in window.calls if t > now - 60.0]
                    window.frees_at = (recent[0] if recent else now) + 60.0

    def hold(self, key: str, seconds: float) -> None:
        """The tool said Retry-After: no call to `key` before it has passed."""
        with self._lock:
            window = self._window(key)
            window.hold_until = max(window.hold_until, self.clock.now() + max(0.0, seconds))
            window.minute_left = None  # the hold replaces what the headers said


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
