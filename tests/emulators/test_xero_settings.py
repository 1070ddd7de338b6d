"""The Xero emulator's organisation settings and what they refuse (issue 11): Organisation with
lock dates and payment terms, Currencies, TrackingCategories; documents in a currency not added,
dated in a locked period, for an archived contact, with tracking the organisation lacks, and creates
that never update. Every exchange is checked against Xero's OpenAPI spec by the fixture.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from emulators.conftest import XeroEmulatorHandle
from emulators.test_xero_emulator import body, invoice, line, messages, send

D = Decimal


def put(xero_emulator: XeroEmulatorHandle, *invoices: dict[str, Any]) -> list[dict[str, Any]]:
    answer = send(
        xero_emulator.client(),
        "PUT",
        "/Invoices",
        {"Invoices": list(invoices)},
        params={"summarizeErrors": "false"},
    )
    assert answer.status_code == 200
    return list(body(answer)["Invoices"])


def test_organisation_shows_lock_dates_and_sales_terms_only_once_set(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    before = body(http.get("/Organisation"))["Organisations"][0]
    assert "PeriodLockDate" not in before and before["PaymentTerms"] == {}
    org = xero_emulator.org()
    org.set_lock_dates(period=date(2026, 9, 30), end_of_year=date(2026, 6, 30))
    org.set_sales_terms(20, "OFFOLLOWINGMONTH")
    after = body(http.get("/Organisation"))["Organisations"][0]
    assert after["PeriodLockDate"] == "/Date(1790726400000+0000)/"  # 2026-09-30
    assert after["EndOfYearLockDate"] == "/Date(1782777600000+0000)/"  # 2026-06-30
    assert after["PaymentTerms"] == {"Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"}}


def test_currencies_list_the_base_currency_and_those_added(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    assert body(http.get("/Currencies"))["Currencies"] == [
        {"Code": "AUD", "Description": "Australian Dollar"}
    ]
    xero_emulator.org().enable_currency("USD")
    codes = [c["Code"] for c in body(http.get("/Currencies"))["Currencies"]]
    assert codes == ["AUD", "USD"]
    only = body(http.get("/Currencies", params={"where": 'Code=="USD"'}))["Currencies"]
    assert [c["Code"] for c in only] == ["USD"]


def test_a_currency_not_added_is_refused_and_an_added_one_keeps_its_rate(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    (refused,) = put(xero_emulator, invoice("Yank Co", CurrencyCode="USD"))
    assert messages(refused) == ["Organisation is not subscribed to currency USD"]
    xero_emulator.org().enable_currency("USD", D("0.65"))
    given, daily = put(
        xero_emulator,
        invoice("Yank Co", CurrencyCode="USD", CurrencyRate=D("0.7012345")),
        invoice("Yank Co", CurrencyCode="USD"),
    )
    assert (given["CurrencyCode"], given["CurrencyRate"]) == ("USD", D("0.701235"))
    assert daily["CurrencyRate"] == D("0.650000")
    (base,) = put(xero_emulator, invoice("Local Co", CurrencyRate=D("3")))
    assert base["CurrencyRate"] == D("1.000000")


def test_tracking_categories_list_active_ones_unless_archived_are_asked_for(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    org = xero_emulator.org()
    region = org.add_tracking_category("Region", ["North", "South"])
    org.add_tracking_category("Old", ["X"], status="ARCHIVED")
    http = xero_emulator.client()
    listed = body(http.get("/TrackingCategories"))["TrackingCategories"]
    assert [(c["Name"], [o["Name"] for o in c["Options"]]) for c in listed] == [
        ("Region", ["North", "South"])
    ]
    everything = body(http.get("/TrackingCategories", params={"includeArchived": "true"}))
    assert [c["Name"] for c in everything["TrackingCategories"]] == ["Region", "Old"]
    one = body(http.get(f"/TrackingCategories/{region['TrackingCategoryID']}"))
    assert one["TrackingCategories"][0]["Name"] == "Region"


def test_line_tracking_is_checked_against_the_organisations_categories(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    org = xero_emulator.org()
    org.add_tracking_category("Region", ["North", "South"])
    org.add_tracking_category("Team", ["Ops"])
    org.add_tracking_category("Dept", ["A"])
    good, unknown, too_many = put(
        xero_emulator,
        invoice("A", line("10.00", Tracking=[{"Name": "Region", "Option": "North"}])),
        invoice("A", line("10.00", Tracking=[{"Name": "Region", "Option": "East"}])),
        invoice(
            "A",
            line(
                "10.00",
                Tracking=[
                    {"Name": "Region", "Option": "North"},
                    {"Name": "Team", "Option": "Ops"},
                    {"Name": "Dept", "Option": "A"},
                ],
            ),
        ),
    )
    (tracked,) = good["LineItems"][0]["Tracking"]
    assert (tracked["Name"], tracked["Option"]) == ("Region", "North")
    assert tracked["TrackingCategoryID"] and tracked["TrackingOptionID"]
    assert messages(unknown) == [
        "Tracking option 'East' does not exist or is not active in category 'Region'."
    ]
    assert messages(too_many) == ["A line item can have at most 2 tracking categories."]


def test_lock_dates_refuse_approved_documents_on_or_before_them_but_not_drafts(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    xero_emulator.org().set_lock_dates(period=date(2026, 10, 31), end_of_year=date(2026, 11, 2))
    locked, draft, later = put(
        xero_emulator,
        invoice("A", Date="2026-10-31"),
        invoice("A", Date="2026-10-31", Status="DRAFT"),
        invoice("A", Date="2026-11-03"),
    )
    assert messages(locked) == [
        "The document date cannot be before the period lock date, currently set at 31-Oct-2026",
        "The document date cannot be before the end of year lock date, currently set at "
        "02-Nov-2026",
    ]
    assert draft["Status"] == "DRAFT" and later["Status"] == "AUTHORISED"


def test_an_archived_contact_gets_no_new_invoice(xero_emulator: XeroEmulatorHandle) -> None:
    archived = xero_emulator.org().add_contact("Gone Pty", archived=True)
    (refused,) = put(
        xero_emulator,
        {**invoice(), "Contact": {"ContactID": archived["ContactID"]}},
    )
    assert messages(refused) == [
        "The contact with the specified contact details has been archived. The contact must be "
        "un-archived before creating new invoices or credit notes."
    ]
    contacts = body(xero_emulator.client().get("/Contacts", params={"includeArchived": "true"}))
    assert [c["ContactStatus"] for c in contacts["Contacts"]] == ["ARCHIVED"]


def test_a_put_never_updates_an_invoice_with_the_same_number(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    (theirs,) = put(xero_emulator, invoice("Bookkeeper's client", InvoiceNumber="INV-0042"))
    (mine,) = put(xero_emulator, invoice("Someone else", line("10.00"), InvoiceNumber="INV-0042"))
    assert messages(mine) == ["Invoice # must be unique."]
    (held,) = [
        r
        for r in xero_emulator.org().collection("Invoices").values()
        if r["InvoiceNumber"] == "INV-0042"
    ]
    assert (held["InvoiceID"], held["Total"]) == (theirs["InvoiceID"], D("110.00"))
