"""Writing a payment booksync recorded to QuickBooks Online, once (`PaymentPush`).

- POST /payment (ReceivePayment, https://developer.intuit.com/app/developer/qbo/docs/api/
  accounting/all-entities/payment): the invoice's customer (`CustomerRef`, read from the invoice),
  `TotalAmt`, `TxnDate`, the account the money went to (`DepositToAccountRef`, booksync's account
  code mapped to the company's Account Id as documents' are), and one line linking the invoice
  (`Line[{Amount, LinkedTxn: [{TxnId, TxnType: "Invoice"}]}]`). booksync's reference goes in
  `PaymentRefNum` (as much of it as QuickBooks keeps, 21 characters) and whole in `PrivateNote`.
- Once: the request carries a `requestid` made from the payment's key alone, so a POST repeated
  after a lost answer is answered from QuickBooks' memory ("repeat returns original response",
  api-facts.md), whatever else changed meanwhile.
- `find` after a lost answer: the invoice's `LinkedTxn` names the Payments applied to it; the one
  whose PrivateNote carries booksync's reference (or whose PaymentRefNum is it) is booksync's.
  (PaymentRefNum is not among the Payment fields the emulator lets a query filter on, and no
  Intuit page found says it is, so the invoice leads to its payments instead: two reads.)
- Only invoices are paid this way: money refunded on a credit memo is a RefundReceipt, which
  booksync does not write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from booksync.connectors.protocol import ConnectorError
from booksync.connectors.quickbooks.api import IDS_PER_READ, json_of, literal, request_id
from booksync.connectors.quickbooks.errors import fault_errors
from booksync.connectors.quickbooks.states import linked_payments, payment_of
from booksync.connectors.two_way import PaymentPayload, RemotePayment
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.quickbooks.two_way import QuickBooksTwoWay

MAX_REF_NUM = 21


def marker(reference: str) -> str:
    """What booksync writes in the PrivateNote, and finds its payment by."""
    return f"[booksync payment {reference}]"


def _invoice(qbo: QuickBooksTwoWay, realm: str, payment: PaymentPayload) -> dict[str, Any]:
    if payment.document_entity is not EntityType.INVOICE:
        raise ConnectorError(
            f"payment {payment.reference}: document type '{payment.document_entity.value}' cannot "
            "be paid in QuickBooks by booksync; accepted: invoice (a credit memo's refund is a "
            "RefundReceipt, which booksync does not write)"
        )
    path = f"invoice/{quote(payment.document_remote_id, safe='')}"
    invoice = qbo.api.get(realm, path).get("Invoice")
    if not isinstance(invoice, dict) or not invoice.get("Id"):
        raise ConnectorError(
            f"payment {payment.reference}: invoice {payment.document_remote_id} is not in "
            "QuickBooks"
        )
    return invoice


def body(qbo: QuickBooksTwoWay, realm: str, payment: PaymentPayload) -> dict[str, Any]:
    """The Payment to create, for the invoice as QuickBooks holds it."""
    invoice = _invoice(qbo, realm, payment)
    customer = (invoice.get("CustomerRef") or {}).get("value")
    if payment.amount <= 0:
        raise ConnectorError(
            f"payment {payment.reference}: amount {payment.amount} is not accepted; "
            "QuickBooks takes a payment above 0"
        )
    account = qbo.refs(realm).account(payment.account_code)
    if account is None:
        account = qbo.refs(realm, again=True).account(payment.account_code)
    if account is None:
        raise ConnectorError(
            f"payment {payment.reference}: account code '{payment.account_code}' is not an "
            "active account of this company; accepted: the number or name of a Bank (or Other "
            "Current Asset) account"
        )
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": payment.amount,
        "TxnDate": payment.paid_on.isoformat(),
        "PaymentRefNum": payment.reference[:MAX_REF_NUM],
        "PrivateNote": marker(payment.reference),
        "DepositToAccountRef": {"value": account},
        "Line": [
            {
                "Amount": payment.amount,
                "LinkedTxn": [{"TxnId": payment.document_remote_id, "TxnType": "Invoice"}],
            }
        ],
    }


def push(qbo: QuickBooksTwoWay, realm: str, payment: PaymentPayload) -> RemotePayment:
    """Create the payment; raise ConnectorError with QuickBooks' words when it refuses it."""
    sent = body(qbo, realm, payment)
    api = qbo.api
    response = api.http.request(
        "POST",
        api.url(realm, "payment"),
        params={
            "requestid": request_id([payment.key], "payment"),
            "minorversion": api.minor_version,
        },
        json_body=sent,
        auth=api.auth,
        tenant=realm,
        idempotent=True,
    )
    answer = json_of(response)
    errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
    made = answer.get("Payment") if isinstance(answer, dict) else None
    if response.status_code != 200 or errors or not isinstance(made, dict):
        reason = "; ".join(str(e) for e in errors) or f"status {response.status_code}"
        raise ConnectorError(f"QuickBooks refused payment {payment.reference}: {reason}")
    api.forget(realm, "Invoice", payment.document_remote_id)
    found = payment_of(made, "Invoice", payment.document_remote_id, payment.reference)
    if found is None:
        raise ConnectorError(
            f"QuickBooks' answer to payment {payment.reference} does not apply it to invoice "
            f"{payment.document_remote_id}"
        )
    return found


def find(qbo: QuickBooksTwoWay, realm: str, payment: PaymentPayload) -> RemotePayment | None:
    """booksync's payment under this reference on this invoice, if QuickBooks has it."""
    invoice = _invoice(qbo, realm, payment)
    ids = linked_payments(invoice)
    for start in range(0, len(ids), IDS_PER_READ):
        listed = ", ".join(literal(i) for i in ids[start : start + IDS_PER_READ])
        for row in qbo.api.query(realm, "Payment", f"Id IN ({listed})"):
            note = str(row.get("PrivateNote") or "")
            if marker(payment.reference) in note or row.get("PaymentRefNum") == payment.reference:
                made = payment_of(row, "Invoice", payment.document_remote_id, payment.reference)
                if made is not None:
                    return made
    return None


__all__ = ["body", "find", "marker", "push"]
