"""The engine, in process, against a recording tool: order, batching, updates, faults, release."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.domain.types import EntityType
from booksync.services.doctor import diagnose
from booksync.services.records import ACCOUNT_CODES, CLIENTS, DOCUMENTS, PRODUCTS
from booksync.store.db import Store
from booksync.store.models import Client, Document, SyncEvent, SyncJob
from booksync.sync.engine import Engine
from booksync.sync.pacing import Backoff
from booksync_emulators.recording import RecordingTool
from support.books import ready_books


def engine_for(store: Store, tool: RecordingTool, **options: object) -> Engine:
    options.setdefault("clock", VirtualClock())
    return Engine(store, lambda tenant: tool, **options)  # type: ignore[arg-type]


def statuses(store: Store) -> Counter[str]:
    with store.session() as s:
        return Counter(s.scalars(select(SyncJob.status)))


def test_everything_syncs_once_dependencies_first(store: Store) -> None:
    tool = RecordingTool(batch_size=50)
    ready_books(store, tool, clients=3, products=2, invoices=7)
    result = engine_for(store, tool).run_pass()
    assert statuses(store) == Counter({"synced": 3 + 1 + 2 + 7})
    objects = tool.objects()
    assert Counter(o["entity"] for o in objects) == {
        "client": 3,
        "supplier": 1,
        "product": 2,
        "invoice": 7,
    }
    first_invoice = next(i for i, o in enumerate(objects) if o["entity"] == "invoice")
    assert all(o["entity"] != "invoice" for o in objects[:first_invoice])
    # one call per record type: clients, suppliers, products, invoices
    assert result.calls == 4 == tool.push_calls()
    with store.session() as s:
        invoice = DOCUMENTS[EntityType.INVOICE].get(s, "INV-1000")
        client = s.get(Client, invoice.client_id)
        assert invoice.remote_id and client is not None and client.remote_id
        sent = next(o for o in objects if o["remote_id"] == invoice.remote_id)
        assert sent["payload"]["contact_remote_id"] == client.remote_id
        assert sent["payload"]["lines"][0]["account_code"] == "200"
        assert sent["payload"]["lines"][0]["tax_type"] == "OUTPUT"


def test_batches_never_exceed_the_tools_limit(store: Store) -> None:
    tool = RecordingTool(batch_size=4)
    ready_books(store, tool, clients=2, products=2, invoices=10)
    engine_for(store, tool).run_pass()
    sizes = [row[0] for row in tool.db.execute("SELECT size FROM calls WHERE kind='push'")]
    assert max(sizes) == 4 and sum(sizes) == 2 + 1 + 2 + 10
    assert len(tool.objects()) == 15


def test_an_edit_after_sync_updates_the_remote_object(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    engine = engine_for(store, tool)
    engine.run_pass()
    with store.session() as s:
        CLIENTS.update(s, "Client 000", {"email": "billing@example.com"})
        DOCUMENTS[EntityType.INVOICE].update(
            s, "INV-1000", {"lines": [{"product": "Product 000", "quantity": "9"}]}
        )
    engine.run_pass()
    objects = tool.objects()
    assert Counter(o["entity"] for o in objects)["client"] == 1
    client = next(o for o in objects if o["entity"] == "client")
    assert client["payload"]["email"] == "billing@example.com" and client["writes"] == 2
    invoice = next(o for o in objects if o["entity"] == "invoice")
    assert invoice["payload"]["lines"][0]["quantity"] == "9.0000" and invoice["writes"] == 2


def test_rejected_element_does_not_stop_the_batch(store: Store) -> None:
    tool = RecordingTool(
        reject=lambda item: (
            "Account code 999 is not valid" if item.reference == "INV-1002" else None
        )
    )
    ready_books(store, tool, clients=2, products=1, invoices=4)
    result = engine_for(store, tool).run_pass()
    assert result.count("failed") == 1
    assert statuses(store)["failed"] == 1 and statuses(store)["synced"] == 2 + 1 + 1 + 3
    assert any("INV-1002" in n.text and n.level == "error" for n in result.notices)
    with store.session() as s:
        ev = diagnose(s, "invoice", "INV-1002")
        accepted = next(c for c in ev.checks() if c.rule.id == "tool.accepted")
        assert accepted.status.value == "blocked" and "999" in accepted.detail


def test_transient_failures_back_off_then_succeed(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    tool.faults = ["transient", "transient"]
    clock = VirtualClock()
    engine = engine_for(store, tool, clock=clock)
    engine.run_pass(max_wait=3600)
    assert statuses(store) == Counter({"synced": 4})
    assert clock.elapsed >= 1.0  # waited for the backoff / Retry-After instead of hammering
    with store.session() as s:
        kinds = list(
            s.scalars(
                select(SyncEvent.kind).where(SyncEvent.entity_type.in_(["client", "supplier"]))
            )
        )
    assert kinds.count("retry") == 2 and kinds.count("synced") == 2  # the first two calls failed


def test_gives_up_after_bounded_attempts(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=0, invoices=0)
    tool.faults = ["transient"] * 20
    engine = engine_for(store, tool, backoff=Backoff(base=1, cap=5, max_attempts=3))
    result = engine.run_pass(max_wait=3600)
    with store.session() as s:
        job = s.scalars(select(SyncJob).where(SyncJob.entity_type == "client")).one()
        assert job.status == "dead" and job.attempts == 3 and "503" in (job.last_error or "")
    assert any(n.fix and "sync retry client" in n.fix for n in result.notices)


def test_lost_answer_is_looked_up_not_created_twice(store: Store) -> None:
    tool = RecordingTool(idempotency=False)
    ready_books(store, tool, clients=2, products=1, invoices=2)
    tool.faults = ["unknown"]  # the clients' batch is applied, but its answer is lost
    engine_for(store, tool).run_pass(max_wait=3600)
    assert statuses(store) == Counter({"synced": 2 + 1 + 1 + 2})
    assert Counter(o["entity"] for o in tool.objects()) == {
        "client": 2,
        "supplier": 1,
        "product": 1,
        "invoice": 2,
    }


def test_fixing_one_account_code_releases_every_invoice_it_blocked(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=6)
    with store.session() as s:
        ACCOUNT_CODES.update(s, "Sales", {"code": ""})
    engine = engine_for(store, tool)
    engine.run_pass()
    assert statuses(store)["blocked"] == 1 + 6  # the product and every invoice using it
    with store.session() as s:
        job = s.scalars(select(SyncJob).where(SyncJob.entity_type == "invoice")).first()
        assert job is not None and job.blocked_reasons[0]["id"] == "account_code.code_set"
        ACCOUNT_CODES.update(s, "Sales", {"code": "200"})
    assert statuses(store)["blocked"] == 0  # released in the same transaction as the fix
    engine.run_pass()
    assert statuses(store) == Counter({"synced": 2 + 1 + 1 + 6})


def test_document_waits_for_its_client_and_is_released_when_it_syncs(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    tool.faults = ["transient"]  # the client's first push fails: the invoice must wait, not fail
    clock = VirtualClock()
    engine = engine_for(store, tool, clock=clock, wait_delay=timedelta(hours=1))
    engine.run_pass()
    with store.session() as s:
        invoice_job = s.scalars(select(SyncJob).where(SyncJob.entity_type == "invoice")).one()
        assert (
            invoice_job.status == "pending"
            and invoice_job.blocked_reasons[0]["status"] == "waiting"
        )
    engine.run_pass(
        max_wait=60
    )  # the client's retry is due within a minute; the invoice follows at once
    assert statuses(store) == Counter({"synced": 4})
    assert clock.elapsed < 3600


def test_expired_credentials_hold_jobs_until_reconnected(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=0, invoices=0)
    tool.faults = ["auth"]
    result = engine_for(store, tool).run_pass()
    assert any("refused the connection" in n.text for n in result.notices)
    engine_for(store, tool).run_pass()
    assert statuses(store)["blocked"] == 2  # client + supplier held by tenant.connected
    with store.session() as s:
        ev = diagnose(s, "client", "Client 000")
        assert [b.rule for b in ev.blockers()] == ["tenant.connected"]


def test_deleted_record_drops_its_job(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    with store.session() as s:
        DOCUMENTS[EntityType.INVOICE].delete(s, "INV-1000")
    engine_for(store, tool).run_pass()
    with store.session() as s:
        assert s.scalars(select(SyncJob).where(SyncJob.entity_type == "invoice")).first() is None
        assert s.scalars(select(Document)).first() is None
    assert "invoice" not in {o["entity"] for o in tool.objects()}


@pytest.mark.parametrize("show", [True, False])
def test_success_messages_follow_the_setting(store: Store, show: bool) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    with store.session() as s:
        from booksync.services.records import configure_integration

        configure_integration(s, "ledger", {"show_success_messages": show})
    result = engine_for(store, tool).run_pass()
    successes = [n for n in result.notices if n.level == "success"]
    assert bool(successes) is show
    if show:
        assert any(n.text.startswith("Invoice INV-1000 → Ledger 'Acme AU' as ") for n in successes)


def test_product_edit_during_flight_is_pushed_as_update(store: Store) -> None:
    """A record edited while its create is in flight ends as one remote object with the new data."""
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=0)
    engine = engine_for(store, tool)
    original_push = tool.push

    def push_and_edit(tenant, entity, items):  # type: ignore[no-untyped-def]
        results = original_push(tenant, entity, items)
        if entity is EntityType.PRODUCT:
            with store.session() as s:
                PRODUCTS.update(s, "Product 000", {"price": "99.00"})
        return results

    tool.push = push_and_edit  # type: ignore[method-assign]
    engine.run_pass()
    tool.push = original_push  # type: ignore[method-assign]
    engine.run_pass()
    products = [o for o in tool.objects() if o["entity"] == "product"]
    assert len(products) == 1 and products[0]["payload"]["price"] == "99.0000"
    assert statuses(store) == Counter({"synced": 3})
