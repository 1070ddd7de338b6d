"""One pass's digest: what failed and which tenants disconnected, in one message per pass.

Built from the pass's report (`sync.report.PassResult`): its tally of failed records per tenant and
its error notices (each with its fix). A tenant that refused the connection says so in a notice
whose fix is `booksync tenant connect NAME` (`sync.recording.Recorder.disconnected`); that is how
the digest tells a disconnection from a record's failure. A pass with nothing failed and nobody
disconnected has no digest: nobody is told that all is well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from booksync.store.types import utcnow
from booksync.sync.report import PassResult

#: Messages listed in one digest; the rest are counted ("and 12 more").
MAX_LISTED = 50


@dataclass(frozen=True)
class Problem:
    """One error the pass met: in plain words, and what to do about it."""

    text: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "fix": self.fix}


@dataclass(frozen=True)
class Digest:
    """What one pass has to tell: records failed per tenant, disconnections, each error."""

    at: datetime
    failed: dict[str, int] = field(default_factory=dict)
    disconnected: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    #: A test-send: says so everywhere, so nobody goes looking for failures.
    test: bool = False

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def subject(self) -> str:
        if self.test:
            return "booksync: test notification"
        parts = []
        if self.failed_total:
            n = self.failed_total
            parts.append(f"{n} record{'s' if n != 1 else ''} failed to sync")
        if self.disconnected:
            n = len(self.disconnected)
            parts.append(f"{n} tenant{'s' if n != 1 else ''} disconnected")
        return "booksync: " + ", ".join(parts)

    def text(self) -> str:
        """The digest as plain text (the e-mail's body, the chat message)."""
        if self.test:
            return (
                "This is a test notification from booksync: this channel is set up. After a sync "
                "pass in which records fail or a tenant disconnects, a digest like this one lists "
                "them with their fixes."
            )
        lines = [self.subject + f" ({self.at:%Y-%m-%d %H:%M} UTC)."]
        if self.failed:
            lines.append("")
            lines += [f"- {tenant}: {n} failed" for tenant, n in sorted(self.failed.items())]
        listed = [*self.disconnected, *self.errors]
        if listed:
            lines.append("")
        for problem in listed[:MAX_LISTED]:
            lines.append(f"- {problem.text}")
            if problem.fix:
                lines.append(f"  Fix: {problem.fix}")
        if len(listed) > MAX_LISTED:
            lines.append(f"... and {len(listed) - MAX_LISTED} more: run `booksync status`.")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The webhook's body: the same facts as the text, as data."""
        return {
            "event": "booksync.test" if self.test else "booksync.sync_pass",
            "at": self.at.isoformat(),
            "subject": self.subject,
            "failed": dict(sorted(self.failed.items())),
            "disconnected": [p.to_json() for p in self.disconnected[:MAX_LISTED]],
            "errors": [p.to_json() for p in self.errors[:MAX_LISTED]],
            "more": sum(max(0, len(p) - MAX_LISTED) for p in (self.disconnected, self.errors)),
            "text": self.text(),
        }


def digest_of(result: PassResult, now: datetime | None = None) -> Digest | None:
    """The digest of a pass, or None when it has nothing to tell (no failure, no disconnection)."""
    failed = {t: c["failed"] for t, c in result.tally.items() if c["failed"]}
    disconnected, errors = [], []
    for notice in result.notices:
        if notice.level != "error":
            continue
        problem = Problem(notice.text, notice.fix)
        if notice.disconnected:
            disconnected.append(problem)
        else:
            errors.append(problem)
    if not failed and not disconnected:
        return None
    return Digest(now or utcnow(), failed, disconnected, errors)


def sample_digest(now: datetime | None = None) -> Digest:
    """What a test-send sends."""
    return Digest(now or utcnow(), test=True)


__all__ = ["MAX_LISTED", "Digest", "Problem", "digest_of", "sample_digest"]
