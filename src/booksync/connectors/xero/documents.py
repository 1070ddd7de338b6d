"""Writing documents to Xero: creates that never update, updates by id, voids as Xero allows them,
credit notes allocated to the invoice they credit, and what Xero booked for each.

- A create is a PUT, which only creates ("Creates one or more sales invoices or purchase bills",
  tests/specs/xero/xero_accounting.yaml line 7591); POST is "Updates or creates" (line 7945) and
  would update someone else's document that has the same number. So a number Xero already has is
  refused ("Invoice # must be unique.", github.com/freakboy3742/pyxero/issues/328) and maps to
  `document.number_free`. An update is a POST naming the document's id.
- Every write says `unitdp=4`, so booksync's four-decimal unit prices arrive as they are ("By
  default, the API accepts unit prices (UnitAmount) to two decimals places", developer.xero.com/
  documentation/api-guides/rounding-in-xero; the `unitdp` parameter, line 19779).
- A void is a status change ("voiding and deleting invoices is achieved by updating the invoice to
  have the desired status", github.com/XeroAPI/Xero-NetStandard/issues/79), sent with the id and
  the status only (github.com/freakboy3742/pyxero/issues/189). Only a DRAFT or SUBMITTED invoice or
  credit note can be DELETED, an AUTHORISED one is VOIDED ("Allows you to delete draft invoices /
  Allows you to void approved invoices", developer.xero.com/documentation/api/invoices), so the
  status is chosen from the document's status in Xero, read first. A document never created in
  Xero is never sent as voided.
- An AUTHORISED credit note that credits an invoice is allocated to it (PUT
  /CreditNotes/{id}/Allocations, line 6420) for the smaller of its remaining credit and the
  invoice's amount due, unless the invoice already lists it (Invoice.CreditNotes), so a repeated
  push never allocates twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from booksync.connectors.protocol import (
    Booked,
    ConnectorError,
    DocumentPayload,
    Outcome,
    PushItem,
    PushResult,
)
from booksync.connectors.wire import dumps
from booksync.connectors.xero import answers, mapping
from booksync.connectors.xero.app import BATCH
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.xero.connector import XeroConnector

#: Invoice and credit note statuses that may still be DELETED; anything later is VOIDED.
DELETABLE = frozenset({"DRAFT", "SUBMITTED"})
#: Statuses that need no void: the document is gone already.
GONE = frozenset({"VOIDED", "DELETED"})
#: Ids per status read (a GET with `IDs=` or a `where` of ORs).
READ_CHUNK = 25

Ready = tuple[int, PushItem, dict[str, Any]]


def push_documents(
    xero: XeroConnector, tenant: str, entity: EntityType, items: Sequence[PushItem]
) -> list[PushResult]:
    """One result per item, in order: creates by PUT, updates and voids by POST."""
    results: dict[int, PushResult] = {}
    creates: list[Ready] = []
    updates: list[Ready] = []
    voids: list[tuple[int, PushItem]] = []
    for index, item in enumerate(items):
        payload = item.payload
        if item.entity is not entity or not isinstance(payload, DocumentPayload):
            message = f"a {item.entity.label} cannot be pushed in a {entity.label} batch"
            results[index] = PushResult(item.key, Outcome.REJECTED, item.remote_id, message)
        elif payload.status == "voided":
            if item.remote_id:
                voids.append((index, item))
            else:
                results[index] = PushResult(
                    item.key,
                    Outcome.REJECTED,
                    None,
                    f"{entity.label} {item.reference} is voided and was never in Xero: there is "
                    "nothing to void, so it is not sent",
                )
        else:
            try:
                element = mapping.to_xero(item)
            except mapping.MappingError as exc:
                results[index] = PushResult(
                    item.key, Outcome.REJECTED, item.remote_id, str(exc), exc.rule, exc.fix
                )
                continue
            (updates if item.remote_id else creates).append((index, item, element))
    updates.extend(_void_elements(xero, tenant, entity, voids, results))
    for method, ready in (("PUT", creates), ("POST", updates)):
        for start in range(0, len(ready), BATCH):
            chunk = ready[start : start + BATCH]
            answered = send(xero, tenant, entity, chunk, method)
            for (index, _, _), result in zip(chunk, answered, strict=True):
                results[index] = result
    if entity is EntityType.CREDIT_NOTE:
        for index, item in enumerate(items):
            results[index] = _allocated(xero, tenant, item, results[index])
    return [results[i] for i in range(len(items))]


def send(
    xero: XeroConnector, tenant: str, entity: EntityType, chunk: list[Ready], method: str
) -> list[PushResult]:
    """One write request; each element's result, with what Xero booked for the accepted ones."""
    params = {"summarizeErrors": "false", "unitdp": "4"}
    results, answered = xero.write_chunk(tenant, entity, chunk, method, params)
    if not answered:
        return results
    return [
        replace(r, booked=booked(a)) if r.outcome in (Outcome.CREATED, Outcome.UPDATED) else r
        for r, a in zip(results, answered, strict=True)
    ]


def booked(answered: dict[str, Any]) -> Booked:
    """What Xero says it booked: total, tax, line count, contact, currency and status."""
    contact = answered.get("Contact")
    lines = answered.get("LineItems")
    return Booked(
        total=money(answered.get("Total")),
        tax=money(answered.get("TotalTax")),
        line_count=len(lines) if isinstance(lines, list) else None,
        contact_remote_id=str(contact["ContactID"])
        if isinstance(contact, dict) and contact.get("ContactID")
        else None,
        currency=str(answered["CurrencyCode"]) if answered.get("CurrencyCode") else None,
        status=str(answered["Status"]) if answered.get("Status") else None,
    )


