"""Whether a worker is keeping the books in step, as the web admin's banner says it.

Read from the workers registry (`operations.workers`): a worker is "seen" while its last heartbeat
is under `SEEN_WITHIN` old. With none seen, records only sync when someone runs a pass (Sync now,
`booksync sync run`), and every page says so, with the two ways to start one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from booksync.services.operations import workers
from booksync.store.db import Store
from booksync.store.types import utcnow

#: No heartbeat for this long, from any worker: the banner shows.
SEEN_WITHIN = timedelta(minutes=1)
NO_WORKER = (
    "No worker is running: records sync only when you click Sync now. "
    "Start one with `booksync worker` or run `booksync serve --worker`."
)


@dataclass(frozen=True)
class WorkerPresence:
    """`seen`: a worker beat within `SEEN_WITHIN`; `last_seen_at`: the newest beat of any worker
    (None: no worker registered); `message`: what to tell the person when none is seen."""

    seen: bool
    last_seen_at: datetime | None

    @property
    def message(self) -> str | None:
        return None if self.seen else NO_WORKER


def presence(session: Session, now: datetime | None = None) -> WorkerPresence:
    now = now or utcnow()
    beats = [w.heartbeat_at for w in workers(session, now)]
    last = max(beats, default=None)
    return WorkerPresence(last is not None and now - last <= SEEN_WITHIN, last)


def store_presence(store: Store) -> WorkerPresence:
    """`presence` in a short transaction of its own (for a page's banner)."""
    with store.session() as session:
        return presence(session)


__all__ = ["NO_WORKER", "SEEN_WITHIN", "WorkerPresence", "presence", "store_presence"]
