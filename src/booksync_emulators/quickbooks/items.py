"""Products and services (Item), with the rules QBO holds them to.

- Name is required, at most 100 characters, unique among items without regard to case (6240).
- Type is one of Service, NonInventory, Inventory. Every type needs an IncomeAccountRef (an Income
  or Other Income account); Inventory also needs an AssetAccountRef, QtyOnHand and InvStartDate.
- ExpenseAccountRef, when given, is an expense or cost-of-sales account (an item without one
  cannot go on a purchase order). SalesTaxCodeRef / PurchaseTaxCodeRef name tax codes usable on
  that side; lines fall back on them.
- Making an item inactive renames it `<name> (deleted)`, as for customers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from booksync_emulators.quickbooks import errors, fields, refs
from booksync_emulators.quickbooks.names import DELETED
from booksync_emulators.quickbooks.store import Realm, Record

TYPES = ("Service", "NonInventory", "Inventory")
READ_ONLY = frozenset({"FullyQualifiedName", "Level"})


def complete(realm: Realm, draft: Record, existing: Record | None, now: datetime) -> Record:
    """Validate an item and fill what QBO derives; raise `Fault`."""
    name = (fields.text(draft, "Name", 100) or "").strip()
    if not name:
        raise errors.required("Name")
    for field_name, limit in (("Description", 4000), ("PurchaseDesc", 4000), ("Sku", 100)):
        fields.text(draft, field_name, limit)
    kind = draft.get("Type")
    if kind is None:
        raise errors.required("Type")
    if kind not in TYPES:
        raise errors.invalid_property("Type", f"'{kind}' is not one of {', '.join(TYPES)}")
    active = fields.boolean(draft, "Active")
    active = True if active is None else active
    was_active = existing is None or existing.get("Active", True)
    if not active and was_active and not name.endswith(DELETED):
        name += DELETED
    if active and not was_active and name.endswith(DELETED):
        name = name[: -len(DELETED)]
    if realm.item_named(name, excluding=existing["Id"] if existing else None) is not None:
        raise errors.duplicate_name(errors.ITEM_NAME_TAKEN)

    record: Record = dict(draft)
    income_id = fields.ref_id(draft, "IncomeAccountRef")
    if income_id is None:
        raise errors.required("IncomeAccountRef")
    income = refs.account(realm, income_id, "IncomeAccountRef", refs.INCOME_TYPES)
    record["IncomeAccountRef"] = refs.out(income, "Name")
    expense_id = fields.ref_id(draft, "ExpenseAccountRef")
    if expense_id is not None:
        expense = refs.account(realm, expense_id, "ExpenseAccountRef", refs.EXPENSE_TYPES)
        record["ExpenseAccountRef"] = refs.out(expense, "Name")
    if kind == "Inventory":
        asset_id = fields.ref_id(draft, "AssetAccountRef")
        for required in ("AssetAccountRef", "QtyOnHand", "InvStartDate"):
            if draft.get(required) is None:
                raise errors.required(required)
        asset = refs.account(realm, asset_id, "AssetAccountRef", frozenset({"Other Current Asset"}))
        record["AssetAccountRef"] = refs.out(asset, "Name")
        record["QtyOnHand"] = fields.number(draft["QtyOnHand"], "QtyOnHand")
        record["InvStartDate"] = fields.day(draft, "InvStartDate")
        record["TrackQtyOnHand"] = True
    else:
        record["TrackQtyOnHand"] = False
    for field_name, side in (("SalesTaxCodeRef", "sales"), ("PurchaseTaxCodeRef", "purchases")):
        code_id = fields.ref_id(draft, field_name)
        if code_id is not None:
            code = refs.tax_code(realm, code_id, side, field_name)  # type: ignore[arg-type]
            record[field_name] = refs.out(code, "Name")
    for field_name in ("UnitPrice", "PurchaseCost"):
        value = fields.optional_number(draft, field_name)
        record[field_name] = value if value is not None else Decimal("0")
    record.update(Name=name, FullyQualifiedName=name, Active=active)
    record.setdefault("SubItem", False)
    record.setdefault("Taxable", False)
    return record
