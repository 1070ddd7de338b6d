"""booksync's tool-neutral payloads as QuickBooks Online v3 JSON (imports go the other way, in
`imports.py`).

Pure functions: no HTTP here. QuickBooks refers to accounts, tax codes, items and contacts by
their Id, while booksync holds what a person sees (an account's number or name, a tax code's
name), so every reference goes through `Refs`, built from the tenant's chart and tax codes.

Sales orders become Estimates, not SalesReceipts: a SalesReceipt records a sale already paid for
(it posts income and a deposit at once), while an Estimate posts nothing and is what QuickBooks
turns into an invoice once the customer agrees, which is what a sales order is. QuickBooks has no draft or
approval state for invoices and credit memos: each one posts when it is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from booksync.connectors.protocol import (
    DocumentPayload,
    ItemPayload,
    LinePayload,
    PartyPayload,
    PushItem,
)
from booksync.domain.money import MoneyError, line_amount
from booksync.domain.types import EntityType

#: The QuickBooks entity each booksync record type becomes.
ENTITIES: dict[EntityType, str] = {
    EntityType.CLIENT: "Customer",
    EntityType.SUPPLIER: "Vendor",
    EntityType.PRODUCT: "Item",
    EntityType.INVOICE: "Invoice",
    EntityType.SALES_ORDER: "Estimate",
    EntityType.PURCHASE_ORDER: "PurchaseOrder",
    EntityType.CREDIT_NOTE: "CreditMemo",
}
#: US companies' two pseudo tax codes: lines say taxable or not, the company's setup says how much.
US_TAX_CODES = frozenset({"TAX", "NON"})

#: QuickBooks' field limits, checked before sending so the message names booksync's field.
MAX_DISPLAY_NAME = 500
MAX_ITEM_NAME = 100
MAX_SKU = 100
MAX_DOC_NUMBER = 21
MAX_DESCRIPTION = 4000
MAX_PRIVATE_NOTE = 4000
#: DisplayName and item Name may not contain these (a colon separates a parent from a sub-item).
FORBIDDEN_IN_NAMES = (":", "\t", "\n")


class MappingError(ValueError):
    """A payload QuickBooks would refuse for a reason booksync can name itself."""

    def __init__(self, message: str, rule: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.fix = fix


@dataclass(frozen=True)
class Refs:
    """The tenant's Ids for what booksync names: account code -> Account Id, tax type -> TaxCode Id.

    Each maps every spelling the import could have given booksync (number, name, full name, Id).
    """

    accounts: Mapping[str, str] = field(default_factory=dict)
    tax_codes: Mapping[str, str] = field(default_factory=dict)

    def account(self, code: str) -> str | None:
        return self.accounts.get(code)

    def tax_code(self, tax_type: str) -> str | None:
        return self.tax_codes.get(tax_type)


@dataclass(frozen=True)
class Write:
    """One BatchItemRequest before its Id and SyncToken are known: what to do, to which entity.

    `operation` is create, update, delete or void (void is not a batch operation: it goes alone).
    """

    operation: str
    entity: str
    body: dict[str, Any]


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def _ref(value: str) -> dict[str, str]:
    return {"value": value}


def _check_name(text: str, what: str, limit: int, fix: str | None) -> None:
    if not text.strip():
        raise MappingError(f"{what} is empty; QuickBooks requires one", fix=fix)
    if len(text) > limit:
        raise MappingError(
            f"{what} '{text[:40]}…' is {len(text)} characters; QuickBooks accepts at most {limit}",
            fix=fix,
        )
    bad = [repr(c) for c in FORBIDDEN_IN_NAMES if c in text]
    if bad:
        raise MappingError(
            f"{what} '{text}' contains {', '.join(bad)}; QuickBooks does not accept colons, tabs "
            "or line breaks in it",
            fix=fix,
        )


def to_qbo(item: PushItem, refs: Refs) -> Write:
    """The write for one push; raises MappingError for what QuickBooks would certainly refuse."""
    entity = ENTITIES[item.entity]
    payload = item.payload
    if isinstance(payload, PartyPayload):
        body = party(payload, create=item.remote_id is None)
    elif isinstance(payload, ItemPayload):
        body = qbo_item(payload, refs)
    else:
        operation = _document_operation(item.entity, payload, linked=item.remote_id is not None)
        if operation != "write":
            return Write(operation, entity, {})
        body = document(item.entity, payload, refs)
    return Write("update" if item.remote_id else "create", entity, body)


# --- names --------------------------------------------------------------------------------------


def party(payload: PartyPayload, *, create: bool) -> dict[str, Any]:
    """A customer or vendor. CurrencyRef is set only on create (QuickBooks: write-on-create)."""
    command = "client" if payload.entity is EntityType.CLIENT else "supplier"
    _check_name(
        payload.name,
        f"{payload.entity.label} name",
        MAX_DISPLAY_NAME,
        f"booksync {command} edit '{payload.number}' --name NAME",
    )
    body: dict[str, Any] = {"DisplayName": payload.name}
    if payload.email:
        body["PrimaryEmailAddr"] = {"Address": payload.email}
    if create:
        body["CurrencyRef"] = _ref(payload.currency)
    return body


def qbo_item(product: ItemPayload, refs: Refs) -> dict[str, Any]:
    """An item: booksync's product code is its Sku, the product name its (unique) Name.

    Service unless it is also bought (an expense account), then NonInventory: QuickBooks lets an
    item move between the two, and booksync never tracks stock (Inventory).
    """
    fix = f"booksync product edit '{product.code}' --name NAME"
    _check_name(product.name, "product name", MAX_ITEM_NAME, fix)
    if len(product.code) > MAX_SKU:
        raise MappingError(
            f"product code '{product.code[:40]}…' is {len(product.code)} characters; QuickBooks "
            f"accepts at most {MAX_SKU} in an item's SKU",
            fix=f"booksync product edit '{product.code}' --code CODE",
        )
    if not product.income_account_code:
        raise MappingError(
            f"product '{product.code}' has no income account code; QuickBooks requires an income "
            "account on every item",
            rule="account_code.set",
        )
    income = _account(refs, product.income_account_code)
    body: dict[str, Any] = {
        "Name": product.name,
        "Sku": product.code,
        "Type": "NonInventory" if product.expense_account_code else "Service",
        "Description": (product.description or product.name)[:MAX_DESCRIPTION],
        "IncomeAccountRef": _ref(income),
    }
    _put(body, "UnitPrice", product.price)
    if product.expense_account_code:
        body["ExpenseAccountRef"] = _ref(_account(refs, product.expense_account_code))
        body["PurchaseDesc"] = body["Description"]
        _put(body, "PurchaseCost", product.cost)
    if product.tax_type:
        code = _tax_code(refs, product.tax_type)
        if code in US_TAX_CODES:
            body["Taxable"] = code == "TAX"
        else:
            body["SalesTaxCodeRef"] = _ref(code)
    return body


def _account(refs: Refs, code: str) -> str:
    found = refs.account(code)
    if found is None:
        raise MappingError(
            f"account code '{code}' is not an active account of this QuickBooks company",
            rule="account_code.matches_tool",
        )
    return found


def _tax_code(refs: Refs, tax_type: str) -> str:
    found = refs.tax_code(tax_type)
    if found is None:
        raise MappingError(
            f"tax type '{tax_type}' is not an active tax code of this QuickBooks company",
            rule="tax.mapped",
        )
    return found


# --- transactions ---------------------------------------------------------------------------------

#: booksync's status -> the field and value QuickBooks keeps it in (estimates and purchase orders).
STATUS_FIELDS: dict[EntityType, tuple[str, dict[str, str]]] = {
    EntityType.SALES_ORDER: (
        "TxnStatus",
        {
            "draft": "Pending",
            "submitted": "Pending",
            "authorised": "Accepted",
            "paid": "Closed",
            "voided": "Rejected",
        },
    ),
    EntityType.PURCHASE_ORDER: (
        "POStatus",
        {
            "draft": "Open",
            "submitted": "Open",
            "authorised": "Open",
            "paid": "Closed",
            "voided": "Closed",
        },
    ),
}
STATUSES = ("draft", "submitted", "authorised", "paid", "voided")
DUE_FIELDS = {
    EntityType.INVOICE: "DueDate",
    EntityType.PURCHASE_ORDER: "DueDate",
    EntityType.SALES_ORDER: "ExpirationDate",
}


def _document_operation(entity: EntityType, doc: DocumentPayload, *, linked: bool) -> str:
    """The write to make: "write" (create or update), or how a voided invoice or credit note
    leaves QuickBooks.

    QuickBooks voids invoices through their own operation; credit memos have none in the API, so a
    voided one is deleted. One that never reached QuickBooks has nothing to void.
    """
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


def line(entity: EntityType, payload: LinePayload, refs: Refs, currency: str) -> dict[str, Any]:
    """A line on an item: purchase orders use ItemBasedExpenseLineDetail, the others
    SalesItemLineDetail. Amount is Qty × UnitPrice rounded to the currency, as QuickBooks checks."""
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
        "ItemRef": _ref(payload.item_remote_id),
        "Qty": payload.quantity,
        "UnitPrice": payload.unit_price,
    }
    if payload.tax_type:
        detail["TaxCodeRef"] = _ref(_tax_code(refs, payload.tax_type))
    kind = (
        "ItemBasedExpenseLineDetail"
        if entity is EntityType.PURCHASE_ORDER
        else "SalesItemLineDetail"
    )
    body: dict[str, Any] = {"DetailType": kind, "Amount": amount}
    _put(body, "Description", payload.description[:MAX_DESCRIPTION])
    body[kind] = detail
    return body


def document(entity: EntityType, doc: DocumentPayload, refs: Refs) -> dict[str, Any]:
    """An Invoice, CreditMemo, Estimate (sales order) or PurchaseOrder; prices are tax-exclusive."""
    if not doc.contact_remote_id:
        party_kind = "supplier" if entity is EntityType.PURCHASE_ORDER else "client"
        raise MappingError(
            f"{entity.label} {doc.number}: its {party_kind} '{doc.contact_name}' has no "
            "QuickBooks record yet",
            rule=f"dependency.{party_kind}",
        )
    if len(doc.number) > MAX_DOC_NUMBER:
        raise MappingError(
            f"{entity.label} number '{doc.number}' is {len(doc.number)} characters; QuickBooks "
            f"accepts at most {MAX_DOC_NUMBER} in DocNumber"
        )
    if not doc.lines:
        raise MappingError(f"{entity.label} {doc.number} has no lines; QuickBooks requires one")
    lines = [line(entity, ln, refs, doc.currency) for ln in doc.lines]
    party_field = "VendorRef" if entity is EntityType.PURCHASE_ORDER else "CustomerRef"
    body: dict[str, Any] = {
        party_field: _ref(doc.contact_remote_id),
        "DocNumber": doc.number,
        "TxnDate": doc.issue_date.isoformat(),
    }
    due = DUE_FIELDS.get(entity)
    if due and doc.due_date is not None:
        body[due] = doc.due_date.isoformat()
    body["CurrencyRef"] = _ref(doc.currency)
    if doc.reference:
        body["PrivateNote"] = doc.reference[:MAX_PRIVATE_NOTE]
    if entity in STATUS_FIELDS:
        name, values = STATUS_FIELDS[entity]
        body[name] = values[doc.status]
    if not any(_line_tax_code(ln) in US_TAX_CODES for ln in lines):
        # Outside the US, QuickBooks adds tax to these prices; US companies refuse the field.
        body["GlobalTaxCalculation"] = "TaxExcluded"
    body["Line"] = lines
    return body


def _line_tax_code(body: Mapping[str, Any]) -> str | None:
    detail = body.get(str(body.get("DetailType")))
    ref = detail.get("TaxCodeRef") if isinstance(detail, dict) else None
    return str(ref["value"]) if isinstance(ref, dict) and "value" in ref else None
