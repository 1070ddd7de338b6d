"""A record's sync timeline: what the engine did with it and why, with what went and came back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from booksync.store.bulk import insert_rows
from booksync.store.models import SyncEvent, SyncJob


def event(
    session: Session,
    job: SyncJob,
    kind: str,
    message: str,
    *,
    request: Any = None,
    response: Any = None,
    version: int | None = None,
) -> None:
    """One event on `job`'s record (kinds: blocked, waiting, retry, rejected, dead, matched, ...)."""
    session.execute(
        insert(SyncEvent).values(
            entity_type=job.entity_type,
            record_id=job.record_id,
            record_version=version if version is not None else job.record_version,
            tenant_id=job.tenant_id,
            kind=kind,
            message=message,
            request=request,
            response=response,
        )
    )


def add_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many events in one statement (a batch's successes)."""
    insert_rows(session, SyncEvent.__table__, rows)  # type: ignore[arg-type]


__all__ = ["add_events", "event"]
