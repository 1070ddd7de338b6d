"""The shape of a claim, on SQLite and PostgreSQL: each chosen tenant gets a full batch of its tool
in dependency order, tenants rotate between claims, and one tenant's backlog never starves another
tenant's few jobs."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from booksync.store.db import Store
from booksync.store.models import Integration, SyncJob, Tenant
from booksync.sync import jobs

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
_workers = itertools.count()


@pytest.fixture
def worker() -> str:
    """A worker name of its own per test: the rotation is kept per worker name in the process."""
    return f"claim-test-{next(_workers)}"


def tenants(store: Store, kind: str, count: int) -> list[int]:
    with store.session() as s:
        integration = Integration(kind=kind, enabled=True, entities_to_sync=["client", "invoice"])
        s.add(integration)
        s.flush()
        made = [
            Tenant(integration_id=integration.id, name=f"{kind} {i}", remote_tenant_id=f"r{i}")
            for i in range(count)
        ]
        s.add_all(made)
        s.flush()
        return [t.id for t in made]


_records = itertools.count(1)


def queue(store: Store, tenant: int, entity: str, count: int, **values: object) -> list[int]:
    """`count` pending jobs of `tenant` (no records behind them: claiming reads only the queue)."""
    rows = [
        {
            "entity_type": entity,
            "record_id": next(_records),
            "record_version": 1,
            "tenant_id": tenant,
            "status": "pending",
            "attempts": 0,
            "blocked_reasons": [],
            "created_at": NOW,
            "updated_at": NOW,
        }
        | values
        for _ in range(count)
    ]
    with store.session() as s:
        s.execute(insert(SyncJob), rows)
        found = s.scalars(
            select(SyncJob.id).where(SyncJob.tenant_id == tenant, SyncJob.entity_type == entity)
        )
        return sorted(found)[-count:]


def claim(store: Store, worker: str, limit: int = 600) -> list[tuple[int | None, str, int]]:
    """(tenant, record type, job id) of each job claimed, in id order."""
    with store.session() as s:
        got = jobs.claim(s, worker, limit=limit, now=NOW, lease=LEASE)
        return [(j.tenant_id, j.entity_type, j.id) for j in got]


def by_tenant(claimed: list[tuple[int | None, str, int]]) -> Counter[int | None]:
    return Counter(t for t, _, _ in claimed)


def test_at_many_tenants_each_chosen_tenant_gets_a_full_batch(store: Store, worker: str) -> None:
    ids = tenants(store, "xero", 30)  # Xero takes 50 elements a call
    for t in ids:
        queue(store, t, "invoice", 100)
    claimed = claim(store, worker)
    assert by_tenant(claimed) == {t: 50 for t in ids[:12]}  # 600 / 50: twelve full batches
    mine = [i for t, _, i in claimed if t == ids[0]]
    with store.session() as s:
        oldest = s.scalars(
            select(SyncJob.id).where(SyncJob.tenant_id == ids[0]).order_by(SyncJob.id).limit(50)
        ).all()
    assert mine == list(oldest)  # a tenant's oldest first


def test_a_tenant_s_dependencies_come_before_its_documents(store: Store, worker: str) -> None:
    (one, two) = tenants(store, "xero", 2)
    queue(store, one, "invoice", 80)
    clients = queue(store, one, "client", 5)  # queued after its invoices
    queue(store, two, "invoice", 80)
    first = claim(store, worker)
    assert sorted(i for t, _, i in first if t == one) == clients  # only its clients, this time
    assert by_tenant(first)[two] == 80  # the other tenant needs nothing first: all of it
    second = claim(store, worker)
    assert by_tenant(second)[one] == 0, "its clients are in flight: its invoices would only wait"
    with store.session() as s:  # the clients synced
        s.execute(update(SyncJob).where(SyncJob.id.in_(clients)).values(status="synced"))
    third = claim(store, worker)
    assert {e for t, e, _ in third if t == one} == {"invoice"} and by_tenant(third)[one] == 80


def test_tenants_rotate_between_claims(store: Store, worker: str) -> None:
    ids = tenants(store, "xero", 5)
    for t in ids:
        queue(store, t, "invoice", 500)
    seen = [sorted(by_tenant(claim(store, worker, limit=100))) for _ in range(5)]
    # Two full batches a claim, and every tenant's turn comes before anyone's second.
    assert seen == [ids[0:2], ids[2:4], [ids[0], ids[4]], ids[1:3], ids[3:5]]


def test_one_tenant_alone_gets_the_whole_claim(store: Store, worker: str) -> None:
    (big,) = tenants(store, "xero", 1)
    queue(store, big, "invoice", 2_000)
    assert by_tenant(claim(store, worker)) == {big: 600}


def test_a_big_backlog_never_starves_a_small_tenant(store: Store, worker: str) -> None:
    big, small, other = tenants(store, "xero", 3)
    queue(store, big, "invoice", 50_000 // 50)  # a long backlog, queued first
    queue(store, other, "invoice", 300)
    few = queue(store, small, "invoice", 5)
    claimed = claim(store, worker, limit=200)
    assert [i for t, _, i in claimed if t == small] == few  # its five, in the first claim
    assert by_tenant(claimed) == {big: 100, small: 5, other: 50}  # then the room left, in turn


def test_a_tool_s_own_batch_size_makes_the_turn(store: Store, worker: str) -> None:
    (qbo,) = tenants(store, "quickbooks", 1)
    (xero,) = tenants(store, "xero", 1)
    queue(store, qbo, "invoice", 70)
    queue(store, xero, "invoice", 60)
    # QuickBooks takes 30 a batch request, Xero 50; no second turn fits in 100.
    assert by_tenant(claim(store, worker, limit=100)) == {qbo: 30, xero: 50}


def test_a_turn_is_never_more_than_half_the_claim(store: Store, worker: str) -> None:
    one, two = tenants(store, "ledger", 2)  # the ledger takes 200 a batch
    queue(store, one, "invoice", 300)
    queue(store, two, "invoice", 5)
    assert by_tenant(claim(store, worker, limit=60)) == {one: 30, two: 5}


def test_jobs_not_yet_due_or_held_elsewhere_are_left(store: Store, worker: str) -> None:
    (t,) = tenants(store, "xero", 1)
    later = queue(store, t, "invoice", 3, next_attempt_at=NOW + timedelta(minutes=1))
    flying = queue(store, t, "invoice", 2, status="in_flight", claimed_by="w0", claimed_at=NOW)
    due = queue(store, t, "invoice", 4)
    assert [i for _, _, i in claim(store, worker)] == due
    with store.session() as s:
        rows = s.scalars(select(SyncJob).where(SyncJob.id.in_(later + flying))).all()
        assert {(j.status, j.claimed_by, j.claim_token) for j in rows} == {
            ("pending", None, 0),
            ("in_flight", "w0", 0),
        }


def test_a_claim_bumps_the_token_and_a_takeover_bumps_it_again(store: Store, worker: str) -> None:
    (t,) = tenants(store, "xero", 1)
    queue(store, t, "client", 3)
    first = claim(store, worker)
    with store.session() as s:  # the worker died: its lease ran out
        s.execute(update(SyncJob).values(claimed_at=NOW - 2 * LEASE))
    with store.session() as s:
        taken = jobs.claim(s, "other", limit=600, now=NOW, lease=LEASE)
        assert sorted(j.id for j in taken) == [i for _, _, i in first]
        assert {(j.claimed_by, j.claim_token) for j in taken} == {("other", 2)}


def test_a_second_worker_skips_the_rows_a_concurrent_claim_holds(db_url: str) -> None:
    """PostgreSQL: two claims at once never take the same job (`FOR UPDATE SKIP LOCKED`)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: there are no concurrent claims")
    store = Store(db_url)
    try:
        ids = tenants(store, "xero", 4)
        for t in ids:
            queue(store, t, "invoice", 60)
        with store.session() as first:
            mine = jobs.claim(first, "w-a", limit=100, now=NOW, lease=LEASE)  # not committed yet
            with store.session() as second:
                theirs = jobs.claim(second, "w-b", limit=100, now=NOW, lease=LEASE)
            assert mine and not {j.id for j in mine} & {j.id for j in theirs}
    finally:
        store.dispose()
