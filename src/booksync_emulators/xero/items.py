"""Items (products): Code is required, at most 30 characters and unique; it also identifies the item
to update on POST. Sales and purchase details must name real account codes and tax types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booksync_emulators.xero import validation as msg
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Invalid, Problems
from booksync_emulators.xero.wire import decimal, round_to

ZERO_ID = "00000000-0000-0000-0000-000000000000"
READ_ONLY = frozenset(
    {
        "ItemID",
        "UpdatedDateUTC",
        "ValidationErrors",
        "StatusAttributeString",
        "TotalCostPool",
        "QuantityOnHand",
    }
)


def save_item(
    org: Org, element: dict[str, Any], now: datetime, path_id: str | None, unitdp: int, method: str
) -> Record:
    """Create or update one item; raise `Invalid` with every problem and change nothing.

    The item to update is named by ItemID, or on POST by a known Code."""
    problems = Problems()
    existing = _target(org, element, path_id, method)
    own_id = existing["ItemID"] if existing else None
    code = problems.text(element, "Code", 30)
    problems.text(element, "Name", 50)
    problems.text(element, "Description", 4000)
    problems.text(element, "PurchaseDescription", 4000)
    if existing is None and not (code or "").strip():
        problems.add(msg.ITEM_CODE_REQUIRED)
    elif code is not None and org.item_coded(code, excluding=own_id):
        problems.add(msg.ITEM_CODE_TAKEN.format(code=code))
    details = {
        side: _details(org, element.get(side), side, problems, unitdp)
        for side in ("SalesDetails", "PurchaseDetails")
    }
    problems.raise_if_any()

    record: Record = (
        dict(existing) if existing else {"ItemID": str(uuid.uuid4()), "IsTrackedAsInventory": False}
    )
    record.update({k: v for k, v in element.items() if v is not None and k not in READ_ONLY})
    for side, value in details.items():
        if value is not None:
            record[side] = value
    record.setdefault("IsSold", "SalesDetails" in record or existing is None)
    record.setdefault("IsPurchased", "PurchaseDetails" in record or existing is None)
    record["UpdatedDateUTC"] = now
    org.collection("Items")[record["ItemID"]] = record
    return record


def _target(org: Org, element: dict[str, Any], path_id: str | None, method: str) -> Record | None:
    items = org.collection("Items")
    wanted = path_id or element.get("ItemID")
    if wanted:
        found = items.get(str(wanted)) or org.item_coded(str(wanted))
        if found is None:
            raise Invalid([msg.OBJECT_NOT_FOUND.format(element="Item", field="ItemID", id=wanted)])
        return found
    code = element.get("Code")
    if method == "POST" and isinstance(code, str) and code.strip():
        return org.item_coded(code)
    return None


def _details(
    org: Org, value: Any, side: str, problems: Problems, unitdp: int
) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(f"{side} must be an object.")
        return None
    out = dict(value)
    if value.get("UnitPrice") is not None:
        try:
            out["UnitPrice"] = round_to(decimal(value["UnitPrice"], f"{side}.UnitPrice"), unitdp)
        except ValueError as exc:
            problems.add(str(exc))
    for field in ("AccountCode", "COGSAccountCode"):
        code = value.get(field)
        if code:
            account = org.account(str(code))
            if account is None or account["Status"] != "ACTIVE" or account["Type"] == "BANK":
                problems.add(msg.ITEM_ACCOUNT_NOT_VALID.format(code=code))
    tax_type = value.get("TaxType")
    if tax_type:
        rate = org.tax_rate(str(tax_type))
        if rate is None or rate["Status"] != "ACTIVE":
            problems.add(msg.TAX_TYPE_NOT_VALID.format(tax_type=tax_type))
    return out


def render_item(record: Record) -> dict[str, Any]:
    return dict(record)


def render_invalid(element: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    out = dict(element)
    out.setdefault("ItemID", ZERO_ID)
    out["ValidationErrors"] = [{"Message": m} for m in messages]
    return out
