"""booksync's tool-neutral payloads as QuickBooks Online v3 JSON (imports go the other way, in
`imports.py`): customers, vendors and items here, documents in `documents.py`.

Pure functions: no HTTP here. QuickBooks refers to accounts, tax codes, items and contacts by
their Id, while booksync holds what a person sees (an account's number or name, a tax code's
name), so every reference goes through `Refs`, built from the tenant's chart and tax codes.

A customer's or vendor's DisplayName is unique across customers, vendors and employees together
(6240 Duplicate Name Exists Error; https://developer.intuit.com/hub/blog/2017/06/08/top-
quickbooks-online-api-errors-and-how-to-handle-them). A supplier that is also a client of the MSP
is therefore written as "Acme Pty Ltd (supplier)", with `CompanyName` keeping the real name
(`disambiguated`); the connector does so when QuickBooks says another kind of name holds it.

Sales orders become Estimates, not SalesReceipts: a SalesReceipt records a sale already paid for
(it posts income and a deposit at once), while an Estimate posts nothing and is what QuickBooks
turns into an invoice once the customer agrees, which is what a sales order is. QuickBooks has no draft or
approval state for invoices and credit memos: each one posts when it is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from booksync.connectors.protocol import Address, ItemPayload, PartyPayload, PushItem
from booksync.connectors.quickbooks.company import Company
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
MAX_COMPANY_NAME = 100

#: QuickBooks' field limits, checked before sending so the message names booksync's field.
MAX_DISPLAY_NAME = 500
MAX_ITEM_NAME = 100
MAX_SKU = 100
MAX_DESCRIPTION = 4000
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


def put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def ref(value: str) -> dict[str, str]:
    return {"value": value}


def address(value: Address | None) -> dict[str, str] | None:
    """A PhysicalAddress: up to five lines, City, CountrySubDivisionCode, PostalCode, Country."""
    if value is None:
        return None
    body: dict[str, str] = {}
    for n, text in enumerate(value.lines[:5], start=1):
        put(body, f"Line{n}", text)
    put(body, "City", value.city)
    put(body, "CountrySubDivisionCode", value.region)
    put(body, "PostalCode", value.postal_code)
    put(body, "Country", value.country)
    return body or None


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


def to_qbo(
    item: PushItem, refs: Refs, company: Company | None = None, *, display_name: str | None = None
) -> Write:
    """The write for one push; raises MappingError for what QuickBooks would certainly refuse.
    `display_name` overrides a customer's or vendor's DisplayName (see `disambiguated`)."""
    from booksync.connectors.quickbooks import documents

    entity = ENTITIES[item.entity]
    payload = item.payload
    company = company or Company()
    if isinstance(payload, PartyPayload):
        body = party(payload, company, create=item.remote_id is None, display_name=display_name)
    elif isinstance(payload, ItemPayload):
        body = qbo_item(payload, refs)
    else:
        operation = documents.operation(item.entity, payload, linked=item.remote_id is not None)
        if operation != "write":
            return Write(operation, entity, {})
        body = documents.document(item.entity, payload, refs, company)
    return Write("update" if item.remote_id else "create", entity, body)


# --- names --------------------------------------------------------------------------------------


#: What tells a supplier's display name from a client's of the same name (and the reverse).
SUFFIXES = {EntityType.SUPPLIER: " (supplier)", EntityType.CLIENT: " (client)"}


def disambiguated(name: str, entity: EntityType) -> str:
    return name + SUFFIXES[entity]


def party(
    payload: PartyPayload,
    company: Company | None = None,
    *,
    create: bool,
    display_name: str | None = None,
) -> dict[str, Any]:
    """A customer or vendor. CurrencyRef is set only on create (QuickBooks: write-on-create), and
    must be one of the company's currencies; BillAddr is the party's address."""
    command = "client" if payload.entity is EntityType.CLIENT else "supplier"
    _check_name(
        payload.name,
        f"{payload.entity.label} name",
        MAX_DISPLAY_NAME,
        f"booksync {command} edit '{payload.number}' --name NAME",
    )
    company = company or Company()
    body: dict[str, Any] = {"DisplayName": display_name or payload.name}
    if display_name and display_name != payload.name:
        body["CompanyName"] = payload.name[:MAX_COMPANY_NAME]
    if payload.email:
        body["PrimaryEmailAddr"] = {"Address": payload.email}
    where = address(payload.address)
    if where is not None:
        body["BillAddr"] = where
    if create:
        if not company.currency_enabled(payload.currency):
            raise MappingError(
                f"{payload.entity.label} '{payload.name}' deals in {payload.currency}, which this "
                "QuickBooks company does not use (its currencies: "
                f"{', '.join(sorted(company.currencies))})",
                rule="currency.enabled",
            )
        body["CurrencyRef"] = ref(payload.currency)
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
        "IncomeAccountRef": ref(income),
    }
    put(body, "UnitPrice", product.price)
    if product.expense_account_code:
        body["ExpenseAccountRef"] = ref(_account(refs, product.expense_account_code))
        body["PurchaseDesc"] = body["Description"]
        put(body, "PurchaseCost", product.cost)
    if product.tax_type:
        code = tax_code(refs, product.tax_type)
        if code in US_TAX_CODES:
            body["Taxable"] = code == "TAX"
        else:
            body["SalesTaxCodeRef"] = ref(code)
    return body


def _account(refs: Refs, code: str) -> str:
    found = refs.account(code)
    if found is None:
        raise MappingError(
            f"account code '{code}' is not an active account of this QuickBooks company",
            rule="account_code.matches_tool",
        )
    return found


def tax_code(refs: Refs, tax_type: str, *, purchase: bool = False) -> str:
    found = refs.tax_code(tax_type)
    if found is None:
        side = "purchase " if purchase else ""
        raise MappingError(
            f"{side}tax type '{tax_type}' is not an active tax code of this QuickBooks company",
            rule="tax.purchase_mapped" if purchase else "tax.mapped",
        )
    return found
