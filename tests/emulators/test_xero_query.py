"""The Xero emulator reads lists as Xero documents them (issue 11, point 10): `where` with a single
`=` and a lower-case `guid("...")`, `Status=="PAID"`, UpdatedDateUTC order by default, and a
pageSize outside 1..1,000 adjusted rather than refused. Every exchange is checked against the spec.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from emulators.conftest import XeroEmulatorHandle
from emulators.test_xero_emulator import body, invoice, line, send

D = Decimal


def three_invoices(xero_emulator: XeroEmulatorHandle) -> list[dict[str, object]]:
    http = xero_emulator.client()
    made = []
    for number, amount in (("Q-1", "10.00"), ("Q-2", "20.00"), ("Q-3", "30.00")):
        sent = invoice(f"Client {number}", line(amount), InvoiceNumber=number)
        made.append(body(send(http, "PUT", "/Invoices", {"Invoices": [sent]}))["Invoices"][0])
        xero_emulator.clock.advance(timedelta(seconds=5))
    return made


def test_where_takes_a_single_equals_and_guid_in_any_case(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    first, second, _ = three_invoices(xero_emulator)
    http = xero_emulator.client()
    single = body(http.get("/Invoices", params={"where": 'InvoiceNumber = "Q-2"'}))["Invoices"]
    assert [i["InvoiceID"] for i in single] == [second["InvoiceID"]]
    contact = first["Contact"]["ContactID"]  # type: ignore[index]
    for spelling in ("guid", "Guid", "GUID"):
        where = f'Contact.ContactID={spelling}("{contact}")'
        found = body(http.get("/Invoices", params={"where": where}))["Invoices"]
        assert [i["InvoiceID"] for i in found] == [first["InvoiceID"]], spelling


def test_status_paid_filters_what_a_payment_settled(xero_emulator: XeroEmulatorHandle) -> None:
    first, _, _ = three_invoices(xero_emulator)
    xero_emulator.org().pay(str(first["InvoiceID"]))
    http = xero_emulator.client()
    paid = body(http.get("/Invoices", params={"where": 'Status=="PAID"'}))["Invoices"]
    assert [i["InvoiceNumber"] for i in paid] == ["Q-1"]
    unpaid = body(http.get("/Invoices", params={"where": 'Status="AUTHORISED"'}))["Invoices"]
    assert [i["InvoiceNumber"] for i in unpaid] == ["Q-2", "Q-3"]


def test_lists_come_in_updated_date_order_unless_order_says_otherwise(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    first, _, _ = three_invoices(xero_emulator)
    http = xero_emulator.client()
    # Editing the first makes it the most recently updated: it moves to the end.
    edit = send(
        http, "POST", f"/Invoices/{first['InvoiceID']}", {"Invoices": [{"Reference": "late"}]}
    )
    assert edit.status_code == 200
    listed = body(http.get("/Invoices"))["Invoices"]
    assert [i["InvoiceNumber"] for i in listed] == ["Q-2", "Q-3", "Q-1"]
    ordered = body(http.get("/Invoices", params={"order": "InvoiceNumber DESC"}))["Invoices"]
    assert [i["InvoiceNumber"] for i in ordered] == ["Q-3", "Q-2", "Q-1"]


def test_a_page_size_out_of_range_is_adjusted_not_refused(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    three_invoices(xero_emulator)
    http = xero_emulator.client()
    for size, expected in (("0", 100), ("-5", 100), ("5000", 1000), ("2", 2)):
        answer = http.get("/Invoices", params={"page": 1, "pageSize": size})
        assert answer.status_code == 200, size
        assert body(answer)["pagination"]["pageSize"] == expected, size
    assert body(http.get("/Invoices", params={"page": 2, "pageSize": 2}))["pagination"] == {
        "page": 2,
        "pageSize": 2,
        "pageCount": 2,
        "itemCount": 3,
    }


def test_unit_amounts_are_read_at_two_decimals_unless_unitdp_4(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    sent = invoice("Per GB", line("0.0125", quantity="1000"))
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [sent]}, params={"unitdp": 4}))
    invoice_id = saved["Invoices"][0]["InvoiceID"]
    assert saved["Invoices"][0]["LineItems"][0]["UnitAmount"] == D("0.0125")
    assert saved["Invoices"][0]["Total"] == D("13.75")
    plain = body(http.get(f"/Invoices/{invoice_id}"))["Invoices"][0]
    assert plain["LineItems"][0]["UnitAmount"] == D("0.01")  # shown at 2 dp; booked at 4
    assert plain["Total"] == D("13.75")
    exact = body(http.get(f"/Invoices/{invoice_id}", params={"unitdp": 4}))["Invoices"][0]
    assert exact["LineItems"][0]["UnitAmount"] == D("0.0125")
    # Without unitdp=4 on the write, Xero keeps 2 decimals: 1,000 x 0.01 = 10.00 + 1.00 tax.
    rounded = body(send(http, "PUT", "/Invoices", {"Invoices": [sent]}))["Invoices"][0]
    assert (rounded["LineItems"][0]["UnitAmount"], rounded["Total"]) == (D("0.01"), D("11.00"))
