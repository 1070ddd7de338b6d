"""What a plan says: per tenant, what the next pass would do with each record, and why.

Plain data every face renders (the CLI as tables, the API as JSON, the web side by side); built by
`booksync.services.plan`. Actions: `create` a new object in the tool; `update` the object booksync
made or synced before; `link` to an object the tool already had (with the evidence); `hold` (the
rules stop it: rule ids and fixes); `nothing` (synced at this version, or nothing queued).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from booksync.connectors.protocol import PushItem
from booksync.domain.types import EntityType
from booksync.services.plan_diff import FieldRow
from booksync.services.plan_matching import Candidate
from booksync.sync.gating import plain

NO_TENANT = "(no tenant)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    LINK = "link"
    HOLD = "hold"
    NOTHING = "nothing"


ACTIONS = tuple(Action)


@dataclass
class RecordPlan:
    """One record: what the next pass does with it, the evidence or the reasons, and the diff."""

    entity: EntityType
    record_id: int
    #: How a person names it: a party's or product's name, a document's number.
    ref: str
    #: What the tool knows it by: a party's number, a product's code, a document's number.
    reference: str
    tenant: str
    tenant_id: int | None
    action: Action
    job_status: str | None = None
    #: For `hold`: each root cause as the doctor words it (rule id, detail, fix, fix page, docs).
    reasons: list[dict[str, Any]] = field(default_factory=list)
    #: Records the pass pushes first (a client, supplier or product not linked yet).
    waits_on: list[str] = field(default_factory=list)
    #: The tool's object it updates or links to.
    remote_id: str | None = None
    #: For `link`: what makes it the same record ("number", "exact name", "code", ...).
    evidence: str | None = None
    notes: list[str] = field(default_factory=list)
    #: For `update` and `link`: each field the tool reported, beside booksync's; None: not read.
    diff: list[FieldRow] | None = None
    #: The exact push item the pass would send (None: nothing is sent).
    item: PushItem | None = None
    #: Its last push went unanswered: the pass looks it up before creating anything.
    uncertain: bool = False

    @property
    def label(self) -> str:
        return f"{self.entity.label} '{self.ref}'"

    @property
    def changes(self) -> int:
        return sum(1 for r in self.diff or () if r.changed)

    def to_json(self, *, payload: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.entity.value,
            "id": self.record_id,
            "ref": self.ref,
            "reference": self.reference,
            "tenant": self.tenant,
            "action": self.action.value,
            "job_status": self.job_status,
            "remote_id": self.remote_id,
            "evidence": self.evidence,
            "waits_on": self.waits_on,
            "reasons": self.reasons,
            "notes": self.notes,
            "diff": None if self.diff is None else [r.to_json() for r in self.diff],
            "changes": None if self.diff is None else self.changes,
        }
        if payload:
            out["payload"] = plain(self.item) if self.item is not None else None
        return out


@dataclass
class TenantPlan:
    """One tenant's part of the plan, with what reading its tool cost."""

    name: str
    tenant_id: int | None
    tool: str | None = None
    records: list[RecordPlan] = field(default_factory=list)
    #: Records the pass leaves alone (synced at their current version), counted, not listed.
    unchanged: Counter[str] = field(default_factory=Counter)
    matches: list[Candidate] = field(default_factory=list)
    #: Calls made to the tool for this plan (HTTP requests, or reads of a local file).
    calls: int = 0
    reads: Counter[str] = field(default_factory=Counter)
    #: True when what the tool holds came from the plan cache (no call made for it).
    cached: bool = False
    #: Why nothing (or not everything) could be read from the tool.
    remote_note: str | None = None

    def counts(self) -> dict[str, int]:
        total = Counter(r.action.value for r in self.records)
        total[Action.NOTHING.value] += sum(self.unchanged.values())
        return {a.value: total[a.value] for a in ACTIONS}

    def by_type(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for r in self.records:
            table.setdefault(r.entity.value, Counter())[r.action.value] += 1
        for entity, n in self.unchanged.items():
            table.setdefault(entity, Counter())[Action.NOTHING.value] += n
        order = [e.value for e in EntityType]
        return {
            e: {a.value: table[e][a.value] for a in ACTIONS} for e in sorted(table, key=order.index)
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.name,
            "tool": self.tool,
            "counts": self.counts(),
            "by_type": self.by_type(),
            "calls": self.calls,
            "reads": dict(self.reads),
            "cached": self.cached,
            "remote_note": self.remote_note,
            "records": [r.to_json() for r in self.records],
            "matches": [c.to_json() for c in self.matches],
        }


@dataclass
class Plan:
    tenants: list[TenantPlan]

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.tenants)

    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for t in self.tenants:
            total.update(t.counts())
        return {a.value: total[a.value] for a in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "calls": self.calls,
            "tenants": [t.to_json() for t in self.tenants],
        }


__all__ = ["ACTIONS", "NO_TENANT", "Action", "Plan", "RecordPlan", "TenantPlan"]
