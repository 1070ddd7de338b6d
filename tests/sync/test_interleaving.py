"""Exactly once in every interleaving: Hypothesis drives the engine, in process, against the
RecordingTool (no idempotency keys: a second create is a duplicate), on SQLite and PostgreSQL.

Each push runs with one event injected between two of its steps (claimed, built, sent, answered,
recorded): an edit, a delete, an exclusion, a crash (nothing after it runs, as after SIGKILL; the
next worker starts once the lease has run out), a lost answer, a 429 with a long Retry-After, or
the lease lost (another worker takes over and runs a whole pass before this one goes on).

After every step the tool never holds a record twice; at the end, once the queue has drained, each
record is in the tool exactly once with its newest version, or held with a rule id that says why
(a deleted one is in the tool at most once). The cases run with a fixed seed and a bounded count;
`OUTCOMES` tallies them, and the suite asserts that every kind of event really fired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booksync.clock import VirtualClock
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, PRODUCTS, SUPPLIERS
from booksync.store.db import Store
from booksync.store.models import SYNCABLE_MODELS, Base, Client, Document, SyncJob
from booksync.sync.engine import Engine
from booksync.sync.pacing import Backoff
from booksync.sync.payloads import reference_of
from booksync_emulators.recording import RecordingTool
from support.books import ready_books

STEPS = ("claimed", "built", "sent", "answered", "recorded")
#: "lost+edit": the answer is lost and the record edited while the push is in flight (issue 15).
EVENTS = ("edit", "delete", "exclude", "crash", "lost", "lost+edit", "429", "lease")
LEASE = timedelta(minutes=5)
EXAMPLES = 10
STEPS_PER_EXAMPLE = 6

#: What the cases came to, across the run: events fired, and each record's final outcome.
OUTCOMES: Counter[str] = Counter()


class Crash(BaseException):
    """The worker dies here: nothing after this point runs."""


def _empty(store: Store) -> None:
    if store.dialect == "postgresql":
        from conftest import _empty_pg  # as the `store` fixture empties it between tests

        _empty_pg(store.url)
        return
    with store.session() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))


def _invoice_exists(session: Session, number: str) -> bool:
    found = session.scalar(select(Document.id).where(Document.number == number))
    return found is not None


def _marker(entity: EntityType, record: Any) -> str:
    """The field each edit changes, as the record holds it and as the tool's payload shows it."""
    if entity.is_party:
        return str(record.email)
    if entity is EntityType.PRODUCT:
        return str(Decimal(record.price).normalize())
    return str(record.reference_text or None)


def _sent_marker(entity: EntityType, payload: dict[str, Any]) -> str:
    if entity.is_party:
        return str(payload["email"])
    if entity is EntityType.PRODUCT:
        return str(Decimal(payload["price"]).normalize())
    return str(payload["reference"])


