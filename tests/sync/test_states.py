"""The sync job's state machine: every transition in the table moves a stored job as it says, on
SQLite and PostgreSQL; any other move is refused with a clear error and leaves the job as it was."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType, SyncStatus
from booksync.store import outbox
from booksync.store.db import Store
from booksync.store.models import Client, SyncEvent, SyncJob, SyncJobBlocker
from booksync.sync import jobs, taking
from booksync.sync.states import TABLE, TRANSITIONS, IllegalTransition, check, reachable, sources
from booksync.sync.verdicts import Verdicts

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)

Move = Callable[[Session, SyncJob], object]


def _verdict(session: Session, job: SyncJob, decide: Callable[[Verdicts], None]) -> None:
    verdicts = Verdicts()
    decide(verdicts)
    verdicts.write(session, NOW)


#: Every transition a caller applies to one job, as the engine (or a person) calls it.
MOVES: dict[str, Move] = {
    # The rules' verdicts, written in bulk at the end of a round as the engine's gate writes them.
    "block": lambda s, j: _verdict(
        s,
        j,
        lambda v: v.block(j, j.record_version, reasons=[{"id": "rule.x"}], holders=[], now=NOW),
    ),
    "wait": lambda s, j: _verdict(
        s, j, lambda v: v.wait(j, j.record_version, reasons=[], holders=[], until=LATER, now=NOW)
    ),
    "requeue": lambda s, j: jobs.requeue(s, j, j.record_version, error="refused"),
    "reject": lambda s, j: jobs.reject(
        s, j, j.record_version, message="bad code", rule="tool.accepted", fix="edit it", now=NOW
    ),
    "retry_later": lambda s, j: jobs.retry_later(
        s, j, j.record_version, message="503", until=LATER, now=NOW
    ),
    "lose_answer": lambda s, j: jobs.lose_answer(
        s, j, j.record_version, message="timed out", until=LATER, now=NOW
    ),
    "adopt": lambda s, j: jobs.adopt(s, j, j.record_version, remote_id="R-1", now=NOW),
    "give_up": lambda s, j: jobs.give_up(
        s, j, j.record_version, message="gave up", uncertain=False, now=NOW
    ),
    "resync": lambda s, j: jobs.resync(s, j),
    "retry": lambda s, j: jobs.retry(s, j, NOW),
    "take_tool": lambda s, j: taking.take_tool(s, j, j.record_version, pushed_fields={}, now=NOW),
}
#: The rest move many jobs in one statement, or happen in the outbox; tested one by one below.
BULK = {"queue", "claim", "recover", "defer", "succeed", "release", "wake"}
_names = itertools.count()


def _job(store: Store, status: SyncStatus, **values: Any) -> int:
    """A client saved through the store (so the outbox queues its job), its job put in `status`."""
    with store.session() as s:
        client = Client(name=f"Client {next(_names)}")
        s.add(client)
        s.flush()
        job_id = s.scalars(
            select(SyncJob.id).where(
                SyncJob.entity_type == "client", SyncJob.record_id == client.id
            )
        ).one()
        claim = {"claimed_by": "w1", "claimed_at": NOW} if status is SyncStatus.IN_FLIGHT else {}
        s.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(status=status.value, **claim | values)
        )
    return job_id


def _status(store: Store, job_id: int) -> str:
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        assert job is not None
        return job.status


def _apply(store: Store, job_id: int, move: Move) -> object:
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        assert job is not None
        return move(s, job)


# -- the table itself ------------------------------------------------------------------------------


def test_every_transition_has_one_caller_and_every_state_a_way_on() -> None:
    assert set(MOVES) | BULK == set(TRANSITIONS) and not set(MOVES) & BULK
    assert len(TRANSITIONS) == len(TABLE)  # no name used twice
    for status in SyncStatus:
        assert reachable(status), f"{status} is a dead end"
    assert reachable(SyncStatus.DEAD) == {SyncStatus.PENDING}  # only a person's retry revives it


def test_the_outbox_releases_exactly_what_the_table_allows() -> None:
    """The outbox sits below `sync`, so it spells its states itself: hold it to the table."""
    assert sorted(outbox.RELEASABLE) == sources("release")
    assert SyncStatus.IN_FLIGHT not in TRANSITIONS["queue"].sources


@pytest.mark.parametrize(
    ("name", "status"),
    [
        (name, status)
        for name in MOVES
        for status in SyncStatus
        if status not in TRANSITIONS[name].sources
    ],
)
def test_an_illegal_transition_is_refused_before_anything_is_written(
    name: str, status: SyncStatus
) -> None:
    job = SyncJob(id=7, entity_type="invoice", record_id=3, record_version=1, status=status.value)
    with pytest.raises(IllegalTransition) as refused:
        MOVES[name](None, job)  # type: ignore[arg-type]  # no session: nothing may be written
    message = str(refused.value)
    assert message.startswith(f"cannot {name} sync job 7 (invoice 3) that is {status.value}: ")
    assert f"to {TRANSITIONS[name].target.value}" in message


def test_check_names_the_allowed_states() -> None:
    with pytest.raises(IllegalTransition, match="reject moves a job from in_flight to failed"):
        check("reject", "synced")
    assert check("claim", "pending").target is SyncStatus.IN_FLIGHT


# -- each transition on a stored job, on both databases ------------------------------------------


@pytest.mark.parametrize("name", sorted(MOVES))
def test_each_allowed_transition_moves_the_stored_job(store: Store, name: str) -> None:
    transition = TRANSITIONS[name]
    for source in sorted(transition.sources):
        job_id = _job(store, source)
        assert _apply(store, job_id, MOVES[name]) is not False
        assert _status(store, job_id) == transition.target.value, f"{name} from {source}"
        with store.session() as s:
            job = s.get(SyncJob, job_id)
            assert job is not None and job.claimed_by is None


def test_what_each_outcome_keeps(store: Store) -> None:
    rejected, waiting, lost, dead = (_job(store, SyncStatus.IN_FLIGHT) for _ in range(4))
    for job_id, name in [
        (rejected, "reject"),
        (waiting, "wait"),
        (lost, "lose_answer"),
        (dead, "give_up"),
    ]:
        _apply(store, job_id, MOVES[name])
    with store.session() as s:
        got = {i: s.get(SyncJob, i) for i in (rejected, waiting, lost, dead)}
    assert (got[rejected].error_rule, got[rejected].error_fix) == ("tool.accepted", "edit it")  # type: ignore[union-attr]
    assert got[waiting].next_attempt_at == LATER  # type: ignore[union-attr]
    assert got[lost].uncertain and got[lost].next_attempt_at == LATER  # type: ignore[union-attr]
    assert got[dead].last_error == "gave up" and not got[dead].uncertain  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "status"),
    [("block", SyncStatus.PENDING), ("reject", SyncStatus.SYNCED), ("retry", SyncStatus.IN_FLIGHT)],
)
def test_an_illegal_transition_leaves_the_stored_job_as_it_was(
    store: Store, name: str, status: SyncStatus
) -> None:
    job_id = _job(store, status)
    with pytest.raises(IllegalTransition):
        _apply(store, job_id, MOVES[name])
    assert _status(store, job_id) == status.value


def test_a_record_edited_in_flight_lands_as_pending_for_its_new_version(store: Store) -> None:
    job_id = _job(store, SyncStatus.IN_FLIGHT)
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        assert job is not None
        client = s.get(Client, job.record_id)
        assert client is not None
        client.email = "billing@example.com"  # the outbox bumps the version, keeps it in flight
    assert _status(store, job_id) == "in_flight"
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        assert job is not None and job.record_version == 2
        assert jobs.reject(s, job, 1, message="x", rule=None, fix=None, now=NOW) is False
        assert job.status == "pending"  # the object in hand says so too
    assert _status(store, job_id) == "pending"


# -- the bulk transitions ------------------------------------------------------------------------


def test_claim_takes_due_jobs_and_recovers_abandoned_ones(store: Store) -> None:
    due = _job(store, SyncStatus.PENDING)
    later = _job(store, SyncStatus.PENDING, next_attempt_at=LATER)
    # Its batch was marked sent (`start_attempt`) before its worker died: it may have landed.
    abandoned = _job(
        store, SyncStatus.IN_FLIGHT, claimed_at=NOW - timedelta(hours=1), uncertain=True
    )
    held = _job(store, SyncStatus.IN_FLIGHT)
    with store.session() as s:
        claimed = jobs.claim(s, "w2", limit=10, now=NOW, lease=timedelta(minutes=5))
        assert sorted(j.id for j in claimed) == [due, abandoned]
    with store.session() as s:
        got = {i: s.get(SyncJob, i) for i in (due, later, abandoned, held)}
        kinds = s.scalars(select(SyncEvent.kind).where(SyncEvent.kind == "recovered")).all()
    assert [got[i].status for i in (due, later, abandoned, held)] == [  # type: ignore[union-attr]
        "in_flight",
        "pending",
        "in_flight",
        "in_flight",
    ]
    assert got[abandoned].uncertain and got[abandoned].claimed_by == "w2"  # type: ignore[union-attr]
    assert not got[due].uncertain and got[held].claimed_by == "w1"  # type: ignore[union-attr]
    assert kinds == ["recovered"]


def test_succeed_marks_only_jobs_in_flight(store: Store) -> None:
    flying = _job(store, SyncStatus.IN_FLIGHT, attempts=2, last_error="503")
    parked = _job(store, SyncStatus.DEAD)
    with store.session() as s:
        edited = jobs.succeed(s, "w1", [(flying, 1, "R-1"), (parked, 1, "R-2")], NOW)
    assert edited == []
    with store.session() as s:
        done, dead = s.get(SyncJob, flying), s.get(SyncJob, parked)
    assert done is not None and dead is not None
    assert (done.status, done.remote_id, done.synced_version, done.attempts) == (
        "synced",
        "R-1",
        1,
        0,
    )
    assert done.last_error is None and done.claimed_by is None
    assert (dead.status, dead.remote_id) == ("dead", None)


def test_a_synced_dependency_releases_and_wakes_the_jobs_it_held(store: Store) -> None:
    held = {
        status: _job(store, status)
        for status in (SyncStatus.BLOCKED, SyncStatus.FAILED, SyncStatus.DEAD)
    }
    held[SyncStatus.PENDING] = _job(store, SyncStatus.PENDING, next_attempt_at=LATER)
    with store.session() as s:
        for job_id in held.values():
            s.add(SyncJobBlocker(job_id=job_id, subject_type="client", subject_id=999))
    with store.session() as s:
        moved = jobs.release_dependents(s, EntityType.CLIENT, [999], NOW)
    assert moved == 3
    with store.session() as s:
        got = {status: s.get(SyncJob, i) for status, i in held.items()}
    assert {k.value: v.status for k, v in got.items() if v} == {
        "blocked": "pending",
        "failed": "pending",
        "pending": "pending",
        "dead": "dead",  # only a person revives a job that gave up
    }
    assert got[SyncStatus.PENDING].next_attempt_at is None  # type: ignore[union-attr]


def test_saving_a_record_queues_its_job_unless_it_is_in_flight(store: Store) -> None:
    jobs_by_status = {status: _job(store, status) for status in SyncStatus}
    with store.session() as s:
        for job_id in jobs_by_status.values():
            job = s.get(SyncJob, job_id)
            assert job is not None
            client = s.get(Client, job.record_id)
            assert client is not None
            client.email = "new@example.com"
    after = {status: _status(store, job_id) for status, job_id in jobs_by_status.items()}
    expected = {
        status: "in_flight" if status is SyncStatus.IN_FLIGHT else TRANSITIONS["queue"].target
        for status in SyncStatus
    }
    assert after == expected


def test_a_lost_answer_for_a_record_edited_in_flight_keeps_the_lookup_mark(store: Store) -> None:
    """Issue 15: the guarded write missed on the version and dropped `uncertain`, so the new
    version was created again. What the push learned about the tool holds whatever the version."""
    lost, linked = _job(store, SyncStatus.IN_FLIGHT), _job(store, SyncStatus.IN_FLIGHT)
    with store.session() as s:
        for job_id in (lost, linked):
            job = s.get(SyncJob, job_id)
            assert job is not None
            client = s.get(Client, job.record_id)
            assert client is not None
            client.email = "billing@example.com"  # version 2, while version 1 is in flight
    with store.session() as s:
        job = s.get(SyncJob, lost)
        assert job is not None
        assert jobs.lose_answer(s, job, 1, message="timed out", until=LATER, now=NOW) is False
        other = s.get(SyncJob, linked)
        assert other is not None
        assert jobs.adopt(s, other, 1, remote_id="R-9", now=NOW) is False
    with store.session() as s:
        got, adopted = s.get(SyncJob, lost), s.get(SyncJob, linked)
        assert got is not None and (got.status, got.uncertain) == ("pending", True)
        assert adopted is not None and (adopted.status, adopted.remote_id) == ("pending", "R-9")
