"""The shape of a claim, on SQLite and PostgreSQL: each chosen tenant gets a full batch of its tool
in dependency order, tenants rotate between claims, and one tenant's backlog never starves another
tenant's few jobs."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from booksync.store.db import Store
from booksync.store.models import Integration, SyncJob, Tenant
from booksync.store.models.sync import PENDING_DEPENDENCIES, PENDING_DOCUMENTS
from booksync.sync import jobs
from booksync.sync.claiming import DEPENDENCY_TYPES, PENDING, turns

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


def test_a_turn_that_would_not_fit_whole_is_left_even_for_a_tenant_alone(
    store: Store, worker: str
) -> None:
    (qbo,) = tenants(store, "quickbooks", 1)  # 30 a batch request: turns of 30
    queue(store, qbo, "invoice", 500)
    # Three turns fit in 100; the fourth (91-120) would not, and is not cut to fit.
    assert by_tenant(claim(store, worker, limit=100)) == {qbo: 90}


def test_postgresql_reads_by_index_what_the_aggregate_chooses(db_url: str) -> None:
    """PostgreSQL takes each tenant's jobs by index reads (`lateral`), SQLite aggregates every due
    job: on the same queues, with jobs not yet due, held, abandoned and with no tenant yet, both
    choose the same jobs."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the index reads are PostgreSQL's")
    rng = random.Random(12)
    store = Store(db_url)
    try:
        ids = [
            *tenants(store, "xero", 3),
            *tenants(store, "quickbooks", 2),
            *tenants(store, "ledger", 1),
            *tenants(store, "no-such-tool", 1),
        ]
        for _ in range(10):  # ten queues, one after the other
            rows = []
            for tenant in [*ids, None]:
                # Some tenants with few dependencies queued, or none: documents at the top.
                dependencies = rng.choice((0.0, 0.02, 0.1, 0.5))
                for _ in range(rng.choice((0, 0, 3, 40, 130))):
                    rows.append(_random_job(rng, tenant, dependencies))
                if rng.random() < 0.3:  # its dependencies being pushed: its documents wait
                    pushing = _random_job(rng, tenant, 1.0)
                    rows.append(
                        pushing | {"status": "in_flight", "claimed_at": NOW, "claimed_by": "w0"}
                    )
            with store.session() as s:
                s.execute(update(SyncJob).values(status="synced"))  # a fresh queue each time
                if rows:
                    s.execute(insert(SyncJob), rows)
            for limit in (2, 7, 60, 100, 400):
                after = rng.choice([0, *ids])
                with store.session() as s:
                    lateral = _turn_ids(s, limit, after, lateral=True)
                    aggregate = _turn_ids(s, limit, after, lateral=False)
                assert lateral == aggregate, (limit, after)
                assert len(lateral) <= limit
    finally:
        store.dispose()


def _random_job(rng: random.Random, tenant: int | None, dependencies: float) -> dict[str, object]:
    status, next_at, claimed_at = rng.choices(
        [
            ("pending", None, None),
            ("pending", NOW + timedelta(minutes=3), None),  # not yet due
            ("pending", NOW - timedelta(minutes=3), None),  # due again
            ("in_flight", None, NOW - timedelta(minutes=1)),  # held by a live worker
            ("in_flight", None, NOW - 2 * LEASE),  # abandoned
            ("synced", None, None),
        ],
        weights=[70, 6, 6, 6, 6, 6],
    )[0]
    return {
        "entity_type": rng.choice(("client", "supplier", "product"))
        if rng.random() < dependencies
        else rng.choice(("invoice", "credit_note", "sales_order")),
        "record_id": next(_records),
        "record_version": 1,
        "tenant_id": tenant,
        "status": status,
        "attempts": 0,
        "blocked_reasons": [],
        "next_attempt_at": next_at,
        "claimed_by": "w0" if claimed_at else None,
        "claimed_at": claimed_at,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _turn_ids(s: Session, limit: int, after: int, *, lateral: bool) -> list[int]:
    chosen = turns(now=NOW, lease=LEASE, limit=limit, after=after, lateral=lateral)
    return sorted(s.scalars(chosen))


def test_the_partial_indexes_hold_the_pending_jobs_of_each_level() -> None:
    """The claim's reads write the indexes' predicates out; they must name the same levels."""
    listed = ", ".join(f"'{t}'" for t in DEPENDENCY_TYPES)
    assert f"status = '{PENDING}' AND entity_type IN ({listed})" == PENDING_DEPENDENCIES
    assert f"status = '{PENDING}' AND entity_type NOT IN ({listed})" == PENDING_DOCUMENTS
