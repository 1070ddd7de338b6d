"""Money that settles an invoice: payments (PUT/POST /Payments, GET /Payments) and credit-note
allocations (PUT /CreditNotes/{CreditNoteID}/Allocations).

- A payment goes against an AUTHORISED invoice, from a bank account (or one with payments
  enabled), for at most its AmountDue; AmountPaid and AmountDue change and a fully paid invoice
  becomes PAID (spec Payment, tests/specs/xero/xero_accounting.yaml line 11589; "Invoice not of
  valid status for modification" once PAID, api-facts.md).
- An allocation applies part of an AUTHORISED credit note's RemainingCredit to an AUTHORISED
  invoice of the same side (ACCRECCREDIT to ACCREC) and contact: the invoice's AmountCredited goes
  up and AmountDue down (PAID at zero), the credit note's RemainingCredit down (PAID at zero); each
  shows the other (Invoice.CreditNotes with AppliedAmount, CreditNote.Allocations). Spec: line 6420
  (createCreditNoteAllocation, body and answer `Allocations`), Allocation line 21754 (Amount,
  Invoice, Date required). Xero's refusals, quoted in github.com/waynerobinson/xeroizer/issues/320:
  "The invoice you are trying to allocate to has already been paid off", "Credit Note cannot be
  allocated as amount is greater than amount outstanding", "Credit Note cannot be allocated to an
  incorrect invoice type"; the others below are the emulator's words.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Invalid, Problems
from booksync_emulators.xero.wire import decimal, parse_date, round_to

PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
TOO_MUCH = "Credit Note cannot be allocated as amount is greater than amount outstanding"
WRONG_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"
NOT_AUTHORISED = "{document} must be AUTHORISED to be {action}."
NOT_FOUND = "{document} with ID '{id}' could not be found."
AMOUNT_INVALID = "Amount '{value}' must be a number above 0."
OVERPAID = "Payment amount {amount} exceeds the amount due {due} on the invoice."
BAD_ACCOUNT = "Account '{code}' cannot be used for payments."
OTHER_CONTACT = "Credit Note and Invoice must be for the same contact."
ALREADY_DELETED = "This payment has already been deleted."
#: Credit note type -> the invoice type it may be allocated to.
SIDES = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def _amount(value: Any, problems: Problems) -> Decimal:
    try:
        amount = round_to(decimal(value, "Amount"), 2)
    except ValueError:
        amount = Decimal(0)
    if amount <= 0:
        problems.add(AMOUNT_INVALID.format(value=value))
    return amount


def _date(value: Any, default: date, problems: Problems) -> date:
    if value is None:
        return default
    try:
        return parse_date(value)
    except ValueError:
        problems.add(f"Date '{value}' is not a valid date (use YYYY-MM-DD).")
        return default


def _invoice(org: Org, ref: Any, problems: Problems) -> Record | None:
    invoice_id = str(ref.get("InvoiceID") or "") if isinstance(ref, dict) else ""
    invoice = org.collection("Invoices").get(invoice_id)
    if invoice is None:
        problems.add(NOT_FOUND.format(document="Invoice", id=invoice_id))
    return invoice


def settle(invoice: Record, amount: Decimal, paid_on: date, *, credited: bool) -> None:
    """Take `amount` off the invoice's AmountDue (as paid or credited); PAID when nothing is due."""
    invoice["AmountCredited" if credited else "AmountPaid"] += amount
    invoice["AmountDue"] -= amount
    if invoice["AmountDue"] == 0:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = paid_on


def save_payment(org: Org, element: dict[str, Any], now: datetime) -> Record:
    """Apply one payment element; raise `Invalid` (changing nothing) when Xero would refuse it."""
    problems = Problems()
    invoice = _invoice(org, element.get("Invoice"), problems)
    amount = _amount(element.get("Amount"), problems)
    paid_on = _date(element.get("Date"), now.date(), problems)
    given = element.get("Account")
    ref: dict[str, Any] = given if isinstance(given, dict) else {}
    code = str(ref.get("Code") or "")
    account = org.account(code) if code else org.accounts.get(str(ref.get("AccountID") or ""))
    if account is None or not (account["Type"] == "BANK" or account["EnablePaymentsToAccount"]):
        problems.add(BAD_ACCOUNT.format(code=code or ref.get("AccountID")))
    if invoice is not None and invoice["Status"] != "AUTHORISED":
        problems.add(NOT_AUTHORISED.format(document="Invoice", action="paid"))
    elif invoice is not None and amount > invoice["AmountDue"]:
        problems.add(OVERPAID.format(amount=amount, due=invoice["AmountDue"]))
    problems.raise_if_any()
    assert invoice is not None and account is not None
    payment: Record = {
        "PaymentID": str(uuid.uuid4()),
        "Date": paid_on,
        "Amount": amount,
        "Reference": str(element.get("Reference") or ""),
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
        "UpdatedDateUTC": now,
        "CurrencyRate": invoice.get("CurrencyRate", Decimal("1.000000")),
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice["Type"],
        },
    }
    settle(invoice, amount, paid_on, credited=False)
    invoice.setdefault("Payments", []).append(
        {"PaymentID": payment["PaymentID"], "Date": paid_on, "Amount": amount}
    )
    org.collection("Payments")[payment["PaymentID"]] = payment
    org.changed("Payments", payment, True, now)
    org.changed("Invoices", invoice, False, now)  # AmountPaid/AmountDue/Status moved
    return payment


