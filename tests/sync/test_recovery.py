"""Recovering from lost answers and dead workers, in process against the RecordingTool: a lost
answer with an edit in flight, the cost in lookups of a crash, and a refused create adopted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.connectors.protocol import PushItem, PushResult
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import SyncEvent, SyncJob
from booksync.sync import jobs
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool
from support.books import ready_books

LEASE = timedelta(minutes=5)


def engine_for(store: Store, tool: RecordingTool, **options: object) -> Engine:
    options.setdefault("clock", VirtualClock())
    return Engine(store, lambda tenant: tool, **options)  # type: ignore[arg-type]


def statuses(store: Store) -> Counter[str]:
    with store.session() as s:
        return Counter(s.scalars(select(SyncJob.status)))


class Crash(BaseException):
    """The worker dies here: nothing after this point runs (what SIGKILL leaves, in process)."""


def test_a_lost_answer_with_an_edit_in_flight_never_creates_the_record_again(
    store: Store,
) -> None:
    tool = RecordingTool(idempotency=False)  # a create is a create: a second one is a duplicate
    ready_books(store, tool, clients=1, products=0, invoices=0)
    push = tool.push

    def lose_answer_and_edit(
        tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> list[PushResult]:
        if entity is EntityType.CLIENT and tool.push_calls(EntityType.CLIENT) == 0:
            tool.faults.insert(0, "unknown")  # applied, then the answer is lost
            with store.session() as s:
                CLIENTS.update(s, "Client 000", {"email": "billing@example.com"})
        return push(tenant, entity, items)

    tool.push = lose_answer_and_edit  # type: ignore[method-assign]
    engine_for(store, tool).run_pass(max_wait=3600)

    clients = [o for o in tool.objects() if o["entity"] == "client"]
    assert len(clients) == 1, f"created {len(clients)} times"
    assert clients[0]["payload"]["email"] == "billing@example.com"  # the newest version, once
    assert statuses(store) == Counter({"synced": 2})
    with store.session() as s:
        kinds = s.scalars(select(SyncEvent.kind).where(SyncEvent.entity_type == "client"))
        assert "matched" in set(kinds)  # found by lookup, not created again


def _crash_holding(store: Store, tool: RecordingTool, *, sent_batches: int) -> Engine:
    """A worker that claims every job, sends `sent_batches` batches (the tool applies them) and
    dies before recording the last answer."""
    dead = engine_for(store, tool, worker="dead", lease=LEASE, claim_limit=600)
    sent = 0

    def die(step: str, job_ids: Sequence[int]) -> None:
        nonlocal sent
        if step == "answered":
            sent += 1
            if sent == sent_batches:
                raise Crash

    dead.on_step = die
    try:
        dead.run_pass()
    except Crash:
        pass
    else:
        raise AssertionError("the worker was never killed")
    return dead


def test_after_a_crash_only_what_was_sent_is_looked_up_in_one_read(store: Store) -> None:
    tool = RecordingTool(batch_size=25, idempotency=False)
    ready_books(store, tool, clients=100, products=0, invoices=0)
    clock = VirtualClock()
    dead = _crash_holding(store, tool, sent_batches=1)
    with store.session() as s:
        held = s.scalars(select(SyncJob).where(SyncJob.claimed_by == "dead")).all()
        assert len(held) == 101  # claimed 100 clients and the supplier, sent 25 clients
        assert sum(j.uncertain for j in held) == 25
    clock.advance(dead.lease + timedelta(seconds=1))
    before = tool.lookup_calls()

    engine_for(store, tool, clock=clock, worker="next").run_pass()

    calls, looked_up = (a - b for a, b in zip(tool.lookup_calls(), before, strict=True))
    assert looked_up == 25, "only the jobs whose batch was sent are looked up"
    assert calls == 1, "in one read"
    assert Counter(o["entity"] for o in tool.objects())["client"] == 100  # none created twice
    assert statuses(store) == Counter({"synced": 101})


def test_a_create_refused_as_a_duplicate_after_an_unanswered_push_is_adopted(
    store: Store,
) -> None:
    """The lookup before the create misses (the tool had not indexed it yet); the tool then
    refuses the create as a duplicate: the record is found, linked and updated, not failed."""
    tool = RecordingTool(idempotency=False)
    lookup_many = tool.lookup_many

    def duplicate(item: PushItem) -> str | None:
        if item.remote_id is None and lookup_many("acme-au", item.entity, [item]):
            return "Another customer is already using this name (6240)"
        return None

    ready_books(store, tool, clients=1, products=0, invoices=0)
    tool.reject = duplicate
    misses = [True]

    def lagging(tenant: str, entity: EntityType, items: Sequence[PushItem]) -> dict[str, str]:
        if misses and entity is EntityType.CLIENT:
            misses.pop()
            return {}
        return lookup_many(tenant, entity, items)

    tool.faults = ["unknown"]  # the clients' batch lands, its answer is lost
    engine = engine_for(store, tool)
    tool.lookup_many = lagging  # type: ignore[method-assign]
    engine.run_pass(max_wait=3600)

    assert not misses, "the lagging lookup was exercised"
    assert statuses(store) == Counter({"synced": 2})
    clients = [o for o in tool.objects() if o["entity"] == "client"]
    assert len(clients) == 1 and clients[0]["writes"] == 2  # adopted, then updated
    with store.session() as s:
        events = s.scalars(select(SyncEvent.message).where(SyncEvent.kind == "matched")).all()
        assert any("refused as a duplicate" in e for e in events)


def test_a_worker_asked_to_stop_hands_back_what_it_has_not_sent(store: Store) -> None:
    tool = RecordingTool(batch_size=10)
    ready_books(store, tool, clients=30, products=0, invoices=0)
    engine = engine_for(store, tool)

    def stop_after_first(step: str, job_ids: Sequence[int]) -> None:
        if step == "recorded":
            engine.stop.set()

    engine.on_step = stop_after_first
    engine.run_pass()
    assert tool.push_calls() == 1
    with store.session() as s:
        got = s.scalars(select(SyncJob).where(SyncJob.entity_type == "client")).all()
        pending = [j for j in got if j.status == "pending"]
        assert len(pending) == 20 and all(j.attempts == 0 and j.claimed_by is None for j in pending)
        assert Counter(j.status for j in got) == {"synced": 10, "pending": 20}
        assert jobs.held(s, engine.worker, [j.id for j in got]) == {}
