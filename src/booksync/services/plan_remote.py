"""The tool's half of a plan: read-only calls to one tenant's tool, counted, and kept for the next.

What is read, and only when the plan needs it: the tool's contacts and items (the matching report,
when the tenant has clients, suppliers or products not linked yet); the engine's own lookup
(`sync.pushing.look_up`, `lookup_many` where the tool has it) for records whose last push went
unanswered, exactly as the pass looks them up before creating; and, where the connector can
(`RemoteRead`), the current version of every record the pass would update or link to, for the
field diff. Every call goes through the connector's own HTTP client, so it waits for and counts
against the tenant's rate budget like any push. Nothing is ever sent that writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from booksync.connectors.protocol import (
    Connector,
    PartyPayload,
    RemoteRead,
)
from booksync.domain.types import EntityType
from booksync.services.plan_cache import Fetched
from booksync.services.plan_diff import diff, payload_fields
from booksync.services.plan_matching import Candidate, Local, Remote, candidates, difference
from booksync.services.plan_model import Action, RecordPlan
from booksync.services.tool_calls import CallCounter
from booksync.sync.gating import Ready
from booksync.sync.pushing import look_up

#: Remote ids per `fetch` call: connectors page within it as their API needs.
FETCH_CHUNK = 200


@dataclasses.dataclass
class TenantReads:
    """What the plan asks one tenant's tool, and what it found (kept in `fetched`)."""

    remote_tenant: str
    connector: Connector
    fetched: Fetched
    counter: CallCounter

    def contacts(self) -> list[Remote]:
        if self.fetched.contacts is None:
            self.counter.read("contacts")
            self.fetched.contacts = [
                dataclasses.asdict(c) for c in self.connector.contacts(self.remote_tenant)
            ]
        return [_remote_contact(c) for c in self.fetched.contacts]

    def items(self) -> list[Remote]:
        if self.fetched.items is None:
            self.counter.read("items")
            self.fetched.items = [
                dataclasses.asdict(i) for i in self.connector.items(self.remote_tenant)
            ]
        return [
            Remote(str(i["remote_id"]), str(i["name"]), str(i.get("code") or "") or None)
            for i in self.fetched.items
        ]

    def lookups(self, entity: EntityType, wanted: Sequence[RecordPlan]) -> dict[str, str | None]:
        """Remote ids by reference, as the pass finds them before re-creating (`look_up`)."""
        known = self.fetched.lookups.setdefault(entity.value, {})
        missing = [r for r in wanted if r.item is not None and r.reference not in known]
        if missing:
            self.counter.read("lookup")
            readies = [Ready(0, 0, r.item, True, r.label) for r in missing if r.item is not None]
            found = look_up(self.connector, self.remote_tenant, entity, readies)
            for r in missing:
                known[r.reference] = found.get(r.reference)
        return {r.reference: known.get(r.reference) for r in wanted}

    def records(
        self, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, Mapping[str, Any]] | None:
        """The tool's current fields of each object (None: the connector cannot read them)."""
        if not isinstance(self.connector, RemoteRead):
            return None
        known = self.fetched.records.setdefault(entity.value, {})
        missing = [i for i in dict.fromkeys(remote_ids) if i not in known]
        for start in range(0, len(missing), FETCH_CHUNK):
            chunk = missing[start : start + FETCH_CHUNK]
            self.counter.read("fetch")
            answer = self.connector.fetch(self.remote_tenant, entity, chunk)
            for remote_id in chunk:
                known[remote_id] = dict(answer.get(remote_id) or {})
        return {i: known[i] for i in remote_ids if known.get(i)}


def _remote_contact(row: Mapping[str, Any]) -> Remote:
    entity = row.get("entity")
    return Remote(
        str(row["remote_id"]),
        str(row["name"]),
        str(row["number"]) if row.get("number") else None,
        bool(row.get("active", True)),
        EntityType(entity) if entity else None,
    )


