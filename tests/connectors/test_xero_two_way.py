"""What comes back from Xero (issue 13), end to end against the Xero emulator over loopback: states
by id, changes since a time (If-Modified-Since, paged, payments marking their invoices), payments
pushed once, and signed webhooks verified and parsed. The emulator's fixture checks every exchange
against Xero's OpenAPI spec at teardown."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.registry import tool_for
from booksync.connectors.two_way import (
    ChangeFeed,
    PaymentPayload,
    PaymentPush,
    RemoteStatus,
    StateRead,
)
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.webhooks import XeroWebhooks
from booksync.domain.types import EntityType
from connectors.webhook_receiver import receiver
from emulators.conftest import XeroEmulatorHandle
from emulators.test_xero_emulator import body, invoice, send

D = Decimal


@pytest.fixture
def xero(xero_emulator: XeroEmulatorHandle) -> Iterator[XeroConnector]:
    seeded = xero_emulator.tenants[0]
    tokens = TokenSet(
        seeded.access_token,
        seeded.refresh_token,
        xero_emulator.clock.utcnow() + timedelta(minutes=30),
    )
    built = XeroConnector(
        tokens,
        base_url=xero_emulator.accounting_url,
        identity_url=xero_emulator.base_url,
        client_id=xero_emulator.client_id,
        client_secret=xero_emulator.client_secret,
        clock=xero_emulator.clock,
        timeout=5.0,
    )
    yield built
    built.close()


def tenant(handle: XeroEmulatorHandle) -> str:
    return handle.tenants[0].tenant_id


def made(handle: XeroEmulatorHandle, collection: str, *records: Any) -> list[dict[str, Any]]:
    answer = send(handle.client(), "PUT", f"/{collection}", {collection: list(records)})
    assert answer.status_code == 200, answer.text
    return list(body(answer)[collection])


def sales(handle: XeroEmulatorHandle, count: int, contact: str = "Acme") -> list[str]:
    return [i["InvoiceID"] for i in made(handle, "Invoices", *[invoice(contact)] * count)]


def test_the_connector_offers_every_two_way_part() -> None:
    connector = XeroConnector(TokenSet("a", "r", None), base_url="http://127.0.0.1:9")
    try:
        assert isinstance(connector, StateRead)
        assert isinstance(connector, ChangeFeed)
        assert isinstance(connector, PaymentPush)
        assert connector.feed_window_days is None
    finally:
        connector.close()
    assert isinstance(tool_for("xero").webhooks(), XeroWebhooks)


def test_states_say_open_part_paid_paid_voided_and_deleted_in_one_read(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    open_, part, full, voided = sales(xero_emulator, 4)
    org = xero_emulator.org()
    org.pay(part, D("30.00"))
    org.pay(full)
    org.void(voided)
    gone = str(uuid.uuid4())
    xero_emulator.emulator.calls.clear()

    found = xero.states(
        tenant(xero_emulator), EntityType.INVOICE, [open_, part, full, voided, gone]
    )

    assert xero_emulator.emulator.calls["GET Invoices"] == 1
    assert {k: s.status for k, s in found.items()} == {
        open_: RemoteStatus.OPEN,
        part: RemoteStatus.PART_PAID,
        full: RemoteStatus.PAID,
        voided: RemoteStatus.VOIDED,
        gone: RemoteStatus.DELETED,
    }
    partly = found[part]
    assert partly.total is not None and partly.amount_paid == D("30.00")
    assert partly.amount_due == partly.total - D("30.00")
    (payment,) = partly.payments
    assert (payment.document_remote_id, payment.amount) == (part, D("30.00"))
    assert found[full].amount_due == 0 and found[full].amount_paid == found[full].total
    assert partly.reference and partly.fields["number"] == partly.reference
    assert partly.updated_at is not None and partly.updated_at.tzinfo is not None


def test_a_credit_note_allocated_to_an_invoice_shows_on_both(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    (sale,) = sales(xero_emulator, 1)
    (note,) = made(
        xero_emulator,
        "CreditNotes",
        {**invoice("Acme"), "Type": "ACCRECCREDIT", "LineItems": [invoice()["LineItems"][0]]},
    )
    allocation = {"Invoice": {"InvoiceID": sale}, "Amount": D("20.00"), "Date": "2026-11-04"}
    answer = send(
        xero_emulator.client(),
        "PUT",
        f"/CreditNotes/{note['CreditNoteID']}/Allocations",
        {"Allocations": [allocation]},
    )
    assert answer.status_code == 200, answer.text

    invoice_state = xero.states(tenant(xero_emulator), EntityType.INVOICE, [sale])[sale]
    note_state = xero.states(tenant(xero_emulator), EntityType.CREDIT_NOTE, [note["CreditNoteID"]])

    assert invoice_state.status is RemoteStatus.PART_PAID
    assert [(p.remote_id, p.amount) for p in invoice_state.payments] == [
        (note["CreditNoteID"], D("20.00"))
    ]
    credit = note_state[note["CreditNoteID"]]
    assert credit.status is RemoteStatus.PART_PAID and credit.amount_paid == D("20.00")


def test_contacts_come_back_active_archived_or_merged_into_another(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    kept, archived, merged = (
        c["ContactID"]
        for c in made(xero_emulator, "Contacts", {"Name": "Kept"}, {"Name": "Old"}, {"Name": "Dup"})
    )
    org = xero_emulator.org()
    org.archive_contact(archived)
    org.merge_contacts(merged, kept)

    found = xero.states(tenant(xero_emulator), EntityType.SUPPLIER, [kept, archived, merged])

    assert found[kept].status is RemoteStatus.ACTIVE and found[kept].reference == "Kept"
    assert found[archived].status is RemoteStatus.ARCHIVED
    assert found[merged].status is RemoteStatus.MERGED and found[merged].merged_into == kept


def test_changes_since_bring_what_the_bookkeeper_did_and_nothing_else(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    paid, voided, untouched = sales(xero_emulator, 3, contact="Bookkeeper Ltd")
    clock = xero_emulator.clock
    clock.advance(5)
    since = clock.utcnow()
    clock.advance(5)
    org = xero_emulator.org()
    org.pay(paid)
    org.void(voided)
    contact = org.collection("Invoices")[untouched]["Contact"]["ContactID"]
    org.edit("Contacts", contact, EmailAddress="ap@bookkeeper.example")
    clock.advance(5)

    entities = [EntityType.INVOICE, EntityType.CREDIT_NOTE, EntityType.CLIENT]
    changed = list(xero.changes(tenant(xero_emulator), entities, since))

    by_id = {(s.entity, s.remote_id): s for s in changed}
    assert by_id[(EntityType.INVOICE, paid)].status is RemoteStatus.PAID
    assert by_id[(EntityType.INVOICE, voided)].status is RemoteStatus.VOIDED
    assert by_id[(EntityType.CLIENT, contact)].fields["email"] == "ap@bookkeeper.example"
    assert (EntityType.INVOICE, untouched) not in by_id

    xero_emulator.emulator.calls.clear()
    assert list(xero.changes(tenant(xero_emulator), entities, clock.utcnow())) == []
    # One GET per collection when nothing changed: Invoices, CreditNotes, Contacts and Payments.
    assert sum(xero_emulator.emulator.calls.values()) == 4


def test_a_payment_deleted_in_xero_marks_its_invoice_changed(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    (sale,) = sales(xero_emulator, 1)
    org = xero_emulator.org()
    org.pay(sale)
    payment = next(iter(org.collection("Payments")))
    clock = xero_emulator.clock
    clock.advance(5)
    since = clock.utcnow()
    clock.advance(5)
    org.delete_payment(payment)

    changed = list(xero.changes(tenant(xero_emulator), [EntityType.INVOICE], since))

    assert [(s.remote_id, s.status, s.payments) for s in changed] == [(sale, RemoteStatus.OPEN, ())]


def test_changes_read_every_page_of_a_long_list(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    for start in range(0, 120, 50):
        made(
            xero_emulator,
            "Contacts",
            *[{"Name": f"Client {n:03d}"} for n in range(start, min(start + 50, 120))],
        )
    xero_emulator.emulator.calls.clear()

    names = {s.reference for s in xero.changes(tenant(xero_emulator), [EntityType.CLIENT], None)}

    assert {f"Client {n:03d}" for n in range(120)} <= names
    assert xero_emulator.emulator.calls["GET Contacts"] == 2


def payment_for(invoice_id: str, amount: str, reference: str = "PAY-1") -> PaymentPayload:
    return PaymentPayload(
        key=f"bs-payment-{reference}",
        document_entity=EntityType.INVOICE,
        document_remote_id=invoice_id,
        amount=D(amount),
        paid_on=date(2026, 11, 10),
        currency="AUD",
        account_code="090",
        reference=reference,
    )


def test_a_payment_is_written_once_even_when_sent_twice_and_found_by_reference(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    (sale,) = sales(xero_emulator, 1)
    payment = payment_for(sale, "25.00")

    first = xero.push_payment(tenant(xero_emulator), payment)
    again = xero.push_payment(tenant(xero_emulator), payment)  # a retry after a lost answer

    assert again.remote_id == first.remote_id
    assert (first.amount, first.paid_on, first.reference) == (
        D("25.00"),
        date(2026, 11, 10),
        "PAY-1",
    )
    state = xero.states(tenant(xero_emulator), EntityType.INVOICE, [sale])[sale]
    assert state.amount_paid == D("25.00") and len(state.payments) == 1
    found = xero.find_payment(tenant(xero_emulator), payment)
    assert found is not None and found.remote_id == first.remote_id
    assert xero.find_payment(tenant(xero_emulator), payment_for(sale, "25.00", "PAY-2")) is None


def test_a_payment_xero_refuses_says_why(
    xero_emulator: XeroEmulatorHandle, xero: XeroConnector
) -> None:
    (sale,) = sales(xero_emulator, 1)
    xero_emulator.org().pay(sale)

    with pytest.raises(ConnectorError, match="PAY-9.*AUTHORISED"):
        xero.push_payment(tenant(xero_emulator), payment_for(sale, "1.00", "PAY-9"))


def test_signed_webhooks_from_xero_verify_and_name_the_changed_records(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    hooks = xero_emulator.emulator.webhooks
    fmt = XeroWebhooks()
    with receiver(fmt, "the-webhook-key") as got:
        hooks.configure(got.url, "the-webhook-key", retry_intervals=(0.05,))
        intent = hooks.intent_to_receive()
        assert intent.ok, intent
        (sale,) = sales(xero_emulator, 1, contact="Hooked Ltd")
        xero_emulator.org().pay(sale)
        assert hooks.wait_idle(timeout=10.0)

    events = got.events()
    mine = [e for e in events if e.remote_id == sale]
    assert {e.operation for e in mine} >= {"create", "update"}
    assert {(e.tenant, e.entity, e.resource) for e in mine} == {
        (tenant(xero_emulator), EntityType.INVOICE, "INVOICE")
    }
    contacts = [e for e in events if e.resource == "CONTACT"]
    assert {e.entity for e in contacts} == {EntityType.CLIENT, EntityType.SUPPLIER}
    assert len({e.key for e in events}) == len(events)
