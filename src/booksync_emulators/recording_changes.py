"""What a person does in the `RecordingTool` behind booksync's back, and the change feed that
reports it: the in-memory stand-in for Xero's webhooks / If-Modified-Since and QuickBooks' CDC in
booksync's own tests (issue 13).

Every change is a row of `changes` (tenant, entity, remote id, kind, when, fields); booksync's own
pushes are logged too (kinds "created" / "updated"), so a test can check that its own writes
coming back are not taken for a bookkeeper's. Kinds a person makes: "paid", "part_paid",
"voided", "edited", "deleted", "archived", "merged". A document's payload gains `status`
("paid", "part_paid", "voided", "deleted"), `amount_paid` and `amount_due` (Decimal as text); a
contact's gains `archived` / `merged_into`. Times come from `clock` (timezone-aware UTC).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from booksync.domain.types import EntityType

CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, entity TEXT NOT NULL,
    remote_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, fields TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class ToolChange:
    """One change the tool reports: `fields` is the object's payload after it."""

    seq: int
    tenant: str
    entity: EntityType
    remote_id: str
    kind: str
    at: datetime
    fields: dict[str, Any] = field(default_factory=dict)


class RecordingChanges:
    """The change feed and the "in the tool" edits (mixed into `RecordingTool`)."""

    db: sqlite3.Connection
    clock: Callable[[], datetime]

    def _count(self, kind: str, size: int, entity: EntityType | None = None) -> int:
        raise NotImplementedError

    # -- the feed ----------------------------------------------------------------------------------

    def changes_since(self, tenant: str, since: datetime) -> list[ToolChange]:
        """Every change at or after `since` (aware), oldest first; logged as a "changes" call."""
        if since.tzinfo is None:
            raise ValueError(f"since={since!r} must be timezone-aware (UTC)")
        self._count("changes", 1)
        rows = self.db.execute(
            "SELECT seq, tenant, entity, remote_id, kind, at, fields FROM changes "
            "WHERE tenant=? AND at>=? ORDER BY seq",
            (tenant, since.astimezone(UTC).isoformat()),
        ).fetchall()
        return [
            ToolChange(s, t, EntityType(e), r, k, datetime.fromisoformat(a), json.loads(f))
            for s, t, e, r, k, a, f in rows
        ]

    def log_change(
        self, tenant: str, entity: str, remote_id: str, kind: str, fields: str | None = None
    ) -> None:
        """Log a change of `remote_id`; `fields`: its payload as stored (JSON), when the caller
        has it at hand (read from the object otherwise)."""
        if fields is None:
            row = self.db.execute("SELECT payload FROM objects WHERE remote_id=?", (remote_id,))
            found = row.fetchone()
            fields = found[0] if found else "{}"
        self.db.execute(
            "INSERT INTO changes (tenant, entity, remote_id, kind, at, fields) VALUES (?,?,?,?,?,?)",
            (tenant, entity, remote_id, kind, self.clock().astimezone(UTC).isoformat(), fields),
        )

    #: ChangeFeed: the recording tool keeps every change, so the feed has no window.
    feed_window_days: int | None = None

    def states(self, tenant: str, entity: EntityType, remote_ids: Sequence[str]) -> dict[str, Any]:
        """`StateRead.states`: each id's `RemoteState` (DELETED when the tool has no such id)."""
        self._count("states", len(remote_ids), entity)
        out = {}
        for remote_id in dict.fromkeys(remote_ids):
            row = self.db.execute(
                "SELECT payload FROM objects WHERE tenant=? AND entity=? AND remote_id=?",
                (tenant, entity.value, remote_id),
            ).fetchone()
            out[remote_id] = remote_state(entity, remote_id, json.loads(row[0]) if row else None)
        return out

    def changes(
        self, tenant: str, entities: Sequence[EntityType], since: datetime | None
    ) -> Iterator[Any]:
        """`ChangeFeed.changes`: the state after each change since `since` (None: all), oldest
        first, with `updated_at` the change's time."""
        wanted = {e.value for e in entities}
        for change in self.changes_since(tenant, since or datetime.min.replace(tzinfo=UTC)):
            if change.entity.value in wanted:
                state = remote_state(change.entity, change.remote_id, change.fields)
                yield replace(state, updated_at=change.at)

    # -- a person in the tool ----------------------------------------------------------------------

    def _object(self, remote_id: str) -> tuple[str, str, dict[str, Any]]:
        row = self.db.execute(
            "SELECT tenant, entity, payload FROM objects WHERE remote_id=?", (remote_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"the tool has no object {remote_id}")
        return row[0], row[1], json.loads(row[2])

    def _save(self, remote_id: str, payload: dict[str, Any], kind: str) -> dict[str, Any]:
        tenant, entity, _ = self._object(remote_id)
        self.db.execute(
            "UPDATE objects SET payload=? WHERE remote_id=?",
            (json.dumps(payload, default=str, sort_keys=True), remote_id),
        )
        self.log_change(tenant, entity, remote_id, kind)
        return payload

    @staticmethod
    def _total(payload: dict[str, Any]) -> Decimal:
        if payload.get("total") is not None:
            return Decimal(str(payload["total"]))
        cent = Decimal("0.01")
        total = Decimal(0)
        for line in payload.get("lines") or []:
            amount = (Decimal(str(line["quantity"])) * Decimal(str(line["unit_price"]))).quantize(
                cent
            )
            total += amount + (amount * Decimal(str(line.get("tax_percent", 0))) / 100).quantize(
                cent
            )
        return total

    def mark_paid(self, remote_id: str, amount: Decimal | None = None) -> dict[str, Any]:
        """Record a payment (the whole amount due by default): "paid" or "part_paid"."""
        _, _, payload = self._object(remote_id)
        total = self._total(payload)
        paid = Decimal(str(payload.get("amount_paid", "0"))) + (
            amount if amount is not None else total - Decimal(str(payload.get("amount_paid", "0")))
        )
        if paid <= 0 or paid > total:
            raise ValueError(f"amount paid {paid} must be above 0 and at most the total {total}")
        kind = "paid" if paid == total else "part_paid"
        payload.update(status=kind, amount_paid=str(paid), amount_due=str(total - paid))
        return self._save(remote_id, payload, kind)

    def mark_voided(self, remote_id: str) -> dict[str, Any]:
        _, _, payload = self._object(remote_id)
        payload.update(status="voided", amount_due="0")
        return self._save(remote_id, payload, "voided")

    def mark_deleted(self, remote_id: str) -> dict[str, Any]:
        _, _, payload = self._object(remote_id)
        payload["status"] = "deleted"
        return self._save(remote_id, payload, "deleted")

    def edit(self, remote_id: str, **fields: Any) -> dict[str, Any]:
        """Change fields of a document or contact, as typed in the tool."""
        _, _, payload = self._object(remote_id)
        payload.update(fields)
        return self._save(remote_id, payload, "edited")

    def archive_contact(self, remote_id: str) -> dict[str, Any]:
        _, _, payload = self._object(remote_id)
        payload["archived"] = True
        return self._save(remote_id, payload, "archived")

    def merge_contacts(self, from_id: str, into_id: str) -> dict[str, Any]:
        """`from_id` is archived into `into_id`; its documents now name `into_id`."""
        if from_id == into_id:
            raise ValueError("a contact cannot be merged into itself")
        self._object(into_id)
        rows = self.db.execute("SELECT remote_id, payload FROM objects").fetchall()
        for remote_id, text in rows:
            payload = json.loads(text)
            if payload.get("contact_remote_id") == from_id:
                payload["contact_remote_id"] = into_id
                self._save(remote_id, payload, "edited")
        _, _, gone = self._object(from_id)
        gone.update(archived=True, merged_into=into_id)
        return self._save(from_id, gone, "merged")


# -- booksync's two-way protocols (booksync.connectors.two_way): StateRead and ChangeFeed -------------

_STATUSES = {"draft": "draft", "paid": "paid", "part_paid": "part_paid", "voided": "voided",
             "deleted": "deleted"}  # fmt: skip


def remote_state(entity: EntityType, remote_id: str, payload: dict[str, Any] | None) -> Any:
    """The `RemoteState` booksync reads for one object (DELETED when the tool has none)."""
    from booksync.connectors.two_way import RemoteState, RemoteStatus

    if payload is None:
        return RemoteState(entity, remote_id, RemoteStatus.DELETED)
    if entity.is_party:
        status = (
            RemoteStatus.MERGED
            if payload.get("merged_into")
            else RemoteStatus.ARCHIVED
            if payload.get("archived")
            else RemoteStatus.ACTIVE
        )
    else:
        status = RemoteStatus(_STATUSES.get(str(payload.get("status") or ""), "open"))

    def money(name: str) -> Decimal | None:
        value = payload.get(name)
        return Decimal(str(value)) if value is not None else None

    return RemoteState(
        entity,
        remote_id,
        status,
        reference=payload.get("number"),
        fields=dict(payload),
        total=money("total"),
        amount_paid=money("amount_paid"),
        amount_due=money("amount_due"),
        merged_into=payload.get("merged_into"),
    )