class Interleavings(RuleBasedStateMachine):
    store: Store
    #: Each Hypothesis example starts from an empty database (the grid's fixture empties it).
    empty_first = True

    def __init__(self) -> None:
        super().__init__()
        if self.empty_first:
            _empty(self.store)
        self.tool = RecordingTool(batch_size=2, idempotency=False)
        ready_books(self.store, self.tool, clients=2, products=1, invoices=2)
        self.clock = VirtualClock()
        self.workers = 0
        self.edits = 0

    # -- the engine, and the events ----------------------------------------------------------

    def engine(self) -> Engine:
        self.workers += 1
        return Engine(
            self.store,
            lambda tenant: self.tool,
            worker=f"w{self.workers}",
            clock=self.clock,
            lease=LEASE,
            backoff=Backoff(base=2, cap=600, max_attempts=1000),
        )

    def _record_of(self, job_id: int) -> tuple[EntityType, Any] | None:
        with self.store.session() as s:
            job = s.get(SyncJob, job_id)
            if job is None:
                return None
            entity = EntityType(job.entity_type)
            record = s.get(SYNCABLE_MODELS[entity], job.record_id)
            return (entity, record) if record is not None else None

    def _edit(self, entity: EntityType, record: Any) -> None:
        self.edits += 1
        n = self.edits
        with self.store.session() as s:
            if entity is EntityType.CLIENT:
                CLIENTS.update(s, record.name, {"email": f"e{n}@example.com"})
            elif entity is EntityType.SUPPLIER:
                SUPPLIERS.update(s, record.name, {"email": f"e{n}@example.com"})
            elif entity is EntityType.PRODUCT:
                PRODUCTS.update(s, record.name, {"price": f"{10 + n}.00"})
            else:
                DOCUMENTS[entity].update(s, record.number, {"reference": f"PO-{n}"})

    def _fire(self, event: str, job_ids: Sequence[int], worker: str) -> None:
        found = self._record_of(job_ids[0]) if job_ids else None
        if event in ("edit", "delete", "exclude", "lost+edit") and found is None:
            return
        OUTCOMES[f"event {event}"] += 1
        if event == "edit":
            assert found is not None
            self._edit(*found)
        elif event == "delete":
            assert found is not None
            entity, record = found
            with self.store.session() as s:
                if entity.is_document:
                    DOCUMENTS[entity].delete(s, record.number)
                else:  # a client with invoices cannot go: delete an invoice instead
                    for number in ("INV-1000", "INV-1001"):
                        if _invoice_exists(s, number):
                            DOCUMENTS[EntityType.INVOICE].delete(s, number)
                            break
        elif event == "exclude":
            assert found is not None
            entity, record = found
            with self.store.session() as s:
                if entity is EntityType.PRODUCT:
                    PRODUCTS.update(s, record.name, {"exclude_from_accounting": True})
                elif entity is EntityType.SUPPLIER:
                    SUPPLIERS.update(s, record.name, {"exclude_from_accounting": True})
                else:
                    client = s.get(Client, record.client_id) if entity.is_document else record
                    if client is not None:
                        CLIENTS.update(s, client.name, {"exclude_from_accounting": True})
        elif event == "crash":
            raise Crash(worker)
        elif event in ("lost", "lost+edit"):
            self.tool.faults.insert(0, "unknown")
            if event == "lost+edit":
                assert found is not None
                self._edit(*found)
        elif event == "429":
            self.tool.retry_after = 3600.0
            self.tool.faults.insert(0, "transient")
        elif event == "lease":
            self.clock.advance(LEASE + timedelta(seconds=1))
            self.engine().run_pass()

    # -- rules ----------------------------------------------------------------------------------

    @rule(step=st.sampled_from(STEPS), event=st.sampled_from(EVENTS), nth=st.integers(1, 2))
    def push(self, step: str, event: str, nth: int) -> None:
        """One pass of a new worker, with `event` between `step` and the next, at its `nth` time."""
        self.clock.advance(LEASE + timedelta(seconds=1))  # a crashed worker's lease has run out
        engine = self.engine()
        seen = 0

        def hook(name: str, job_ids: Sequence[int]) -> None:
            nonlocal seen
            if name == step:
                seen += 1
                if seen == nth:
                    self._fire(event, job_ids, engine.worker)

        engine.on_step = hook
        try:
            engine.run_pass()
        except Crash:
            OUTCOMES["crashes that happened"] += 1
        OUTCOMES[f"case {step}/{event}"] += 1

    @rule()
    def edit_between_passes(self) -> None:
        with self.store.session() as s:
            job = s.scalars(select(SyncJob).order_by(SyncJob.id)).first()
        if job is not None and (found := self._record_of(job.id)) is not None:
            self._edit(*found)

    @invariant()
    def never_twice(self) -> None:
        seen = Counter((o["entity"], o["reference"]) for o in self.tool.objects())
        doubled = {k: n for k, n in seen.items() if n > 1}
        assert not doubled, f"the tool holds these twice: {doubled}"

    # -- the end: drain, then judge every record -------------------------------------------------

    def teardown(self) -> None:
        self.tool.faults.clear()
        for _ in range(20):
            self.clock.advance(timedelta(hours=2))
            if not self.engine().run_pass().handled:
                break
        self.never_twice()
        objects = {(o["entity"], o["reference"]): o for o in self.tool.objects()}
        with self.store.session() as s:
            for job in s.scalars(select(SyncJob)):
                entity = EntityType(job.entity_type)
                record = s.get(SYNCABLE_MODELS[entity], job.record_id)
                assert record is not None, "a deleted record's job is dropped"
                sent = objects.get((entity.value, reference_of(record)))
                if job.status == "synced":
                    assert sent is not None, (
                        f"{entity} {record.reference} synced but not in the tool"
                    )
                    assert job.synced_version == record.version
                    assert _sent_marker(entity, sent["payload"]) == _marker(entity, record)
                    assert sent["remote_id"] == record.remote_id
                    OUTCOMES["outcome: newest version in the tool, once"] += 1
                else:
                    rule_id = job.error_rule or (job.blocked_reasons or [{}])[0].get("id")
                    assert job.status in ("blocked", "failed") and rule_id, (
                        f"{entity} {record.reference} ended {job.status} without a rule id"
                    )
                    OUTCOMES[f"outcome: held by {rule_id}"] += 1
        for invoice in ("INV-1000", "INV-1001"):
            with self.store.session() as s:
                gone = not _invoice_exists(s, invoice)
            if gone:
                OUTCOMES["outcome: deleted, in the tool at most once"] += 1


def test_every_interleaving_ends_exactly_once_or_held_with_a_rule(store: Store) -> None:
    Interleavings.store = store
    Interleavings.empty_first = True
    run_state_machine_as_test(
        Interleavings,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS_PER_EXAMPLE,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    fired = {k.removeprefix("event ") for k in OUTCOMES if k.startswith("event ")}
    cases = sum(v for k, v in OUTCOMES.items() if k.startswith("case "))
    print(
        f"\ninterleavings on {store.dialect}: {cases} pushes with an event; "
        + ", ".join(f"{k}={v}" for k, v in sorted(OUTCOMES.items()))
    )
    assert OUTCOMES["crashes that happened"] > 0, "no worker was ever killed"
    OUTCOMES.clear()
    assert len(fired) >= 3, fired


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("step", STEPS)
def test_each_event_between_each_step_of_a_push(store: Store, step: str, event: str) -> None:
    """The whole grid, each pair once (its first and second time in a pass), then drained."""
    Interleavings.store = store
    Interleavings.empty_first = False
    try:
        machine = Interleavings()
    finally:
        Interleavings.empty_first = True
    before = OUTCOMES.copy()
    try:
        machine.push(step, event, 1)
        machine.never_twice()
        machine.push(step, event, 2)
        machine.never_twice()
        machine.teardown()
    finally:
        fired = OUTCOMES[f"event {event}"] - before[f"event {event}"]
        crashed = OUTCOMES["crashes that happened"] - before["crashes that happened"]
    assert fired >= 1, f"{event} never happened at {step}"
    if event == "crash":
        assert crashed == fired, "every crash asked for really killed the worker"


@pytest.fixture(scope="module", autouse=True)
def _tally() -> Iterator[None]:
    yield
    if OUTCOMES:
        print("\ninterleaving grid: " + ", ".join(f"{k}={v}" for k, v in sorted(OUTCOMES.items())))
