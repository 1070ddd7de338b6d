"""The sync loop at scale, in process: waiting never holds work, tenants are served in turn, calls go
out concurrently across tenants (to one tenant as many at once as its tool allows, each on a
connector of its own), and a worker whose claims were taken over records
nothing for them (fencing)."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.connectors.protocol import PushItem, PushResult, TransientError
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, PRODUCTS, TAX_RATES, TENANTS
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store
from booksync.store.models import SyncJob, Tenant
from booksync.sync import jobs
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool
from support.books import REMOTE_TENANT, TENANT, ready_books


def add_tenant(
    store: Store, tool: RecordingTool, name: str, *, clients: int = 2, invoices: int = 3
) -> str:
    """A second connected tenant beside `ready_books`' one, with its own clients, product and
    invoices (their numbers start with the tenant's name)."""
    remote = name.lower().replace(" ", "-")
    with store.session() as s:
        TENANTS.create_for(s, "ledger", {"name": name, "remote_tenant_id": remote})
        TAX_RATES.map(s, "GST on Income", name, "OUTPUT")
        TAX_RATES.map(s, "GST on Expenses", name, "INPUT")
        for i in range(clients):
            CLIENTS.create(s, {"name": f"{name} client {i}", "tenant": name})
        PRODUCTS.create(
            s,
            {
                "name": f"{name} product",
                "code": f"{remote}-sku",
                "price": "10.00",
                "cost": "5.00",
                "item_group": "Backup",
                "use_item_group_tax": True,
                "tenant": name,
            },
        )
        for i in range(invoices):
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": f"{remote}-{i:05d}",
                    "party": f"{name} client {i % clients}",
                    "lines": [{"product": f"{name} product", "quantity": "1"}],
                },
            )
    with store.session() as s:
        connect_tenant(s, name, connector=tool)
    with store.session() as s:
        import_from_tool(s, name, connector=tool)
    return remote


def statuses_by_tenant(store: Store) -> dict[int | None, Counter[str]]:
    found: dict[int | None, Counter[str]] = {}
    with store.session() as s:
        for tenant, status in s.execute(select(SyncJob.tenant_id, SyncJob.status)):
            found.setdefault(tenant, Counter())[status] += 1
    return found


