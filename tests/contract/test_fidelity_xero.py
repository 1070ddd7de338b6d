"""Fidelity in Xero: what the connector writes is what booksync computed, or nothing is written and
the refusal names the rule (issue 11). Every case goes connector -> Xero emulator over loopback, and
the emulator's fixture checks every exchange against Xero's OpenAPI spec at teardown; each case
then reads what the organisation holds from the emulator's own store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from booksync.connectors.protocol import (
    Booked,
    DocumentImport,
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PaymentTerms,
    PushItem,
    PushResult,
    SettingsImport,
)
from booksync.domain.types import EntityType
from booksync_emulators.xero.store import Org
from contract.targets import XeroTarget

E = EntityType
D = Decimal


@pytest.fixture
def xero(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[XeroTarget]:
    target = XeroTarget(request, tmp_path)
    try:
        yield target
    finally:
        target.close()


# --- payloads ---------------------------------------------------------------------------------------


def push(xero: XeroTarget, entity: EntityType, *items: PushItem) -> list[PushResult]:
    results = xero.connector.push(xero.tenant, entity, list(items))
    assert [r.key for r in results] == [i.key for i in items]
    return results


def party(xero: XeroTarget, name: str = "Acme Pty", entity: EntityType = E.CLIENT) -> str:
    number = f"{'C' if entity is E.CLIENT else 'S'}-{sum(map(ord, name)):06d}"
    payload = PartyPayload(entity, name, None, "AUD", number)
    (made,) = push(xero, entity, PushItem(f"{number}:v1", entity, 1, number, None, payload))
    assert made.remote_id, made.message
    return made.remote_id


def line(
    quantity: str = "1000",
    price: str = "0.0125",
    *,
    account: str = "200",
    tax: str = "OUTPUT",
    tracking: tuple[tuple[str, str], ...] = (),
) -> LinePayload:
    return LinePayload(
        None, None, "Backup per GB", D(quantity), D(price), account, tax, D(10), tracking
    )


def document(
    entity: EntityType,
    number: str,
    contact: str,
    *lines: LinePayload,
    status: str = "authorised",
    remote_id: str | None = None,
    version: int = 1,
    **overrides: Any,
) -> PushItem:
    values: dict[str, Any] = {
        "entity": entity,
        "number": number,
        "contact_remote_id": contact,
        "contact_name": "Acme Pty",
        "issue_date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "AUD",
        "status": status,
        "reference": "booksync",
        "lines": lines or (line(),),
    }
    values.update(overrides)
    payload = DocumentPayload(**values)
    return PushItem(f"{number}:v{version}", entity, 1, number, remote_id, payload)


def org(xero: XeroTarget) -> Org:
    return xero.handle.org(0)


def stored(xero: XeroTarget, collection: str, number_field: str, number: str) -> list[Any]:
    with org(xero).lock:
        return [
            r for r in org(xero).collection(collection).values() if r.get(number_field) == number
        ]


def writes(xero: XeroTarget, path: str) -> list[str]:
    return [
        e.request.method
        for e in xero.handle.exchanges
        if e.request.method in ("PUT", "POST") and e.request.path.endswith(path)
    ]


# --- 1. four-decimal unit prices ---------------------------------------------------------------------


def test_a_four_decimal_unit_price_is_booked_as_booksync_computed_it(xero: XeroTarget) -> None:
    contact = party(xero)
    (made,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-1", contact))
    assert made.outcome is Outcome.CREATED, made.message
    (held,) = stored(xero, "Invoices", "InvoiceNumber", "INV-1")
    assert held["LineItems"][0]["UnitAmount"] == D("0.0125")
    assert (held["SubTotal"], held["TotalTax"], held["Total"]) == (
        D("12.50"),
        D("1.25"),
        D("13.75"),
    )
    assert made.booked == Booked(D("13.75"), D("1.25"), 1, contact, "AUD", "AUTHORISED")


def test_every_document_type_keeps_four_decimals(xero: XeroTarget) -> None:
    client, supplier = party(xero), party(xero, "Parts Co", E.SUPPLIER)
    cases = [
        (E.CREDIT_NOTE, "CN-1", client, "CreditNotes", "CreditNoteNumber", "authorised"),
        (E.PURCHASE_ORDER, "PO-1", supplier, "PurchaseOrders", "PurchaseOrderNumber", "draft"),
        (E.SALES_ORDER, "SO-1", client, "Quotes", "QuoteNumber", "submitted"),
    ]
    for entity, number, contact, collection, field, status in cases:
        tax = "INPUT" if entity is E.PURCHASE_ORDER else "OUTPUT"
        account = "310" if entity is E.PURCHASE_ORDER else "200"
        item = document(entity, number, contact, line(account=account, tax=tax), status=status)
        (made,) = push(xero, entity, item)
        assert made.outcome is Outcome.CREATED, (entity, made.message)
        (held,) = stored(xero, collection, field, number)
        assert held["LineItems"][0]["UnitAmount"] == D("0.0125"), entity
        assert held["Total"] == D("13.75") and made.booked is not None
        assert made.booked.total == D("13.75"), entity


# --- 2. creates never update -------------------------------------------------------------------------


def bookkeepers_invoice(xero: XeroTarget, number: str, contact: str, amount: str) -> str:
    """An invoice the bookkeeper typed into Xero itself: no app created it."""
    element = {
        "Type": "ACCREC",
        "InvoiceNumber": number,
        "Contact": {"ContactID": contact},
        "Date": "2026-10-01",
        "DueDate": "2026-10-31",
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": "Hand-typed",
                "Quantity": D(1),
                "UnitAmount": D(amount),
                "AccountCode": "200",
            }
        ],
    }
    return str(org(xero).add_document("Invoices", element)["InvoiceID"])


def test_a_number_xero_already_has_is_refused_and_the_bookkeepers_invoice_is_untouched(
    xero: XeroTarget,
) -> None:
    theirs = party(xero, "Their Client")
    mine = party(xero)
    their_id = bookkeepers_invoice(xero, "INV-0042", theirs, "999.00")

    (result,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-0042", mine))
    assert result.outcome is Outcome.REJECTED
    assert result.rule == "document.number_free", result.message
    assert "Invoice # must be unique." in result.message
    (held,) = stored(xero, "Invoices", "InvoiceNumber", "INV-0042")
    assert held["InvoiceID"] == their_id
    assert (held["Total"], held.get("Reference")) == (D("999.00"), None)
    assert writes(xero, "/Invoices")[-1] == "PUT"  # a create is never a POST

    # What the doctor is given to decide link-or-refuse: the tool's document, contact and total.
    assert isinstance(xero.connector, DocumentImport)
    (found,) = xero.connector.documents(xero.tenant, E.INVOICE, ["INV-0042", "INV-9"])
    assert (found.remote_id, found.contact_remote_id, found.total, found.status) == (
        their_id,
        theirs,
        D("999.00"),
        "AUTHORISED",
    )


def test_a_lookup_after_a_lost_answer_never_adopts_the_bookkeepers_invoice(
    xero: XeroTarget,
) -> None:
    theirs, mine = party(xero, "Their Client"), party(xero)
    bookkeepers_invoice(xero, "INV-7", theirs, "50.00")
    item = document(E.INVOICE, "INV-7", mine)
    restarted = xero.new_connector()
    assert restarted.lookup(xero.tenant, E.INVOICE, "INV-7") is None  # not created by booksync
    assert restarted.lookup_many(xero.tenant, E.INVOICE, [item]) == {}  # type: ignore[attr-defined]
    # A credit note has no createdByMyApp filter: one to another contact is not booksync's.
    credit = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": "CN-7",
        "Contact": {"ContactID": theirs},
        "Date": "2026-10-01",
        "Status": "DRAFT",
        "LineItems": [{"Description": "x", "Quantity": D(1), "UnitAmount": D(5)}],
    }
    org(xero).add_document("CreditNotes", credit)
    mine_cn = document(E.CREDIT_NOTE, "CN-7", mine)
    assert restarted.lookup_many(xero.tenant, E.CREDIT_NOTE, [mine_cn]) == {}  # type: ignore[attr-defined]


def test_an_invoice_linked_by_the_doctor_is_updated_by_id(xero: XeroTarget) -> None:
    mine = party(xero)
    their_id = bookkeepers_invoice(xero, "INV-0042", mine, "13.75")
    (updated,) = push(
        xero, E.INVOICE, document(E.INVOICE, "INV-0042", mine, remote_id=their_id, version=2)
    )
    assert updated.outcome is Outcome.UPDATED and updated.remote_id == their_id
    assert writes(xero, "/Invoices")[-1] == "POST"
    (held,) = stored(xero, "Invoices", "InvoiceNumber", "INV-0042")
    assert held["Reference"] == "booksync"


def test_creates_survive_a_lost_answer_exactly_once_and_the_edit_updates(xero: XeroTarget) -> None:
    contact = party(xero)
    item = document(E.CREDIT_NOTE, "CN-7", contact)
    xero.push_losing_answer(E.CREDIT_NOTE, [item])
    (held,) = stored(xero, "CreditNotes", "CreditNoteNumber", "CN-7")
    restarted = xero.new_connector()
    found = restarted.lookup_many(xero.tenant, E.CREDIT_NOTE, [item])  # type: ignore[attr-defined]
    assert found == {"CN-7": held["CreditNoteID"]}
    edit = replace(document(E.CREDIT_NOTE, "CN-7", contact, version=2, reference="edited"))
    (again,) = restarted.push(xero.tenant, E.CREDIT_NOTE, [replace(edit, remote_id=found["CN-7"])])
    assert again.outcome is Outcome.UPDATED, again.message
    assert [h["Reference"] for h in stored(xero, "CreditNotes", "CreditNoteNumber", "CN-7")] == [
        "edited"
    ]


# --- 3. voids ---------------------------------------------------------------------------------------------


def test_a_voided_draft_is_deleted_and_a_voided_approved_invoice_is_voided(
    xero: XeroTarget,
) -> None:
    contact = party(xero)
    draft, approved = push(
        xero,
        E.INVOICE,
        document(E.INVOICE, "INV-D", contact, status="draft"),
        document(E.INVOICE, "INV-A", contact),
    )
    voids = [
        document(E.INVOICE, n, contact, status="voided", remote_id=r.remote_id, version=2)
        for n, r in (("INV-D", draft), ("INV-A", approved))
    ]
    results = push(xero, E.INVOICE, *voids)
    assert [r.outcome for r in results] == [Outcome.UPDATED, Outcome.UPDATED], results
    assert [
        stored(xero, "Invoices", "InvoiceNumber", n)[0]["Status"] for n in ("INV-D", "INV-A")
    ] == [
        "DELETED",
        "VOIDED",
    ]
    assert [r.booked.status if r.booked else None for r in results] == ["DELETED", "VOIDED"]
    # A void pushed again finds it gone already and writes nothing.
    before = len(writes(xero, "/Invoices"))
    (again,) = push(xero, E.INVOICE, replace(voids[1], key="INV-A:v3"))
    assert again.outcome is Outcome.UPDATED and len(writes(xero, "/Invoices")) == before


def test_a_voided_document_never_in_xero_is_never_sent(xero: XeroTarget) -> None:
    contact = party(xero)
    before = len(xero.handle.exchanges)
    (result,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-V", contact, status="voided"))
    assert result.outcome is Outcome.REJECTED and "never in Xero" in result.message
    assert len(xero.handle.exchanges) == before
    assert stored(xero, "Invoices", "InvoiceNumber", "INV-V") == []


# --- 4. credit note allocations ---------------------------------------------------------------------


def test_an_approved_credit_note_is_allocated_to_the_invoice_it_credits_once(
    xero: XeroTarget,
) -> None:
    contact = party(xero)
    (invoice,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-1", contact, line("1", "100.00")))
    credit = document(
        E.CREDIT_NOTE, "CN-1", contact, line("1", "20.00"), credited_remote_id=invoice.remote_id
    )
    (made,) = push(xero, E.CREDIT_NOTE, credit)
    assert made.outcome is Outcome.CREATED and "allocated 22.00" in made.message, made.message
    (held_invoice,) = stored(xero, "Invoices", "InvoiceNumber", "INV-1")
    assert (held_invoice["AmountCredited"], held_invoice["AmountDue"]) == (D("22.00"), D("88.00"))
    (held_credit,) = stored(xero, "CreditNotes", "CreditNoteNumber", "CN-1")
    assert (held_credit["RemainingCredit"], held_credit["Status"]) == (D("0.00"), "PAID")

    # The same version pushed again (the engine retrying) allocates nothing more.
    push(xero, E.CREDIT_NOTE, credit)
    assert stored(xero, "Invoices", "InvoiceNumber", "INV-1")[0]["AmountDue"] == D("88.00")
    assert len(writes(xero, "/Allocations")) == 1


def test_a_credit_larger_than_the_amount_due_allocates_only_what_is_due(xero: XeroTarget) -> None:
    contact = party(xero)
    (invoice,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-2", contact, line("1", "100.00")))
    credit = document(
        E.CREDIT_NOTE, "CN-2", contact, line("1", "200.00"), credited_remote_id=invoice.remote_id
    )
    (made,) = push(xero, E.CREDIT_NOTE, credit)
    assert made.outcome is Outcome.CREATED
    (held_invoice,) = stored(xero, "Invoices", "InvoiceNumber", "INV-2")
    assert (held_invoice["AmountDue"], held_invoice["Status"]) == (D("0.00"), "PAID")
    (held_credit,) = stored(xero, "CreditNotes", "CreditNoteNumber", "CN-2")
    assert held_credit["RemainingCredit"] == D("110.00")


def test_a_draft_credit_note_is_not_allocated(xero: XeroTarget) -> None:
    contact = party(xero)
    (invoice,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-3", contact))
    draft = document(
        E.CREDIT_NOTE, "CN-3", contact, status="draft", credited_remote_id=invoice.remote_id
    )
    (made,) = push(xero, E.CREDIT_NOTE, draft)
    assert made.outcome is Outcome.CREATED and writes(xero, "/Allocations") == []


# --- 5. purchase orders carry the purchase tax type --------------------------------------------------


def test_a_purchase_order_with_a_sales_tax_type_is_refused_as_tax_purchase_mapped(
    xero: XeroTarget,
) -> None:
    supplier = party(xero, "Parts Co", E.SUPPLIER)
    good, bad = push(
        xero,
        E.PURCHASE_ORDER,
        document(E.PURCHASE_ORDER, "PO-1", supplier, line(account="310", tax="INPUT")),
        document(E.PURCHASE_ORDER, "PO-2", supplier, line(account="310", tax="OUTPUT")),
    )
    assert good.outcome is Outcome.CREATED, good.message
    assert bad.outcome is Outcome.REJECTED
    assert bad.rule == "tax.purchase_mapped", bad.message
    assert "cannot be used with account code '310'" in bad.message
    client = party(xero)
    (sales,) = push(
        xero, E.INVOICE, document(E.INVOICE, "INV-9", client, line(account="200", tax="INPUT"))
    )
    assert sales.rule == "tax.mapped", sales.message


# --- 6. currency, due date, lock dates, archived contacts ------------------------------------------


def test_a_currency_the_organisation_has_not_added_is_refused_then_booked_at_the_given_rate(
    xero: XeroTarget,
) -> None:
    contact = party(xero)
    usd = document(E.INVOICE, "INV-US", contact, currency="USD", exchange_rate=D("1.5"))
    (refused,) = push(xero, E.INVOICE, usd)
    assert refused.outcome is Outcome.REJECTED and refused.rule == "currency.enabled"
    assert stored(xero, "Invoices", "InvoiceNumber", "INV-US") == []

    org(xero).enable_currency("USD", D("0.65"))
    (made,) = push(xero, E.INVOICE, replace(usd, key="INV-US:v2"))
    assert made.outcome is Outcome.CREATED, made.message
    (held,) = stored(xero, "Invoices", "InvoiceNumber", "INV-US")
    # 1.5 AUD per USD is Xero's 0.666667 USD per AUD.
    assert (held["CurrencyCode"], held["CurrencyRate"]) == ("USD", D("0.666667"))
    assert made.booked is not None and made.booked.currency == "USD"


def test_an_approved_invoice_without_a_due_date_is_refused_as_due_date_set(
    xero: XeroTarget,
) -> None:
    contact = party(xero)
    (result,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-N", contact, due_date=None))
    assert result.outcome is Outcome.REJECTED and result.rule == "document.due_date_set"
    assert result.fix == "booksync invoice edit INV-N --due DUE"


def test_a_document_dated_in_a_locked_period_is_refused_as_after_lock_date(
    xero: XeroTarget,
) -> None:
    contact = party(xero)
    org(xero).set_lock_dates(period=date(2026, 10, 31), end_of_year=date(2026, 6, 30))
    locked = document(E.INVOICE, "INV-L", contact, issue_date=date(2026, 10, 31))
    (result,) = push(xero, E.INVOICE, locked)
    assert result.outcome is Outcome.REJECTED and result.rule == "document.after_lock_date"
    assert "period lock date, currently set at 31-Oct-2026" in result.message
    (after,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-M", contact))  # 2 November
    assert after.outcome is Outcome.CREATED


def test_a_document_for_an_archived_contact_is_refused_as_contact_not_archived(
    xero: XeroTarget,
) -> None:
    archived = org(xero).add_contact("Gone Pty", archived=True, number="C-999999")
    (result,) = push(xero, E.INVOICE, document(E.INVOICE, "INV-G", archived["ContactID"]))
    assert result.outcome is Outcome.REJECTED and result.rule == "contact.not_archived"
    listed = {c.remote_id: c.active for c in xero.connector.contacts(xero.tenant)}
    assert listed[archived["ContactID"]] is False


# --- 7. settings ----------------------------------------------------------------------------------------


def test_settings_read_currencies_the_later_lock_date_terms_and_active_tracking(
    xero: XeroTarget,
) -> None:
    organisation = org(xero)
    organisation.enable_currency("USD")
    organisation.set_lock_dates(period=date(2026, 6, 30), end_of_year=date(2026, 3, 31))
    organisation.set_sales_terms(14)
    organisation.add_tracking_category("Region", ["North", "South"])
    organisation.add_tracking_category("Old", ["X"], status="ARCHIVED")
    assert isinstance(xero.connector, SettingsImport)
    settings = xero.connector.settings(xero.tenant)
    assert settings.currencies == frozenset({"AUD", "USD"})
    assert settings.lock_date == date(2026, 6, 30)
    assert settings.payment_terms == PaymentTerms(14, "DAYSAFTERBILLDATE")
    assert dict(settings.tracking_categories) == {"Region": ("North", "South")}
    assert settings.tool_settings["country"] == "AU"


# --- 8. tracking --------------------------------------------------------------------------------------


def test_tracking_goes_on_each_line_and_an_unknown_option_is_refused(xero: XeroTarget) -> None:
    org(xero).add_tracking_category("Region", ["North", "South"])
    contact = party(xero)
    good, bad = push(
        xero,
        E.INVOICE,
        document(E.INVOICE, "INV-T1", contact, line(tracking=(("Region", "North"),))),
        document(E.INVOICE, "INV-T2", contact, line(tracking=(("Region", "East"),))),
    )
    assert good.outcome is Outcome.CREATED, good.message
    (held,) = stored(xero, "Invoices", "InvoiceNumber", "INV-T1")
    assert [(t["Name"], t["Option"]) for t in held["LineItems"][0]["Tracking"]] == [
        ("Region", "North")
    ]
    assert bad.outcome is Outcome.REJECTED and bad.rule == "tracking.matches_tool", bad.message
