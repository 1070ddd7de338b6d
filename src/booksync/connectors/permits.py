"""Sharing one store of counts between the engine and the connectors it builds, and the engine's
permits: an in-flight place and a counted call for one push, which the connector's first call to
that tenant in the same thread uses instead of counting another."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from booksync.connectors.counts import Counts
from booksync.connectors.protocol import Limits

if TYPE_CHECKING:
    from booksync.connectors.budget import RateBudget


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
    #: The millisecond (the budget's clock) its call was counted at, moved when the call is over.
    counted_at: int | None = None
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


def shared() -> Sharing | None:
    """What the enclosing `sharing(...)` block shares (None outside one)."""
    return _SHARING.get()


def permit_for(counts: Counts, base: str) -> Permit | None:
    """The permit the current thread holds for tenant lane `base` in `counts`, if any."""
    return (_PERMITS.get() or {}).get((id(counts), base))


__all__ = ["Permit", "Sharing", "permit_for", "shared", "sharing"]
