"""booksync's documents as QuickBooks Online transactions, written the way the company takes them
(`company.Company`), and what QuickBooks booked read back from its answer.

- Numbers: a sales form carries booksync's number (`DocNumber`) only when the company has custom
  transaction numbers on; otherwise QuickBooks numbers it, and "If Preferences:CustomTxnNumber is
  false then do not send a value as it can lead to unwanted duplicates" (Intuit's reference,
  Invoice.DocNumber). Purchase orders are numbered under a setting of their own, which the API
  does not show, so they always carry it.
- Where the client's reference prints: `CustomerMemo` ("User-entered message to the customer;
  this message is visible to end user on their transactions"), a purchase order's `Memo` ("This
  text appears on the Purchase Order object sent to the vendor"). `PrivateNote` ("does not appear
  on the invoice to the customer") carries booksync's own trace, `[booksync INV-1001]`, by which a
  lookup after a lost answer knows a document as booksync's (`lookups.py`).
- Tax: a US company's lines say TAX or NON and the transaction names its tax code
  (`TxnTaxDetail.TxnTaxCodeRef`), unless automated sales tax works it out from the ship-to address;
  elsewhere each line names its tax code and `GlobalTaxCalculation` is TaxExcluded (booksync's
  prices are tax-exclusive). Sources: developer.intuit.com/app/developer/qbo/docs/develop/
  tutorials/manage-sales-tax-for-us-locales and .../manage-sales-tax-for-non-us-locales.
- Addresses: `BillAddr` and `ShipAddr` from the client's address, so automated sales tax charges
  the client's destination ("If a shipping address is not provided, the company address is
  considered as the destination address").
- Tracking: a line's ("Class", name) is its `ClassRef`; the document's ("Location", name) its
  `DepartmentRef` (locations are Departments in the API); names resolve against the company's lists.
- Currency: `CurrencyRef`, and `ExchangeRate` ("The number of home currency units it takes to
  equal one unit of currency specified by CurrencyRef") when booksync has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.connectors.protocol import (
    Booked,
    DocumentPayload,
    LinePayload,
    RemoteDocument,
)
from booksync.connectors.quickbooks.company import CLASS, LOCATION, Company
from booksync.connectors.quickbooks.mapping import (
    ENTITIES,
    MappingError,
    Refs,
    address,
    put,
    ref,
    tax_code,
)
from booksync.domain.money import MoneyError, line_amount
from booksync.domain.types import EntityType

US_TAX_CODES = frozenset({"TAX", "NON"})
MAX_DOC_NUMBER = 21
MAX_DESCRIPTION = 4000
MAX_CUSTOMER_MEMO = 1000
MAX_MEMO = 4000
#: The documents the books' close date freezes (the posting ones).
POSTING = frozenset({EntityType.INVOICE, EntityType.CREDIT_NOTE})
ITEM_LINES = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")

#: booksync's status -> the field and value QuickBooks keeps it in (estimates and purchase orders).
STATUS_FIELDS: dict[EntityType, tuple[str, dict[str, str]]] = {
    EntityType.SALES_ORDER: (
        "TxnStatus",
        {"draft": "Pending", "submitted": "Pending", "authorised": "Accepted", "paid": "Closed",
         "voided": "Rejected"},
    ),
    EntityType.PURCHASE_ORDER: (
        "POStatus",
        {"draft": "Open", "submitted": "Open", "authorised": "Open", "paid": "Closed",
         "voided": "Closed"},
    ),
}  # fmt: skip
STATUSES = ("draft", "submitted", "authorised", "paid", "voided")
DUE_FIELDS = {
    EntityType.INVOICE: "DueDate",
    EntityType.PURCHASE_ORDER: "DueDate",
    EntityType.SALES_ORDER: "ExpirationDate",
}


def trace(reference: str) -> str:
    """booksync's mark in a document's PrivateNote."""
    return f"[booksync {reference}]"


def carries(row: Mapping[str, Any], reference: str) -> bool:
    """Whether `row` is booksync's document for `reference` (QuickBooks prepends "Voided" to the
    note of a voided one, so the mark is looked for anywhere in it)."""
    return trace(reference) in str(row.get("PrivateNote") or "")


def sends_number(entity: EntityType, company: Company) -> bool:
    return entity is EntityType.PURCHASE_ORDER or company.custom_txn_numbers


def operation(entity: EntityType, doc: DocumentPayload, *, linked: bool) -> str:
    """ "write" (create or update), or how a voided invoice or credit note leaves QuickBooks:
    invoices have a void operation; credit memos none in the API (their operations are create,
    read, query, update, delete, send, PDF), so a voided one is deleted. One that never reached
    QuickBooks is not sent."""
    if doc.status not in STATUSES:
        raise MappingError(
            f"{entity.label} {doc.number} has status '{doc.status}'; accepted: "
            + ", ".join(STATUSES)
        )
    if doc.status != "voided" or entity in STATUS_FIELDS:
        return "write"
    if not linked:
        raise MappingError(
            f"{entity.label} {doc.number} is voided and never reached QuickBooks, so there is "
            "nothing to void there; it is not created",
        )
    return "void" if entity is EntityType.INVOICE else "delete"


def _tracked(
    pairs: tuple[tuple[str, str], ...], company: Company, what: str
) -> tuple[str | None, str | None]:
    """(ClassRef Id, DepartmentRef Id) for ("Class", name) / ("Location", name) pairs."""
    class_id = location_id = None
    for category, option in pairs:
        if category.casefold() == CLASS.casefold():
            class_id = company.classes.get(option)
            lists, found = "classes", class_id
        elif category.casefold() in (LOCATION.casefold(), company.location_word.casefold()):
            location_id = company.locations.get(option)
            lists, found = "locations", location_id
        else:
            raise MappingError(
                f"{what}: QuickBooks tracks by Class and {LOCATION}, not '{category}'",
                rule="tracking.matches_tool",
            )
        if found is None:
            raise MappingError(
                f"{what}: '{option}' is not one of this QuickBooks company's active {lists}",
                rule="tracking.matches_tool",
            )
    return class_id, location_id


def _line(
    entity: EntityType, payload: LinePayload, refs: Refs, company: Company, currency: str
) -> tuple[dict[str, Any], str | None]:
    """One item line, and the US transaction tax code its tax type stands for (None: none)."""
    if not payload.item_remote_id:
        raise MappingError(
            f"line '{payload.description[:40]}': its product has no QuickBooks item yet",
            rule="dependency.product",
        )
    try:
        amount = line_amount(payload.quantity, payload.unit_price, currency)
    except MoneyError as exc:
        raise MappingError(f"currency '{currency}': {exc}") from None
    detail: dict[str, Any] = {
        "ItemRef": ref(payload.item_remote_id),
        "Qty": payload.quantity,
        "UnitPrice": payload.unit_price,
    }
    purchase = entity is EntityType.PURCHASE_ORDER
    txn_code = None
    if payload.tax_type:
        code = tax_code(refs, payload.tax_type, purchase=purchase)
        if not company.is_us or code in US_TAX_CODES:
            detail["TaxCodeRef"] = ref(code)
        elif not purchase:
            detail["TaxCodeRef"] = ref("TAX")
            txn_code = code
    class_id, _ = _tracked(payload.tracking, company, f"line '{payload.description[:40]}'")
    if class_id:
        detail["ClassRef"] = ref(class_id)
    kind = "ItemBasedExpenseLineDetail" if purchase else "SalesItemLineDetail"
    body: dict[str, Any] = {"DetailType": kind, "Amount": amount}
    put(body, "Description", payload.description[:MAX_DESCRIPTION])
    body[kind] = detail
    return body, txn_code


def document(
    entity: EntityType, doc: DocumentPayload, refs: Refs, company: Company
) -> dict[str, Any]:
    """An Invoice, CreditMemo, Estimate (sales order) or PurchaseOrder; prices tax-exclusive."""
    party_kind = "supplier" if entity is EntityType.PURCHASE_ORDER else "client"
    if not doc.contact_remote_id:
        raise MappingError(
            f"{entity.label} {doc.number}: its {party_kind} '{doc.contact_name}' has no "
            "QuickBooks record yet",
            rule=f"dependency.{party_kind}",
        )
    numbered = sends_number(entity, company)
    if numbered and len(doc.number) > MAX_DOC_NUMBER:
        raise MappingError(
            f"{entity.label} number '{doc.number}' is {len(doc.number)} characters; QuickBooks "
            f"accepts at most {MAX_DOC_NUMBER} in DocNumber"
        )
    if not doc.lines:
        raise MappingError(f"{entity.label} {doc.number} has no lines; QuickBooks requires one")
    if not company.currency_enabled(doc.currency):
        enabled = ", ".join(sorted(company.currencies))
        raise MappingError(
            f"{entity.label} {doc.number} is in {doc.currency}, which this QuickBooks company "
            f"does not use (its currencies: {enabled}"
            + ("" if company.multicurrency else "; multicurrency is off")
            + ")",
            rule="currency.enabled",
        )
    closed = company.book_close_date
    if entity in POSTING and closed is not None and doc.issue_date <= closed:
        raise MappingError(
            f"{entity.label} {doc.number} is dated {doc.issue_date.isoformat()}, on or before "
            f"the date this QuickBooks company's books are closed ({closed.isoformat()})",
            rule="document.after_lock_date",
        )
    lines, codes = [], set()
    for payload in doc.lines:
        body, code = _line(entity, payload, refs, company, doc.currency)
        lines.append(body)
        if code is not None:
            codes.add(code)
    if len(codes) > 1:
        raise MappingError(
            f"{entity.label} {doc.number}: a US QuickBooks company charges one sales tax code per "
            f"document, and its lines map to {len(codes)}; map their tax rates to one code, or to "
            "TAX to let automated sales tax decide",
            rule="tax.mapped",
        )
    purchase = entity is EntityType.PURCHASE_ORDER
    out: dict[str, Any] = {
        ("VendorRef" if purchase else "CustomerRef"): ref(doc.contact_remote_id),
        "TxnDate": doc.issue_date.isoformat(),
    }
    if numbered:
        out["DocNumber"] = doc.number
    due = DUE_FIELDS.get(entity)
    if due and doc.due_date is not None:
        out[due] = doc.due_date.isoformat()
    out["CurrencyRef"] = ref(doc.currency)
    if doc.exchange_rate is not None and doc.currency != company.home_currency:
        out["ExchangeRate"] = doc.exchange_rate
    if doc.reference and purchase:
        out["Memo"] = doc.reference[:MAX_MEMO]
    elif doc.reference:
        out["CustomerMemo"] = {"value": doc.reference[:MAX_CUSTOMER_MEMO]}
    out["PrivateNote"] = trace(doc.number)
    if not purchase:
        where = address(doc.contact_address)
        if where is not None:
            out["BillAddr"] = where
            out["ShipAddr"] = dict(where)
    class_id, location_id = _tracked(doc.tracking, company, f"{entity.label} {doc.number}")
    if class_id:
        out["ClassRef"] = ref(class_id)
    if location_id:
        out["DepartmentRef"] = ref(location_id)
    if entity in STATUS_FIELDS:
        name, values = STATUS_FIELDS[entity]
        out[name] = values[doc.status]
    if company.is_us:
        if codes and not company.automated_sales_tax:
            out["TxnTaxDetail"] = {"TxnTaxCodeRef": ref(codes.pop())}
    else:
        out["GlobalTaxCalculation"] = "TaxExcluded"
    out["Line"] = lines
    return out


# --- reading answers back --------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _ref_value(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    return str(value["value"]) if isinstance(value, Mapping) and "value" in value else None


def status_of(row: Mapping[str, Any]) -> str | None:
    if str(row.get("PrivateNote") or "").startswith("Voided"):
        return "Voided"
    for name in ("TxnStatus", "POStatus"):
        if row.get(name):
            return str(row[name])
    return None


def booked(entity: EntityType, row: Mapping[str, Any]) -> Booked:
    """What QuickBooks booked, from its answer: total, tax, the item lines (not its SubTotalLine),
    the customer or vendor, the currency."""
    tax = row.get("TxnTaxDetail")
    party = "VendorRef" if entity is EntityType.PURCHASE_ORDER else "CustomerRef"
    lines = [
        ln for ln in row.get("Line") or [] if isinstance(ln, Mapping) and ln.get("DetailType") in ITEM_LINES
    ]  # fmt: skip
    return Booked(
        total=_decimal(row.get("TotalAmt")),
        tax=_decimal(tax.get("TotalTax")) if isinstance(tax, Mapping) else None,
        line_count=len(lines),
        contact_remote_id=_ref_value(row, party),
        currency=_ref_value(row, "CurrencyRef"),
        status=status_of(row),
    )


def remote_document(entity: EntityType, row: Mapping[str, Any]) -> RemoteDocument | None:
    """A document found in QuickBooks under one of booksync's numbers."""
    if not row.get("Id") or not row.get("DocNumber"):
        return None
    party = "VendorRef" if entity is EntityType.PURCHASE_ORDER else "CustomerRef"
    return RemoteDocument(
        entity,
        str(row["Id"]),
        str(row["DocNumber"]),
        _ref_value(row, party),
        _decimal(row.get("TotalAmt")),
        _ref_value(row, "CurrencyRef"),
        status_of(row),
    )


__all__ = ["ENTITIES", "booked", "carries", "document", "remote_document", "trace"]
