"""Invoices, credit notes, purchase orders and quotes: one set of rules, four configurations.

What Xero enforces and the emulator reproduces:
- Type (where the document has one), a contact (by ContactID, ContactNumber or Name; an unknown
  Name creates the contact), dates as YYYY-MM-DD, a currency the organisation has (`postings`).
- Sales invoice and credit-note numbers are generated when absent (INV-0001, CN-0001, ...) and must
  be unique ("Invoice # must be unique."). PUT only creates ("Creates one or more sales invoices",
  tests/specs/xero/xero_accounting.yaml line 7591), so a PUT with a number in use is refused; POST
  "Updates or creates" (line 7945): with a known number it updates that document
  (github.com/freakboy3742/pyxero/issues/328 describes both).
- Status: only some statuses may be set on create, changes follow Xero's workflow (a DRAFT or
  SUBMITTED one may be DELETED, an AUTHORISED invoice only VOIDED: "Allows you to delete draft
  invoices / Allows you to void approved invoices", developer.xero.com/documentation/api/invoices;
  help at support.databuzz.com.au/article/236 says the same), and PAID / VOIDED / DELETED documents (BILLED orders,
  INVOICED quotes) cannot be edited at all; an invoice with a payment on it neither.
- Approving (SUBMITTED / AUTHORISED) needs an account code on every line and, for invoices, a
  DueDate ("The document DueDate field must be specified.", github.com/waynerobinson/xeroizer
  issues 290 and 395: required when the status is AUTHORISED, not for a DRAFT); Xero does not fill
  it from payment terms (github.com/XeroAPI/xero-python/issues/78). Line rules and totals are in
  `lines`, tracking in `tracking`; currency, lock dates and archived contacts in `postings`.
- A document with a payment or an allocated credit note cannot be edited, nor voided ("This
  document cannot be edited as it has a payment or credit note allocated to it.";
  github.com/freakboy3742/pyxero/issues/350: a payment must be removed before a void).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.xero import postings
from booksync_emulators.xero import validation as msg
from booksync_emulators.xero.contacts import commit_contact, contact_summary, resolve_contact
from booksync_emulators.xero.lines import EXCLUSIVE, INCLUSIVE, NO_TAX, build_lines, totals
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Invalid, Problems
from booksync_emulators.xero.wire import date_string, is_uuid, parse_date

ZERO_ID = "00000000-0000-0000-0000-000000000000"
_EDITABLE_FLOW = {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"}


@dataclass(frozen=True)
class DocumentKind:
    collection: str
    element: str
    label: str
    id_field: str
    number_field: str
    prefix: str
    statuses: tuple[str, ...]
    create_statuses: tuple[str, ...]
    locked: tuple[str, ...]
    flow: dict[str, frozenset[str]]
    date_fields: tuple[str, ...]
    types: tuple[str, ...] = ()
    sales_types: tuple[str, ...] = ()
    numbered_types: tuple[str, ...] = ()
    unique_numbers: bool = False
    due_field: str | None = None
    approved: tuple[str, ...] = ()
    payable: bool = False
    sales: bool = True
    amount_names: dict[str, str] = field(
        default_factory=lambda: {EXCLUSIVE: "Exclusive", INCLUSIVE: "Inclusive", NO_TAX: "NoTax"}
    )
    flags: tuple[str, ...] = ()

    def numbered(self, kind: str | None) -> bool:
        return not self.types or kind in self.numbered_types

    def is_sale(self, kind: str | None) -> bool:
        return self.sales if not self.types else kind in self.sales_types


def _flow(**steps: set[str]) -> dict[str, frozenset[str]]:
    return {old: frozenset(new | {old}) for old, new in steps.items()}


INVOICES = DocumentKind(
    collection="Invoices", element="Invoice", label="Invoice", id_field="InvoiceID",
    number_field="InvoiceNumber", prefix="INV-",
    statuses=("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"), locked=("PAID", "VOIDED", "DELETED"),
    flow=_flow(DRAFT=_EDITABLE_FLOW, SUBMITTED=_EDITABLE_FLOW, AUTHORISED={"VOIDED"}),
    date_fields=("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"),
    types=("ACCREC", "ACCPAY"), sales_types=("ACCREC",), numbered_types=("ACCREC",),
    unique_numbers=True, due_field="DueDate", approved=("SUBMITTED", "AUTHORISED"), payable=True,
    flags=("HasErrors", "IsDiscounted", "HasAttachments"),
)  # fmt: skip
CREDIT_NOTES = DocumentKind(
    collection="CreditNotes", element="CreditNote", label="Credit Note", id_field="CreditNoteID",
    number_field="CreditNoteNumber", prefix="CN-",
    statuses=("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"), locked=("PAID", "VOIDED", "DELETED"),
    flow=_flow(DRAFT=_EDITABLE_FLOW, SUBMITTED=_EDITABLE_FLOW, AUTHORISED={"VOIDED"}),
    date_fields=("Date", "DueDate"), types=("ACCRECCREDIT", "ACCPAYCREDIT"),
    sales_types=("ACCRECCREDIT",), numbered_types=("ACCRECCREDIT",), unique_numbers=True,
    approved=("SUBMITTED", "AUTHORISED"), payable=True, flags=("HasErrors", "HasAttachments"),
)  # fmt: skip
PURCHASE_ORDERS = DocumentKind(
    collection="PurchaseOrders", element="PurchaseOrder", label="Purchase Order",
    id_field="PurchaseOrderID", number_field="PurchaseOrderNumber", prefix="PO-",
    statuses=("DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"), locked=("BILLED", "DELETED"),
    flow=_flow(DRAFT=_EDITABLE_FLOW, SUBMITTED=_EDITABLE_FLOW, AUTHORISED={"BILLED", "DELETED", "DRAFT"}),
    date_fields=("Date", "DeliveryDate", "ExpectedArrivalDate"), sales=False, flags=("HasAttachments",),
)  # fmt: skip
QUOTES = DocumentKind(
    collection="Quotes", element="Quote", label="Quote", id_field="QuoteID",
    number_field="QuoteNumber", prefix="QU-",
    statuses=("DRAFT", "SENT", "DECLINED", "ACCEPTED", "INVOICED", "DELETED"),
    create_statuses=("DRAFT", "SENT"), locked=("INVOICED", "DELETED"),
    flow=_flow(
        DRAFT={"SENT", "DELETED"}, SENT={"DRAFT", "ACCEPTED", "DECLINED", "DELETED"},
        ACCEPTED={"INVOICED", "SENT", "DELETED"}, DECLINED={"SENT", "DELETED"},
    ),
    date_fields=("Date", "ExpiryDate"),
    amount_names={EXCLUSIVE: "EXCLUSIVE", INCLUSIVE: "INCLUSIVE", NO_TAX: "NOTAX"},
)  # fmt: skip

KINDS = {kind.collection: kind for kind in (INVOICES, CREDIT_NOTES, PURCHASE_ORDERS, QUOTES)}
COMPUTED = frozenset(
    {"SubTotal", "TotalTax", "Total", "TotalDiscount", "AmountDue", "AmountPaid", "AmountCredited",
     "RemainingCredit", "UpdatedDateUTC", "UpdatedDateUTCString", "HasErrors", "IsDiscounted",
     "HasAttachments", "ValidationErrors", "Warnings", "StatusAttributeString", "Payments",
     "FullyPaidOnDate", "Contact", "LineItems", "DateString", "DueDateString", "ExpiryDateString",
     "CreditNotes", "Prepayments", "Overpayments", "Allocations", "AppliedAmount"}
)  # fmt: skip


def save_document(
    org: Org,
    kind: DocumentKind,
    element: dict[str, Any],
    now: datetime,
    path_id: str | None,
    unitdp: int,
    method: str,
) -> Record:
    """Create or update one document; raise `Invalid` with every problem and change nothing."""
    existing = _target(org, kind, element, path_id, method)
    if existing is not None:
        if existing["Status"] in kind.locked:
            raise Invalid([msg.NOT_EDITABLE.format(document=kind.label)])
        if kind.payable and (
            existing.get("AmountPaid", 0) > 0 or existing.get("AmountCredited", 0) > 0
        ):
            raise Invalid([msg.HAS_PAYMENTS])
    problems = Problems()
    doc_type = element.get("Type", existing.get("Type") if existing else None)
    if kind.types and doc_type not in kind.types:
        problems.add(msg.TYPE_REQUIRED.format(document=kind.label, allowed=", ".join(kind.types)))
    status = _status(kind, element, existing, problems)

    contact = None
    if "Contact" in element or existing is None:
        contact = resolve_contact(org, element.get("Contact"), problems)
    own_id = existing[kind.id_field] if existing else None
    number = problems.text(element, kind.number_field, 255)
    numbered = kind.numbered(doc_type)
    if number and kind.unique_numbers and numbered and _numbered(org, kind, number, own_id):
        problems.add(f"{kind.label} # must be unique.")
    dates = _dates(kind, element, problems)
    if existing is None:
        dates.setdefault("Date", now.date())
    if kind.due_field and status in kind.approved:
        due = dates.get(kind.due_field, (existing or {}).get(kind.due_field))
        if due is None:
            problems.add(msg.DUE_DATE_REQUIRED)
    currency, rate = postings.currency(org, element, existing, problems)
    document_date = dates.get("Date", (existing or {}).get("Date"))
    postings.lock_dates(org, document_date, status, kind.payable, problems)
    party = contact.record if contact is not None else _contact_of(org, existing)
    postings.contact_active(party, status, existing, kind.approved, kind.payable, problems)
    amount_types = _amount_types(kind, element, existing, problems)
    raw_lines = element.get("LineItems")
    if raw_lines is None:
        raw_lines = [
            {k: v for k, v in line.items() if k != "TaxAmount"}
            for line in (existing or {}).get("LineItems", [])
        ]
    if not isinstance(raw_lines, list):
        problems.add("LineItems must be a list.")
        raw_lines = []
    lines = build_lines(
        org,
        raw_lines,
        amount_types=amount_types,
        sales=kind.is_sale(doc_type),
        require_account=status in kind.approved,
        unitdp=unitdp,
        problems=problems,
    )
    if not lines and status in kind.approved:
        problems.add(msg.LINE_ITEMS_REQUIRED.format(document=kind.label))
    problems.raise_if_any()

    record: Record = dict(existing) if existing else {kind.id_field: str(uuid.uuid4())}
    record.update(
        {
            k: v
            for k, v in element.items()
            if v is not None and k not in COMPUTED and k != kind.id_field
        }
    )
    record.update(dates)
    if contact is not None:
        role = None
        if kind.types:
            role = "customer" if kind.is_sale(doc_type) else "supplier"
        saved = commit_contact(org, contact, role, now)
        record["Contact"] = {"ContactID": saved["ContactID"]}
    if numbered and not record.get(kind.number_field):
        record[kind.number_field] = _fresh_number(org, kind)
    record.update(Status=status, LineAmountTypes=amount_types, LineItems=lines)
    record.update(CurrencyCode=currency, CurrencyRate=rate)
    record.update(totals(lines, amount_types))
    if kind.payable:
        record.setdefault("AmountPaid", Decimal("0.00"))
        record.setdefault("AmountCredited", Decimal("0.00"))
        record["AmountDue"] = record["Total"] - record["AmountPaid"] - record["AmountCredited"]
        if kind is CREDIT_NOTES:
            record["RemainingCredit"] = record["AmountDue"]
    org.collection(kind.collection)[record[kind.id_field]] = record
    org.changed(kind.collection, record, existing is None, now)
    return record


def _contact_of(org: Org, existing: Record | None) -> Record | None:
    if existing is None:
        return None
    return org.collection("Contacts").get(existing["Contact"]["ContactID"])


def _target(
    org: Org, kind: DocumentKind, element: dict[str, Any], path_id: str | None, method: str
) -> Record | None:
    wanted = path_id or element.get(kind.id_field)
    if wanted:
        found = find_document(org, kind, str(wanted))
        if found is None:
            raise Invalid(
                [msg.OBJECT_NOT_FOUND.format(element=kind.label, field=kind.id_field, id=wanted)]
            )
        return found
    number = element.get(kind.number_field)
    if method == "POST" and isinstance(number, str) and number:
        return _numbered(org, kind, number, None)
    return None


def find_document(org: Org, kind: DocumentKind, key: str) -> Record | None:
    """By ID, or (except quotes, whose spec has no such path) by number."""
    records = org.collection(kind.collection)
    if is_uuid(key):
        return records.get(key)
    if kind is QUOTES:
        return None
    return next((r for r in records.values() if r.get(kind.number_field) == key), None)


def _numbered(org: Org, kind: DocumentKind, number: str, excluding: str | None) -> Record | None:
    for record in org.collection(kind.collection).values():
        if (
            record.get(kind.number_field) == number
            and kind.numbered(record.get("Type"))
            and record[kind.id_field] != excluding
        ):
            return record
    return None


def _fresh_number(org: Org, kind: DocumentKind) -> str:
    while True:
        number = org.next_number(kind.prefix)
        if _numbered(org, kind, number, None) is None:
            return number


def _status(
    kind: DocumentKind, element: dict[str, Any], existing: Record | None, problems: Problems
) -> str:
    old = existing["Status"] if existing else None
    new = element.get("Status") or old or "DRAFT"
    allowed = kind.create_statuses if old is None else kind.statuses
    if new not in allowed:
        problems.add(
            msg.STATUS_NOT_ALLOWED.format(
                document=kind.label, status=new, allowed=", ".join(allowed)
            )
        )
    elif old is not None and new not in kind.flow.get(old, frozenset({old})):
        problems.add(msg.STATUS_CHANGE.format(document=kind.label, old=old, new=new))
    return str(new)


def _dates(kind: DocumentKind, element: dict[str, Any], problems: Problems) -> dict[str, Any]:
    dates = {}
    for name in kind.date_fields:
        if element.get(name) is None:
            continue
        try:
            dates[name] = parse_date(element[name])
        except ValueError:
            problems.add(msg.DATE_INVALID.format(field=name, value=element[name]))
    return dates


def _amount_types(
    kind: DocumentKind, element: dict[str, Any], existing: Record | None, problems: Problems
) -> str:
    value = element.get("LineAmountTypes")
    if value is None:
        return str(existing["LineAmountTypes"]) if existing else EXCLUSIVE
    for canonical, wire in kind.amount_names.items():
        if str(value).lower() == wire.lower():
            return canonical
    problems.add(
        msg.LINE_AMOUNT_TYPES.format(value=value, allowed=", ".join(kind.amount_names.values()))
    )
    return EXCLUSIVE


def render_document(
    org: Org, kind: DocumentKind, record: Record, *, lines: bool = True
) -> dict[str, Any]:
    """A document as Xero returns it (without LineItems in un-paged lists, as Xero does)."""
    out = dict(record)
    contact = org.collection("Contacts").get(record["Contact"]["ContactID"])
    if contact is not None:
        out["Contact"] = contact_summary(contact)
    for name in kind.date_fields:
        if record.get(name) is not None:
            out[f"{name}String"] = date_string(record[name])
    out["LineAmountTypes"] = kind.amount_names[record["LineAmountTypes"]]
    if not lines:
        out.pop("LineItems", None)
    if "HasErrors" in kind.flags:
        out["HasErrors"] = False
    if "IsDiscounted" in kind.flags:
        out["IsDiscounted"] = "TotalDiscount" in record
    if "HasAttachments" in kind.flags:
        out["HasAttachments"] = False
    if kind is INVOICES:
        out["Payments"] = [dict(p) for p in record.get("Payments", [])]
        out["CreditNotes"] = [dict(c) for c in record.get("CreditNotes", [])]
        out.update(Prepayments=[], Overpayments=[])
    if kind is CREDIT_NOTES:
        out["Allocations"] = [dict(a) for a in record.get("Allocations", [])]
        out["Payments"] = [dict(p) for p in record.get("Payments", [])]
    return out


def render_invalid(
    kind: DocumentKind, element: dict[str, Any], messages: list[str]
) -> dict[str, Any]:
    out = dict(element)
    out.setdefault(kind.id_field, ZERO_ID)
    if "HasErrors" in kind.flags:
        out["HasErrors"] = True
    out["ValidationErrors"] = [{"Message": m} for m in messages]
    return out
