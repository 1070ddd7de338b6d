"""The QuickBooks emulator driven by a client nobody here wrote: python-quickbooks (with intuitlib's
AuthClient reading the emulator's discovery document). What the SDK writes behaves as Intuit's
documentation says (empty dates, `SELECT *, Sku`, void, a credit memo applied by a zero-amount
payment), and what booksync's connector wrote reads back in the SDK's objects as it should
(the client's reference in CustomerMemo, booksync's trace in PrivateNote, QuickBooks' own number).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from intuitlib.client import AuthClient
from quickbooks.objects.base import Address, LinkedTxn, Ref
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import Address as BooksyncAddress
from booksync.connectors.protocol import (
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.quickbooks import QuickBooksConnector
from booksync.domain.types import EntityType
from booksync_emulators.quickbooks import Realm
from emulators.conftest import QuickBooksEmulatorHandle
from quickbooks import QuickBooks

D = Decimal
Sdk = tuple[Realm, QuickBooks]


@pytest.fixture
def sdk(
    quickbooks_emulator: QuickBooksEmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Sdk]]:
    """`sdk(**settings)`: a new company and a python-quickbooks client on it."""
    handle = quickbooks_emulator
    monkeypatch.setattr(QuickBooks, "api_url_v3", handle.base_url + "/v3")
    # The emulator is plain http on loopback; oauthlib refuses that unless told it is a test.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def make(country: str = "AU", **settings: Any) -> Sdk:
        realm = handle.emulator.add_realm(f"SDK {country}", country=country, **settings)
        issued = handle.emulator.connect(realm.realm_id)
        auth = AuthClient(
            handle.client_id,
            handle.client_secret or "",
            "https://app.example/callback",
            handle.discovery_url,
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
        )
        client = QuickBooks(
            auth_client=auth,
            refresh_token=issued.refresh_token,
            company_id=realm.realm_id,
            minorversion=75,
        )
        return realm, client

    yield make


def sales_line(amount: str, tax: str = "1", item: str = "1") -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = D(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = item
    line.SalesItemLineDetail.Qty = D(1)
    line.SalesItemLineDetail.UnitPrice = D(amount)
    line.SalesItemLineDetail.TaxCodeRef = Ref()
    line.SalesItemLineDetail.TaxCodeRef.value = tax
    return line


def new_customer(client: QuickBooks, name: str = "Acme Pty Ltd") -> Customer:
    customer = Customer()
    customer.DisplayName = name
    address = Address()
    address.Line1, address.City, address.CountrySubDivisionCode = "1 George St", "Sydney", "NSW"
    customer.BillAddr = address
    return customer.save(qb=client)


def form(kind: type[Any], customer: Customer, *lines: SalesItemLine) -> Any:
    made = kind()
    made.CustomerRef = customer.to_ref()
    made.Line = list(lines)
    return made


def test_the_sdks_invoice_with_empty_dates_is_taken_and_dated_by_terms(
    sdk: Callable[..., Sdk],
) -> None:
    realm, client = sdk()
    customer = new_customer(client)
    invoice = form(Invoice, customer, sales_line("100.00")).save(qb=client)  # TxnDate "" etc.
    today = realm.today(realm.created)
    assert invoice.TxnDate == today.isoformat()
    assert invoice.DueDate == (today + timedelta(days=30)).isoformat()  # Net 30, the default
    assert invoice.DocNumber == "1001"  # custom numbers off: QuickBooks numbers it
    assert D(str(invoice.TotalAmt)) == D("110.00")
    assert invoice.BillAddr.City == "Sydney"  # the customer's address, as documented


def test_the_sdk_lists_items_with_select_star_and_sku(sdk: Callable[..., Sdk]) -> None:
    _, client = sdk()
    assert [i.Name for i in Item.all(qb=client)] == ["Hours", "Sales"]


def test_the_sdk_voids_an_invoice_and_applies_a_credit_memo(sdk: Callable[..., Sdk]) -> None:
    realm, client = sdk()
    customer = new_customer(client)
    invoice = form(Invoice, customer, sales_line("100.00")).save(qb=client)
    memo = form(CreditMemo, customer, sales_line("20.00")).save(qb=client)
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = D(0)
    for txn in (invoice, memo):
        line = PaymentLine()
        line.Amount = D("22.00")
        link = LinkedTxn()
        link.TxnId, link.TxnType = txn.Id, txn.qbo_object_name
        line.LinkedTxn = [link]
        payment.Line.append(line)
    payment.save(qb=client)
    assert D(str(Invoice.get(invoice.Id, qb=client).Balance)) == D("88.00")
    assert D(str(CreditMemo.get(memo.Id, qb=client).RemainingCredit)) == 0

    other = form(Invoice, customer, sales_line("50.00")).save(qb=client)
    other.void(qb=client)
    voided = Invoice.get(other.Id, qb=client)
    assert (D(str(voided.TotalAmt)), voided.PrivateNote) == (0, "Voided")
    assert realm.get("Invoice", other.Id)["SyncToken"] == "1"


def test_the_sdk_reads_what_booksync_wrote(
    quickbooks_emulator: QuickBooksEmulatorHandle, sdk: Callable[..., Sdk]
) -> None:
    handle = quickbooks_emulator
    realm, client = sdk()
    issued = handle.emulator.connect(realm.realm_id)
    qbo = QuickBooksConnector(
        TokenSet(
            issued.access_token, issued.refresh_token, handle.clock.utcnow() + timedelta(hours=1)
        ),
        realm=realm.realm_id,
        base_url=handle.api_url,
        token_url=handle.token_url,
        client_id=handle.client_id,
        client_secret=handle.client_secret,
        clock=handle.clock,
        timeout=5.0,
    )
    try:
        where = BooksyncAddress(("5 Pitt St",), "Sydney", "NSW", "2000", "AU")
        party = PartyPayload(EntityType.CLIENT, "Harbour Dental", None, "AUD", "C-7", where)
        (made,) = qbo.push(
            realm.realm_id,
            EntityType.CLIENT,
            [PushItem("C-7:1", EntityType.CLIENT, 7, "C-7", None, party)],
        )
        line = LinePayload(None, "1", "Support", D("3"), D("40.00"), None, "GST", D(10))
        payload = DocumentPayload(EntityType.INVOICE, "INV-7", made.remote_id, "Harbour Dental",
                                  date(2026, 11, 2), date(2026, 12, 2), "AUD", "authorised",
                                  "PO 4711", (line,), contact_address=where)  # fmt: skip
        item = PushItem("INV-7:1", EntityType.INVOICE, 8, "INV-7", None, payload)
        (pushed,) = qbo.push(realm.realm_id, EntityType.INVOICE, [item])
    finally:
        qbo.close()
    assert pushed.outcome is Outcome.CREATED, pushed.message
    seen = Invoice.get(pushed.remote_id, qb=client)
    assert seen.CustomerMemo.value == "PO 4711"  # prints on the invoice
    assert seen.PrivateNote == "[booksync INV-7]"
    assert seen.DocNumber == "1001"  # the company numbers its own (custom numbers off)
    assert (seen.ShipAddr.City, seen.BillAddr.PostalCode) == ("Sydney", "2000")
    assert D(str(seen.TotalAmt)) == pushed.booked.total == D("132.00")
    assert Customer.get(made.remote_id, qb=client).BillAddr.Line1 == "5 Pitt St"
