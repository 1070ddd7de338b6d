"""Fault switches a test flips to make an emulated tool misbehave the way real ones do.

Each switch arms a number of upcoming calls (optionally only calls matching a method or path):

- `fail_next(n, status=503)`: the next n calls answer 5xx without doing anything.
- `rate_limit_storm(n)`: the next n calls answer 429 with Retry-After, whatever the real counters say.
- `timeout_after_commit(n)`: the next n writes are applied, then the answer is lost: the connection
  is dropped (default) or the response is held back past the client's timeout (`delay=`). This is
  the case idempotency keys and look-ups before re-creating exist for.
- `hold(n)`: the next n calls stop inside the tool (counted as in flight) until the test opens the
  returned `Gate`: how a test fills the concurrency limit deterministically.

The tool's app asks `take(stage, method, path)` at two stages: "before" (the call has been
authenticated and counted, nothing is applied yet) and "after_commit" (the write has been applied;
the shared server plumbing does this one). Every fault that fires is kept in `fired`, so a test
can assert it really happened.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Stage = Literal["before", "after_commit"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FaultKind(StrEnum):
    ERROR = "error"
    RATE_LIMIT = "rate_limit"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    HOLD = "hold"


_STAGE: dict[FaultKind, Stage] = {
    FaultKind.ERROR: "before",
    FaultKind.RATE_LIMIT: "before",
    FaultKind.HOLD: "before",
    FaultKind.TIMEOUT_AFTER_COMMIT: "after_commit",
}


class Gate:
    """Where held calls wait until the test calls `release()`; `waiting` says how many are there."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._cond = threading.Condition()
        self.waiting = 0

    def wait(self, timeout: float = 30.0) -> None:
        with self._cond:
            self.waiting += 1
            self._cond.notify_all()
        try:
            self._open.wait(timeout)
        finally:
            with self._cond:
                self.waiting -= 1
                self._cond.notify_all()

    def wait_for_waiting(self, count: int, timeout: float = 5.0) -> bool:
        """Block until `count` calls are held (True) or `timeout` seconds pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.waiting >= count, timeout)

    def release(self) -> None:
        self._open.set()


@dataclass
class Fault:
    """One armed switch. `delay=None` on a timeout-after-commit means "drop the connection"."""

    kind: FaultKind
    remaining: int
    status: int = 503
    retry_after: float | None = None
    problem: str = "minute"
    delay: float | None = None
    methods: frozenset[str] | None = None
    path: str | None = None
    gate: Gate | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path is None or self.path.lower() in path.lower()


@dataclass(frozen=True)
class Fired:
    """A fault that fired, for assertions: which kind, on which call."""

    kind: FaultKind
    method: str
    path: str
    status: int | None = None


@dataclass
class FaultSwitches:
    """The switchboard shared by an emulator's app and its server; thread-safe."""

    _armed: list[Fault] = field(default_factory=list)
    fired: list[Fired] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        retry_after: float | None = None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        if not 500 <= status <= 599:
            raise ValueError(f"status={status} must be a 5xx code")
        self._arm(
            Fault(FaultKind.ERROR, count, status=status, retry_after=retry_after), methods, path
        )

    def rate_limit_storm(
        self,
        count: int,
        *,
        retry_after: float = 60.0,
        problem: str = "minute",
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        fault = Fault(
            FaultKind.RATE_LIMIT, count, status=429, retry_after=retry_after, problem=problem
        )
        self._arm(fault, methods, path)

    def timeout_after_commit(
        self,
        count: int = 1,
        *,
        delay: float | None = None,
        methods: Iterable[str] | None = WRITE_METHODS,
        path: str | None = None,
    ) -> None:
        """Apply the next `count` writes, then drop the connection (or, with `delay`, answer only
        after `delay` real seconds, when the client has given up)."""
        self._arm(Fault(FaultKind.TIMEOUT_AFTER_COMMIT, count, delay=delay), methods, path)

    def hold(
        self, count: int = 1, *, methods: Iterable[str] | None = None, path: str | None = None
    ) -> Gate:
        gate = Gate()
        self._arm(Fault(FaultKind.HOLD, count, gate=gate), methods, path)
        return gate

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def armed(self) -> int:
        """Calls still to be affected by armed switches."""
        with self._lock:
            return sum(f.remaining for f in self._armed)

    def take(self, stage: Stage, method: str, path: str) -> Fault | None:
        """Consume one use of the first armed switch for this stage that matches the call."""
        with self._lock:
            for fault in self._armed:
                if _STAGE[fault.kind] == stage and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._armed.remove(fault)
                    answered = fault.kind in (FaultKind.ERROR, FaultKind.RATE_LIMIT)
                    status = fault.status if answered else None
                    self.fired.append(Fired(fault.kind, method.upper(), path, status))
                    return fault
            return None

    def _arm(self, fault: Fault, methods: Iterable[str] | None, path: str | None) -> None:
        if fault.remaining < 1:
            raise ValueError(f"count={fault.remaining} must be at least 1")
        fault.methods = frozenset(m.upper() for m in methods) if methods is not None else None
        fault.path = path
        with self._lock:
            self._armed.append(fault)
