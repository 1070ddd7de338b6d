"""Xero's official Python SDK (`xero-python`, a client nobody here wrote) against the emulator: it
reads what booksync's connector wrote exactly as booksync computed it, and what it writes itself
behaves as Xero documents (issue 11). Its ApiClient is pointed at the emulator by `base_url`
(AccountingApi(api_client, base_url=...), api-facts.md); every exchange is also checked against
the OpenAPI spec by the fixture.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    Allocation,
    Allocations,
    Contact,
    Invoice,
    Invoices,
    LineItem,
    Payment,
    Payments,
)
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import AccountingBadRequestException

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.xero import XeroConnector
from booksync.domain.types import EntityType
from emulators.conftest import XeroEmulatorHandle

E = EntityType
D = Decimal


@pytest.fixture
def sdk(xero_emulator: XeroEmulatorHandle) -> AccountingApi:
    seeded = xero_emulator.tenants[0]
    token: dict[str, Any] = {
        "access_token": seeded.access_token,
        "refresh_token": seeded.refresh_token,
        "token_type": "Bearer",
        "expires_in": 1800,  # no expires_at: the SDK takes the token as valid (the emulator's
        # clock is virtual, so the SDK's wall-clock check would say nothing useful)
        "scope": ["accounting.transactions", "accounting.settings", "accounting.contacts"],
    }
    oauth = OAuth2Token(
        client_id=xero_emulator.client_id, client_secret=xero_emulator.client_secret
    )
    client = ApiClient(
        Configuration(oauth2_token=oauth),
        oauth2_token_getter=lambda: token,
        oauth2_token_saver=token.update,
    )
    return AccountingApi(client, base_url=xero_emulator.accounting_url)


@pytest.fixture
def booksync(xero_emulator: XeroEmulatorHandle) -> XeroConnector:
    seeded = xero_emulator.tenants[0]
    tokens = TokenSet(
        seeded.access_token,
        seeded.refresh_token,
        xero_emulator.clock.utcnow() + timedelta(minutes=30),
    )
    connector = XeroConnector(
        tokens,
        base_url=xero_emulator.accounting_url,
        identity_url=xero_emulator.base_url,
        client_id=xero_emulator.client_id,
        client_secret=xero_emulator.client_secret,
        clock=xero_emulator.clock,
        timeout=5.0,
    )
    yield connector  # type: ignore[misc]
    connector.close()


def sdk_writes(xero_emulator: XeroEmulatorHandle) -> Any:
    """Writes by the SDK break the spec in one known way: its models send read-only flags
    (`HasAttachments`, `HasErrors`, `HasValidationErrors`: `readOnly: true` in the spec) with every
    object, which Xero accepts. The fixture then requires each of those requests to break it."""
    return xero_emulator.spec_violations_expected()


def money(*values: Any) -> Any:
    """The SDK's numbers (floats) as exact Decimals, to compare with booksync's money."""
    exact = tuple(D(str(v)) for v in values)
    return exact[0] if len(exact) == 1 else exact


def enum(value: Any) -> str:
    return str(getattr(value, "value", value))


def tenant(xero_emulator: XeroEmulatorHandle) -> str:
    return xero_emulator.tenants[0].tenant_id


def booksync_client(xero_emulator: XeroEmulatorHandle, booksync: XeroConnector) -> str:
    payload = PartyPayload(E.CLIENT, "Acme Pty", None, "AUD", "C-000001")
    (made,) = booksync.push(
        tenant(xero_emulator),
        E.CLIENT,
        [PushItem("C-000001:v1", E.CLIENT, 1, "C-000001", None, payload)],
    )
    assert made.remote_id
    return made.remote_id


def booksync_document(
    entity: EntityType, number: str, contact: str, quantity: str, price: str, **extra: Any
) -> PushItem:
    line = LinePayload(None, None, "Backup per GB", D(quantity), D(price), "200", "OUTPUT", D(10))
    payload = DocumentPayload(
        entity,
        number,
        contact,
        "Acme Pty",
        date(2026, 11, 2),
        date(2026, 12, 2),
        "AUD",
        "authorised",
        "booksync",
        (line,),
        **extra,
    )
    return PushItem(f"{number}:v1", entity, 1, number, None, payload)


# --- the SDK reads what booksync wrote ---------------------------------------------------------------


def test_the_sdk_reads_booksyncs_four_decimal_invoice_as_booksync_computed_it(
    xero_emulator: XeroEmulatorHandle, booksync: XeroConnector, sdk: AccountingApi
) -> None:
    contact = booksync_client(xero_emulator, booksync)
    item = booksync_document(E.INVOICE, "INV-1", contact, "1000", "0.0125")
    (made,) = booksync.push(tenant(xero_emulator), E.INVOICE, [item])
    assert made.outcome is Outcome.CREATED and made.remote_id, made.message

    read = sdk.get_invoice(tenant(xero_emulator), made.remote_id, unitdp=4).invoices[0]
    assert money(read.line_items[0].unit_amount) == D("0.0125")
    assert money(read.sub_total, read.total_tax, read.total) == (D("12.50"), D("1.25"), D("13.75"))
    assert enum(read.status) == "AUTHORISED"
    assert read.invoice_number == "INV-1" and str(read.contact.contact_id) == contact


def test_the_sdk_sees_booksyncs_credit_note_allocated_to_its_invoice(
    xero_emulator: XeroEmulatorHandle, booksync: XeroConnector, sdk: AccountingApi
) -> None:
    contact = booksync_client(xero_emulator, booksync)
    (invoice,) = booksync.push(
        tenant(xero_emulator),
        E.INVOICE,
        [booksync_document(E.INVOICE, "INV-2", contact, "1", "100.00")],
    )
    credit = booksync_document(
        E.CREDIT_NOTE, "CN-2", contact, "1", "20.00", credited_remote_id=invoice.remote_id
    )
    (made,) = booksync.push(tenant(xero_emulator), E.CREDIT_NOTE, [credit])
    assert made.outcome is Outcome.CREATED, made.message

    read = sdk.get_invoice(tenant(xero_emulator), invoice.remote_id).invoices[0]
    assert money(read.amount_credited, read.amount_due) == (D("22.00"), D("88.00"))
    assert [str(c.credit_note_id) for c in read.credit_notes] == [made.remote_id]
    note = sdk.get_credit_note(tenant(xero_emulator), made.remote_id).credit_notes[0]
    assert money(note.remaining_credit) == D("0")
    assert [money(a.amount) for a in note.allocations] == [D("22.00")]


# --- what the SDK writes behaves as Xero documents ------------------------------------------------


def sdk_invoice(contact_id: str, number: str, amount: float = 100.0) -> Invoice:
    return Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        invoice_number=number,
        date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        status="AUTHORISED",
        line_items=[
            LineItem(description="Work", quantity=1.0, unit_amount=amount, account_code="200")
        ],
    )


def test_the_sdks_create_never_updates_and_its_update_or_create_does(
    xero_emulator: XeroEmulatorHandle, booksync: XeroConnector, sdk: AccountingApi
) -> None:
    contact = booksync_client(xero_emulator, booksync)
    with sdk_writes(xero_emulator):
        made = sdk.create_invoices(
            tenant(xero_emulator), Invoices(invoices=[sdk_invoice(contact, "SDK-1")])
        ).invoices[0]
        again = sdk.create_invoices(
            tenant(xero_emulator),
            Invoices(invoices=[sdk_invoice(contact, "SDK-1", 5.0)]),
            summarize_errors=False,
        ).invoices[0]
        updated = sdk.update_or_create_invoices(
            tenant(xero_emulator), Invoices(invoices=[sdk_invoice(contact, "SDK-1", 5.0)])
        ).invoices[0]
    assert [e.message for e in again.validation_errors] == ["Invoice # must be unique."]
    assert updated.invoice_id == made.invoice_id and money(updated.total) == D("5.50")


def test_the_sdk_voids_an_approved_invoice_and_cannot_delete_it(
    xero_emulator: XeroEmulatorHandle, booksync: XeroConnector, sdk: AccountingApi
) -> None:
    contact = booksync_client(xero_emulator, booksync)
    with sdk_writes(xero_emulator):
        made = sdk.create_invoices(
            tenant(xero_emulator), Invoices(invoices=[sdk_invoice(contact, "SDK-2")])
        ).invoices[0]
        with pytest.raises(AccountingBadRequestException) as refused:
            sdk.update_invoice(
                tenant(xero_emulator),
                made.invoice_id,
                Invoices(invoices=[Invoice(status="DELETED")]),
            )
        voided = sdk.update_invoice(
            tenant(xero_emulator), made.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")])
        ).invoices[0]
    assert "cannot change from AUTHORISED to DELETED" in str(refused.value.body)
    assert enum(voided.status) == "VOIDED"


def test_the_sdks_payment_and_allocation_settle_the_invoice(
    xero_emulator: XeroEmulatorHandle, booksync: XeroConnector, sdk: AccountingApi
) -> None:
    contact = booksync_client(xero_emulator, booksync)
    credit = booksync_document(E.CREDIT_NOTE, "CN-3", contact, "1", "100.00")  # 110.00 credit
    (note,) = booksync.push(tenant(xero_emulator), E.CREDIT_NOTE, [credit])
    with sdk_writes(xero_emulator):
        made = sdk.create_invoices(
            tenant(xero_emulator), Invoices(invoices=[sdk_invoice(contact, "SDK-3")])
        ).invoices[0]
        payment = Payment(
            invoice=Invoice(invoice_id=made.invoice_id),
            account=Account(code="090"),
            date=date(2026, 11, 5),
            amount=10.0,
        )
        sdk.create_payments(tenant(xero_emulator), Payments(payments=[payment]))
        allocation = Allocation(
            invoice=Invoice(invoice_id=made.invoice_id), amount=100.0, date=date(2026, 11, 6)
        )
        sdk.create_credit_note_allocation(
            tenant(xero_emulator), note.remote_id, Allocations(allocations=[allocation])
        )
    paid = sdk.get_invoices(tenant(xero_emulator), where='Status=="PAID"').invoices
    assert [p.invoice_number for p in paid] == ["SDK-3"]
    assert money(paid[0].amount_paid, paid[0].amount_credited, paid[0].amount_due) == (
        D("10.00"),
        D("100.00"),
        D("0"),
    )
    online = sdk.get_online_invoice(tenant(xero_emulator), made.invoice_id)
    assert online.online_invoices[0].online_invoice_url.startswith("https://in.xero.com/")


def test_the_sdk_reads_the_organisations_settings(
    xero_emulator: XeroEmulatorHandle, sdk: AccountingApi
) -> None:
    org = xero_emulator.org()
    org.enable_currency("USD")
    org.set_lock_dates(period=date(2026, 9, 30))
    org.add_tracking_category("Region", ["North", "South"])
    organisation = sdk.get_organisations(tenant(xero_emulator)).organisations[0]
    assert organisation.period_lock_date == date(2026, 9, 30)
    codes = [enum(c.code) for c in sdk.get_currencies(tenant(xero_emulator)).currencies]
    assert codes == ["AUD", "USD"]
    (region,) = sdk.get_tracking_categories(tenant(xero_emulator)).tracking_categories
    assert [o.name for o in region.options] == ["North", "South"]
