"""Reading back what the `RecordingTool` holds for a record, as `RemoteRead.fetch` answers.

The recording tool keeps each object as the payload it was last pushed with, so its fields are
that payload's (booksync's own `RemoteFields` shape); a test that edits an object's payload in the
tool's store plays a person editing the record in the tool.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from booksync.domain.types import EntityType


def _fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in payload.items() if k != "entity"}
    if isinstance(fields.get("tracking"), list):
        fields["tracking"] = {str(k): str(v) for k, v in fields["tracking"]}
    if isinstance(fields.get("lines"), list):
        fields["lines"] = [_fields(line) for line in fields["lines"]]
    return fields


class RecordingRead:
    """`RemoteRead` for the `RecordingTool` (mixed into it); each call is logged as a "fetch"."""

    db: sqlite3.Connection

    def _count(self, kind: str, size: int, entity: EntityType | None = None) -> int:
        raise NotImplementedError

    def fetch(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, Mapping[str, Any]]:
        wanted = list(dict.fromkeys(remote_ids))
        self._count("fetch", len(wanted), entity)
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.db.execute(
            f"SELECT remote_id, payload FROM objects WHERE tenant=? AND entity=? "
            f"AND remote_id IN ({marks})",
            (tenant, entity.value, *wanted),
        ).fetchall()
        return {remote_id: _fields(json.loads(payload)) for remote_id, payload in rows}

    def set_field(self, remote_id: str, field: str, value: Any) -> None:
        """Change one field of an object, as a person editing it in the tool would."""
        (payload,) = self.db.execute(
            "SELECT payload FROM objects WHERE remote_id=?", (remote_id,)
        ).fetchone()
        changed = json.loads(payload)
        changed[field] = value
        self.db.execute(
            "UPDATE objects SET payload=? WHERE remote_id=?",
            (json.dumps(changed, default=str, sort_keys=True), remote_id),
        )

    def add_object(
        self, tenant: str, entity: EntityType, remote_id: str, reference: str, payload: Any
    ) -> None:
        """An object the tool had before booksync came (a company with history)."""
        self.db.execute(
            "INSERT INTO objects (tenant, entity, remote_id, reference, payload) VALUES (?,?,?,?,?)",
            (
                tenant,
                entity.value,
                remote_id,
                reference,
                json.dumps(payload, default=str, sort_keys=True),
            ),
        )

    def request_kinds(self) -> list[str]:
        """Every call's kind, in order (push, lookup, fetch, ...)."""
        return [k for (k,) in self.db.execute("SELECT kind FROM calls ORDER BY seq")]
