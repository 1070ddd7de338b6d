"""What a tool's response headers say about its rate limits: how many calls remain
(`RateHeaders` names the headers per tool) and how long to wait (`Retry-After`)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from booksync.clock import Clock


@dataclass(frozen=True)
class RateHeaders:
    """The response headers in which a tool says how many calls remain (None: it does not say)."""

    minute: str | None = None
    day: str | None = None
    app_minute: str | None = None
    problem: str | None = None


def header_int(value: str | None) -> int | None:
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


__all__ = ["RateHeaders", "header_int", "retry_after"]
