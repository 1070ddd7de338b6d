"""Payments, credit-note allocations and the online invoice in the Xero emulator (issue 11, point
10): what each does to the invoice's AmountDue and status, and what Xero refuses. Every exchange is
checked against Xero's OpenAPI spec by the fixture."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulators.conftest import XeroEmulatorHandle
from emulators.test_xero_emulator import body, invoice, line, messages, send

D = Decimal


def made(xero_emulator: XeroEmulatorHandle, path: str, collection: str, *docs: Any) -> list[Any]:
    answer = send(xero_emulator.client(), "PUT", path, {collection: list(docs)})
    assert answer.status_code == 200, answer.text
    return list(body(answer)[collection])


def credit_note(contact: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "ACCRECCREDIT",
        "Contact": {"Name": contact},
        "Date": "2026-11-03",
        "Status": "AUTHORISED",
        "LineItems": [line(amount)],
        **extra,
    }


def allocate(
    xero_emulator: XeroEmulatorHandle, credit_id: str, invoice_id: str, amount: str
) -> Any:
    allocation = {"Invoice": {"InvoiceID": invoice_id}, "Amount": D(amount), "Date": "2026-11-04"}
    return send(
        xero_emulator.client(),
        "PUT",
        f"/CreditNotes/{credit_id}/Allocations",
        {"Allocations": [allocation]},
    )


def test_payments_reduce_the_amount_due_and_a_full_one_makes_the_invoice_paid(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Payer"))
    http = xero_emulator.client()

    def pay(amount: str, account: str = "090") -> Any:
        payment = {
            "Invoice": {"InvoiceID": sale["InvoiceID"]},
            "Account": {"Code": account},
            "Date": "2026-11-10",
            "Amount": D(amount),
        }
        return send(http, "PUT", "/Payments", {"Payments": [payment]})

    assert body(pay("10.00"))["Payments"][0]["Amount"] == D("10.00")
    part = body(http.get(f"/Invoices/{sale['InvoiceID']}"))["Invoices"][0]
    assert (part["AmountPaid"], part["AmountDue"], part["Status"]) == (
        D("10.00"),
        D("100.00"),
        "AUTHORISED",
    )
    assert messages(body(pay("500.00"))["Elements"][0]) == [
        "Payment amount 500.00 exceeds the amount due 100.00 on the invoice."
    ]
    assert messages(body(pay("1.00", account="200"))["Elements"][0]) == [
        "Account '200' cannot be used for payments."
    ]
    assert pay("100.00").status_code == 200
    paid = body(http.get(f"/Invoices/{sale['InvoiceID']}"))["Invoices"][0]
    assert (paid["AmountDue"], paid["Status"], len(paid["Payments"])) == (D("0.00"), "PAID", 2)
    listed = body(http.get("/Payments"))["Payments"]
    assert [p["Amount"] for p in listed] == [D("10.00"), D("100.00")]
    assert [p["Invoice"]["InvoiceID"] for p in listed] == [sale["InvoiceID"]] * 2


def test_an_allocation_credits_the_invoice_and_spends_the_credit_note(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Acme"))
    (credit,) = made(xero_emulator, "/CreditNotes", "CreditNotes", credit_note("Acme", "30.00"))
    answer = allocate(xero_emulator, credit["CreditNoteID"], sale["InvoiceID"], "33.00")
    assert answer.status_code == 200, answer.text
    (allocation,) = body(answer)["Allocations"]
    assert allocation["Amount"] == D("33.00") and allocation["AllocationID"]
    http = xero_emulator.client()
    credited = body(http.get(f"/Invoices/{sale['InvoiceID']}"))["Invoices"][0]
    assert (credited["AmountCredited"], credited["AmountDue"]) == (D("33.00"), D("77.00"))
    assert [(c["CreditNoteID"], c["AppliedAmount"]) for c in credited["CreditNotes"]] == [
        (credit["CreditNoteID"], D("33.00"))
    ]
    spent = body(http.get(f"/CreditNotes/{credit['CreditNoteID']}"))["CreditNotes"][0]
    assert (spent["RemainingCredit"], spent["Status"]) == (D("0.00"), "PAID")
    assert [a["Amount"] for a in spent["Allocations"]] == [D("33.00")]
    # An invoice with a credit note allocated can no longer be edited or voided.
    edit = send(
        http, "POST", f"/Invoices/{sale['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]}
    )
    assert messages(body(edit)["Elements"][0]) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]


def test_allocations_xero_refuses(xero_emulator: XeroEmulatorHandle) -> None:
    sale, other = made(
        xero_emulator, "/Invoices", "Invoices", invoice("Acme"), invoice("Acme", line("1.00"))
    )
    draft, big = made(
        xero_emulator,
        "/CreditNotes",
        "CreditNotes",
        credit_note("Acme", "10.00", Status="DRAFT"),
        credit_note("Acme", "500.00"),
    )
    refused = body(allocate(xero_emulator, draft["CreditNoteID"], sale["InvoiceID"], "1.00"))
    assert messages(refused["Elements"][0]) == ["Credit Note must be AUTHORISED to be allocated."]
    too_much = body(allocate(xero_emulator, big["CreditNoteID"], sale["InvoiceID"], "200.00"))
    assert messages(too_much["Elements"][0]) == [
        "Credit Note cannot be allocated as amount is greater than amount outstanding"
    ]
    xero_emulator.org().pay(other["InvoiceID"])
    paid_off = body(allocate(xero_emulator, big["CreditNoteID"], other["InvoiceID"], "1.00"))
    assert messages(paid_off["Elements"][0]) == [
        "The invoice you are trying to allocate to has already been paid off"
    ]
    assert sale["AmountDue"] == D("110.00")


def test_the_online_invoice_url_is_there_for_approved_sales_invoices(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    approved, draft = made(
        xero_emulator, "/Invoices", "Invoices", invoice("A"), invoice("A", Status="DRAFT")
    )
    http = xero_emulator.client()
    online = body(http.get(f"/Invoices/{approved['InvoiceID']}/OnlineInvoice"))
    (url,) = [o["OnlineInvoiceUrl"] for o in online["OnlineInvoices"]]
    assert url.startswith("https://in.xero.com/")
    refused = http.get(f"/Invoices/{draft['InvoiceID']}/OnlineInvoice")
    assert refused.status_code == 400
    missing = http.get("/Invoices/00000000-0000-0000-0000-000000000000/OnlineInvoice")
    assert missing.status_code == 404
