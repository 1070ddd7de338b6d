"""One record's answer from the rules: its checklist rows, its readiness and the root causes.

`Evaluation` is what the doctor shows and what the engine gates on; `evaluation.Evaluator` builds
it. Readiness: blocked beats not-yet-known beats waiting on a dependency beats ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from booksync.domain.findings import SEVERITY, Finding, Readiness, Status
from booksync.domain.records import Record, Subject
from booksync.domain.rulebook import RuleInfo, Scope, Target
from booksync.domain.rules import RULES, holds, rules_for
from booksync.domain.tax import TaxResolution

#: The rule that reports the tool's own answer: a rejection is retried by the engine, not held.
TOOL_ACCEPTED = "tool.accepted"
#: The rules about what the tool said of the last push (`tool.accepted`, `tool.totals_match`):
#: they ask for a person's attention, but never stop the next push (which may be the remedy).
PUSH_RULES = frozenset(r.id for r in RULES if r.scope is Scope.PUSH)
#: The rules about a document's client, supplier and products: the only ones that can wait.
DEPENDENCY = "dependency."


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the doctor's checklist: a rule and how the record fares on it."""

    rule: RuleInfo
    status: Status
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def detail(self) -> str:
        if not self.findings:
            return self.rule.passed
        return "; ".join(dict.fromkeys(f.detail for f in self.findings))


@dataclass(frozen=True)
class LineTax:
    """The tax a document line (or a product) resolves to, with where the rate came from."""

    position: int | None
    product: Subject
    resolution: TaxResolution


def readiness_of(problems: Iterable[Finding]) -> Readiness:
    """Blocked beats not-yet-known beats waiting on a dependency beats ready."""
    blocked = unknown = waiting = False
    for p in problems:
        if p.status is Status.BLOCKED:
            blocked = True
        elif p.status is Status.UNKNOWN:
            unknown = unknown or holds(p.rule)
        elif p.status is Status.WAITING:
            waiting = waiting or p.rule.startswith(DEPENDENCY)
    if blocked:
        return Readiness.BLOCKED
    if unknown:
        return Readiness.UNKNOWN
    return Readiness.WAITING if waiting else Readiness.READY


@dataclass(frozen=True)
class Evaluation:
    record: Record
    target: Target
    #: Every finding that is not a plain pass (an OK one carries a note), in the checklist's order.
    problems: tuple[Finding, ...]
    tax: tuple[LineTax, ...] = field(default=())

    @property
    def readiness(self) -> Readiness:
        return readiness_of(self.problems)

    @property
    def ready(self) -> bool:
        """Nothing stands in the way but dependencies the engine will push first."""
        return self.readiness in (Readiness.READY, Readiness.WAITING)

    @property
    def pushable(self) -> bool:
        """The engine's gate: as `ready`, but what the tool said of the last push (a rejection,
        figures it booked differently) does not hold the next one."""
        return all(
            p.rule in PUSH_RULES
            or p.status in (Status.OK, Status.WAITING)
            or (p.status is Status.UNKNOWN and not holds(p.rule))
            for p in self.problems
        )

    @property
    def waiting_on(self) -> tuple[Subject, ...]:
        return tuple(
            p.subject
            for p in self.problems
            if p.status is Status.WAITING and p.rule.startswith(DEPENDENCY)
        )

    def blockers(self) -> list[Finding]:
        """The root causes, one per record and field at fault, in checklist order."""
        seen: dict[tuple[str, str, int | None, str | None], Finding] = {}
        for problem in self.problems:
            if problem.status is Status.BLOCKED:
                root = problem.root
                seen.setdefault(root.key, root)
        return list(seen.values())

    def checks(self) -> list[Check]:
        rows = []
        for rule in rules_for(self.record.type):
            mine = tuple(p for p in self.problems if p.rule == rule.id)
            status = next((s for s in SEVERITY if any(p.status is s for p in mine)), Status.OK)
            rows.append(Check(rule, status, mine))
        return rows


#: rule id -> its place in the checklist, to keep findings in the guide's order.
ORDER = {rule.id: n for n, rule in enumerate(RULES)}


def rank(finding: Finding) -> int:
    return ORDER[finding.rule]


def ordered(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings without repeats (the same product on two lines is one problem), in order."""
    return tuple(sorted(dict.fromkeys(findings), key=rank))
