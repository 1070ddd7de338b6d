"""The Xero connector's document writes against a scripted `httpx.MockTransport` (issue 11): which
method and element each push sends (PUT creates, POST updates, status-only voids), what it reads
first, how credit notes are allocated, what it says Xero booked, and which rule each of Xero's
refusals maps to. The same cases run end to end against the emulator in
tests/contract/test_fidelity_xero.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from booksync.connectors.protocol import Booked, ItemPayload, Outcome, PaymentTerms, PushItem
from booksync.connectors.xero import mapping
from booksync.connectors.xero.errors import translate
from booksync.domain.types import EntityType
from booksync.services.fixes import command_line
from booksync.sync.pacing import VirtualClock
from connectors.test_xero import TENANT, FakeXero, accept_all, doc, line, make, product, sent

E = EntityType
D = Decimal


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> FakeXero:
    return FakeXero(clock)


def answered(collection: str, *rows: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={collection: list(rows)})


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.url.query.decode())


# --- creates, updates and voids --------------------------------------------------------------------


def test_creates_go_by_put_and_updates_by_post_naming_the_id(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route("PUT", "/api.xro/2.0/Invoices", accept_all("InvoiceID", "Invoices"))
    fake.route("POST", "/api.xro/2.0/Invoices", accept_all("InvoiceID", "Invoices"))
    new = doc(E.INVOICE, "INV-1")
    edit = replace(doc(E.INVOICE, "INV-2"), remote_id="inv-2")
    results = make(fake, clock).push(TENANT, E.INVOICE, [new, edit])
    put, post = fake.writes()
    assert (put.method, post.method) == ("PUT", "POST")
    assert "InvoiceID" not in sent(put)["Invoices"][0]
    assert sent(post)["Invoices"][0]["InvoiceID"] == "inv-2"
    assert query(put)["unitdp"] == ["4"] and query(post)["unitdp"] == ["4"]
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.UPDATED]


def test_a_voided_document_never_in_xero_is_not_sent(fake: FakeXero, clock: VirtualClock) -> None:
    (result,) = make(fake, clock).push(TENANT, E.INVOICE, [doc(E.INVOICE, status="voided")])
    assert result.outcome is Outcome.REJECTED and "never in Xero" in result.message
    assert fake.requests == []


@pytest.mark.parametrize(
    ("current", "sent_status"),
    [("DRAFT", "DELETED"), ("SUBMITTED", "DELETED"), ("AUTHORISED", "VOIDED")],
)
def test_a_void_becomes_deleted_or_voided_by_the_status_xero_has(
    fake: FakeXero, clock: VirtualClock, current: str, sent_status: str
) -> None:
    def invoices(request: httpx.Request) -> httpx.Response:
        assert request.url.params["IDs"] == "inv-1"
        return answered("Invoices", {"InvoiceID": "inv-1", "Status": current})

    fake.route("GET", "/api.xro/2.0/Invoices", invoices)
    fake.route("POST", "/api.xro/2.0/Invoices", accept_all("InvoiceID", "Invoices"))
    void = replace(doc(E.INVOICE, status="voided"), remote_id="inv-1")
    (result,) = make(fake, clock).push(TENANT, E.INVOICE, [void])
    (write,) = fake.writes()
    assert sent(write)["Invoices"] == [{"InvoiceID": "inv-1", "Status": sent_status}]
    assert result.outcome is Outcome.UPDATED and result.remote_id == "inv-1"


def test_a_void_of_a_document_already_gone_sends_nothing(
    fake: FakeXero, clock: VirtualClock
) -> None:
    def credit_notes(request: httpx.Request) -> httpx.Response:
        assert request.url.params["where"] == 'CreditNoteID==guid("cn-1")'
        return answered("CreditNotes", {"CreditNoteID": "cn-1", "Status": "VOIDED", "Total": 5})

    fake.route("GET", "/api.xro/2.0/CreditNotes", credit_notes)
    void = replace(doc(E.CREDIT_NOTE, status="voided"), remote_id="cn-1")
    (result,) = make(fake, clock).push(TENANT, E.CREDIT_NOTE, [void])
    assert result.outcome is Outcome.UPDATED and fake.writes() == []
    assert result.booked is not None and result.booked.status == "VOIDED"


def test_a_voided_purchase_order_is_deleted_without_a_read(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route(
        "POST", "/api.xro/2.0/PurchaseOrders", accept_all("PurchaseOrderID", "PurchaseOrders")
    )
    void = replace(doc(E.PURCHASE_ORDER, status="voided"), remote_id="po-1")
    make(fake, clock).push(TENANT, E.PURCHASE_ORDER, [void])
    assert [r.method for r in fake.requests] == ["POST"]
    assert sent(fake.requests[0])["PurchaseOrders"] == [
        {"PurchaseOrderID": "po-1", "Status": "DELETED"}
    ]


# --- what Xero booked -------------------------------------------------------------------------------


def test_every_accepted_document_says_what_xero_booked(fake: FakeXero, clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        element = sent(request)["Invoices"][0]
        return answered(
            "Invoices",
            {
                **element,
                "InvoiceID": "inv-1",
                "Contact": {"ContactID": "contact-1", "Name": "Client 1"},
                "Total": 397.65,
                "TotalTax": 36.15,
                "StatusAttributeString": "OK",
            },
        )

    fake.route("PUT", "/api.xro/2.0/Invoices", handler)
    (result,) = make(fake, clock).push(TENANT, E.INVOICE, [doc(E.INVOICE)])
    assert result.booked == Booked(D("397.65"), D("36.15"), 1, "contact-1", "AUD", "AUTHORISED")


# --- credit note allocations ---------------------------------------------------------------------------


def credited_note_routes(xero: FakeXero, invoice: dict[str, Any]) -> list[Any]:
    allocations: list[Any] = []

    def create(request: httpx.Request) -> httpx.Response:
        element = sent(request)["CreditNotes"][0]
        return answered(
            "CreditNotes",
            {
                **element,
                "CreditNoteID": "cn-1",
                "Total": 50,
                "RemainingCredit": 50,
                "StatusAttributeString": "OK",
            },
        )

    def allocate(request: httpx.Request) -> httpx.Response:
        allocations.append(json.loads(request.content, parse_float=Decimal))
        return answered("Allocations", {**allocations[-1]["Allocations"][0], "AllocationID": "a"})

    xero.route("PUT", "/api.xro/2.0/CreditNotes", create)
    xero.route("GET", "/api.xro/2.0/Invoices", lambda r: answered("Invoices", invoice))
    xero.route("PUT", "/api.xro/2.0/CreditNotes/cn-1/Allocations", allocate)
    return allocations


def test_an_approved_credit_note_is_allocated_what_the_invoice_still_owes(
    fake: FakeXero, clock: VirtualClock
) -> None:
    invoice = {"InvoiceID": "inv-1", "InvoiceNumber": "INV-1", "Status": "AUTHORISED",
               "AmountDue": 30, "CreditNotes": []}  # fmt: skip
    allocations = credited_note_routes(fake, invoice)
    item = doc(E.CREDIT_NOTE, "CN-1", credited_remote_id="inv-1")
    (result,) = make(fake, clock).push(TENANT, E.CREDIT_NOTE, [item])
    assert allocations == [
        {"Allocations": [{"Invoice": {"InvoiceID": "inv-1"}, "Amount": 30, "Date": "2026-03-02"}]}
    ]
    assert result.outcome is Outcome.CREATED and "allocated 30 to invoice INV-1" in result.message


def test_a_credit_note_the_invoice_already_lists_is_not_allocated_again(
    fake: FakeXero, clock: VirtualClock
) -> None:
    invoice = {"InvoiceID": "inv-1", "Status": "AUTHORISED", "AmountDue": 30,
               "CreditNotes": [{"CreditNoteID": "cn-1", "AppliedAmount": 20}]}  # fmt: skip
    allocations = credited_note_routes(fake, invoice)
    item = doc(E.CREDIT_NOTE, "CN-1", credited_remote_id="inv-1")
    (result,) = make(fake, clock).push(TENANT, E.CREDIT_NOTE, [item])
    assert allocations == [] and result.outcome is Outcome.CREATED


# --- mapping -------------------------------------------------------------------------------------------


def test_tracking_and_a_given_rate_go_on_the_document() -> None:
    item = doc(
        E.INVOICE,
        currency="USD",
        exchange_rate=D("1.5"),
        lines=(line(tracking=(("Region", "North"),)),),
        tracking=(("Region", "South"), ("Team", "Ops")),
    )
    element = mapping.to_xero(item)
    assert element["CurrencyRate"] == D("0.666667")  # USD per AUD: Xero's way round
    assert element["LineItems"][0]["Tracking"] == [
        {"Name": "Region", "Option": "North"},  # the line's own wins over the document's
        {"Name": "Team", "Option": "Ops"},
    ]
    too_many = doc(E.INVOICE, lines=(line(tracking=(("A", "1"), ("B", "2"), ("C", "3"))),))
    with pytest.raises(mapping.MappingError) as refused:
        mapping.to_xero(too_many)
    assert refused.value.rule == "tracking.matches_tool" and "at most 2" in str(refused.value)


def test_an_items_purchase_side_carries_the_purchase_tax_type() -> None:
    item = product()
    payload = item.payload
    assert isinstance(payload, ItemPayload)
    element = mapping.to_xero(replace(item, payload=replace(payload, purchase_tax_type="INPUT")))
    assert element["PurchaseDetails"] == {
        "UnitPrice": D(80),
        "AccountCode": "310",
        "TaxType": "INPUT",
    }
    assert element["SalesDetails"]["TaxType"] == "OUTPUT"


# --- Xero's refusals as rules ----------------------------------------------------------------------------

REFUSALS = [
    (E.INVOICE, "Invoice # must be unique.", "document.number_free"),
    (E.CREDIT_NOTE, "Credit Note # must be unique.", "document.number_free"),
    (E.INVOICE, "Organisation is not subscribed to currency USD", "currency.enabled"),
    (E.INVOICE, "The document DueDate field must be specified.", "document.due_date_set"),
    (
        E.INVOICE,
        "The document date cannot be before the period lock date, currently set at 30-Nov-2018",
        "document.after_lock_date",
    ),
    (
        E.CREDIT_NOTE,
        "The document date cannot be before the end of year lock date, currently set at 31-Jul-2013",
        "document.after_lock_date",
    ),
    (
        E.INVOICE,
        "The contact with the specified contact details has been archived. The contact must be "
        "un-archived before creating new invoices or credit notes.",
        "contact.not_archived",
    ),
    (
        E.PURCHASE_ORDER,
        "The TaxType code 'OUTPUT' cannot be used with account code '310'.",
        "tax.purchase_mapped",
    ),
    (
        E.INVOICE,
        "The TaxType code 'INPUT' cannot be used with account code '200'.",
        "tax.mapped",
    ),
    (
        E.INVOICE,
        "Tracking option 'East' does not exist or is not active in category 'Region'.",
        "tracking.matches_tool",
    ),
    (E.INVOICE, "Account code '999' is not a valid code for this document.", "account_code.matches_tool"),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "message", "rule"), REFUSALS)
def test_each_refusal_maps_to_its_rule_and_keeps_xeros_words(
    entity: EntityType, message: str, rule: str
) -> None:
    found = translate([message], entity, "Acme AU", "INV-1")
    assert found.rule == rule
    assert found.fix and found.remedy is not None  # always a command to run ...
    assert command_line(found.remedy) == found.fix  # ... and the same fix as data


# --- settings and documents already in Xero ----------------------------------------------------------


def test_settings_take_the_later_lock_date_sales_terms_and_active_tracking(
    fake: FakeXero, clock: VirtualClock
) -> None:
    organisation = {
        "BaseCurrency": "NZD",
        "CountryCode": "NZ",
        "PeriodLockDate": "/Date(1546214400000+0000)/",  # 2018-12-31
        "EndOfYearLockDate": "/Date(1538265600000+0000)/",  # 2018-09-30
        "PaymentTerms": {"Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"}},
    }
    fake.route(
        "GET", "/api.xro/2.0/Organisation", lambda r: answered("Organisations", organisation)
    )
    fake.route("GET", "/api.xro/2.0/Currencies", lambda r: answered("Currencies", {"Code": "USD"}))
    categories = [
        {"Name": "Region", "Status": "ACTIVE", "Options": [
            {"Name": "North", "Status": "ACTIVE"}, {"Name": "Old", "Status": "ARCHIVED"}]},
        {"Name": "Gone", "Status": "ARCHIVED", "Options": []},
    ]  # fmt: skip
    fake.route(
        "GET",
        "/api.xro/2.0/TrackingCategories",
        lambda r: answered("TrackingCategories", *categories),
    )
    settings = make(fake, clock).settings(TENANT)
    assert settings.currencies == frozenset({"NZD", "USD"})
    assert settings.lock_date == date(2018, 12, 31)
    assert settings.payment_terms == PaymentTerms(20, "OFFOLLOWINGMONTH")
    assert dict(settings.tracking_categories) == {"Region": ("North",)}
    assert settings.tool_settings["end_of_year_lock_date"] == "2018-09-30"


def test_documents_by_number_leave_out_deleted_ones_and_bills(
    fake: FakeXero, clock: VirtualClock
) -> None:
    def invoices(request: httpx.Request) -> httpx.Response:
        assert request.url.params["InvoiceNumbers"] == "INV-1,INV-2"
        return answered(
            "Invoices",
            {"InvoiceID": "a", "InvoiceNumber": "INV-1", "Type": "ACCREC", "Status": "PAID",
             "Contact": {"ContactID": "c-1"}, "Total": 999.0, "CurrencyCode": "AUD"},
            {"InvoiceID": "b", "InvoiceNumber": "INV-2", "Type": "ACCREC", "Status": "DELETED"},
            {"InvoiceID": "c", "InvoiceNumber": "INV-2", "Type": "ACCPAY", "Status": "DRAFT"},
        )  # fmt: skip

    fake.route("GET", "/api.xro/2.0/Invoices", invoices)
    (found,) = make(fake, clock).documents(TENANT, E.INVOICE, ["INV-1", "INV-2"])
    assert (found.remote_id, found.contact_remote_id, found.total, found.status) == (
        "a",
        "c-1",
        D("999.0"),
        "PAID",
    )


def test_lookups_take_only_booksyncs_documents(fake: FakeXero, clock: VirtualClock) -> None:
    def credit_notes(request: httpx.Request) -> httpx.Response:
        return answered(
            "CreditNotes",
            {"CreditNoteID": "theirs", "CreditNoteNumber": "CN-1", "Type": "ACCRECCREDIT",
             "Contact": {"ContactID": "someone-else"}},
            {"CreditNoteID": "mine", "CreditNoteNumber": "CN-1", "Type": "ACCRECCREDIT",
             "Contact": {"ContactID": "contact-1"}},
        )  # fmt: skip

    fake.route("GET", "/api.xro/2.0/CreditNotes", credit_notes)
    item: PushItem = doc(E.CREDIT_NOTE, "CN-1")
    assert make(fake, clock).lookup_many(TENANT, E.CREDIT_NOTE, [item]) == {"CN-1": "mine"}
