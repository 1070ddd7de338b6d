"""What keeps sign-in from being a way to exhaust the server or guess passwords.

- A bounded pool for password hashing: argon2 costs ~64 MiB and a core for a good fraction of a
  second by design, so at most `HASH_SLOTS` hashes run at once in a process; a caller that cannot
  get a slot within `HASH_WAIT` seconds gets `Busy` (the web answers 503 with Retry-After).
- A limit on failed sign-ins: `MAX_FAILURES` per `WINDOW`, counted per user name and per client
  address in the store (so every request and every process sees the same count); past it,
  `TooManyAttempts` (429 with Retry-After) and no password is even checked.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from booksync.services.errors import BooksyncError
from booksync.store.models import SignInFailure
from booksync.store.types import utcnow

HASH_SLOTS = 2
HASH_WAIT = 2.0
MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)

_slots = threading.BoundedSemaphore(HASH_SLOTS)


class Busy(BooksyncError):
    """Every hashing slot stayed taken while the caller waited; nothing was checked or written."""

    def __init__(self) -> None:
        self.retry_after = math.ceil(HASH_WAIT)
        super().__init__(f"too many sign-ins at once; try again in {self.retry_after} seconds")


#: What each counter of `keys` limits, in its order, as a refusal names it.
COUNTED = ("for this user name", "from this address")


def wait_words(seconds: int) -> str:
    """`1 second`, `42 seconds`, `1 minute`: how long to wait, as a person says it."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")


class TooManyAttempts(BooksyncError):
    """Too many failed sign-ins for this user name or from this address (or both: `by`, phrases
    of `COUNTED`) within `WINDOW`; `retry_after` is the wait in whole seconds."""

    def __init__(self, retry_after: int, by: tuple[str, ...] = COUNTED) -> None:
        self.retry_after = retry_after
        self.by = by
        window = wait_words(int(WINDOW.total_seconds()))
        super().__init__(
            f"too many failed sign-ins {' and '.join(by)} ({MAX_FAILURES} within {window}); "
            f"wait {wait_words(retry_after)}, then try again"
        )


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one of the process's hashing slots for the block, or raise `Busy`."""
    if not _slots.acquire(timeout=HASH_WAIT):
        raise Busy()
    try:
        yield
    finally:
        _slots.release()


def keys(username: str, address: str | None) -> list[str]:
    """The counters a sign-in attempt falls under, hashed so nothing typed is stored."""
    raw = [f"user:{username.strip().lower()}"]
    if address:
        raw.append(f"address:{address}")
    return [hashlib.sha256(k.encode("utf-8", "backslashreplace")).hexdigest() for k in raw]


def refuse_if_throttled(
    session: Session, counters: Sequence[str], now: datetime | None = None
) -> None:
    """Raise `TooManyAttempts` if any counter (as `keys` returns them: the user name's, then the
    address's) has `MAX_FAILURES` failures inside the window, naming which and the longest wait:
    the attempt is allowed once every counter it falls under has room again."""
    now = now or utcnow()
    rows = session.execute(
        select(SignInFailure.key, func.count(), func.min(SignInFailure.failed_at))
        .where(SignInFailure.key.in_(list(counters)), SignInFailure.failed_at > now - WINDOW)
        .group_by(SignInFailure.key)
    ).all()
    full = {key: (oldest + WINDOW - now).total_seconds() for key, count, oldest in rows
            if count >= MAX_FAILURES}  # fmt: skip
    if full:
        by = tuple(phrase for key, phrase in zip(counters, COUNTED, strict=False) if key in full)
        raise TooManyAttempts(max(1, math.ceil(max(full.values()))), by)


def record_failure(session: Session, counters: Iterable[str], now: datetime | None = None) -> None:
    """Count one failure against each counter, and forget failures older than the window."""
    now = now or utcnow()
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - WINDOW))
    session.add_all(SignInFailure(key=key, failed_at=now) for key in counters)
    session.flush()


def forget_failures(session: Session, counter: str) -> None:
    """A successful sign-in clears its user name's failures (not its address's)."""
    session.execute(delete(SignInFailure).where(SignInFailure.key == counter))


__all__ = [
    "HASH_SLOTS",
    "HASH_WAIT",
    "MAX_FAILURES",
    "WINDOW",
    "COUNTED",
    "Busy",
    "TooManyAttempts",
    "forget_failures",
    "hashing_slot",
    "keys",
    "record_failure",
    "refuse_if_throttled",
    "wait_words",
]
