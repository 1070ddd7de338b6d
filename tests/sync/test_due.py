"""When the queue next has work (`next_due_in`), on SQLite and PostgreSQL: a job waiting on a
dependency that was handed back for an hour is not due in a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from booksync.store.db import Store
from booksync.store.models import SyncJob, SyncJobBlocker
from booksync.sync import jobs

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def job(store: Store, entity: str, record: int, **values: object) -> int:
    row = {
        "entity_type": entity,
        "record_id": record,
        "record_version": 1,
        "status": "pending",
        "attempts": 0,
        "blocked_reasons": [],
        "created_at": NOW,
        "updated_at": NOW,
    } | values
    with store.session() as s:
        return int(s.execute(insert(SyncJob).returning(SyncJob.id), [row]).scalar_one())


def waits_on(store: Store, job_id: int, entity: str, record: int) -> None:
    with store.session() as s:
        s.execute(
            insert(SyncJobBlocker).values(job_id=job_id, subject_type=entity, subject_id=record)
        )


def due_in(store: Store) -> float | None:
    with store.session() as s:
        return jobs.next_due_in(s, NOW, LEASE)


def test_nothing_open_is_none_and_a_due_job_is_now(store: Store) -> None:
    assert due_in(store) is None
    job(store, "client", 1, next_attempt_at=NOW + timedelta(seconds=30))
    assert due_in(store) == pytest.approx(30)
    job(store, "client", 2)
    assert due_in(store) == 0


def test_a_job_waiting_on_a_dependency_handed_back_for_an_hour_is_due_in_an_hour(
    store: Store,
) -> None:
    job(store, "client", 1, next_attempt_at=NOW + timedelta(hours=1))  # a Retry-After of 3,600 s
    invoice = job(store, "invoice", 1, next_attempt_at=NOW + timedelta(seconds=60))
    waits_on(store, invoice, "client", 1)
    assert due_in(store) == pytest.approx(3600)


def test_a_dependency_in_flight_or_synced_leaves_the_waiting_job_its_own_time(
    store: Store,
) -> None:
    job(store, "client", 1, status="synced")
    job(store, "product", 1, status="in_flight", claimed_by="w1", claimed_at=NOW)
    invoice = job(store, "invoice", 1, next_attempt_at=NOW + timedelta(seconds=60))
    waits_on(store, invoice, "client", 1)
    waits_on(store, invoice, "product", 1)
    assert due_in(store) == pytest.approx(60)  # the product's holder may finish any moment


def test_a_job_held_elsewhere_is_due_when_its_lease_ends(store: Store) -> None:
    job(
        store,
        "client",
        1,
        status="in_flight",
        claimed_by="w1",
        claimed_at=NOW - timedelta(minutes=1),
    )
    assert due_in(store) == pytest.approx(240)
