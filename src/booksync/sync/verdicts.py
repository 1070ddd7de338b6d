"""The rules' verdicts on a round's jobs, written in a handful of statements instead of four a job.

Gating (`gating.py`) collects what it decided for each job (its tenant, held with its reasons and
the records holding it, or waiting on a dependency that must be queued, and the timeline events
that say so) and `Verdicts.write` applies all of it at the end of the round: one executemany per
transition, one DELETE and one INSERT for the blockers table, one INSERT for the events.

Every move is exactly a one-job transition's (`moves.py`): checked against the state
table, guarded by the record version the rules read and fenced by the claim the worker got; a job
whose record was edited since it was read goes back to `pending` for its new version instead, and
one another worker took over is left to that worker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Table, Text, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booksync.domain.findings import Finding
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.bulk import among, chunked, insert_rows, rows_table, takes_rows
from booksync.store.models import SYNCABLE_MODELS, SyncEvent, SyncJob, SyncJobBlocker
from booksync.sync import jobs
from booksync.sync.releases import linked
from booksync.sync.states import TRANSITIONS, check

#: What a push learned about the tool, kept when the record was edited meanwhile (`moves.py`).
KEPT_WHEN_EDITED = ("uncertain", "remote_id")

_TABLE: Table = SyncJob.__table__  # type: ignore[assignment]


@dataclass
class _Move:
    job: SyncJob
    version: int
    values: dict[str, Any]


@dataclass
class Verdicts:
    """What gating decided for a round's jobs, applied in bulk by `write`."""

    tenants: dict[int, int | None] = field(default_factory=dict)
    moves: dict[str, list[_Move]] = field(default_factory=lambda: defaultdict(list))
    blockers: dict[int, set[tuple[str, int]]] = field(default_factory=dict)
    dependencies: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    events: list[tuple[SyncJob, str, str]] = field(default_factory=list)

    def tenant(self, job: SyncJob, tenant_id: int | None) -> None:
        """The job's tenant, as the rules found it (kept on the job for claiming and events)."""
        if job.tenant_id != tenant_id:
            self.tenants[job.id] = tenant_id
            set_committed_value(job, "tenant_id", tenant_id)  # written by `write`, not the ORM

    def block(
        self,
        job: SyncJob,
        version: int,
        *,
        reasons: list[dict[str, Any]],
        holders: Iterable[Finding],
        now: datetime,
    ) -> None:
        """A rule holds the record: keep its reasons and which records hold it."""
        self._move("block", job, version, {"blocked_reasons": reasons, "updated_at": now})
        self.blockers[job.id] = subjects(holders)

    def wait(
        self,
        job: SyncJob,
        version: int,
        *,
        reasons: list[dict[str, Any]],
        holders: Iterable[Finding],
        until: datetime,
        now: datetime,
    ) -> None:
        """A dependency must sync first: look again at `until`, or as soon as it syncs."""
        values = {"next_attempt_at": until, "blocked_reasons": reasons, "updated_at": now}
        self._move("wait", job, version, values)
        self.blockers[job.id] = subjects(holders)

    def queue_dependency(self, entity: str, record_id: int | None) -> None:
        """A dependency the engine must push first: queued with the round's others (`_queue`)."""
        if record_id is not None:
            self.dependencies[entity].add(record_id)

    def event(self, job: SyncJob, kind: str, message: str) -> None:
        """`jobs.event` on the job's record (its version and tenant as they are when written)."""
        self.events.append((job, kind, message))

    def _move(self, name: str, job: SyncJob, version: int, values: dict[str, Any]) -> None:
        check(name, job.status, jobs.job_name(job))  # as the one-job move: before any write
        self.moves[name].append(_Move(job, version, values))

    # -- writing -------------------------------------------------------------------------------------

    def write(self, session: Session, now: datetime) -> None:
        """Apply every verdict of the round in `session` (the caller commits)."""
        if self.tenants:
            session.execute(
                update(_TABLE)
                .where(_TABLE.c.id == bindparam("b_id"))
                .values(tenant_id=bindparam("b_tenant")),
                [{"b_id": i, "b_tenant": t} for i, t in self.tenants.items()],
            )
        for name, moves in self.moves.items():
            _bulk_move(session, name, moves)
        self._write_blockers(session)
        self._queue(session, now)
        if self.events:
            insert_rows(
                session,
                SyncEvent.__table__,  # type: ignore[arg-type]
                [
                    {
                        "entity_type": job.entity_type,
                        "record_id": job.record_id,
                        "record_version": job.record_version,
                        "tenant_id": job.tenant_id,
                        "kind": kind,
                        "message": message,
                        "request": None,
                        "response": None,
                    }
                    for job, kind, message in self.events
                ],
            )

    def _write_blockers(self, session: Session) -> None:
        ids = sorted(self.blockers)
        for part in chunked(ids):
            session.execute(
                delete(SyncJobBlocker)
                .where(among(session, SyncJobBlocker.job_id, part))
                .execution_options(synchronize_session=False)
            )
        rows = [
            {"job_id": job_id, "subject_type": t, "subject_id": i}
            for job_id in ids
            for t, i in sorted(self.blockers[job_id])
        ]
        insert_rows(session, SyncJobBlocker.__table__, rows)  # type: ignore[arg-type]

    def _queue(self, session: Session, now: datetime) -> None:
        """Each dependency has a job (one with none yet is queued, as the outbox would), and none
        is parked as synced while unlinked.

        A dependency found synced and linked synced after the round read it (on another worker):
        it is not pushed again, and the engine wakes what waits on it once the round has
        committed (`jobs.wake_waiting`). Only one synced once and unlinked since is pushed again.
        """
        for entity, wanted in sorted(self.dependencies.items()):
            ids = sorted(wanted)
            model: Any = SYNCABLE_MODELS[EntityType(entity)]
            found: set[int] = set()
            parked: list[SyncJob] = []
            for part in chunked(ids):
                for job in session.scalars(
                    select(SyncJob).where(
                        SyncJob.entity_type == entity,
                        among(session, SyncJob.record_id, part),
                    )
                ):
                    found.add(job.record_id)
                    if job.status == SyncStatus.SYNCED.value:
                        parked.append(job)
            if parked:
                still_linked = set(linked(session, entity, (j.record_id for j in parked)))
                for job in parked:
                    if job.record_id not in still_linked:
                        jobs.resync(session, job)
            missing = [i for i in ids if i not in found]
            if not missing:
                continue
            versions: dict[int, int] = {}
            for chunk in chunked(missing):
                rows = session.execute(
                    select(model.id, model.version).where(among(session, model.id, chunk))
                )
                versions.update({i: v for i, v in rows})
            session.execute(
                insert(SyncJob),
                [
                    {
                        "entity_type": entity,
                        "record_id": i,
                        "record_version": versions.get(i) or 0,
                        "status": SyncStatus.PENDING.value,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in missing
                ],
            )


def subjects(findings: Iterable[Finding]) -> set[tuple[str, int]]:
    """The records that hold a job: each finding's subject and its causes' (`moves.set_blockers`)."""
    found = set()
    for finding in findings:
        node: Finding | None = finding
        while node is not None:
            if node.subject.id is not None:
                found.add((node.subject.type, node.subject.id))
            node = node.cause
    return found


def _bulk_move(session: Session, name: str, moves: Sequence[_Move]) -> None:
    """The one-job move for many jobs: one executemany; then, for the rare job whose record was
    edited since it was read (its version guard did not match), back to pending, same fence."""
    target = TRANSITIONS[name].target.value
    columns = sorted({k for m in moves for k in m.values})  # the same for every move of `name`
    by_column = {k: bindparam(f"v_{k}", type_=_TABLE.c[k].type) for k in columns}
    if takes_rows(session):
        all_moved = _move_rows(session, target, moves, columns)
    else:
        result = session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.id == bindparam("b_id"),
                _TABLE.c.record_version == bindparam("b_version"),
                _TABLE.c.claim_token == bindparam("b_token"),
                _TABLE.c.status == bindparam("b_status"),
            )
            .values(status=target, claimed_by=None, claimed_at=None, **by_column),
            [
                {
                    "b_id": m.job.id,
                    "b_version": m.version,
                    "b_token": m.job.claim_token,
                    "b_status": m.job.status,
                }
                | {f"v_{k}": m.values[k] for k in columns}
                for m in moves
            ],
        )
        sane = session.get_bind().dialect.supports_sane_multi_rowcount
        all_moved = sane and result.rowcount == len(moves)  # type: ignore[attr-defined]
    if all_moved:
        for m in moves:
            set_committed_value(m.job, "status", target)
        return
    # Some did not move: those still in flight under this claim were edited since they were read.
    ids = [m.job.id for m in moves]
    still: dict[int, tuple[int, str]] = {}
    for part in chunked(ids):
        rows = session.execute(
            select(SyncJob.id, SyncJob.claim_token, SyncJob.status).where(
                among(session, SyncJob.id, part),
                SyncJob.status == SyncStatus.IN_FLIGHT.value,
            )
        )
        still.update({i: (token, status) for i, token, status in rows})
    edited = [m for m in moves if still.get(m.job.id) == (m.job.claim_token, m.job.status)]
    learned = [k for k in KEPT_WHEN_EDITED if k in columns]
    if edited:
        session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.id == bindparam("b_id"),
                _TABLE.c.claim_token == bindparam("b_token"),
                _TABLE.c.status == bindparam("b_status"),
            )
            .values(
                status=SyncStatus.PENDING.value,
                claimed_by=None,
                claimed_at=None,
                **{k: by_column[k] for k in learned},
            ),
            [
                {"b_id": m.job.id, "b_token": m.job.claim_token, "b_status": m.job.status}
                | {f"v_{k}": m.values[k] for k in learned}
                for m in edited
            ],
        )
    back = {m.job.id for m in edited}
    for m in moves:
        if m.job.id in back:
            set_committed_value(m.job, "status", SyncStatus.PENDING.value)
        elif m.job.id not in still:
            set_committed_value(m.job, "status", target)
        # Still in flight under another claim: taken over, its outcome is that worker's.


def _move_rows(session: Session, target: str, moves: Sequence[_Move], columns: list[str]) -> bool:
    """`_bulk_move`'s UPDATE on PostgreSQL: one statement joined to the moves' rows (`store/bulk.py`).
    Whether every job moved."""
    keys: list[tuple[str, Any]] = [
        ("id", Integer()),
        ("version", Integer()),
        ("token", Integer()),
        ("status", Text()),
    ]
    keys += [(f"v_{k}", _TABLE.c[k].type) for k in columns]
    v = rows_table(
        session,
        "v",
        keys,
        [
            (m.job.id, m.version, m.job.claim_token, m.job.status, *(m.values[k] for k in columns))
            for m in moves
        ],
    )
    values = {k: v.c[f"v_{k}"] for k in columns}
    result = session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.id == v.c.id,
            _TABLE.c.record_version == v.c.version,
            _TABLE.c.claim_token == v.c.token,
            _TABLE.c.status == v.c.status,
        )
        .values(status=target, claimed_by=None, claimed_at=None, **values)
        .returning(_TABLE.c.id)
    )
    return len(result.all()) == len(moves)


__all__ = ["Verdicts", "subjects"]
