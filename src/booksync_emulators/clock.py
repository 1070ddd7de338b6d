"""Time as an emulator sees it, so a test can cross a rate-limit minute or a token's 30-minute life
in microseconds.

One `VirtualClock` serves every emulator in a test. It has the same shape as the sync engine's clock
(`booksync.sync.pacing.Clock`: `now()` in monotonic seconds, `sleep()`, `utcnow()`), so a test can
hand the very same object to the engine and to the emulator: when the engine "sleeps" on a
Retry-After, the emulator's minute passes too.

- Virtual (the default): time stands still until `advance()` or `sleep()` moves it.
- Real (`virtual=False`): time follows the wall clock; `advance()` still jumps it forward, which
  lets a long-running emulator (the CLI) expire a token on demand.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """A thread-safe clock for emulators; see the module docstring for the two modes."""

    def __init__(self, start: datetime | None = None, *, virtual: bool = True) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError(f"start={start!r} must be timezone-aware (UTC)")
        self.virtual = virtual
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._mono_start = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @classmethod
    def real(cls) -> VirtualClock:
        """A clock that follows real time (and can still be pushed forward)."""
        return cls(virtual=False)

    def now(self) -> float:
        """Seconds since the clock was made: monotonic, never goes back."""
        with self._lock:
            running = 0.0 if self.virtual else time.monotonic() - self._mono_start
            return running + self._offset

    def utcnow(self) -> datetime:
        """The current moment as a timezone-aware UTC datetime."""
        return self._start + timedelta(seconds=self.now())

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