def money(value: Any) -> Decimal | None:
    """A money figure of Xero's answer; None where it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# --- voids ------------------------------------------------------------------------------------------


def _void_elements(
    xero: XeroConnector,
    tenant: str,
    entity: EntityType,
    voids: list[tuple[int, PushItem]],
    results: dict[int, PushResult],
) -> list[Ready]:
    """The status-only element for each void; a document already gone needs no call at all."""
    if not voids:
        return []
    endpoint = mapping.ENDPOINTS[entity]
    current: dict[str, dict[str, Any]] = {}
    if entity in (EntityType.INVOICE, EntityType.CREDIT_NOTE):
        current = current_documents(xero, tenant, entity, [i.remote_id or "" for _, i in voids])
    ready: list[Ready] = []
    for index, item in voids:
        assert item.remote_id is not None
        now = current.get(item.remote_id)
        state = str(now.get("Status")) if now else None
        if entity in (EntityType.INVOICE, EntityType.CREDIT_NOTE):
            if now is None:
                results[index] = PushResult(
                    item.key,
                    Outcome.REJECTED,
                    item.remote_id,
                    f"{entity.label} {item.reference} ({item.remote_id}) is not in Xero any more",
                )
                continue
            if state in GONE:
                results[index] = PushResult(
                    item.key, Outcome.UPDATED, item.remote_id, booked=booked(now), response=now
                )
                continue
            target = "DELETED" if state in DELETABLE else "VOIDED"
        else:  # purchase orders and quotes are DELETED at any stage Xero lets them be
            target = "DELETED"
        ready.append((index, item, {endpoint.id_field: item.remote_id, "Status": target}))
    return ready


def current_documents(
    xero: XeroConnector, tenant: str, entity: EntityType, remote_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The invoices (by `IDs=`, spec line 7364) or credit notes (by a `where` of ids) as Xero has
    them now, keyed by id."""
    endpoint = mapping.ENDPOINTS[entity]
    found: dict[str, dict[str, Any]] = {}
    wanted = list(dict.fromkeys(r for r in remote_ids if r))
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        if entity is EntityType.INVOICE:
            params = {"IDs": ",".join(chunk), "unitdp": "4"}
        else:
            where = " OR ".join(f'{endpoint.id_field}==guid("{r}")' for r in chunk)
            params = {"where": where, "unitdp": "4"}
        for row in xero.collection(tenant, endpoint.path, endpoint.collection, params):
            if row.get(endpoint.id_field):
                found[str(row[endpoint.id_field])] = row
    return found


# --- credit note allocations ------------------------------------------------------------------------


def _allocated(xero: XeroConnector, tenant: str, item: PushItem, result: PushResult) -> PushResult:
    """`result`, after allocating its credit note to the invoice it credits when it should be."""
    payload = item.payload
    if (
        not isinstance(payload, DocumentPayload)
        or not payload.credited_remote_id
        or result.outcome not in (Outcome.CREATED, Outcome.UPDATED)
        or not result.remote_id
        or result.booked is None
        or result.booked.status != "AUTHORISED"
    ):
        return result
    try:
        note = allocate(xero, tenant, result.remote_id, payload, result.response)
    except ConnectorError as exc:
        note = f"not yet allocated to the invoice it credits: {exc}"
    if not note:
        return result
    message = f"{result.message}; {note}" if result.message else note
    return replace(result, message=message)


def allocate(
    xero: XeroConnector,
    tenant: str,
    credit_note_id: str,
    payload: DocumentPayload,
    answered: Any,
) -> str:
    """Allocate the credit note to `payload.credited_remote_id`; a word on what happened, or ""."""
    invoice_id = payload.credited_remote_id
    assert invoice_id is not None
    invoices = current_documents(xero, tenant, EntityType.INVOICE, [invoice_id])
    invoice = invoices.get(invoice_id)
    if invoice is None:
        return f"not allocated: the invoice it credits ({invoice_id}) is not in Xero"
    already = {str(c.get("CreditNoteID")) for c in invoice.get("CreditNotes") or []}
    if credit_note_id in already:
        return ""
    due = money(invoice.get("AmountDue")) or Decimal(0)
    answer = answered if isinstance(answered, dict) else {}
    remaining = money(answer.get("RemainingCredit"))
    if remaining is None:
        remaining = money(answer.get("Total")) or Decimal(0)
    amount = min(due, remaining)
    if amount <= 0 or invoice.get("Status") != "AUTHORISED":
        return ""
    body = {
        "Allocations": [
            {
                "Invoice": {"InvoiceID": invoice_id},
                "Amount": amount,
                "Date": payload.issue_date.isoformat(),
            }
        ]
    }
    # The key names the credit note too: its id is in the path, not the body.
    key = "bs-alloc-" + hashlib.sha256((credit_note_id + "\0" + dumps(body)).encode()).hexdigest()
    answer_body, response = xero.write(
        tenant,
        "PUT",
        f"CreditNotes/{credit_note_id}/Allocations",
        body,
        {"summarizeErrors": "false"},
        key[: answers.MAX_KEY],
    )
    made = answers.elements(answer_body, "Allocations") or []
    problems = [m for row in made for m in answers.messages(row)]
    if response.status_code == 400 or problems:
        reasons = problems or answers.messages(answer_body) or ["Xero refused the allocation"]
        return "not allocated to the invoice it credits: " + "; ".join(reasons)
    return f"allocated {amount} to invoice {invoice.get('InvoiceNumber') or invoice_id}"
