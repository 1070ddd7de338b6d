"""Time as booksync sees it: one seam shared by the engine, the connectors and the emulators.

`Clock` is the real one. `VirtualClock` is the one tests and benchmarks hand to the engine, to a
connector and to an emulator at once: when the engine "sleeps" on a Retry-After, the emulator's rate
minute and a token's 30-minute life pass too, in microseconds.

Both have the same three methods: `now()` (monotonic seconds, for spacing calls), `sleep()` and
`utcnow()` (a timezone-aware UTC datetime, for what is stored and sent). This module imports nothing
from booksync, so every layer may use it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

#: Where a virtual clock starts unless told otherwise: a fixed moment, so runs repeat exactly.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    """The real time: monotonic seconds for pacing, UTC datetimes for what is recorded."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock(Clock):
    """A thread-safe clock that moves only when slept on or advanced, so hours of rate-limited
    syncing take seconds.

    - Virtual (the default): time stands still until `advance()` or `sleep()` moves it; it starts
      at `start`, or at `EPOCH` so that runs repeat exactly.
    - Real (`virtual=False`, or `VirtualClock.real()`): time follows the wall clock from now;
      `advance()` still jumps it forward, which lets a long-running emulator expire a token on demand.
    """

    def __init__(self, start: datetime | None = None, *, virtual: bool = True) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError(f"start={start!r} must be timezone-aware (UTC)")
        self.virtual = virtual
        default = EPOCH if virtual else datetime.now(UTC)
        self.start = (start or default).astimezone(UTC)
        self._mono_start = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @classmethod
    def real(cls) -> VirtualClock:
        """A clock that follows real time (and can still be pushed forward)."""
        return cls(virtual=False)

    @property
    def elapsed(self) -> float:
        """Seconds since the clock was made (the time a run took, on a virtual clock)."""
        return self.now()

    def now(self) -> float:
        """Seconds since the clock was made: monotonic, never goes back."""
        with self._lock:
            running = 0.0 if self.virtual else time.monotonic() - self._mono_start
            return running + self._offset

    def utcnow(self) -> datetime:
        return self.start + timedelta(seconds=self.now())

    def timestamp(self) -> float:
        """The current moment as Unix seconds."""
        return self.utcnow().timestamp()

    def advance(self, seconds: float | timedelta) -> datetime:
        """Jump forward (never back); return the new moment."""
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if step < 0:
            raise ValueError(f"seconds={step} must not be negative: the clock never goes back")
        with self._lock:
            self._offset += step
        return self.utcnow()

    def sleep(self, seconds: float) -> None:
        """Wait: a virtual clock just advances, a real one really sleeps."""
        if seconds <= 0:
            return
        if self.virtual:
            self.advance(seconds)
        else:
            time.sleep(seconds)


__all__ = ["EPOCH", "Clock", "VirtualClock"]
