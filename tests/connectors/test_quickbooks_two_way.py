"""What comes back from QuickBooks Online (issue 13), end to end against the QuickBooks emulator
over loopback: states by id (Balance against TotalAmt, voids, deletions, inactive names), Change
Data Capture (payments marking invoices, tombstones, the 30-day window), payments pushed once with
a requestid, and signed webhooks in both of Intuit's shapes. python-quickbooks reads the same CDC
answer as an independent check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.quickbooks import QuickBooksConnector
from booksync.connectors.quickbooks.webhooks import QuickBooksWebhooks
from booksync.connectors.registry import tool_for
from booksync.connectors.two_way import (
    ChangeFeed,
    PaymentPayload,
    PaymentPush,
    RemoteStatus,
    StateRead,
)
from booksync.domain.types import EntityType
from connectors.webhook_receiver import receiver
from emulators.conftest import QuickBooksEmulatorHandle
from emulators.test_quickbooks_emulator import body, customer, invoice, post

D = Decimal


@pytest.fixture
def qbo(quickbooks_emulator: QuickBooksEmulatorHandle) -> Iterator[QuickBooksConnector]:
    seeded = quickbooks_emulator.realms[0]
    tokens = TokenSet(
        seeded.access_token,
        seeded.refresh_token,
        quickbooks_emulator.clock.utcnow() + timedelta(hours=1),
    )
    built = QuickBooksConnector(
        tokens,
        realm=seeded.realm_id,
        base_url=quickbooks_emulator.api_url,
        token_url=quickbooks_emulator.token_url,
        client_id=quickbooks_emulator.client_id,
        client_secret=quickbooks_emulator.client_secret,
        clock=quickbooks_emulator.clock,
        timeout=5.0,
    )
    yield built
    built.close()


def realm(handle: QuickBooksEmulatorHandle) -> str:
    return handle.realms[0].realm_id


def created(handle: QuickBooksEmulatorHandle, entity: str, record: Any, **params: str) -> Any:
    answer = post(handle.client(), f"/{entity.lower()}", record, params=params)
    assert answer.status_code == 200, answer.text
    return body(answer)[entity]


def invoices(handle: QuickBooksEmulatorHandle, count: int, name: str = "Acme") -> list[dict]:
    who = customer(handle.client(), name)
    return [created(handle, "Invoice", invoice(who["Id"])) for _ in range(count)]


def pay(handle: QuickBooksEmulatorHandle, sale: dict[str, Any], amount: Decimal) -> Any:
    return created(
        handle,
        "Payment",
        {
            "CustomerRef": sale["CustomerRef"],
            "TotalAmt": amount,
            "Line": [
                {"Amount": amount, "LinkedTxn": [{"TxnId": sale["Id"], "TxnType": "Invoice"}]}
            ],
        },
    )


def test_the_connector_offers_every_two_way_part() -> None:
    connector = QuickBooksConnector(
        TokenSet("a", "r", None), realm="1", base_url="http://127.0.0.1:9"
    )
    try:
        assert isinstance(connector, StateRead)
        assert isinstance(connector, ChangeFeed)
        assert isinstance(connector, PaymentPush)
        assert connector.feed_window_days == 30
    finally:
        connector.close()
    assert isinstance(tool_for("quickbooks").webhooks(), QuickBooksWebhooks)


def test_states_follow_the_balance_and_say_voided_and_deleted(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    open_, part, full, voided, deleted = invoices(quickbooks_emulator, 5)
    pay(quickbooks_emulator, part, D("30.00"))
    payment = pay(quickbooks_emulator, full, full["TotalAmt"])
    created(
        quickbooks_emulator, "Invoice", {"Id": voided["Id"], "SyncToken": "0"}, operation="void"
    )
    created(
        quickbooks_emulator, "Invoice", {"Id": deleted["Id"], "SyncToken": "0"}, operation="delete"
    )
    ids = [d["Id"] for d in (open_, part, full, voided, deleted)]
    quickbooks_emulator.emulator.calls.clear()

    found = qbo.states(realm(quickbooks_emulator), EntityType.INVOICE, ids)

    # One query for the invoices, one for the payments they name.
    assert quickbooks_emulator.emulator.calls["GET query"] == 2
    assert [found[i].status for i in ids] == [
        RemoteStatus.OPEN,
        RemoteStatus.PART_PAID,
        RemoteStatus.PAID,
        RemoteStatus.VOIDED,
        RemoteStatus.DELETED,
    ]
    partly = found[part["Id"]]
    assert (partly.amount_paid, partly.amount_due) == (D("30.00"), part["TotalAmt"] - D("30.00"))
    assert [(p.amount, p.document_remote_id) for p in partly.payments] == [(D("30.00"), part["Id"])]
    assert [p.remote_id for p in found[full["Id"]].payments] == [payment["Id"]]
    assert partly.reference == part.get("DocNumber") and partly.updated_at is not None


def test_an_inactive_customer_is_archived(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    who = customer(quickbooks_emulator.client(), "Leaving Ltd")
    created(
        quickbooks_emulator,
        "Customer",
        {"Id": who["Id"], "SyncToken": who["SyncToken"], "sparse": True, "Active": False},
    )

    found = qbo.states(realm(quickbooks_emulator), EntityType.CLIENT, [who["Id"]])

    assert found[who["Id"]].status is RemoteStatus.ARCHIVED


def test_change_data_capture_brings_payments_voids_deletions_and_merges(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    paid, voided, deleted, untouched = invoices(quickbooks_emulator, 4, "Changes Ltd")
    kept = customer(quickbooks_emulator.client(), "Kept Ltd")
    clock = quickbooks_emulator.clock
    clock.advance(5)
    since = clock.utcnow()
    clock.advance(5)
    pay(quickbooks_emulator, paid, paid["TotalAmt"])
    created(
        quickbooks_emulator, "Invoice", {"Id": voided["Id"], "SyncToken": "0"}, operation="void"
    )
    created(
        quickbooks_emulator, "Invoice", {"Id": deleted["Id"], "SyncToken": "0"}, operation="delete"
    )
    away = paid["CustomerRef"]["value"]
    quickbooks_emulator.realm().merge("Customer", away, kept["Id"])
    clock.advance(5)

    entities = [EntityType.INVOICE, EntityType.CLIENT]
    changed = {
        (s.entity, s.remote_id): s for s in qbo.changes(realm(quickbooks_emulator), entities, since)
    }

    assert changed[(EntityType.INVOICE, paid["Id"])].status is RemoteStatus.PAID
    assert changed[(EntityType.INVOICE, voided["Id"])].status is RemoteStatus.VOIDED
    assert changed[(EntityType.INVOICE, deleted["Id"])].status is RemoteStatus.DELETED
    assert changed[(EntityType.CLIENT, away)].status is RemoteStatus.DELETED  # merged away
    assert changed[(EntityType.CLIENT, kept["Id"])].status is RemoteStatus.ACTIVE
    # The untouched invoice moved to the customer kept: that is a change too.
    assert changed[(EntityType.INVOICE, untouched["Id"])].fields["contact_remote_id"] == kept["Id"]

    quickbooks_emulator.emulator.calls.clear()
    assert list(qbo.changes(realm(quickbooks_emulator), entities, clock.utcnow())) == []
    assert sum(quickbooks_emulator.emulator.calls.values()) == 1  # one CDC call, nothing else


def test_a_since_older_than_the_window_reads_everything_instead_of_failing(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    sale, gone = invoices(quickbooks_emulator, 2)
    created(
        quickbooks_emulator, "Invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete"
    )
    long_ago = quickbooks_emulator.clock.utcnow() - timedelta(days=45)
    quickbooks_emulator.emulator.calls.clear()

    changed = {
        s.remote_id: s.status
        for s in qbo.changes(realm(quickbooks_emulator), [EntityType.INVOICE], long_ago)
    }

    assert changed[sale["Id"]] is RemoteStatus.OPEN
    assert changed[gone["Id"]] is RemoteStatus.DELETED  # within the window, CDC still lists it
    assert quickbooks_emulator.emulator.calls["GET cdc"] == 1


def test_python_quickbooks_reads_the_same_change_data_capture_answer(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    from quickbooks.cdc import change_data_capture
    from quickbooks.objects.invoice import Invoice

    class Client:
        """What `change_data_capture` asks of a QuickBooks client: the one GET."""

        def change_data_capture(self, entities: str, since: str) -> Any:
            answer = quickbooks_emulator.client().get(
                "/cdc", params={"entities": entities, "changedSince": since}
            )
            return body(answer)

    since = quickbooks_emulator.clock.utcnow()
    quickbooks_emulator.clock.advance(5)
    (sale,) = invoices(quickbooks_emulator, 1)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    sdk = change_data_capture([Invoice], stamp, qb=Client())
    ours = list(qbo.changes(realm(quickbooks_emulator), [EntityType.INVOICE], since))

    assert [i.Id for i in sdk.Invoice] == [s.remote_id for s in ours] == [sale["Id"]]
    assert [D(str(i.TotalAmt)) for i in sdk.Invoice] == [s.total for s in ours]


def payment_for(invoice_id: str, amount: Decimal, reference: str = "PAY-1") -> PaymentPayload:
    return PaymentPayload(
        key=f"bs-payment-{reference}",
        document_entity=EntityType.INVOICE,
        document_remote_id=invoice_id,
        amount=amount,
        paid_on=date(2026, 11, 10),
        currency="AUD",
        account_code="Undeposited Funds",
        reference=reference,
    )


def test_a_payment_is_written_once_even_when_sent_twice_and_found_after(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    (sale,) = invoices(quickbooks_emulator, 1)
    payment = payment_for(sale["Id"], D("25.00"))

    first = qbo.push_payment(realm(quickbooks_emulator), payment)
    again = qbo.push_payment(realm(quickbooks_emulator), payment)  # a retry after a lost answer

    assert again.remote_id == first.remote_id
    assert (first.amount, first.paid_on, first.reference) == (
        D("25.00"),
        date(2026, 11, 10),
        "PAY-1",
    )
    state = qbo.states(realm(quickbooks_emulator), EntityType.INVOICE, [sale["Id"]])[sale["Id"]]
    assert state.amount_paid == D("25.00") and state.status is RemoteStatus.PART_PAID
    found = qbo.find_payment(realm(quickbooks_emulator), payment)
    assert found is not None and found.remote_id == first.remote_id
    other = payment_for(sale["Id"], D("25.00"), "PAY-2")
    assert qbo.find_payment(realm(quickbooks_emulator), other) is None


def test_a_payment_quickbooks_refuses_or_cannot_take_says_why(
    quickbooks_emulator: QuickBooksEmulatorHandle, qbo: QuickBooksConnector
) -> None:
    (sale,) = invoices(quickbooks_emulator, 1)
    too_much = payment_for(sale["Id"], sale["TotalAmt"] + 1, "PAY-8")
    with pytest.raises(ConnectorError, match="refused payment PAY-8"):
        qbo.push_payment(realm(quickbooks_emulator), too_much)
    nowhere = replace(payment_for(sale["Id"], D("1.00"), "PAY-7"), account_code="9999")
    with pytest.raises(ConnectorError, match="account code '9999'"):
        qbo.push_payment(realm(quickbooks_emulator), nowhere)
    credit = replace(nowhere, document_entity=EntityType.CREDIT_NOTE)
    with pytest.raises(ConnectorError, match="accepted: invoice"):
        qbo.push_payment(realm(quickbooks_emulator), credit)


@pytest.mark.parametrize("shape", ["legacy", "cloudevents"])
def test_signed_webhooks_verify_and_name_the_records_in_both_shapes(
    quickbooks_emulator: QuickBooksEmulatorHandle, shape: str
) -> None:
    hooks = quickbooks_emulator.emulator.webhooks
    with receiver(QuickBooksWebhooks(), "verifier-token") as got:
        hooks.configure(got.url, "verifier-token", shape=shape, retry_intervals=(0.05,))
        (sale,) = invoices(quickbooks_emulator, 1, "Hooked Ltd")
        created(
            quickbooks_emulator, "Invoice", {"Id": sale["Id"], "SyncToken": "0"}, operation="void"
        )
        kept = customer(quickbooks_emulator.client(), "Kept Ltd")
        away = sale["CustomerRef"]["value"]
        quickbooks_emulator.realm().merge("Customer", away, kept["Id"])
        assert hooks.wait_idle(timeout=10.0)

    assert set(got.statuses) == {200}
    events = got.events()
    on_sale = {(e.entity, e.operation) for e in events if e.remote_id == sale["Id"]}
    assert on_sale >= {(EntityType.INVOICE, "create"), (EntityType.INVOICE, "void")}
    merges = {e.remote_id for e in events if e.operation == "merge"}
    assert merges == {kept["Id"], away}
    assert {e.tenant for e in events} == {realm(quickbooks_emulator)}
    assert len({e.key for e in events}) == len(events)