def remove_payment(org: Org, payment_id: str, now: datetime) -> Record:
    """Delete a payment (POST /Payments/{PaymentID} `{"Status": "DELETED"}`, spec line 12211,
    body PaymentDelete line 23823): it stays listed as DELETED, and its invoice owes the amount
    again (AUTHORISED once more if it was PAID). Raises `Invalid` for an unknown or deleted one."""
    payment = org.collection("Payments").get(payment_id)
    if payment is None:
        raise Invalid([NOT_FOUND.format(document="Payment", id=payment_id)])
    if payment["Status"] == "DELETED":
        raise Invalid([ALREADY_DELETED])
    invoice = org.collection("Invoices").get(payment["Invoice"]["InvoiceID"])
    payment["Status"] = "DELETED"
    org.changed("Payments", payment, False, now)
    if invoice is not None:
        invoice["AmountPaid"] -= payment["Amount"]
        invoice["AmountDue"] += payment["Amount"]
        invoice["Payments"] = [
            p for p in invoice.get("Payments", []) if p["PaymentID"] != payment_id
        ]
        if invoice["Status"] == "PAID" and invoice["AmountDue"] > 0:
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        org.changed("Invoices", invoice, False, now)
    return payment


def allocate(
    org: Org, credit_note: Record, element: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply one allocation of `credit_note`; raise `Invalid` (changing nothing) when refused."""
    problems = Problems()
    invoice = _invoice(org, element.get("Invoice"), problems)
    amount = _amount(element.get("Amount"), problems)
    applied_on = _date(element.get("Date"), now.date(), problems)
    if credit_note["Status"] != "AUTHORISED":
        problems.add(NOT_AUTHORISED.format(document="Credit Note", action="allocated"))
    if invoice is not None:
        if SIDES.get(credit_note.get("Type", "")) != invoice["Type"]:
            problems.add(WRONG_TYPE)
        if invoice["Contact"]["ContactID"] != credit_note["Contact"]["ContactID"]:
            problems.add(OTHER_CONTACT)
        if invoice["Status"] == "PAID" or invoice["AmountDue"] == 0:
            problems.add(PAID_OFF)
        elif invoice["Status"] != "AUTHORISED":
            problems.add(NOT_AUTHORISED.format(document="Invoice", action="credited"))
        elif amount > invoice["AmountDue"] or amount > credit_note["RemainingCredit"]:
            problems.add(TOO_MUCH)
    problems.raise_if_any()
    assert invoice is not None
    allocation_id = str(uuid.uuid4())
    settle(invoice, amount, applied_on, credited=True)
    invoice.setdefault("CreditNotes", []).append(
        {
            "CreditNoteID": credit_note["CreditNoteID"],
            "CreditNoteNumber": credit_note.get("CreditNoteNumber", ""),
            "AppliedAmount": amount,
            "Total": credit_note["Total"],
            "Date": credit_note["Date"],
        }
    )
    credit_note["AmountCredited"] += amount
    credit_note["AmountDue"] -= amount
    credit_note["RemainingCredit"] = credit_note["AmountDue"]
    if credit_note["RemainingCredit"] == 0:
        credit_note["Status"] = "PAID"
    credit_note.setdefault("Allocations", []).append(
        {
            "AllocationID": allocation_id,
            "Amount": amount,
            "Date": applied_on,
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice["InvoiceNumber"],
            },
        }
    )
    org.changed("Invoices", invoice, False, now)
    org.changed("CreditNotes", credit_note, False, now)
    return {
        "AllocationID": allocation_id,
        "Amount": amount,
        "Date": applied_on,
        "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"]},
        "CreditNote": {"CreditNoteID": credit_note["CreditNoteID"]},
    }


def refused(element: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    """A refused element as Xero echoes it, with its ValidationErrors."""
    return {
        **element,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": m} for m in messages],
    }


__all__ = ["Invalid", "allocate", "refused", "remove_payment", "save_payment", "settle"]
