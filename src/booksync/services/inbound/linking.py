"""Which booksync record a remote id belongs to, and what booksync last pushed to it.

A record is linked through its sync job's `remote_id` (written with the push) or the record's own
`remote_id` (set by a link or an import). A remote id booksync links nowhere is the tool's own
record: its state is kept (record None) and it makes no timeline event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType
from booksync.store.bulk import chunked
from booksync.store.models import SYNCABLE_MODELS, Document, SyncJob


@dataclass(frozen=True)
class Link:
    record_id: int
    #: What the last successful push sent (`sync_jobs.pushed_fields`); None: never pushed.
    pushed: dict[str, Any] | None


def links(
    session: Session, tenant_id: int, entity: EntityType, remote_ids: Sequence[str]
) -> dict[str, Link]:
    """remote id -> the booksync record linked to it, for those booksync links."""
    found: dict[str, Link] = {}
    wanted = list(dict.fromkeys(remote_ids))
    for part in chunked(wanted):
        rows = session.execute(
            select(SyncJob.remote_id, SyncJob.record_id, SyncJob.pushed_fields).where(
                SyncJob.entity_type == entity.value,
                SyncJob.remote_id.in_(part),
                or_(SyncJob.tenant_id == tenant_id, SyncJob.tenant_id.is_(None)),
            )
        )
        for remote_id, record_id, pushed in rows:
            found[str(remote_id)] = Link(record_id, pushed)
    missing = [r for r in wanted if r not in found]
    model = SYNCABLE_MODELS[entity]
    for part in chunked(missing):
        stmt = select(model.remote_id, model.id).where(model.remote_id.in_(part))
        if model is Document:
            stmt = stmt.where(Document.kind == entity.value)
        by_record = {int(rid): str(remote) for remote, rid in session.execute(stmt)}
        pushed = {
            record_id: fields
            for record_id, fields in session.execute(
                select(SyncJob.record_id, SyncJob.pushed_fields).where(
                    SyncJob.entity_type == entity.value, SyncJob.record_id.in_(list(by_record))
                )
            )
        }
        for record_id, remote in by_record.items():
            found[remote] = Link(record_id, pushed.get(record_id))
    return found


__all__ = ["Link", "links"]
