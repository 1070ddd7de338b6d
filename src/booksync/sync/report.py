"""What a pass tells the person watching: a tally per tenant, notices with their fix, progress."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

#: Called once per job handled, with its tenant's name (for progress bars).
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Notice:
    """A message for the person watching: successes (when asked for) and every error, with its fix."""

    level: str  # success | error | info
    text: str
    fix: str | None = None


@dataclass
class PassResult:
    """What one pass did, per tenant name: synced, waiting, blocked, failed (rejected or dead)."""

    tally: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    calls: int = 0
    notices: list[Notice] = field(default_factory=list)

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

    def notice(self, notice: Notice) -> None:
        self.result.notices.append(notice)
        if self.on_notice:
            self.on_notice(notice)

    def progress(self, tenant_name: str) -> None:
        if self.on_progress:
            self.on_progress(tenant_name, 1)

    def call(self) -> None:
        """One call made to a tool (answered or not)."""
        self.result.calls += 1


__all__ = ["Notice", "PassResult", "Progress", "Reporter"]