def read_tenant(
    reads: TenantReads,
    records: Sequence[RecordPlan],
    unlinked: Sequence[Local],
    linked: set[tuple[str, str]],
    *,
    matching: bool = True,
) -> list[Candidate]:
    """Ask the tool what the plan of `records` needs; settle lookups, evidence and diffs in place;
    return the matching report."""
    _resolve_uncertain(reads, records)
    _diff_linked(reads, records)
    if not matching:
        return []
    report: list[Candidate] = []
    parties = [u for u in unlinked if u.entity.is_party]
    products = [u for u in unlinked if u.entity is EntityType.PRODUCT]
    if parties:
        remotes = [r for r in reads.contacts() if ("contact", r.remote_id) not in linked]
        report += candidates(parties, remotes)
    if products:
        remotes = [r for r in reads.items() if ("item", r.remote_id) not in linked]
        report += candidates(products, remotes)
    _warn_creates(records, report)
    return report


def _resolve_uncertain(reads: TenantReads, records: Sequence[RecordPlan]) -> None:
    """A create whose last push went unanswered is looked up first: found, it is linked."""
    by_entity: dict[EntityType, list[RecordPlan]] = {}
    for r in records:
        if r.action is Action.CREATE and r.uncertain and r.item is not None:
            by_entity.setdefault(r.entity, []).append(r)
    for entity, wanted in by_entity.items():
        found = reads.lookups(entity, wanted)
        for r in wanted:
            remote_id = found.get(r.reference)
            if remote_id and r.item is not None:
                r.action, r.remote_id = Action.LINK, remote_id
                r.evidence = "found by the tool's lookup of its reference"
                r.item = dataclasses.replace(r.item, remote_id=remote_id)


def _diff_linked(reads: TenantReads, records: Sequence[RecordPlan]) -> None:
    by_entity: dict[EntityType, list[RecordPlan]] = {}
    for r in records:
        if r.action in (Action.UPDATE, Action.LINK) and r.item is not None and r.remote_id:
            by_entity.setdefault(r.entity, []).append(r)
    for entity, wanted in by_entity.items():
        fields = reads.records(entity, [r.remote_id for r in wanted if r.remote_id])
        for r in wanted:
            assert r.item is not None and r.remote_id is not None
            if fields is None:
                r.notes.append("diff not available for this tool: it offers no read of one record")
                continue
            theirs = fields.get(r.remote_id)
            if theirs is None:
                r.notes.append(
                    f"the tool has no {r.entity.label} {r.remote_id}: the push will be refused "
                    "(check the remote ID, or clear it to create the record again)"
                )
                continue
            r.diff = diff(payload_fields(r.item.payload), theirs)
            if r.action is Action.LINK and r.evidence == "remote ID set in booksync":
                r.evidence = evidence(r, theirs)


def evidence(plan: RecordPlan, theirs: Mapping[str, Any]) -> str:
    """What makes the tool's object this record, from the fields it reported."""
    assert plan.item is not None
    payload = plan.item.payload
    number = theirs.get("number") if plan.entity.is_party or plan.entity.is_document else None
    code = theirs.get("code") if plan.entity is EntityType.PRODUCT else None
    if number is not None and str(number) == plan.reference:
        return "number"
    if code is not None and str(code) == plan.reference:
        return "code"
    ours = payload.name if isinstance(payload, PartyPayload) else getattr(payload, "name", None)
    if isinstance(ours, str) and isinstance(theirs.get("name"), str):
        how = difference(ours, theirs["name"])
        if how == "exact":
            return "exact name"
        if how is not None:
            return f"remote ID set in booksync; the names differ in {how}"
    return "remote ID set in booksync"


def _warn_creates(records: Sequence[RecordPlan], report: Sequence[Candidate]) -> None:
    """A record about to be created that the tool already seems to have says so, with the fix."""
    by_record: dict[tuple[EntityType, int], list[Candidate]] = {}
    for c in report:
        by_record.setdefault((c.local.entity, c.local.record_id), []).append(c)
    for r in records:
        found = by_record.get((r.entity, r.record_id))
        if not found or r.action is not Action.CREATE:
            continue
        best = found[0]
        shown = f"'{best.remote.name}' ({best.remote.remote_id})"
        if best.exact:
            r.notes.append(
                f"the tool already has {shown}, same {best.evidence}: link it before the pass "
                f"creates another ({best.link_command}), or `booksync tenant import` links it"
            )
        else:
            r.notes.append(
                f"looks like the tool's {shown} ({best.evidence}): link it ({best.link_command}) "
                "or keep them apart (the pass creates a new one)"
            )


OpenConnector = Callable[[], Connector]

__all__ = ["CallCounter", "FETCH_CHUNK", "OpenConnector", "TenantReads", "evidence", "read_tenant"]
