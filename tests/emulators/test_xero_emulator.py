"""The Xero emulator behaves like Xero where a connector can tell: limits, batches, idempotency,
validation, totals, tokens, connections, faults, and its command line.

Every exchange in these tests is also checked against Xero's OpenAPI specs by the fixture."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booksync_emulators.cli import main as cli_main
from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Exchange, Request, Response
from booksync_emulators.xero import XeroLimits
from booksync_emulators.xero.wire import dumps
from emulators.conftest import XeroEmulatorHandle
from emulators.openapi import check_exchange

D = Decimal


# --- helpers -----------------------------------------------------------------------------------------


def body(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


def send(http: httpx.Client, method: str, path: str, payload: Any, **kwargs: Any) -> httpx.Response:
    """Send a Xero JSON body with exact decimals (never floats)."""
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return http.request(method, path, content=dumps(payload), headers=headers, **kwargs)


def line(amount: str, account: str = "200", quantity: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "Description": "Service",
        "Quantity": D(quantity),
        "UnitAmount": D(amount),
        "AccountCode": account,
        **extra,
    }


def invoice(contact: str = "Acme Pty Ltd", *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "Type": "ACCREC",
        "Contact": {"Name": contact},
        "Date": "2026-11-02",
        "DueDate": "2026-12-02",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [line("100.00")],
        **extra,
    }


def messages(element: dict[str, Any]) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


# --- rate limits ----------------------------------------------------------------------------------


def test_minute_limit_counts_down_then_refuses_the_61st_call_until_the_minute_passes(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    remaining = []
    for _ in range(60):
        answer = http.get("/TaxRates")
        assert answer.status_code == 200
        remaining.append(int(answer.headers["X-MinLimit-Remaining"]))
    assert remaining == list(range(59, -1, -1))
    assert answer.headers["X-DayLimit-Remaining"] == "4940"
    assert answer.headers["X-AppMinLimit-Remaining"] == "9940"

    refused = http.get("/TaxRates")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["Retry-After"] == "60"
    assert xero_emulator.client(tenant=1).get("/TaxRates").status_code == 200  # per tenant

    xero_emulator.clock.advance(59)
    assert http.get("/TaxRates").status_code == 429
    xero_emulator.clock.advance(1)
    again = http.get("/TaxRates")
    assert again.status_code == 200
    assert again.headers["X-MinLimit-Remaining"] == "59"
    assert again.headers["X-DayLimit-Remaining"] == "4939"  # the refused calls did not count


def test_day_limit_refuses_with_problem_day_until_the_first_call_leaves_the_24_hours(
    xero_emulator_factory: Any,
) -> None:
    emulator = xero_emulator_factory(limits=XeroLimits(per_day=5))
    http = emulator.client()
    for _ in range(5):
        assert http.get("/Accounts").status_code == 200
        emulator.clock.advance(61)  # a minute apart, so the minute limit never bites
    refused = http.get("/Accounts")
    assert (refused.status_code, refused.headers["X-Rate-Limit-Problem"]) == (429, "day")
    assert refused.headers["Retry-After"] == str(86_400 - 5 * 61)
    assert refused.headers["X-DayLimit-Remaining"] == "0"

    emulator.clock.advance(86_400 - 5 * 61)
    form = {"grant_type": "refresh_token", "refresh_token": emulator.tenants[0].refresh_token}
    tokens = httpx.post(
        emulator.token_url, data=form, auth=(emulator.client_id, emulator.client_secret)
    ).json()
    again = httpx.get(
        emulator.accounting_url + "/Accounts",
        headers=emulator.headers(0, token=tokens["access_token"]),
    )
    assert (again.status_code, again.headers["X-DayLimit-Remaining"]) == (
        200,
        "0",
    )  # 4 still in the window


def test_sixth_concurrent_call_to_a_tenant_is_refused_while_five_are_in_flight(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    gate = xero_emulator.faults.hold(5)
    results: list[int] = []

    def call() -> None:
        with httpx.Client(
            base_url=xero_emulator.accounting_url, headers=xero_emulator.headers(0)
        ) as http:
            results.append(http.get("/Accounts").status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    try:
        assert gate.wait_for_waiting(5), "five calls should be held in flight"
        assert xero_emulator.emulator.limiter.in_flight(xero_emulator.tenants[0].tenant_id) == 5
        refused = xero_emulator.client().get("/Accounts")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert xero_emulator.client(tenant=1).get("/Accounts").status_code == 200
    finally:
        gate.release()
        for thread in threads:
            thread.join(5)
    assert results == [200] * 5


# --- batches ------------------------------------------------------------------------------------------


def test_summarize_errors_false_answers_every_element_with_its_own_status(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    batch = {
        "Contacts": [
            {"Name": "Alpha Ltd", "ContactNumber": "C-1"},
            {"Name": "ALPHA LTD"},
            {"Name": "Gamma Ltd", "ContactNumber": "C-1"},
            {"Name": "Beta Ltd", "EmailAddress": "not-an-email"},
            {"Name": "Delta Ltd", "EmailAddress": "ap@delta.example"},
        ]
    }
    answer = send(
        xero_emulator.client(), "PUT", "/Contacts", batch, params={"summarizeErrors": "false"}
    )
    assert answer.status_code == 200
    elements = body(answer)["Contacts"]
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "ERROR", "ERROR", "OK"]
    assert messages(elements[1]) == [
        "The contact name ALPHA LTD is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    ]
    assert messages(elements[2]) == [
        "Another contact has this contact number. Please enter a different contact number."
    ]
    assert messages(elements[3]) == ["Email address must be valid."]
    assert (
        elements[1]["HasValidationErrors"] is True and elements[0]["HasValidationErrors"] is False
    )
    names = sorted(c["Name"] for c in xero_emulator.org().collection("Contacts").values())
    assert names == ["Alpha Ltd", "Delta Ltd"]


def test_summarized_batch_answers_400_with_only_the_failures_yet_saves_the_valid_elements(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    batch = {
        "Invoices": [
            invoice("Acme"),
            invoice("Acme", line("10.00", account="999")),
            invoice("Bolt"),
        ]
    }
    answer = send(xero_emulator.client(), "PUT", "/Invoices", batch)
    assert answer.status_code == 400
    error = body(answer)
    assert (error["ErrorNumber"], error["Type"]) == (10, "ValidationException")
    assert len(error["Elements"]) == 1
    assert messages(error["Elements"][0]) == [
        "Account code '999' is not a valid code for this document."
    ]
    assert error["Elements"][0]["HasErrors"] is True
    saved = xero_emulator.org().collection("Invoices").values()
    assert sorted(i["InvoiceNumber"] for i in saved) == ["INV-0001", "INV-0002"]


def test_an_empty_batch_and_broken_json_are_refused_with_xeros_exceptions(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    empty = send(http, "PUT", "/Items", {"Items": []})
    assert (empty.status_code, body(empty)["Type"]) == (400, "NoDataProcessedException")
    with xero_emulator.spec_violations_expected():
        broken = http.put(
            "/Items", content=b'{"Items": [', headers={"Content-Type": "application/json"}
        )
    assert (broken.status_code, body(broken)["Type"]) == (400, "PostDataInvalidException")


# --- idempotency -----------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_replays_the_first_answer_without_a_second_invoice(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    key = {"Idempotency-Key": "invoice-17-v1"}
    first = send(http, "PUT", "/Invoices", {"Invoices": [invoice()]}, headers=key)
    second = send(http, "PUT", "/Invoices", {"Invoices": [invoice()]}, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(xero_emulator.org().collection("Invoices")) == 1
    assert second.headers["X-MinLimit-Remaining"] == "58"  # a replay still counts

    other = send(
        http, "PUT", "/Invoices", {"Invoices": [invoice(Reference="changed")]}, headers=key
    )
    assert other.status_code == 400
    assert "already used with a different request" in body(other)["Message"]
    assert len(xero_emulator.org().collection("Invoices")) == 1


def test_an_idempotency_key_is_forgotten_after_six_minutes(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    key = {"Idempotency-Key": "contact-9"}
    send(http, "PUT", "/Items", {"Items": [{"Code": "SVC-1"}]}, headers=key)
    xero_emulator.clock.advance(359)
    replay = send(http, "PUT", "/Items", {"Items": [{"Code": "SVC-1"}]}, headers=key)
    assert replay.status_code == 200
    xero_emulator.clock.advance(1)
    fresh = send(http, "PUT", "/Items", {"Items": [{"Code": "SVC-1"}]}, headers=key)
    assert fresh.status_code == 400  # processed again: the code now exists
    assert messages(body(fresh)["Elements"][0]) == ["Item code 'SVC-1' already exists."]


def test_a_write_whose_answer_was_lost_is_applied_and_its_retry_replays_it(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    key = {"Idempotency-Key": "invoice-18-v1"}
    xero_emulator.faults.timeout_after_commit()
    with pytest.raises(httpx.RemoteProtocolError):
        send(http, "PUT", "/Invoices", {"Invoices": [invoice()]}, headers=key)
    stored = list(xero_emulator.org().collection("Invoices").values())
    assert len(stored) == 1

    retry = send(http, "PUT", "/Invoices", {"Invoices": [invoice()]}, headers=key)
    assert retry.status_code == 200
    assert body(retry)["Invoices"][0]["InvoiceID"] == stored[0]["InvoiceID"]
    assert len(xero_emulator.org().collection("Invoices")) == 1


# --- validation rules -------------------------------------------------------------------------------


def test_contact_names_are_unique_among_active_contacts_only(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    first = body(send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "Acme"}]}))["Contacts"][0]
    clash = send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "acme"}]})
    assert clash.status_code == 400
    archived = send(
        http,
        "POST",
        f"/Contacts/{first['ContactID']}",
        {"Contacts": [{"ContactStatus": "ARCHIVED"}]},
    )
    assert body(archived)["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    assert send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "Acme"}]}).status_code == 200
    revived = send(
        http,
        "POST",
        "/Contacts",
        {"Contacts": [{"ContactID": first["ContactID"], "ContactStatus": "ACTIVE"}]},
    )
    assert revived.status_code == 400
    assert "must be unique across all active contacts" in messages(body(revived)["Elements"][0])[0]
    listed = body(http.get("/Contacts"))["Contacts"]
    assert [c["ContactStatus"] for c in listed] == ["ACTIVE"]
    with_archived = body(http.get("/Contacts", params={"includeArchived": "true"}))["Contacts"]
    assert len(with_archived) == 2


def test_item_codes_are_required_unique_and_at_most_30_characters(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    assert (
        send(
            http, "PUT", "/Items", {"Items": [{"Code": "X" * 30, "Name": "Managed service"}]}
        ).status_code
        == 200
    )
    with xero_emulator.spec_violations_expected():
        long = send(http, "PUT", "/Items", {"Items": [{"Code": "Y" * 31}]})
    assert long.status_code == 400
    assert messages(body(long)["Elements"][0]) == ["Code must not be longer than 30 characters."]
    duplicate = send(http, "PUT", "/Items", {"Items": [{"Code": "x" * 30}]})
    assert messages(body(duplicate)["Elements"][0]) == [f"Item code '{'x' * 30}' already exists."]
    updated = send(http, "POST", "/Items", {"Items": [{"Code": "X" * 30, "Name": "Renamed"}]})
    assert body(updated)["Items"][0]["Name"] == "Renamed"
    assert len(xero_emulator.org().collection("Items")) == 1


def test_unknown_account_codes_and_tax_types_are_refused_per_tenant(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    au, nz = xero_emulator.client(0), xero_emulator.client(1)
    bad = {
        "Invoices": [
            invoice("A", line("10.00", account="999")),
            invoice("B", line("10.00", TaxType="BOGUS")),
            invoice("C", line("10.00", account="400", TaxType="OUTPUT")),
            invoice("D", line("10.00", account="090")),
        ]
    }
    elements = body(send(au, "PUT", "/Invoices", bad, params={"summarizeErrors": "false"}))[
        "Invoices"
    ]
    assert [messages(e) for e in elements] == [
        ["Account code '999' is not a valid code for this document."],
        ["The TaxType code BOGUS does not exist or cannot be used for this type of transaction."],
        ["The TaxType code 'OUTPUT' cannot be used with account code '400'."],
        ["Account code '090' is not a valid code for this document."],
    ]
    nz_answer = send(
        nz, "PUT", "/Invoices", {"Invoices": [invoice("E", line("10.00", TaxType="OUTPUT"))]}
    )
    assert messages(body(nz_answer)["Elements"][0]) == [
        "The TaxType code OUTPUT does not exist or cannot be used for this type of transaction."
    ]
    assert (
        send(
            nz, "PUT", "/Invoices", {"Invoices": [invoice("E", line("10.00", TaxType="OUTPUT2"))]}
        ).status_code
        == 200
    )
    item = send(
        au,
        "PUT",
        "/Items",
        {"Items": [{"Code": "SVC", "SalesDetails": {"AccountCode": "999", "TaxType": "NOPE"}}]},
    )
    assert messages(body(item)["Elements"][0]) == [
        "Account code '999' does not exist or cannot be applied to Items.",
        "The TaxType code NOPE does not exist or cannot be used for this type of transaction.",
    ]
    assert xero_emulator.org(0).collection("Invoices") == {}


def test_invoice_tax_is_computed_per_line_at_two_decimals(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    three = invoice("Acme", line("0.33"), line("0.33"), line("0.33"))
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [three]}))["Invoices"][0]
    assert [li["TaxAmount"] for li in saved["LineItems"]] == [D("0.03")] * 3
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"]) == (
        D("0.99"),
        D("0.09"),
        D("1.08"),
    )
    assert saved["AmountDue"] == D("1.08")

    inclusive = invoice(
        "Acme", line("10.00"), line("0.25", quantity="3"), LineAmountTypes="Inclusive"
    )
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [inclusive]}))["Invoices"][0]
    assert [li["TaxAmount"] for li in saved["LineItems"]] == [D("0.91"), D("0.07")]
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"]) == (
        D("9.77"),
        D("0.98"),
        D("10.75"),
    )

    discounted = invoice("Acme", line("19.99", quantity="3", DiscountRate=D("10")))
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [discounted]}))["Invoices"][0]
    assert (saved["LineItems"][0]["LineAmount"], saved["TotalTax"], saved["TotalDiscount"]) == (
        D("53.97"),
        D("5.40"),
        D("6.00"),
    )

    four_dp = invoice("Acme", line("1.2345", quantity="3"))
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [four_dp]}, params={"unitdp": 4}))[
        "Invoices"
    ][0]
    assert (saved["LineItems"][0]["UnitAmount"], saved["LineItems"][0]["LineAmount"]) == (
        D("1.2345"),
        D("3.70"),
    )
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [four_dp]}))["Invoices"][0]
    assert (saved["LineItems"][0]["UnitAmount"], saved["LineItems"][0]["LineAmount"]) == (
        D("1.23"),
        D("3.69"),
    )

    nz = body(
        send(
            xero_emulator.client(1),
            "PUT",
            "/Invoices",
            {"Invoices": [invoice("Kiwi", line("19.99"))]},
        )
    )
    assert (nz["Invoices"][0]["TotalTax"], nz["Invoices"][0]["CurrencyCode"]) == (D("3.00"), "NZD")
    stored = xero_emulator.org(1).find("Invoices", "InvoiceNumber", "INV-0001")
    assert stored is not None and stored["Total"] == D("22.99")


def test_a_paid_invoice_cannot_be_edited_and_a_part_paid_one_neither(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    first, second = body(
        send(http, "PUT", "/Invoices", {"Invoices": [invoice("A"), invoice("B")]})
    )["Invoices"]
    org = xero_emulator.org()
    org.pay(first["InvoiceID"])
    org.pay(second["InvoiceID"], D("10.00"))
    paid = send(
        http, "POST", f"/Invoices/{first['InvoiceID']}", {"Invoices": [{"Reference": "late edit"}]}
    )
    assert paid.status_code == 400
    assert messages(body(paid)["Elements"][0]) == ["Invoice not of valid status for modification"]
    part = send(
        http,
        "POST",
        "/Invoices",
        {"Invoices": [{"InvoiceID": second["InvoiceID"], "Reference": "x"}]},
    )
    assert messages(body(part)["Elements"][0]) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    fetched = body(http.get(f"/Invoices/{first['InvoiceID']}"))["Invoices"][0]
    assert (fetched["Status"], fetched["AmountDue"], fetched["AmountPaid"]) == (
        "PAID",
        D("0.00"),
        D("110.00"),
    )
    assert "Reference" not in org.collection("Invoices")[first["InvoiceID"]]


def test_invoice_numbers_are_unique_and_post_by_number_updates_in_place(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    assert (
        send(http, "PUT", "/Invoices", {"Invoices": [invoice(InvoiceNumber="B-100")]}).status_code
        == 200
    )
    again = send(http, "PUT", "/Invoices", {"Invoices": [invoice(InvoiceNumber="B-100")]})
    assert messages(body(again)["Elements"][0]) == ["Invoice # must be unique."]
    edit = send(
        http,
        "POST",
        "/Invoices",
        {"Invoices": [{"InvoiceNumber": "B-100", "LineItems": [line("250.00")]}]},
    )
    assert body(edit)["Invoices"][0]["Total"] == D("275.00")
    assert len(xero_emulator.org().collection("Invoices")) == 1
    found = body(http.get("/Invoices", params={"InvoiceNumbers": "B-100"}))["Invoices"]
    assert [i["Total"] for i in found] == [D("275.00")]


def test_invoice_status_follows_xeros_workflow(xero_emulator: XeroEmulatorHandle) -> None:
    http = xero_emulator.client()
    saved = body(send(http, "PUT", "/Invoices", {"Invoices": [invoice()]}))["Invoices"][0]
    path = f"/Invoices/{saved['InvoiceID']}"
    deleted = send(http, "POST", path, {"Invoices": [{"Status": "DELETED"}]})
    assert messages(body(deleted)["Elements"][0]) == [
        "Invoice status cannot change from AUTHORISED to DELETED."
    ]
    assert (
        body(send(http, "POST", path, {"Invoices": [{"Status": "VOIDED"}]}))["Invoices"][0][
            "Status"
        ]
        == "VOIDED"
    )
    locked = send(http, "POST", path, {"Invoices": [{"Reference": "x"}]})
    assert messages(body(locked)["Elements"][0]) == ["Invoice not of valid status for modification"]
    undated = {k: v for k, v in invoice().items() if k != "DueDate"}
    no_due = send(http, "PUT", "/Invoices", {"Invoices": [undated]})
    assert messages(body(no_due)["Elements"][0]) == ["The document DueDate field must be specified"]
    draft = send(http, "PUT", "/Invoices", {"Invoices": [{**undated, "Status": "DRAFT"}]})
    assert draft.status_code == 200


def test_credit_notes_purchase_orders_and_quotes_are_numbered_and_validated(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    credit = {
        "Type": "ACCRECCREDIT",
        "Contact": {"Name": "Acme"},
        "Status": "AUTHORISED",
        "LineItems": [line("50.00")],
    }
    note = body(send(http, "PUT", "/CreditNotes", {"CreditNotes": [credit]}))["CreditNotes"][0]
    assert (note["CreditNoteNumber"], note["Total"], note["RemainingCredit"]) == (
        "CN-0001",
        D("55.00"),
        D("55.00"),
    )

    order = {
        "Contact": {"Name": "Parts Co"},
        "Date": "2026-11-02",
        "LineItems": [line("80.00", account="310")],
    }
    saved = body(send(http, "PUT", "/PurchaseOrders", {"PurchaseOrders": [order]}))[
        "PurchaseOrders"
    ][0]
    assert (saved["PurchaseOrderNumber"], saved["TotalTax"], saved["Status"]) == (
        "PO-0001",
        D("8.00"),
        "DRAFT",
    )
    assert saved["LineItems"][0]["TaxType"] == "INPUT"
    wrong = {**order, "LineItems": [line("80.00", account="310", TaxType="OUTPUT")]}
    refused = send(http, "PUT", "/PurchaseOrders", {"PurchaseOrders": [wrong]})
    assert messages(body(refused)["Elements"][0]) == [
        "The TaxType code 'OUTPUT' cannot be used with account code '310'."
    ]
    by_number = body(http.get("/PurchaseOrders/PO-0001"))["PurchaseOrders"][0]
    assert by_number["PurchaseOrderID"] == saved["PurchaseOrderID"]

    quote = {
        "Contact": {"Name": "Acme"},
        "Date": "2026-11-02",
        "LineAmountTypes": "INCLUSIVE",
        "LineItems": [line("110.00")],
    }
    saved = body(send(http, "PUT", "/Quotes", {"Quotes": [quote]}))["Quotes"][0]
    assert (saved["QuoteNumber"], saved["LineAmountTypes"], saved["TotalTax"]) == (
        "QU-0001",
        "INCLUSIVE",
        D("10.00"),
    )
    accepted = send(
        http, "POST", f"/Quotes/{saved['QuoteID']}", {"Quotes": [{"Status": "ACCEPTED"}]}
    )
    assert messages(body(accepted)["Elements"][0]) == [
        "Quote status cannot change from DRAFT to ACCEPTED."
    ]
    customer = xero_emulator.org().contact_named("Acme")
    supplier = xero_emulator.org().contact_named("Parts Co")
    assert customer is not None and customer["IsCustomer"] is True
    assert (
        supplier is not None and supplier["IsSupplier"] is False
    )  # a purchase order is not a bill


# --- reading --------------------------------------------------------------------------------------


def test_lookups_by_where_number_code_and_pages(xero_emulator: XeroEmulatorHandle) -> None:
    http = xero_emulator.client()
    contacts = [{"Name": f"Client {n}", "ContactNumber": f"C-{n}"} for n in range(1, 4)]
    send(http, "PUT", "/Contacts", {"Contacts": contacts})
    found = body(http.get("/Contacts", params={"where": 'ContactNumber=="C-2"'}))["Contacts"]
    assert [c["Name"] for c in found] == ["Client 2"]
    found = body(
        http.get(
            "/Contacts",
            params={"where": 'Name.ToLower().Contains("client") AND ContactNumber!="C-1"'},
        )
    )
    assert [c["ContactNumber"] for c in found["Contacts"]] == ["C-2", "C-3"]
    first = body(http.get("/Contacts", params={"page": 1, "pageSize": 2, "order": "Name DESC"}))
    assert [c["Name"] for c in first["Contacts"]] == ["Client 3", "Client 2"]
    assert first["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    assert [
        c["Name"]
        for c in body(
            http.get("/Contacts", params={"page": 2, "pageSize": 2, "order": "Name DESC"})
        )["Contacts"]
    ] == ["Client 1"]
    assert body(http.get("/Contacts/C-3"))["Contacts"][0]["Name"] == "Client 3"
    bad = http.get("/Contacts", params={"where": 'Name=="unterminated'})
    assert (bad.status_code, body(bad)["Type"]) == (400, "QueryParseException")

    send(
        http, "PUT", "/Items", {"Items": [{"Code": "MS-01", "Name": "Managed"}, {"Code": "MS-02"}]}
    )
    assert [
        i["Code"] for i in body(http.get("/Items", params={"where": 'Code=="MS-02"'}))["Items"]
    ] == ["MS-02"]

    send(http, "PUT", "/Invoices", {"Invoices": [invoice("Client 1")]})
    listed = body(http.get("/Invoices"))["Invoices"][0]
    paged = body(http.get("/Invoices", params={"page": 1}))["Invoices"][0]
    assert "LineItems" not in listed and len(paged["LineItems"]) == 1
    assert body(http.get("/Invoices", params={"Statuses": "DRAFT"}))["Invoices"] == []
    with (
        xero_emulator.spec_violations_expected()
    ):  # Xero reads /Invoices/{InvoiceNumber}; the spec has only the uuid
        by_number = http.get("/Invoices/INV-0001")
    assert body(by_number)["Invoices"][0]["InvoiceID"] == listed["InvoiceID"]


def test_if_modified_since_returns_only_records_changed_after_it(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "Old"}]})
    xero_emulator.clock.advance(600)
    send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "New"}]})
    changed = http.get("/Contacts", headers={"If-Modified-Since": "2026-11-02T09:05:00Z"})
    assert [c["Name"] for c in body(changed)["Contacts"]] == ["New"]


def test_each_tenant_starts_with_its_regions_chart_and_tax_rates(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    au, nz = xero_emulator.client(0), xero_emulator.client(1)
    au_rates = {r["TaxType"]: r["EffectiveRate"] for r in body(au.get("/TaxRates"))["TaxRates"]}
    nz_rates = {r["TaxType"]: r["EffectiveRate"] for r in body(nz.get("/TaxRates"))["TaxRates"]}
    assert (au_rates["OUTPUT"], au_rates["INPUT"], nz_rates["OUTPUT2"]) == (
        D("10"),
        D("10"),
        D("15"),
    )
    assert "OUTPUT" not in nz_rates
    revenue = body(au.get("/Accounts", params={"where": 'Type=="REVENUE" AND Status=="ACTIVE"'}))[
        "Accounts"
    ]
    assert [a["Code"] for a in revenue] == ["200", "260", "270"]
    org = body(nz.get("/Organisation"))["Organisations"][0]
    assert (org["BaseCurrency"], org["Version"]) == ("NZD", "NZ")


# --- tokens and connections -------------------------------------------------------------------------


def test_access_tokens_expire_after_30_virtual_minutes(xero_emulator: XeroEmulatorHandle) -> None:
    http = xero_emulator.client()
    xero_emulator.clock.advance(1799)
    assert http.get("/Accounts").status_code == 200
    xero_emulator.clock.advance(1)
    expired = http.get("/Accounts")
    assert expired.status_code == 401
    assert body(expired)["Detail"].startswith("TokenExpired: token expired at ")
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    unknown = httpx.get(
        xero_emulator.accounting_url + "/Accounts", headers=xero_emulator.headers(token="nonsense")
    )
    assert (unknown.status_code, body(unknown)["Detail"]) == (401, "AuthenticationUnsuccessful")


def test_a_revoked_connection_answers_403_and_leaves_other_tenants_alone(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    first = xero_emulator.tenants[0]
    auth = {"Authorization": f"Bearer {first.access_token}"}
    listed = httpx.get(xero_emulator.connections_url, headers=auth).json()
    assert [(c["tenantId"], c["id"]) for c in listed] == [(first.tenant_id, first.connection_id)]
    gone = httpx.delete(f"{xero_emulator.connections_url}/{first.connection_id}", headers=auth)
    assert gone.status_code == 204
    refused = xero_emulator.client(0).get("/Accounts")
    assert (refused.status_code, body(refused)["Detail"]) == (403, "AuthenticationUnsuccessful")
    assert httpx.get(xero_emulator.connections_url, headers=auth).json() == []
    assert (
        httpx.delete(
            f"{xero_emulator.connections_url}/{first.connection_id}", headers=auth
        ).status_code
        == 404
    )
    assert xero_emulator.client(1).get("/Accounts").status_code == 200
    with xero_emulator.spec_violations_expected():
        no_tenant = httpx.get(
            xero_emulator.accounting_url + "/Accounts",
            headers={"Authorization": auth["Authorization"]},
        )
    assert no_tenant.status_code == 403


def test_refresh_tokens_rotate_and_the_old_one_answers_the_same_for_30_minutes(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    seeded = xero_emulator.tenants[0]
    credentials = (xero_emulator.client_id, xero_emulator.client_secret or "")

    def refresh(token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return httpx.post(xero_emulator.token_url, data=form, auth=credentials)

    xero_emulator.clock.advance(1800)
    first = refresh(seeded.refresh_token or "")
    assert first.status_code == 200
    tokens = first.json()
    assert (tokens["expires_in"], tokens["token_type"]) == (1800, "Bearer")
    assert tokens["refresh_token"] != seeded.refresh_token
    fresh_headers = xero_emulator.headers(0, token=tokens["access_token"])
    assert (
        httpx.get(xero_emulator.accounting_url + "/Accounts", headers=fresh_headers).status_code
        == 200
    )

    xero_emulator.clock.advance(29 * 60)
    retried = refresh(seeded.refresh_token or "")
    assert retried.status_code == 200
    assert retried.json()["refresh_token"] == tokens["refresh_token"]
    xero_emulator.clock.advance(61)
    late = refresh(seeded.refresh_token or "")
    assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")
    assert refresh(tokens["refresh_token"]).status_code == 200
    wrong_secret = httpx.post(
        xero_emulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(credentials[0], "bad"),
    )
    assert wrong_secret.json()["error"] == "invalid_client"


def test_authorize_redirects_with_a_code_that_only_the_pkce_verifier_redeems(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    redirect = "http://127.0.0.1:9/callback"
    params = {
        "response_type": "code",
        "client_id": xero_emulator.client_id,
        "redirect_uri": redirect,
        "scope": "openid offline_access accounting.transactions accounting.contacts accounting.settings",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = httpx.get(xero_emulator.authorize_url, params=params, follow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]

    def redeem(proof: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": proof,
            "client_id": xero_emulator.client_id,
        }
        return httpx.post(xero_emulator.token_url, data=form)

    assert redeem("wrong-verifier").json()["error"] == "invalid_grant"
    tokens = redeem(verifier)
    assert (
        tokens.status_code == 200
        and {"access_token", "refresh_token", "id_token"} <= tokens.json().keys()
    )
    assert redeem(verifier).json()["error"] == "invalid_grant"  # a code is used once
    auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    tenants = {c["tenantId"] for c in httpx.get(xero_emulator.connections_url, headers=auth).json()}
    assert tenants == {t.tenant_id for t in xero_emulator.tenants}
    headers = {**auth, "xero-tenant-id": xero_emulator.tenants[1].tenant_id}
    assert (
        httpx.get(xero_emulator.accounting_url + "/Organisation", headers=headers).status_code
        == 200
    )


# --- fault switches ------------------------------------------------------------------------------------


def test_fault_switches_fail_storm_and_drop_the_calls_they_arm(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    http = xero_emulator.client()
    xero_emulator.faults.fail_next(2, status=503, retry_after=5)
    assert [http.get("/Accounts").status_code for _ in range(3)] == [503, 503, 200]
    xero_emulator.faults.fail_next(1, status=500, methods=["PUT"])
    assert http.get("/Accounts").status_code == 200
    assert send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "A"}]}).status_code == 500
    assert xero_emulator.org().contact_named("A") is None  # a gateway 5xx applies nothing

    before = int(http.get("/Accounts").headers["X-MinLimit-Remaining"])
    xero_emulator.faults.rate_limit_storm(3, retry_after=7)
    storm = [http.get("/Accounts") for _ in range(3)]
    assert {
        (r.status_code, r.headers["Retry-After"], r.headers["X-Rate-Limit-Problem"]) for r in storm
    } == {(429, "7", "minute")}
    assert (
        int(http.get("/Accounts").headers["X-MinLimit-Remaining"]) == before - 1
    )  # the storm did not count

    xero_emulator.faults.timeout_after_commit(delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        send(http, "PUT", "/Contacts", {"Contacts": [{"Name": "Slow Ltd"}]}, timeout=0.2)
    assert xero_emulator.org().contact_named("Slow Ltd") is not None
    kinds = [f.kind.value for f in xero_emulator.faults.fired]
    assert kinds == ["error", "error", "error"] + ["rate_limit"] * 3 + ["timeout_after_commit"]
    assert xero_emulator.faults.armed == 0


# --- the shared clock -------------------------------------------------------------------------------


def test_a_virtual_clock_stands_still_until_advanced_and_a_real_one_follows_time() -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    virtual = VirtualClock(start)
    time.sleep(0.01)
    assert (virtual.now(), virtual.utcnow()) == (0.0, start)
    virtual.sleep(30)
    virtual.advance(timedelta(minutes=1))
    assert virtual.utcnow() == start + timedelta(seconds=90)
    with pytest.raises(ValueError, match="never goes back"):
        virtual.advance(-1)
    real = VirtualClock.real()
    before = real.now()
    time.sleep(0.02)
    assert real.now() - before >= 0.02
    jumped = real.advance(1800)
    assert jumped - datetime.now(UTC) > timedelta(minutes=29)


# --- the spec check itself --------------------------------------------------------------------------


def test_the_spec_check_catches_answers_that_break_the_spec() -> None:
    request = Request.build(
        "GET", "/api.xro/2.0/Invoices", {"xero-tenant-id": "t", "Authorization": "Bearer x"}
    )
    limits = {
        "X-DayLimit-Remaining": "1",
        "X-MinLimit-Remaining": "1",
        "X-AppMinLimit-Remaining": "1",
    }
    bad_enum = Response.json(200, '{"Invoices": [{"Type": "BOGUS"}]}', limits)
    _, problems = check_exchange(Exchange(request, bad_enum, True))
    assert any("BOGUS" in p for p in problems)
    bare_429 = Response.json(429, '{"Title": "x", "Status": 429, "Detail": "y"}')
    _, problems = check_exchange(Exchange(request, bare_429, True))
    assert any("Retry-After" in p for p in problems) and any(
        "X-MinLimit-Remaining" in p for p in problems
    )
    no_bearer = Request.build("GET", "/api.xro/2.0/Invoices", {"xero-tenant-id": "t"})
    request_problems, _ = check_exchange(
        Exchange(no_bearer, Response.json(200, '{"Invoices": []}', limits), True)
    )
    assert request_problems and "Security not found" in request_problems[0]


# --- command line ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_command_starts_an_emulator_and_prints_a_token_that_works() -> None:
    script = Path(sys.executable).with_name("booksync-emulator")
    process = subprocess.Popen(
        [str(script), "xero", "--port", "0", "--tenants", "2", "--region", "AU,UK"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        printed = []
        assert process.stdout is not None
        for text in process.stdout:
            printed.append(text)
            if text.startswith("Press Ctrl+C"):
                break
        output = "".join(printed)
        fields = dict(re.findall(r"^([A-Za-z ]+): (\S+)", output, re.MULTILINE))
        tenants = re.findall(r"^Tenant: (\S+) (.+) (\w{3})$", output, re.MULTILINE)
        assert [currency for _, _, currency in tenants] == ["AUD", "GBP"], output
        headers = {
            "Authorization": f"Bearer {fields['Access token']}",
            "xero-tenant-id": tenants[1][0],
        }
        answer = httpx.get(fields["Accounting API"] + "/Organisation", headers=headers)
        assert answer.status_code == 200
        assert answer.json()["Organisations"][0]["Name"] == tenants[1][1]
        connections = httpx.get(
            fields["Connections"], headers={"Authorization": headers["Authorization"]}
        )
        assert len(connections.json()) == 2
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_the_command_refuses_a_bad_port_naming_what_it_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["xero", "--port", "eighty"])
    assert exit_info.value.code == 2
    assert "'eighty' is not a port: use 0-65535" in capsys.readouterr().err


def test_the_command_says_so_when_its_port_is_taken(
    xero_emulator: XeroEmulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = str(xero_emulator.server.port)
    assert cli_main(["xero", "--port", taken]) == 2
    assert f"cannot listen on 127.0.0.1:{taken}" in capsys.readouterr().err
