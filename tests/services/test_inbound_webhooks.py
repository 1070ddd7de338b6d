"""Receiving webhooks and handling their events: the signature is the authentication, a
redelivered event is one row, and a handled event records what the tool holds (read from it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from booksync.secrets import KEY_ENV
from booksync.services.inbound import process_events, receive, set_webhook_key
from booksync.services.inbound.processing import MAX_ATTEMPTS
from booksync.store.db import Store
from booksync.store.models import (
    InboundEvent,
    Integration,
    Payment,
    RemoteState,
    SyncEvent,
    SyncJob,
)
from booksync_emulators.recording import RecordingTool
from services.two_way_support import (
    WEBHOOK_KEY,
    PayingTool,
    signed,
    synced_books,
    xero_body,
    xero_tenant,
)
from support.books import REMOTE_TENANT

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


@pytest.fixture
def xero_store(store: Store) -> Iterator[Store]:
    xero_tenant(store)
    with store.session() as s:
        set_webhook_key(s, "xero", WEBHOOK_KEY)
    yield store


def events(store: Store) -> list[InboundEvent]:
    with store.session() as s:
        return list(s.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def test_a_good_signature_stores_each_event_once_even_when_redelivered(xero_store: Store) -> None:
    body = xero_body(("INVOICE", "inv-1"), ("CREDITNOTE", "cn-1"))
    with xero_store.session() as s:
        first = receive(s, "xero", signed(body), body)
    with xero_store.session() as s:
        again = receive(s, "xero", signed(body), body)
    assert (first.status, first.stored) == (200, 2)
    assert (again.status, again.stored, again.duplicates) == (200, 0, 2)
    stored = events(xero_store)
    assert [(e.entity_type, e.remote_id, e.status) for e in stored] == [
        ("invoice", "inv-1", "pending"),
        ("credit_note", "cn-1", "pending"),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-xero-signature": ""},
        {"x-xero-signature": "bm90IHRoZSBzaWduYXR1cmU="},
        signed(b"another body"),
        signed(xero_body(("INVOICE", "inv-1")), key="a key that is not ours"),
    ],
    ids=["missing", "empty", "wrong", "other-body", "other-key"],
)
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(
    xero_store: Store, headers: dict[str, str]
) -> None:
    body = xero_body(("INVOICE", "inv-1"))
    with xero_store.session() as s:
        receipt = receive(s, "xero", headers, body)
    assert receipt.status == 401
    assert events(xero_store) == []


def test_no_webhook_key_set_refuses_every_webhook(store: Store) -> None:
    xero_tenant(store)
    body = xero_body(("INVOICE", "inv-1"))
    with store.session() as s:
        receipt = receive(s, "xero", signed(body), body)
    assert receipt.status == 401 and "no webhook key" in receipt.reason
    assert events(store) == []


def test_intent_to_receive_is_answered_200_and_stores_nothing(xero_store: Store) -> None:
    body = b'{"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "X"}'
    with xero_store.session() as s:
        assert receive(s, "xero", signed(body), body).status == 200
    assert events(xero_store) == []


def test_events_of_an_unknown_tenant_or_resource_are_stored_as_ignored(xero_store: Store) -> None:
    body = xero_body(("INVOICE", "inv-9"), tenant="00000000-0000-0000-0000-000000000000")
    body2 = xero_body(("SUBSCRIPTION", "sub-1"))
    with xero_store.session() as s:
        receive(s, "xero", signed(body), body)
        receive(s, "xero", signed(body2), body2)
    assert [e.status for e in events(xero_store)] == ["ignored", "ignored"]


def test_the_key_is_stored_encrypted(xero_store: Store) -> None:
    with xero_store.session() as s:
        stored = s.scalar(select(Integration.webhook_key).where(Integration.kind == "xero"))
    assert stored is not None and WEBHOOK_KEY.encode() not in stored


# --- handling events --------------------------------------------------------------------------


def queue(store: Store, *remote_ids: str, entity: str = "invoice") -> None:
    with store.session() as s:
        for n, rid in enumerate(remote_ids):
            s.add(
                InboundEvent(
                    kind="ledger",
                    remote_tenant_id=REMOTE_TENANT,
                    entity_type=entity,
                    resource="INVOICE",
                    remote_id=rid,
                    operation="update",
                    key=f"test:{rid}:{n}:{s.scalar(select(func.count(InboundEvent.id)))}",
                )
            )


def state_of(store: Store, remote_id: str) -> RemoteState:
    with store.session() as s:
        row = s.scalars(select(RemoteState).where(RemoteState.remote_id == remote_id)).one()
        s.expunge(row)
        return row


def timeline(store: Store, record_id: int) -> list[str]:
    with store.session() as s:
        return list(
            s.scalars(
                select(SyncEvent.message)
                .where(SyncEvent.record_id == record_id, SyncEvent.kind == "remote")
                .order_by(SyncEvent.id)
            )
        )


def test_processing_reads_the_tool_and_records_status_amounts_and_payments(store: Store) -> None:
    tool = PayingTool()
    invoices = synced_books(store, tool)
    rid = invoices["INV-1000"]
    tool.pay(rid, Decimal("5.00"), payment_id="p-1", ref="EFT 123")
    queue(store, rid, rid)  # two events for one invoice: one read

    done = process_events(store.session, connectors=lambda tenant: tool)

    assert (done.claimed, done.done, done.failed) == (2, 2, 0)
    assert tool.request_kinds().count("states") == 1
    state = state_of(store, rid)
    assert state.status == "part_paid" and state.amount_paid == Decimal("5.00")
    assert state.record_id is not None
    with store.session() as s:
        payments = s.scalars(select(Payment)).all()
        assert [(p.remote_id, p.amount, p.source, p.status) for p in payments] == [
            ("p-1", Decimal("5.00"), "tool", "recorded")
        ]
    history = timeline(store, state.record_id)
    assert len(history) == 1
    assert "part paid, 5.00 paid" in history[0] and "payment of 5.00 on 2026-11-02" in history[0]
    assert {e.status for e in events(store)} == {"done"}


def test_a_second_look_with_nothing_new_writes_no_timeline_event(store: Store) -> None:
    tool = PayingTool()
    rid = synced_books(store, tool)["INV-1001"]
    tool.pay(rid, Decimal("3.00"), payment_id="p-1")
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    record_id = state_of(store, rid).record_id
    assert record_id is not None and len(timeline(store, record_id)) == 1
    tool.delete_payment(rid, "p-1")
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    assert "payment of 3.00 on 2026-11-02 deleted" in timeline(store, record_id)[-1]
    with store.session() as s:
        assert s.scalars(select(Payment.status)).all() == ["deleted"]


def test_booksyncs_own_write_coming_back_is_not_drift_but_an_edit_in_the_tool_is(
    store: Store,
) -> None:
    tool = RecordingTool()
    rid = synced_books(store, tool)["INV-1002"]
    _, _, payload = tool._object(rid)
    with store.session() as s:  # what the push-recording step stores (wired separately)
        pushed = {k: v for k, v in payload.items() if k != "entity"}
        s.execute(update(SyncJob).where(SyncJob.remote_id == rid).values(pushed_fields=pushed))
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    assert (state_of(store, rid).drift, state_of(store, rid).drift_state) == (None, None)

    tool.edit(rid, contact_name="Changed by the bookkeeper")
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    state = state_of(store, rid)
    assert state.drift_state == "open"
    assert state.drift == [
        {
            "field": "contact_name",
            "booksync": payload["contact_name"],
            "tool": "Changed by the bookkeeper",
        }
    ]
    with store.session() as s:  # a person chose to leave it: the same version stays left
        s.execute(
            update(RemoteState).where(RemoteState.remote_id == rid).values(drift_state="left")
        )
    queue(store, rid)
    process_events(store.session, connectors=lambda tenant: tool)
    assert state_of(store, rid).drift_state == "left"


def test_a_failing_read_is_retried_then_given_up_with_the_error_kept(store: Store) -> None:
    tool = RecordingTool()
    rid = synced_books(store, tool)["INV-1000"]
    queue(store, rid)

    class Down(RecordingTool):
        def states(self, *args: object, **kwargs: object) -> dict[str, object]:
            raise ConnectionError("the tool is down")

    down = Down()
    first = process_events(store.session, connectors=lambda tenant: down)
    assert (first.failed, first.gave_up) == (1, 0)
    [event] = events(store)
    assert (event.status, event.attempts) == ("failed", 1) and "the tool is down" in (
        event.error or ""
    )
    # Not due again before RETRY_AFTER; then retried until MAX_ATTEMPTS.
    assert process_events(store.session, connectors=lambda tenant: down).claimed == 0
    for _ in range(MAX_ATTEMPTS - 1):
        with store.session() as s:  # as if RETRY_AFTER had passed
            received = s.scalars(select(InboundEvent.received_at)).one()
            s.execute(update(InboundEvent).values(processed_at=received - HOUR))
        last = process_events(store.session, connectors=lambda tenant: down)
    assert last.gave_up == 1
    [event] = events(store)
    assert (event.status, event.attempts) == ("failed", MAX_ATTEMPTS)
    assert "the tool is down" in (event.error or "")
