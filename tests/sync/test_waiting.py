"""A pass in which every tenant waits returns at once and says until when: it does not sit out the
rechecks of documents whose dependencies were handed back for an hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.connectors.protocol import PushItem, PushResult, TransientError
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import SyncJob
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool
from support.books import TENANT, ready_books


def test_a_fully_deferred_pass_returns_at_once_saying_what_waits_and_until_when(
    store: Store,
) -> None:
    tool = RecordingTool(batch_size=50)
    ready_books(store, tool, clients=2, products=1, invoices=3)

    def limited(tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        raise TransientError("429 Too Many Requests", retry_after=3600)

    tool.push = limited  # type: ignore[method-assign]
    clock = VirtualClock()
    engine = Engine(store, lambda tenant: tool, clock=clock)
    try:
        result = engine.run_pass(max_wait=60)  # as `sync run --wait 60` and the API's wait=60
    finally:
        engine.close()
    assert clock.elapsed < 60  # no nap: nothing can move before the hour is out
    wait = result.waits[TENANT]
    assert wait.until == clock.utcnow() + timedelta(seconds=3600)
    with store.session() as s:
        invoices = s.scalars(select(SyncJob).where(SyncJob.entity_type == "invoice")).all()
    # Claimed once and told to wait on their clients; not claimed again for a recheck.
    assert [j.claim_token for j in invoices] == [1, 1, 1]
    assert all(j.status == "pending" and j.claimed_by is None for j in invoices)
