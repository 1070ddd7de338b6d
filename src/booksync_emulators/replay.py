"""Answers kept per key and replayed to retries: the machinery behind Xero's `Idempotency-Key` and
QuickBooks Online's `?requestid=`.

The first call with a key runs and its answer is kept (`begin` -> `finish`); a retry gets a copy of
that answer instead of running again. A retry that arrives while the first call is still running
waits for its answer. A key may carry a fingerprint of its request: a retry whose fingerprint
differs is refused with `KeyReused` (Xero does this; QuickBooks does not fingerprint, it replays).
Keys expire `ttl` seconds after first use on the emulator's clock (`ttl=None`: never).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Response

#: how long (real seconds) a retry waits for the first call's answer
WAIT_SECONDS = 30.0


class KeyReused(Exception):
    """The key was already used for a request with another fingerprint."""


@dataclass
class Entry:
    """One key's first call; `response` is set once it has answered."""

    fingerprint: str
    created: float
    done: threading.Event = field(default_factory=threading.Event)
    response: Response | None = None


class ReplayCache:
    def __init__(self, clock: VirtualClock, ttl: float | None) -> None:
        self.clock = clock
        self.ttl = ttl
        self._entries: dict[Hashable, Entry] = {}
        self._lock = threading.Lock()

    def begin(self, key: Hashable, fingerprint: str = "") -> tuple[Entry | None, Response | None]:
        """(entry to `finish`, None) for a new key; (None, a copy of the kept answer) for a retry.

        Raises `KeyReused` when the key's first request had another fingerprint."""
        while True:
            with self._lock:
                now = self.clock.now()
                entry = self._entries.get(key)
                if entry is None or (self.ttl is not None and now - entry.created >= self.ttl):
                    entry = Entry(fingerprint, now)
                    self._entries[key] = entry
                    return entry, None
            if entry.fingerprint != fingerprint:
                raise KeyReused(key)
            if entry.done.wait(timeout=WAIT_SECONDS) and entry.response is not None:
                return None, replayed(entry.response)

    def finish(self, entry: Entry, response: Response) -> None:
        """Keep `response` as the key's answer and wake any waiting retries."""
        entry.response = replayed(response)
        entry.done.set()

    def forget(self, key: Hashable, entry: Entry) -> None:
        """Drop an entry whose call never reached the tool, so a retry is processed afresh."""
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
        entry.done.set()


def replayed(response: Response) -> Response:
    """A fresh copy of a kept answer. It counts as committed (the tool did the work), so the
    lost-answer fault can lose a replay too."""
    return Response(response.status, response.body, dict(response.headers), committed=True)
