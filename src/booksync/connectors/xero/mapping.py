"""booksync's tool-neutral payloads as Xero Accounting API JSON, and Xero's objects back as imports.

Field names, limits and enums follow Xero's published OpenAPI spec (shared/specs/xero). Pure
functions: no HTTP here. Sales orders become Quotes, because Xero has no sales order and an accepted
quote is the customer-agreed document before invoicing, which is what a sales order records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from booksync.connectors.protocol import (
    DocumentPayload,
    ItemPayload,
    LinePayload,
    PartyPayload,
    PushItem,
    RemoteAccount,
    RemoteContact,
    RemoteItem,
    RemoteTaxType,
)
from booksync.domain.types import AccountKind, EntityType


@dataclass(frozen=True)
class Endpoint:
    """Where a record type lives in Xero: its path, the JSON collection key, the id and number fields."""

    path: str
    collection: str
    id_field: str
    number_field: str | None
    doc_type: str | None = None


ENDPOINTS: dict[EntityType, Endpoint] = {
    EntityType.CLIENT: Endpoint("Contacts", "Contacts", "ContactID", "ContactNumber"),
    EntityType.SUPPLIER: Endpoint("Contacts", "Contacts", "ContactID", "ContactNumber"),
    EntityType.PRODUCT: Endpoint("Items", "Items", "ItemID", "Code"),
    EntityType.INVOICE: Endpoint("Invoices", "Invoices", "InvoiceID", "InvoiceNumber", "ACCREC"),
    EntityType.SALES_ORDER: Endpoint("Quotes", "Quotes", "QuoteID", "QuoteNumber"),
    EntityType.PURCHASE_ORDER: Endpoint(
        "PurchaseOrders", "PurchaseOrders", "PurchaseOrderID", "PurchaseOrderNumber"
    ),
    EntityType.CREDIT_NOTE: Endpoint(
        "CreditNotes", "CreditNotes", "CreditNoteID", "CreditNoteNumber", "ACCRECCREDIT"
    ),
}

#: booksync's document status -> Xero's, per document type.
#: "paid" is never sent as PAID: Xero derives it from payments, and refuses it on create/update.
#: Sales orders go to Xero as Quotes: Xero has no sales order, and a quote is the document a
#: customer agrees to before it is invoiced, which is what a sales order records.
STATUSES: dict[EntityType, dict[str, str]] = {
    EntityType.INVOICE: {
        "draft": "DRAFT",
        "submitted": "SUBMITTED",
        "authorised": "AUTHORISED",
        "paid": "AUTHORISED",
        "voided": "VOIDED",
    },
    EntityType.CREDIT_NOTE: {
        "draft": "DRAFT",
        "submitted": "SUBMITTED",
        "authorised": "AUTHORISED",
        "paid": "AUTHORISED",
        "voided": "VOIDED",
    },
    EntityType.PURCHASE_ORDER: {
        "draft": "DRAFT",
        "submitted": "SUBMITTED",
        "authorised": "AUTHORISED",
        "paid": "BILLED",
        "voided": "DELETED",
    },
    EntityType.SALES_ORDER: {
        # Xero creates a quote only as DRAFT or SENT; ACCEPTED and INVOICED are the customer's and
        # the invoicing's doing, set in Xero afterwards, so an agreed order goes out as SENT.
        "draft": "DRAFT",
        "submitted": "SENT",
        "authorised": "SENT",
        "paid": "SENT",
        "voided": "DELETED",
    },
}

#: Xero's field limits (spec maxLength), checked before sending so the message names our field.
MAX_ITEM_CODE = 30
MAX_ITEM_NAME = 50
MAX_CONTACT_NAME = 255
MAX_CONTACT_NUMBER = 50
MAX_DESCRIPTION = 4000
#: Tracking categories per line: an organisation has at most two (emulator tracking.py cites it).
MAX_TRACKING = 2


class MappingError(ValueError):
    """A payload Xero would refuse for a reason booksync can name itself (field, value, accepted)."""

    def __init__(self, message: str, rule: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.fix = fix


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_xero(item: PushItem) -> dict[str, Any]:
    """The Xero element for one push; raises MappingError for what Xero would certainly refuse."""
    endpoint = ENDPOINTS[item.entity]
    payload = item.payload
    if isinstance(payload, PartyPayload):
        body = contact(payload)
    elif isinstance(payload, ItemPayload):
        body = xero_item(payload)
    else:
        body = document(item.entity, payload)
    if item.remote_id:
        body = {endpoint.id_field: item.remote_id, **body}
    return body


def contact(party: PartyPayload) -> dict[str, Any]:
    """A contact. IsCustomer/IsSupplier are read-only in Xero (it derives them from transactions)."""
    if not party.name.strip():
        raise MappingError(f"{party.entity.label} has an empty name; Xero requires a contact name")
    if len(party.name) > MAX_CONTACT_NAME:
        raise MappingError(
            f"{party.entity.label} name is {len(party.name)} characters; Xero accepts at most "
            f"{MAX_CONTACT_NAME}"
        )
    body: dict[str, Any] = {"Name": party.name, "ContactNumber": party.number[:MAX_CONTACT_NUMBER]}
    _put(body, "EmailAddress", party.email)
    return body


def xero_item(product: ItemPayload) -> dict[str, Any]:
    """An item. Name is cut to Xero's 50 characters (the full name stays in Description).

    The purchase side carries the purchase tax type when the tax rate maps one (Xero refuses a
    sales tax type on a purchase account), else none, and Xero applies the account's default.
    """
    if len(product.code) > MAX_ITEM_CODE:
        raise MappingError(
            f"product code '{product.code}' is {len(product.code)} characters; Xero accepts at most "
            f"{MAX_ITEM_CODE}",
            fix=f"booksync product edit '{product.code}' --code CODE",
        )
    body: dict[str, Any] = {
        "Code": product.code,
        "Name": _shorten(product.name, MAX_ITEM_NAME),
        "Description": _shorten(product.description or product.name, MAX_DESCRIPTION),
        "IsSold": True,
    }
    sales: dict[str, Any] = {}
    _put(sales, "UnitPrice", product.price)
    _put(sales, "AccountCode", product.income_account_code)
    _put(sales, "TaxType", product.tax_type)
    if sales:
        body["SalesDetails"] = sales
    purchases: dict[str, Any] = {}
    _put(purchases, "UnitPrice", product.cost)
    _put(purchases, "AccountCode", product.expense_account_code)
    if purchases:
        _put(purchases, "TaxType", product.purchase_tax_type)
    body["IsPurchased"] = bool(purchases)
    if purchases:
        body["PurchaseDetails"] = purchases
        body["PurchaseDescription"] = body["Description"]
    return body


def line(
    entity: EntityType, payload: LinePayload, tracking: tuple[tuple[str, str], ...] = ()
) -> dict[str, Any]:
    """A line item. UnitAmount keeps booksync's 4 decimals (sent with `unitdp=4`); the tax type is
    the one of the document's side (a purchase order's is the purchase tax type); tracking is the
    line's categories, then the document's for categories the line does not name."""
    body: dict[str, Any] = {}
    _put(body, "ItemCode", payload.item_code)
    _put(body, "Description", _shorten(payload.description, MAX_DESCRIPTION))
    body["Quantity"] = payload.quantity
    body["UnitAmount"] = payload.unit_price
    _put(body, "AccountCode", payload.account_code)
    _put(body, "TaxType", payload.tax_type)
    named = dict(payload.tracking)
    for category, option in tracking:
        named.setdefault(category, option)
    if len(named) > MAX_TRACKING:
        raise MappingError(
            f"a line has {len(named)} tracking categories ({', '.join(named)}); Xero accepts at "
            f"most {MAX_TRACKING}",
            rule="tracking.matches_tool",
        )
    if named:
        body["Tracking"] = [{"Name": c, "Option": o} for c, o in named.items()]
    return body


def currency_rate(exchange_rate: Decimal) -> Decimal:
    """Xero's CurrencyRate from booksync's rate (base currency per unit of the document's).

    Xero states a rate as units of the foreign currency per unit of the base currency (its screens
    show "1 AUD = 0.654321 USD"; the spec's example rate for a payment in a non-base currency is
    0.7500, line 23864, for NZD organisations), so it is the inverse, kept to the 6 decimals Xero
    rounds rates to (help.xero.com/CurrencySettings)."""
    if exchange_rate <= 0:
        raise MappingError(f"exchange rate {exchange_rate} must be above 0")
    return (Decimal(1) / exchange_rate).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def document(entity: EntityType, doc: DocumentPayload) -> dict[str, Any]:
    """An invoice (ACCREC), credit note (ACCRECCREDIT), purchase order or quote (sales order).

    Amounts are tax-exclusive (LineAmountTypes Exclusive), as booksync's unit prices are.
    """
    endpoint = ENDPOINTS[entity]
    status = STATUSES[entity].get(doc.status)
    if status is None:
        accepted = ", ".join(STATUSES[entity])
        raise MappingError(
            f"{entity.label} {doc.number} has status '{doc.status}'; accepted: {accepted}"
        )
    if not doc.contact_remote_id:
        party = "supplier" if entity is EntityType.PURCHASE_ORDER else "client"
        raise MappingError(
            f"{entity.label} {doc.number}: its {party} '{doc.contact_name}' has no Xero contact yet",
            rule=f"dependency.{party}",
        )
    body: dict[str, Any] = {}
    if endpoint.doc_type:
        body["Type"] = endpoint.doc_type
    assert endpoint.number_field is not None
    body["Contact"] = {"ContactID": doc.contact_remote_id}
    body["Date"] = doc.issue_date.isoformat()
    if doc.due_date is not None:
        due_field = {
            EntityType.PURCHASE_ORDER: "DeliveryDate",
            EntityType.SALES_ORDER: "ExpiryDate",
        }.get(entity, "DueDate")
        body[due_field] = doc.due_date.isoformat()
    body[endpoint.number_field] = doc.number
    _put(body, "Reference", doc.reference)
    body["CurrencyCode"] = doc.currency
    if doc.exchange_rate is not None:
        body["CurrencyRate"] = currency_rate(doc.exchange_rate)
    body["Status"] = status
    # Same meaning, different spelling: Quotes take the upper-case enum (the spec's QuoteLineAmountTypes).
    body["LineAmountTypes"] = "EXCLUSIVE" if entity is EntityType.SALES_ORDER else "Exclusive"
    body["LineItems"] = [line(entity, ln, doc.tracking) for ln in doc.lines]
    return body


# --- Xero -> imports ----------------------------------------------------------------------------------

_INCOME_TYPES = frozenset({"REVENUE", "SALES", "OTHERINCOME"})
_EXPENSE_TYPES = frozenset(
    {"EXPENSE", "DIRECTCOSTS", "OVERHEADS", "DEPRECIATN", "SUPERANNUATIONEXPENSE", "WAGESEXPENSE"}
)


def account(data: Mapping[str, Any]) -> RemoteAccount | None:
    """An income or expense account with a code; other accounts (bank, assets, ...) are not imported."""
    code = str(data.get("Code") or "").strip()
    status = str(data.get("Status") or "ACTIVE")
    if not code or status == "DELETED":
        return None
    klass = str(data.get("Class") or "")
    kind_type = str(data.get("Type") or "")
    if klass == "REVENUE" or kind_type in _INCOME_TYPES:
        kind = AccountKind.INCOME
    elif klass == "EXPENSE" or kind_type in _EXPENSE_TYPES:
        kind = AccountKind.EXPENSE
    else:
        return None
    return RemoteAccount(code, str(data.get("Name") or code), kind, status == "ACTIVE")


def tax_rate(data: Mapping[str, Any]) -> RemoteTaxType | None:
    tax_type = str(data.get("TaxType") or "").strip()
    if not tax_type:
        return None
    raw = data.get("EffectiveRate", data.get("DisplayTaxRate"))
    try:
        percent = Decimal(str(raw)) if raw is not None else Decimal(0)
    except InvalidOperation:
        percent = Decimal(0)
    return RemoteTaxType(
        tax_type, str(data.get("Name") or tax_type), percent, data.get("Status") == "ACTIVE"
    )


def remote_contact(data: Mapping[str, Any]) -> RemoteContact | None:
    remote_id = data.get("ContactID")
    if not remote_id:
        return None
    return RemoteContact(
        str(remote_id),
        str(data.get("Name") or ""),
        data.get("ContactNumber") or None,
        data.get("ContactStatus", "ACTIVE") == "ACTIVE",
    )


def remote_item(data: Mapping[str, Any]) -> RemoteItem | None:
    remote_id = data.get("ItemID")
    if not remote_id:
        return None
    return RemoteItem(str(remote_id), str(data.get("Code") or ""), str(data.get("Name") or ""))
