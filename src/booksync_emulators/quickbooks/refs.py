"""Resolving the references a request makes (`CustomerRef`, `ItemRef`, `AccountRef`,
`TaxCodeRef`, ...) to the realm's records, with QBO's answers when they do not resolve:
an unknown or inactive customer, vendor, item or account is 2500 Invalid Reference Id (seen);
a tax code that does not exist, or cannot be used on this side (sales / purchases), is a 6000
business validation error (emulator wording)."""

from __future__ import annotations

from typing import Any, Literal

from booksync_emulators.quickbooks import errors
from booksync_emulators.quickbooks.store import Realm, Record
from booksync_emulators.quickbooks.wire import ref

Side = Literal["sales", "purchases"]

INCOME_TYPES = frozenset({"Income", "Other Income"})
EXPENSE_TYPES = frozenset({"Expense", "Other Expense", "Cost of Goods Sold"})
#: accounts a line may post to directly (not the control accounts QBO keeps for itself)
CONTROL_TYPES = frozenset({"Accounts Receivable", "Accounts Payable"})


def record(realm: Realm, entity: str, object_id: str | None, element: str) -> Record:
    """An active customer, vendor, employee, item or account, or 2500."""
    found = realm.get(entity, object_id)
    if found is None:
        raise errors.invalid_reference(element)
    if not found.get("Active", True):
        raise errors.invalid_reference(element, inactive=True)
    return found


def account(realm: Realm, object_id: str | None, element: str, types: frozenset[str]) -> Record:
    """An active account of one of `types`; another type is a 6000 naming what is accepted."""
    found = record(realm, "Account", object_id, element)
    if found["AccountType"] not in types:
        raise errors.business(
            f"{element} '{found['Name']}' is a {found['AccountType']} account; use one of: "
            f"{', '.join(sorted(types))}.",
            element,
        )
    return found


def tax_code(realm: Realm, object_id: str | None, side: Side, element: str) -> Record:
    """A tax code with rates for `side`, or 6000."""
    found = realm.get("TaxCode", object_id)
    if found is None or not found.get("Active", True):
        raise errors.business(f"Invalid tax code Id {object_id} in {element}.", element)
    if not rates(found, side):
        raise errors.business(
            f"The tax code {found['Name']} (Id {found['Id']}) can't be used on {side}.", element
        )
    return found


def rates(code: Record, side: Side) -> list[dict[str, Any]]:
    """The TaxRateDetail entries a code applies on sales or on purchases."""
    key = "SalesTaxRateList" if side == "sales" else "PurchaseTaxRateList"
    return list((code.get(key) or {}).get("TaxRateDetail") or [])


def out(found: Record, name_field: str = "DisplayName") -> dict[str, str]:
    """A reference as written back: the Id and the object's current name."""
    return ref(found["Id"], found.get(name_field))
