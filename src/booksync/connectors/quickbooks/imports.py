"""QuickBooks Online's objects as booksync imports them: income and expense accounts, tax codes at
their rates, customers and vendors, items; and the Ids behind every name booksync may hold.

Pure functions: no HTTP here. An account's code is its number when the company numbers accounts,
else its name; a tax code is known by its name; an item by its SKU, else its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.connectors.protocol import RemoteAccount, RemoteContact, RemoteItem, RemoteTaxType
from booksync.domain.types import AccountKind, EntityType

#: booksync's account code column holds up to 50 characters; longer QBO names import by Id.
MAX_CODE = 50

_CLASSIFICATIONS = {"Revenue": AccountKind.INCOME, "Expense": AccountKind.EXPENSE}
_INCOME_TYPES = frozenset({"Income", "Other Income"})
_EXPENSE_TYPES = frozenset({"Expense", "Other Expense", "Cost of Goods Sold"})


def account_code_of(data: Mapping[str, Any]) -> str:
    """What booksync stores as the account's code: its number when the company numbers accounts,
    else its name (what a person sees), else its Id when the name is too long for booksync."""
    number = str(data.get("AcctNum") or "").strip()
    if number:
        return number
    name = str(data.get("Name") or "").strip()
    if name and len(name) <= MAX_CODE:
        return name
    return str(data.get("Id") or "")


def account(data: Mapping[str, Any]) -> RemoteAccount | None:
    """An income or expense account; other accounts (bank, receivable, ...) are not imported."""
    if not data.get("Id"):
        return None
    classification = str(data.get("Classification") or "")
    kind = _CLASSIFICATIONS.get(classification)
    if kind is None:
        account_type = str(data.get("AccountType") or "")
        if account_type in _INCOME_TYPES:
            kind = AccountKind.INCOME
        elif account_type in _EXPENSE_TYPES:
            kind = AccountKind.EXPENSE
        else:
            return None
    code = account_code_of(data)
    name = str(data.get("FullyQualifiedName") or data.get("Name") or code)
    return RemoteAccount(code, name, kind, data.get("Active", True) is not False)


def account_refs(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every spelling of an account that booksync may hold, to its Id (numbers win over names)."""
    found: dict[str, str] = {}
    for row in rows:
        account_id = str(row.get("Id") or "")
        if not account_id:
            continue
        for key in (row.get("Id"), row.get("FullyQualifiedName"), row.get("Name")):
            if key:
                found.setdefault(str(key), account_id)
    for row in rows:
        if row.get("AcctNum") and row.get("Id"):
            found[str(row["AcctNum"])] = str(row["Id"])
    return found


def _percent(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _rate_ids(data: Mapping[str, Any], key: str) -> list[str]:
    listed = data.get(key)
    details = listed.get("TaxRateDetail") if isinstance(listed, dict) else None
    ids = []
    for detail in details or []:
        ref = detail.get("TaxRateRef") if isinstance(detail, dict) else None
        if isinstance(ref, dict) and ref.get("value") is not None:
            ids.append(str(ref["value"]))
    return ids


def tax_code(data: Mapping[str, Any], rates: Mapping[str, Decimal]) -> RemoteTaxType | None:
    """A tax code, named as QuickBooks names it, at the sum of its sales rates (else purchase)."""
    name = str(data.get("Name") or "").strip()
    if not name or not data.get("Id"):
        return None
    ids = _rate_ids(data, "SalesTaxRateList") or _rate_ids(data, "PurchaseTaxRateList")
    percent = sum((rates.get(i, Decimal(0)) for i in ids), Decimal(0))
    return RemoteTaxType(
        name,
        str(data.get("Description") or name),
        percent,
        data.get("Active", True) is not False,
    )


def tax_rates(rows: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    return {str(r["Id"]): _percent(r.get("RateValue")) for r in rows if r.get("Id")}


def tax_code_refs(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        if row.get("Id"):
            found.setdefault(str(row["Id"]), str(row["Id"]))
            if row.get("Name"):
                found[str(row["Name"])] = str(row["Id"])
    return found


#: What booksync appends to a display name another kind of name holds (mapping.SUFFIXES).
_SUFFIXES = {EntityType.SUPPLIER: " (supplier)", EntityType.CLIENT: " (client)"}


def remote_contact(data: Mapping[str, Any], entity: EntityType) -> RemoteContact | None:
    """A customer (links to a client) or vendor (to a supplier): their Ids are separate series.
    QuickBooks has no field for booksync's number, so none is read. One booksync wrote as
    "Acme Pty Ltd (supplier)" is known by its CompanyName, the real name."""
    if not data.get("Id"):
        return None
    name = str(data.get("DisplayName") or "")
    company = str(data.get("CompanyName") or "")
    if company and name == company + _SUFFIXES[entity]:
        name = company
    return RemoteContact(
        str(data["Id"]),
        name,
        None,
        data.get("Active", True) is not False,
        entity,
    )


def remote_item(data: Mapping[str, Any]) -> RemoteItem | None:
    """An item, coded by its SKU when it has one, else its name; categories are not items."""
    if not data.get("Id") or data.get("Type") == "Category":
        return None
    name = str(data.get("Name") or "")
    return RemoteItem(str(data["Id"]), str(data.get("Sku") or "") or name, name)
