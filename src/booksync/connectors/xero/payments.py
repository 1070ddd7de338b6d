"""Writing a payment booksync recorded to Xero, once (`PaymentPush`).

- PUT /Payments ("Creates multiple payments for invoices or credit notes", tests/specs/xero/
  xero_accounting.yaml line 11589 on) with `summarizeErrors=false`, so a refusal comes back on the
  element with its ValidationErrors, and `Idempotency-Key` = the payment's key (at most 128
  characters, api-facts.md): a PUT repeated after a lost answer is replayed by Xero, not applied
  twice. The element names the invoice (or a credit note, for a refund) by id, the account by its
  Code, the amount, date and booksync's reference (the spec's Payment: Invoice, CreditNote,
  Account, Date, Amount, Reference; xero-node's sample names `Account: {Code: '200'}` likewise,
  app.unpkg.com/xero-node@2.5.3/files/docs/Payments.md).
- `find` looks for it after a lost answer: GET /Payments with a `where` on Reference and the
  document's id (Xero's own MCP server filters payments by invoice id and reference the same way,
  github.com/XeroAPI/xero-mcp-server `list-payments`); a DELETED payment does not count.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from booksync.connectors.protocol import ConnectorError
from booksync.connectors.two_way import PaymentPayload, RemotePayment
from booksync.connectors.xero import answers
from booksync.connectors.xero.states import payment_answer
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.xero.two_way import XeroTwoWay

#: What a payment can pay in Xero: the document's reference in the element, and its id field.
TARGETS = {
    EntityType.INVOICE: ("Invoice", "InvoiceID"),
    EntityType.CREDIT_NOTE: ("CreditNote", "CreditNoteID"),
}
MAX_REFERENCE = 255


def _target(payment: PaymentPayload) -> tuple[str, str]:
    target = TARGETS.get(payment.document_entity)
    if target is None:
        accepted = ", ".join(e.value for e in TARGETS)
        raise ConnectorError(
            f"payment {payment.reference}: document type '{payment.document_entity.value}' cannot "
            f"be paid in Xero; accepted: {accepted}"
        )
    return target


def idempotency_key(key: str) -> str:
    """The payment's key as Xero's Idempotency-Key (a digest of it when longer than 128)."""
    if len(key) <= answers.MAX_KEY:
        return key
    return "bs-pay-" + hashlib.sha256(key.encode()).hexdigest()


def element(payment: PaymentPayload) -> dict[str, Any]:
    """The Payment element for PUT /Payments."""
    reference, id_field = _target(payment)
    if payment.amount <= 0:
        raise ConnectorError(
            f"payment {payment.reference}: amount {payment.amount} is not accepted; "
            "Xero takes a payment above 0"
        )
    if not payment.account_code:
        raise ConnectorError(
            f"payment {payment.reference}: no account code; Xero needs the bank account's Code"
        )
    return {
        reference: {id_field: payment.document_remote_id},
        "Account": {"Code": payment.account_code},
        "Amount": payment.amount,
        "Date": payment.paid_on.isoformat(),
        "Reference": payment.reference[:MAX_REFERENCE],
    }


def push(xero: XeroTwoWay, tenant: str, payment: PaymentPayload) -> RemotePayment:
    """Create the payment; raise ConnectorError with Xero's words when it refuses it."""
    body = {"Payments": [element(payment)]}
    answer, response = xero.write(
        tenant,
        "PUT",
        "Payments",
        body,
        {"summarizeErrors": "false"},
        idempotency_key(payment.key),
    )
    rows = answers.elements(answer, "Payments") or []
    problems = [m for row in rows for m in answers.messages(row)] or (
        answers.messages(answer) if response.status_code == 400 else []
    )
    if response.status_code == 400 or problems or len(rows) != 1:
        reason = "; ".join(problems) or f"status {response.status_code}, {len(rows)} elements"
        raise ConnectorError(f"Xero refused payment {payment.reference}: {reason}")
    made = payment_answer(rows[0], payment.document_remote_id)
    if made is None:
        raise ConnectorError(f"Xero's answer to payment {payment.reference} has no PaymentID")
    return made


def find(xero: XeroTwoWay, tenant: str, payment: PaymentPayload) -> RemotePayment | None:
    """The live payment booksync made under this reference on this document, if Xero has one."""
    reference, id_field = _target(payment)
    where = (
        f"Reference=={answers.where_string(payment.reference[:MAX_REFERENCE])} AND "
        f"{reference}.{id_field}==guid({answers.where_string(payment.document_remote_id)})"
    )
    for row in xero.collection(tenant, "Payments", "Payments", {"where": where}):
        linked = row.get(reference)
        if not isinstance(linked, dict) or linked.get(id_field) != payment.document_remote_id:
            continue
        made = payment_answer(row, payment.document_remote_id)
        if made is not None and made.active:
            return made
    return None


__all__ = ["element", "find", "idempotency_key", "push"]
