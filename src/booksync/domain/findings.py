"""What a rule says about a record: findings, and a record's overall readiness.

Findings are values, never exceptions or log lines: the engine, the doctor, the API and the web
admin all read the same ones. A finding's fix is data too (`booksync.domain.fixes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from booksync.domain.fixes import Action, Fix
from booksync.domain.records import Subject

__all__ = ["SEVERITY", "Action", "Finding", "Fix", "Readiness", "Status", "at_fault"]


class Status(StrEnum):
    #: Passes. A check yields an OK finding only to say more than its pass text (a document that
    #: "will be linked to" the tool's copy, a due date taken from payment terms).
    OK = "ok"
    #: Cannot sync until something is changed.
    BLOCKED = "blocked"
    #: Will sync once the engine has pushed a dependency first.
    WAITING = "waiting"
    #: Cannot be evaluated yet (nothing imported or connected, nothing pushed).
    UNKNOWN = "unknown"


#: Worst first: how a check over several subjects reports itself.
SEVERITY = (Status.BLOCKED, Status.UNKNOWN, Status.WAITING, Status.OK)


class Readiness(StrEnum):
    READY = "ready"
    WAITING = "waiting"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    status: Status
    #: The record at fault (for a dependency: the dependency; its own fault is `cause`).
    subject: Subject
    field: str | None
    detail: str
    fix: Fix | None = None
    cause: Finding | None = None

    @property
    def root(self) -> Finding:
        """The finding at the end of the dependency chain: what the user must actually change."""
        finding = self
        while finding.cause is not None:
            finding = finding.cause
        return finding

    @property
    def key(self) -> tuple[str, str, int | None, str | None]:
        return (self.rule, self.subject.type, self.subject.id, self.field)


def at_fault(rule: str, detail: str, fix: Fix, status: Status = Status.BLOCKED) -> Finding:
    """A finding on the record and field that its fix changes (as most findings are)."""
    return Finding(rule, status, fix.subject, fix.field, detail, fix)
