"""Xero's `Idempotency-Key` on writes: the first answer to a key is kept for 6 minutes and replayed
to any retry of the same request; the same key with a different request is a 400.

Keys belong to the app (not the tenant); at most 128 characters. Replays still count against the
rate limits (the limiter runs first). An answer the emulator failed to produce (a 500 from inside
the handler) is kept too, as Xero documents; injected gateway faults (5xx before the call reached
the tool, 429s) never are. A retry that arrives while the first call is still running waits for
its answer (the shared `booksync_emulators.replay.ReplayCache` does the keeping and waiting).
"""

from __future__ import annotations

import hashlib
import json

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Request, Response
from booksync_emulators.replay import Entry, KeyReused, ReplayCache
from booksync_emulators.xero.errors import api_exception

TTL_SECONDS = 360.0
MAX_KEY_LENGTH = 128


def fingerprint(request: Request, tenant_id: str) -> str:
    """What makes two requests "the same": tenant, method, path, query and the body's JSON."""
    try:
        body = json.dumps(request.json(), sort_keys=True, default=str)
    except ValueError:
        body = request.body.decode("utf-8", "replace")
    query = sorted((k.lower(), v) for k, vs in request.query.items() for v in vs)
    text = json.dumps([tenant_id, request.method, request.path.lower(), query, body], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyCache:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._cache = ReplayCache(clock, TTL_SECONDS)

    def check_key(self, key: str) -> Response | None:
        if len(key) > MAX_KEY_LENGTH:
            return api_exception(
                10,
                "ValidationException",
                f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters",
            )
        return None

    def begin(self, app: str, key: str, print_: str) -> tuple[Entry | None, Response | None]:
        """(entry to complete, None) for a new key; (None, answer) for a replay or a conflict."""
        try:
            return self._cache.begin((app, key), print_)
        except KeyReused:
            return None, api_exception(
                10,
                "ValidationException",
                f"The Idempotency-Key '{key}' was already used with a different request.",
            )

    def finish(self, entry: Entry, response: Response) -> None:
        self._cache.finish(entry, response)

    def forget(self, app: str, key: str, entry: Entry) -> None:
        """Drop an entry whose call never reached the tool, so a retry is processed afresh."""
        self._cache.forget((app, key), entry)
