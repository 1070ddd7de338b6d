"""Voiding: the transaction stays, worth nothing.

"When an invoice is voided, Invoice is not deleted but the following fields are updated: The
Invoice Amounts and Quantities are zeroed; PrivateNote is marked as "Voided""
(https://blogs.intuit.com/blog/2016/04/06/voiding-invoice-objects/, whose sample answer also shows
`TotalAmt` 0 and `TxnTaxDetail` `{"TotalTax": 0}`); the word is "prepended to existing text if
present" (https://brilliantconnect.com/functions/quickbooks_online-void_invoice; the separator is
the emulator's). The body is `Id` and the current `SyncToken` (5010 otherwise), and the answer is
the voided object with its SyncToken moved on.

Which entities: invoices (`POST /invoice?operation=void`), sales receipts and payments
(`?operation=update&include=void` with a sparse body, as python-quickbooks 0.9.12's VoidMixin
sends them). A credit memo has no void in the API (its documented operations are create, read,
query, update, delete, send and PDF): voiding one is 500 Unsupported Operation, as for any other
entity. Payments applied to a voided invoice are unlinked (`payments.unlink`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import company, errors, payments
from booksync_emulators.quickbooks.store import Realm, Record, stamp

VOIDABLE = frozenset({"Invoice", "SalesReceipt", "Payment"})
ZERO = Decimal("0.00")
VOIDED = "Voided"


def void(realm: Realm, entity: str, existing: Record, now: datetime) -> Record:
    """Void `existing` (its SyncToken already checked); raise `Fault` when it cannot be."""
    if entity not in VOIDABLE:
        raise errors.unsupported_operation(f"Operation Void is not supported for {entity}.")
    company.check_books_open(realm, entity, existing.get("TxnDate"))
    if entity == "Payment":
        payments.release(realm, existing, now)
        existing["Line"] = []
        existing["UnappliedAmt"] = ZERO
    else:
        payments.unlink(realm, entity, existing["Id"], now)
        for line in existing.get("Line") or []:
            _zero(line)
        existing["TxnTaxDetail"] = {"TotalTax": ZERO}
        if "Balance" in existing:
            existing["Balance"] = ZERO
    existing["TotalAmt"] = ZERO
    if "HomeTotalAmt" in existing:
        existing["HomeTotalAmt"] = ZERO
    note = str(existing.get("PrivateNote") or "")
    existing["PrivateNote"] = f"{VOIDED} - {note}" if note else VOIDED
    existing["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    return stamp(existing, now, created=False)


def _zero(line: dict[str, Any]) -> None:
    if "Amount" in line:
        line["Amount"] = ZERO
    detail = line.get(str(line.get("DetailType")))
    if isinstance(detail, dict):
        for key in ("Qty", "UnitPrice"):
            if key in detail:
                detail[key] = ZERO
