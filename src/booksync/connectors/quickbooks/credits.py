"""Applying a credit memo to the invoice it credits, so the invoice no longer shows the full amount
due.

QuickBooks Online applies a credit to an invoice through a payment: "you need to create a
zero-dollar payment, which is the link between the Credit Memo and the Invoice"
(https://docs.breadwinner.com/quickbooks/applying-credit-to-an-invoice; in the UI alike, "a $0
payment record is created to link the credit and the invoice", https://hub.acctivate.com/articles/
credit-applications-in-quickbooks-online). The Payment's lines each link one transaction
(`Line[].LinkedTxn[{TxnId, TxnType}]`, https://developer.intuit.com/app/developer/qbo/docs/api/
accounting/all-entities/payment): the invoice and the credit memo, for the same amount, the
smaller of what the credit has left and what the invoice still owes.

Idempotent: a payment already linking this credit memo and this invoice (found through the
invoice's `LinkedTxn`) means it is done; the create carries a `requestid` from the record version,
so a retry after a lost answer is replayed rather than applied twice.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.connectors.protocol import DocumentPayload, PushItem
from booksync.connectors.quickbooks.api import CompanyApi
from booksync.connectors.quickbooks.errors import fault_errors

ZERO = Decimal("0")


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except InvalidOperation:
        return ZERO


def _links(payment: dict[str, Any], txn_type: str, txn_id: str) -> bool:
    return any(
        link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id
        for line in payment.get("Line") or []
        for link in line.get("LinkedTxn") or []
    )


def allocate(api: CompanyApi, realm: str, item: PushItem, memo: dict[str, Any]) -> str | None:
    """Apply the credit memo `memo` (QuickBooks' answer) to its credited invoice; None when done
    or nothing to do, else why it could not be."""
    payload = item.payload
    if not isinstance(payload, DocumentPayload) or not payload.credited_remote_id:
        return None
    invoice_id, memo_id = payload.credited_remote_id, str(memo.get("Id"))
    invoice = api.get(realm, f"invoice/{invoice_id}").get("Invoice") or {}
    for link in invoice.get("LinkedTxn") or []:
        if link.get("TxnType") != "Payment":
            continue
        payment = api.get(realm, f"payment/{link.get('TxnId')}").get("Payment") or {}
        if _links(payment, "CreditMemo", memo_id):
            return None
    amount = min(
        _amount(memo.get("Balance", memo.get("TotalAmt"))), _amount(invoice.get("Balance"))
    )
    if amount <= 0:
        return None
    customer = (memo.get("CustomerRef") or {}).get("value")
    body = {
        "CustomerRef": {"value": customer},
        "TotalAmt": ZERO,
        "TxnDate": memo.get("TxnDate") or payload.issue_date.isoformat(),
        "PrivateNote": f"[booksync {payload.number}] applied to invoice {invoice_id}",
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]},
        ],
    }
    status, answer = api.operation(realm, "Payment", None, body, item.key + ":apply")
    errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
    api.forget(realm, "Invoice", invoice_id)
    api.forget(realm, "CreditMemo", memo_id)
    if status != 200 or errors:
        reason = "; ".join(str(e) for e in errors) or f"status {status}"
        return f"QuickBooks did not apply it to invoice {invoice_id}: {reason}"
    return None
