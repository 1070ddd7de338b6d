"""One function per transition of the sync job's life (the table is in `sync/states.py`), in one
namespace: the engine, the services and the tests call `jobs.claim`, `jobs.succeed`, ...

The engine calls these and never writes a job's status itself. Each checks the table first and
raises `IllegalTransition` when asked to move a job from a state the table does not allow. Every
move out of `in_flight` is guarded by the record version the worker pushed: a record edited while
its push was in flight goes back to `pending` for its new version (the function then returns False).
Bulk moves (`succeed`, `release_dependents`) filter on the table's source states instead.
Every move out of `in_flight` is fenced too: it applies only while the job is still under the claim
the worker got (`claim_token`), so a worker whose lease ran out records nothing (`claiming.py`).

Where each lives: taking jobs `claiming.py`; the jobs a worker holds `holding.py`; when the queue
next has work `due.py`; a round's verdicts (held, waiting) `verdicts.py`; hand-backs and skips
`rulings.py`; the tool's answer `outcomes.py`; what follows (releases, people, deletions)
`releases.py`; the guarded write itself `moves.py`.
"""

from __future__ import annotations

from booksync.sync.claiming import assign_tenants, claim, due_filter
from booksync.sync.due import counts_by_status, next_due_in
from booksync.sync.holding import (
    Fence,
    defer,
    fenced,
    heartbeat,
    held,
    job_name,
    release,
    start_attempt,
)
from booksync.sync.outcomes import (
    adopt,
    give_up,
    lose_answer,
    reject,
    retry_later,
    set_remote_ids,
    succeed,
)
from booksync.sync.releases import (
    drop,
    release_dependents,
    resync,
    retry,
    wake_waiting,
)
from booksync.sync.rulings import requeue, skip
from booksync.sync.timeline import add_events, event

__all__ = [
    "Fence",
    "add_events",
    "adopt",
    "assign_tenants",
    "claim",
    "counts_by_status",
    "defer",
    "drop",
    "due_filter",
    "event",
    "fenced",
    "give_up",
    "heartbeat",
    "held",
    "job_name",
    "lose_answer",
    "next_due_in",
    "reject",
    "release",
    "release_dependents",
    "requeue",
    "resync",
    "retry",
    "retry_later",
    "set_remote_ids",
    "skip",
    "start_attempt",
    "succeed",
    "wake_waiting",
]
