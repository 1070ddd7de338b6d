"""Line items and document totals, computed the way Xero computes them.

- UnitAmount is kept to 2 decimals (4 with `unitdp=4`), Quantity to 4: "By default, the API
  accepts unit prices (UnitAmount) to two decimals places ... opt-in to 4 decimal places by adding
  the querystring parameter unitdp=4" (developer.xero.com/documentation/api-guides/rounding-in-xero;
  the spec's `unitdp` parameter, tests/specs/xero/xero_accounting.yaml line 19779).
- LineAmount = Quantity x UnitAmount x (1 - DiscountRate/100), rounded to 2 decimals.
- Tax is computed **per line** and rounded to 2 decimals there, then summed: three lines of 0.33
  at 10 % carry 0.03 tax each, 0.09 in all (not 0.10 from taxing the 0.99 total).
  Exclusive: tax = LineAmount x rate. Inclusive: tax = LineAmount x rate / (1 + rate), and the
  LineAmount already contains it. NoTax: no tax. A TaxAmount sent by the client overrides the
  computed one, as Xero allows.
- Rounding is half away from zero (0.025 -> 0.03); Xero does not document its rounding mode.
- A line names its account by AccountCode (or inherits the item's sales/purchase account); the tax
  type defaults to the item's, then the account's. Unknown or archived accounts, bank and system
  accounts, unknown tax types, and a sales tax type on an expense account (or the reverse) are
  refused with Xero's messages.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from booksync_emulators.xero import validation as msg
from booksync_emulators.xero.seed import CLASS_FLAG
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.tracking import line_tracking
from booksync_emulators.xero.validation import Problems
from booksync_emulators.xero.wire import decimal, round_to

EXCLUSIVE, INCLUSIVE, NO_TAX = "Exclusive", "Inclusive", "NoTax"
ZERO = Decimal("0.00")


def build_lines(
    org: Org,
    raw_lines: list[Any],
    *,
    amount_types: str,
    sales: bool,
    require_account: bool,
    unitdp: int,
    problems: Problems,
) -> list[Record]:
    """Validate and compute every line; problems are added, never raised, so all are reported."""
    lines = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            problems.add("Each line item must be an object.")
            continue
        lines.append(_line(org, raw, amount_types, sales, require_account, unitdp, problems))
    return lines


def _number(raw: dict[str, Any], field: str, problems: Problems) -> Decimal | None:
    value = raw.get(field)
    if value is None:
        return None
    try:
        return decimal(value, field)
    except ValueError:
        problems.add(msg.NUMBER_INVALID.format(field=field, value=value))
        return None


def _line(
    org: Org,
    raw: dict[str, Any],
    amount_types: str,
    sales: bool,
    require_account: bool,
    unitdp: int,
    problems: Problems,
) -> Record:
    line: Record = {"LineItemID": str(raw.get("LineItemID") or uuid.uuid4())}
    item = None
    if raw.get("ItemCode"):
        item = org.item_coded(str(raw["ItemCode"]))
        if item is None:
            problems.add(msg.ITEM_CODE_NOT_VALID.format(code=raw["ItemCode"]))
    details = (item.get("SalesDetails" if sales else "PurchaseDetails") or {}) if item else {}

    quantity = round_to(_number(raw, "Quantity", problems) or Decimal(1), 4)
    discount = _number(raw, "DiscountRate", problems)
    unit = _number(raw, "UnitAmount", problems)
    given_amount = _number(raw, "LineAmount", problems)
    keep = Decimal(1) - (discount or Decimal(0)) / 100
    if unit is None and given_amount is not None and quantity and keep:
        unit = given_amount / quantity / keep
    if unit is None and details.get("UnitPrice") is not None:
        unit = decimal(details["UnitPrice"], "UnitPrice")
    unit = round_to(unit if unit is not None else Decimal(0), unitdp)
    amount = round_to(quantity * unit * keep, 2)
    if given_amount is not None and round_to(given_amount, 2) != amount:
        problems.add(msg.LINE_AMOUNT_MISMATCH.format(given=given_amount, expected=amount))

    account_code = raw.get("AccountCode") or details.get("AccountCode")
    account = _account(org, account_code, problems)
    if not account_code and require_account and amount != 0:
        problems.add(msg.ACCOUNT_REQUIRED)
    rate = _tax_rate(org, raw.get("TaxType") or details.get("TaxType"), account, problems)

    percent = rate["EffectiveRate"] / 100 if rate else Decimal(0)
    given_tax = _number(raw, "TaxAmount", problems)
    if amount_types == NO_TAX:
        tax = ZERO
    elif given_tax is not None:
        tax = round_to(given_tax, 2)
    elif amount_types == INCLUSIVE:
        tax = round_to(amount * percent / (1 + percent), 2)
    else:
        tax = round_to(amount * percent, 2)

    description = raw.get("Description")
    if description is None and item is not None:
        description = item.get("Description" if sales else "PurchaseDescription") or item.get(
            "Description"
        )
    line.update(
        Description=description or "",
        Quantity=quantity,
        UnitAmount=unit,
        TaxAmount=tax,
        LineAmount=amount,
        Tracking=line_tracking(org, raw.get("Tracking"), problems),
    )
    if discount is not None:
        line["DiscountRate"] = round_to(discount, 2)
    if item is not None:
        line["ItemCode"] = item["Code"]
        line["Item"] = {
            "ItemID": item["ItemID"],
            "Code": item["Code"],
            "Name": item.get("Name", ""),
        }
    if account is not None:
        line["AccountCode"] = account["Code"]
        line["AccountID"] = account["AccountID"]
    elif raw.get("AccountCode"):
        line["AccountCode"] = raw["AccountCode"]
    if rate is not None:
        line["TaxType"] = rate["TaxType"]
    elif raw.get("TaxType"):
        line["TaxType"] = raw["TaxType"]
    return line


def _account(org: Org, code: Any, problems: Problems) -> Record | None:
    if not code:
        return None
    code = str(code)
    if len(code) > 10:
        problems.add(msg.ACCOUNT_CODE_TOO_LONG)
        return None
    account = org.account(code)
    if account is None or account["Type"] == "BANK" or account.get("SystemAccount"):
        problems.add(msg.ACCOUNT_NOT_VALID.format(code=code))
        return None
    if account["Status"] != "ACTIVE":
        problems.add(msg.ACCOUNT_ARCHIVED.format(code=code))
        return None
    return account


def _tax_rate(org: Org, tax_type: Any, account: Record | None, problems: Problems) -> Record | None:
    chosen = str(tax_type) if tax_type else (account["TaxType"] if account else None)
    if not chosen:
        return None
    rate = org.tax_rate(chosen)
    if rate is None or rate["Status"] != "ACTIVE":
        problems.add(msg.TAX_TYPE_NOT_VALID.format(tax_type=chosen))
        return None
    if account is not None and not rate[f"CanApplyTo{CLASS_FLAG[account['Class']]}"]:
        problems.add(msg.TAX_TYPE_ACCOUNT_MISMATCH.format(tax_type=chosen, code=account["Code"]))
        return None
    return rate


def totals(lines: list[Record], amount_types: str) -> dict[str, Decimal]:
    """SubTotal, TotalTax, Total (and TotalDiscount) from lines whose tax is already rounded."""
    summed = sum((line["LineAmount"] for line in lines), ZERO)
    tax = sum((line["TaxAmount"] for line in lines), ZERO)
    if amount_types == INCLUSIVE:
        subtotal, total = summed - tax, summed
    else:
        subtotal, total = summed, summed + tax
    discount = sum(
        (
            round_to(line["Quantity"] * line["UnitAmount"], 2) - line["LineAmount"]
            for line in lines
            if "DiscountRate" in line
        ),
        ZERO,
    )
    out = {"SubTotal": subtotal, "TotalTax": tax, "Total": total}
    if discount:
        out["TotalDiscount"] = discount
    return out
