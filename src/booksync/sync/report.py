"""What a pass tells the person watching: a tally per tenant, notices with their fix, progress."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from booksync import metrics

#: Called once per job handled, with its tenant's name (for progress bars).
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Notice:
    """A message for the person watching: successes (when asked for) and every error, with its fix."""

    level: str  # success | error | warning | info
    text: str
    fix: str | None = None
    #: The tenant refused the connection: it must be connected again (notifications say so).
    disconnected: bool = False


@dataclass(frozen=True)
class Wait:
    """Jobs of one tenant handed back until `until`, and why: its rate budget is spent, or the tool
    asked to wait (Retry-After). The worker went on with other tenants meanwhile."""

    jobs: int
    until: datetime
    reason: str


@dataclass
class PassResult:
    """What one pass did, per tenant name: synced, waiting, blocked, failed (rejected or dead)."""

    tally: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    calls: int = 0
    notices: list[Notice] = field(default_factory=list)
    #: Pushes the tool booked differently from what booksync computed (each is also a "warning"
    #: notice with both figures: `verification.py`).
    mismatched: int = 0
    #: tenant name -> the jobs it must wait for, until when, and why.
    waits: dict[str, Wait] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.tally.values())

    @property
    def handled(self) -> int:
        return sum(sum(c.values()) for c in self.tally.values())


@dataclass
class Reporter:
    """One pass's result, and the engine's callbacks to tell the person watching as it goes."""

    result: PassResult
    on_progress: Progress | None = None
    on_notice: Callable[[Notice], None] | None = None

    def tally(self, tenant_name: str, outcome: str) -> None:
        self.result.tally[tenant_name][outcome] += 1
        metrics.handled(outcome)

    def notice(self, notice: Notice) -> None:
        self.result.notices.append(notice)
        if self.on_notice:
            self.on_notice(notice)

    def progress(self, tenant_name: str) -> None:
        if self.on_progress:
            self.on_progress(tenant_name, 1)

    def wait(self, tenant_name: str, jobs: int, until: datetime, reason: str) -> None:
        """`jobs` of `tenant_name` handed back until `until` (merged with what waits already)."""
        before = self.result.waits.get(tenant_name)
        if before is not None:
            jobs, until = jobs + before.jobs, max(until, before.until)
        self.result.waits[tenant_name] = Wait(jobs, until, reason)

    def call(self) -> None:
        """One call made to a tool (answered or not)."""
        self.result.calls += 1
        metrics.called()


__all__ = ["Notice", "PassResult", "Progress", "Reporter", "Wait"]
