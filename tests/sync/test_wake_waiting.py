"""A document that waits on a client another worker syncs meanwhile is pushed at once (PostgreSQL).

Two workers: this round reads the client unlinked and lets the invoice wait on it, while another
worker's push of that client commits before the round does. That worker's release of what waits on
the client looked before the round's blockers existed, so nothing woke the invoice: it slept out
the whole wait (60 s), and the round also pushed the client again, as if it had been unlinked (a
needless update; into a tool that never saw the create, refused). Now the round does not push a
linked dependency again, and wakes what it let wait once it has committed (`jobs.wake_waiting`).
SQLite has no such race: a round holds the one write lock from its first statement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from booksync.clock import Clock
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import Client, SyncJob
from booksync.sync import jobs
from booksync.sync.engine import Engine
from booksync.sync.verdicts import Verdicts
from booksync_emulators.recording import RecordingTool
from support.books import REMOTE_TENANT, ready_books

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _status(store: Store, entity: str) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(SyncJob.status).where(SyncJob.entity_type == entity)))


@pytest.mark.parametrize("synced", ["before", "after"])
def test_an_invoice_waiting_on_a_client_synced_elsewhere_meanwhile_is_pushed_now(
    store: Store, monkeypatch: pytest.MonkeyPatch, synced: str
) -> None:
    """The other worker's push commits `before` the round writes its verdicts (the round finds
    the client synced when it makes sure the client is queued), or `after` it wrote them, before
    it commits (the round saw the client still to push)."""
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    later = Clock().utcnow() + timedelta(hours=1)
    with store.session() as s:  # the client is another worker's: this one cannot claim it
        s.execute(
            update(SyncJob).where(SyncJob.entity_type == "client").values(next_attempt_at=later)
        )
        client_id = s.scalars(select(Client.id)).one()

    def other_worker_syncs_the_client() -> None:
        """What the other worker's answers write for the client, and its release, committed."""
        (created,) = tool.push(REMOTE_TENANT, EntityType.CLIENT, [_client_item(store, client_id)])
        with store.session() as s:
            jobs.set_remote_ids(s, EntityType.CLIENT, [(client_id, str(created.remote_id))])
            s.execute(
                update(SyncJob)
                .where(SyncJob.entity_type == "client")
                .values(status="synced", synced_version=SyncJob.record_version)
            )
            assert jobs.release_dependents(s, EntityType.CLIENT, [client_id], Clock().utcnow()) == 0

    write = Verdicts.write
    raced: list[bool] = []

    def write_after_the_race(self: Verdicts, session: Any, now: Any) -> None:
        race = bool(self.dependencies) and not raced  # the invoice was judged waiting on it
        if race and synced == "before":
            other_worker_syncs_the_client()
        write(self, session, now)
        if race and synced == "after":
            other_worker_syncs_the_client()
        raced.extend([True] if race else [])

    monkeypatch.setattr(Verdicts, "write", write_after_the_race)
    engine = Engine(store, lambda tenant: tool, worker="this")
    try:
        engine.run_pass()
    finally:
        engine.close()

    assert raced == [True]
    assert _status(store, "invoice") == ["synced"]  # woken at once, not after the 60 s wait
    assert _status(store, "client") == ["synced"]  # not pushed again
    assert tool.push_calls(EntityType.CLIENT) == 1  # only the other worker's create
    assert tool.push_calls(EntityType.INVOICE) == 1


def _client_item(store: Store, client_id: int) -> Any:
    from booksync.store.books import load_books
    from booksync.sync.payloads import build_push_item

    with store.session() as s:
        books = load_books(s)
        client = s.get(Client, client_id)
        assert client is not None and client.tenant_id is not None
        return build_push_item(books, client, books.tenants[client.tenant_id])
