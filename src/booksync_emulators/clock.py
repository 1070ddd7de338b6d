"""Time as an emulator sees it: booksync's own `VirtualClock` (see `booksync.clock`).

One clock serves the engine, the connectors and every emulator in a test, so a test can cross a
rate-limit minute or a token's 30-minute life in microseconds: when the engine "sleeps" on a
Retry-After, the emulator's minute passes too. `VirtualClock.real()` follows the wall clock and can
still be pushed forward (the CLI emulator expires a token on demand that way).
"""

from __future__ import annotations

from booksync.clock import VirtualClock

__all__ = ["VirtualClock"]
