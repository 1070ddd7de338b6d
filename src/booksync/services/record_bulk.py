"""The lists' bulk actions: "Retry selected" and "Sync selected" queue the ticked records again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from booksync.domain.types import EntityType, SyncStatus
from booksync.services.errors import BooksyncError
from booksync.services.record_states import job_statuses
from booksync.services.sync import retry


@dataclass
class Bulk:
    """What a bulk action did: the records queued, and those left alone with why."""

    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def queue_records(
    session: Session, entity: EntityType, ids: Iterable[int], *, skip_synced: bool = False
) -> Bulk:
    """Queue the chosen records' jobs again, now, with a fresh count of attempts (`sync.retry`
    for each); `skip_synced` leaves alone those whose job already synced their current version."""
    result = Bulk()
    chosen = sorted(set(ids))
    synced = {
        record_id
        for record_id, status in job_statuses(session, entity, chosen).items()
        if status == SyncStatus.SYNCED.value
    }
    for record_id in chosen:
        if skip_synced and record_id in synced:
            result.skipped.append(f"#{record_id}: already synced")
            continue
        try:
            job = retry(session, entity, f"#{record_id}")
        except BooksyncError as exc:
            result.skipped.append(f"#{record_id}: {exc}")
            continue
        result.queued.append(str(job.record_id))
    return result


__all__ = ["Bulk", "queue_records"]