def test_a_long_retry_after_hands_one_tenants_jobs_back_and_the_pass_goes_on(
    store: Store,
) -> None:
    tool = RecordingTool(batch_size=50)
    ready_books(store, tool, clients=3, products=2, invoices=4)
    other = add_tenant(store, tool, "Beta NZ", clients=2, invoices=3)
    push = tool.push
    refused = []

    def limited(tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        if tenant == REMOTE_TENANT:  # the tool says: this tenant, not for an hour
            refused.append(len(items))
            raise TransientError("429 Too Many Requests", retry_after=3600)
        return push(tenant, entity, items)

    tool.push = limited  # type: ignore[method-assign]
    clock = VirtualClock()
    result = Engine(store, lambda tenant: tool, clock=clock).run_pass(max_wait=30)

    assert refused == [3]  # one call, its clients; nothing more was tried for an hour
    assert {o["tenant"] for o in tool.objects()} == {other}
    assert Counter(o["entity"] for o in tool.objects()) == {"client": 2, "product": 1, "invoice": 3}
    wait = result.waits[TENANT]
    assert wait.until == clock.utcnow() + timedelta(seconds=3600)
    assert wait.jobs == 1 + 2  # its supplier and products: handed back unsent
    assert clock.elapsed < 60  # the pass did not sit out the hour
    with store.session() as s:
        acme = s.scalars(select(Tenant.id).where(Tenant.name == TENANT)).one()
        held = s.scalars(select(SyncJob).where(SyncJob.tenant_id == acme)).all()
    assert all(j.status == "pending" and j.claimed_by is None for j in held)
    assert all(j.next_attempt_at and j.next_attempt_at >= wait.until for j in held if j.attempts)
    deferred = [j for j in held if j.entity_type in ("supplier", "product")]
    assert [j.attempts for j in deferred] == [0, 0, 0]  # waiting is not an attempt
    assert all(j.next_attempt_at == wait.until for j in deferred)


def test_a_big_backlog_never_starves_a_small_tenant(store: Store) -> None:
    tool = RecordingTool(batch_size=50)
    ready_books(store, tool, clients=2, products=1, invoices=240)
    small = add_tenant(store, tool, "Small NZ", clients=1, invoices=5)  # queued after the 240
    Engine(store, lambda tenant: tool, clock=VirtualClock(), claim_limit=60).run_pass()
    invoices = [o for o in tool.objects() if o["entity"] == "invoice"]
    assert len(invoices) == 245
    first_round = {o["tenant"] for o in invoices[:60]}
    assert small in first_round  # its five went in the first round, not after the 240
    assert [o["reference"] for o in invoices if o["tenant"] == small][:5] == [
        f"{small}-{i:05d}" for i in range(5)
    ]


class InFlight:
    """The calls in flight per tenant, and the most at once, as the push threads count them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    @contextmanager
    def call(self, tenant: str) -> Iterator[None]:
        with self.lock:
            self.now[tenant] += 1
            self.peak[tenant] = max(self.peak[tenant], self.now[tenant])
        try:
            yield
        finally:
            with self.lock:
                self.now[tenant] -= 1


def test_calls_go_out_concurrently_across_tenants_one_per_tenant(store: Store) -> None:
    tool = RecordingTool(batch_size=1)
    ready_books(store, tool, clients=2, products=1, invoices=2)
    add_tenant(store, tool, "Beta NZ")
    add_tenant(store, tool, "Gamma UK")
    together = threading.Barrier(3, timeout=30)  # broken unless three calls are in flight at once
    flight = InFlight()
    push = tool.push

    def slow(tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        with flight.call(tenant):
            if not together.broken and together.n_waiting < 3 and entity is EntityType.CLIENT:
                together.wait()
            with flight.lock:
                return push(tenant, entity, items)

    tool.push = slow  # type: ignore[method-assign]
    engine = Engine(store, lambda tenant: tool, clock=VirtualClock(), concurrency=3)
    try:
        engine.run_pass()
    finally:
        engine.close()
    assert not together.broken, "three tenants' calls were never in flight together"
    assert set(flight.peak.values()) == {1}  # never two calls to one tenant at once
    assert Counter(status for c in statuses_by_tenant(store).values() for status in c.elements())[
        "synced"
    ] == (2 + 1 + 1 + 2) + 2 * (2 + 1 + 3)


def test_one_tenant_gets_as_many_calls_at_once_as_its_tool_allows_each_on_its_own_connector(
    store: Store,
) -> None:
    tool = RecordingTool(batch_size=1, concurrency=3)  # three calls in flight per tenant at most
    ready_books(store, tool, clients=1, products=1, invoices=12)
    together = threading.Barrier(3, timeout=30)  # broken unless three calls are in flight at once
    flight = InFlight()
    users: dict[int, set[int]] = {}  # connector -> the threads that used it
    started = itertools.count()
    push = tool.push

    class Lane:
        """One connector the engine makes for the tenant: the shared tool, called one at a time."""

        limits = tool.limits
        kind = tool.kind

        def __init__(self) -> None:
            self.busy = threading.Lock()

        def push(
            self, tenant: str, entity: EntityType, items: Sequence[PushItem]
        ) -> list[PushResult]:
            assert self.busy.acquire(blocking=False), "a connector was given two calls at once"
            try:
                with flight.call(tenant):
                    with flight.lock:
                        users.setdefault(id(self), set()).add(threading.get_ident())
                        first = entity is EntityType.INVOICE and next(started) < 3
                    if first:  # the first three invoices' calls wait until all three are in flight
                        together.wait()
                    with flight.lock:
                        return push(tenant, entity, items)
            finally:
                self.busy.release()

        def __getattr__(self, name: str) -> object:
            return getattr(tool, name)

        def close(self) -> None:
            pass

    engine = Engine(store, lambda tenant: Lane(), clock=VirtualClock(), concurrency=8)  # type: ignore[arg-type,return-value]
    try:
        engine.run_pass()
    finally:
        engine.close()
    assert not together.broken, "three calls to one tenant were never in flight together"
    assert flight.peak[REMOTE_TENANT] == 3  # and never more than the tool allows
    assert len(users) == 3  # a connector for each call in flight, reused once it is free
    statuses = Counter(
        status for c in statuses_by_tenant(store).values() for status in c.elements()
    )
    assert set(statuses) == {"synced"} and statuses["synced"] >= 1 + 1 + 12
    assert len([o for o in tool.objects() if o["entity"] == "invoice"]) == 12  # each one once


def test_a_worker_whose_claims_were_taken_over_records_nothing_for_them(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=0, invoices=0)
    clock = VirtualClock()
    lease = timedelta(seconds=1)
    with store.session() as s:
        mine = {
            j.id: j.claim_token
            for j in jobs.claim(s, "paused", limit=10, now=clock.utcnow(), lease=lease)
        }
    clock.advance(5)  # "paused" was stopped past its lease; "other" takes the jobs over
    with store.session() as s:
        theirs = {
            j.id: j.claim_token
            for j in jobs.claim(s, "other", limit=10, now=clock.utcnow(), lease=lease)
        }
    assert set(theirs) == set(mine) and all(theirs[i] > mine[i] for i in mine)
    with store.session() as s:  # "paused" wakes up (even under "other"'s name, the token differs)
        assert jobs.held(s, "paused", mine, mine) == {}
        assert jobs.held(s, "other", mine, mine) == {}
        jobs.start_attempt(s, "other", list(mine), mine)
        assert (
            jobs.succeed(s, "other", [(i, 1, "R-1") for i in mine], clock.utcnow(), fence=mine)
            == []
        )
        assert jobs.defer(s, "other", list(mine), None, fence=mine) == 0
    with store.session() as s:
        rows = s.scalars(select(SyncJob).where(SyncJob.id.in_(list(mine)))).all()
        assert {(j.status, j.claimed_by, j.attempts, j.remote_id) for j in rows} == {
            ("in_flight", "other", 0, None)
        }
        jobs.start_attempt(s, "other", list(theirs), theirs)  # the current claim still works
    with store.session() as s:
        assert {
            j.attempts for j in s.scalars(select(SyncJob).where(SyncJob.id.in_(list(mine))))
        } == {1}
