"""Transaction lines and totals, computed the way QBO computes them for an AU (GST) company.

- A sales form takes `SalesItemLineDetail` lines (and `DescriptionOnly` text lines); a purchase
  order takes `ItemBasedExpenseLineDetail` and `AccountBasedExpenseLineDetail` lines. QBO's own
  `SubTotalLineDetail` line is computed, so one sent in is dropped; discount and group lines are
  not emulated (2010).
- `Amount` is required. With `Qty` and `UnitPrice` both given, `Amount` must equal
  `Qty x UnitPrice` rounded half-up to cents (6070); a missing one is derived from the others.
- Every line names its tax code by `TaxCodeRef` (the tax code's `Id`): with GST on, a line without
  one is refused ("Make sure all your transactions have a GST rate before you save.", 6000, seen);
  QBO does not fall back on the item's tax code. `GlobalTaxCalculation: NotApplicable` charges no
  tax. `TaxInclusive` is not emulated (6000, emulator wording).
- Tax is computed **per line**, rounded half-up to 2 decimals there, then summed per tax rate into
  `TxnTaxDetail.TaxLine` (three lines of 0.33 at 10 % carry 0.03 each: 0.09, not 0.10). Intuit's
  staff: "QuickBooks Online will always calculate line-by-line" (https://quickbooks.intuit.com/
  learn-support/en-ca/sales-customers/if-my-subtotal-is-95-40-and-my-gst-hst-is-15-the-total-tax/
  01/306952).
- A US company (`ustax`): a sales line's `TaxCodeRef` is the pseudo code `TAX` or `NON` (a real
  tax code on a line is 6000, emulator wording), absent meaning NON; the rate is the
  transaction's (`us_code`), charged on each TAX line. Purchase lines carry no tax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import errors, fields, refs
from booksync_emulators.quickbooks.refs import Side
from booksync_emulators.quickbooks.store import Realm, Record
from booksync_emulators.quickbooks.wire import ref, round2

TAX_EXCLUDED, TAX_INCLUSIVE, NOT_APPLICABLE = "TaxExcluded", "TaxInclusive", "NotApplicable"
CALCULATIONS = (TAX_EXCLUDED, TAX_INCLUSIVE, NOT_APPLICABLE)
SALES_ITEM = "SalesItemLineDetail"
DESCRIPTION = "DescriptionOnly"
SUBTOTAL = "SubTotalLineDetail"
ITEM_EXPENSE = "ItemBasedExpenseLineDetail"
ACCOUNT_EXPENSE = "AccountBasedExpenseLineDetail"
NOT_EMULATED = frozenset({"DiscountLineDetail", "GroupLineDetail", "TDSLineDetail"})
NO_TAX_CODE = "Make sure all your transactions have a GST rate before you save."  # seen, 6000
US_PSEUDO = ("TAX", "NON")
ZERO = Decimal("0.00")
#: accounts an account-based purchase line may post to
EXPENSE_LINE_TYPES = refs.EXPENSE_TYPES | {"Other Current Asset", "Fixed Asset", "Other Asset"}


@dataclass
class _TaxLine:
    rate: Record
    amount: Decimal = ZERO
    net: Decimal = ZERO


@dataclass
class Computed:
    """The lines as QBO stores them, and the totals they add up to."""

    lines: list[Record]
    subtotal: Decimal
    total_tax: Decimal
    tax_lines: list[Record] = field(default_factory=list)
    #: US: the transaction's tax code (TxnTaxDetail.TxnTaxCodeRef)
    tax_code: str | None = None

    def tax_detail(self) -> Record:
        detail: Record = {"TotalTax": self.total_tax, "TaxLine": self.tax_lines}
        if self.tax_code is not None:
            detail = {"TxnTaxCodeRef": {"value": self.tax_code}, **detail}
        return detail


def compute(
    realm: Realm,
    raw_lines: Any,
    *,
    side: Side,
    calculation: str = TAX_EXCLUDED,
    us_code: Record | None = None,
) -> Computed:
    """Validate and compute every line; raise the first `Fault` found, as QBO does. `us_code` is
    a US company's transaction tax code (None: no tax, or a purchase)."""
    if calculation == TAX_INCLUSIVE:
        raise errors.business(
            "GlobalTaxCalculation TaxInclusive is not emulated; send TaxExcluded (amounts before "
            "GST) or NotApplicable.",
            "GlobalTaxCalculation",
        )
    if raw_lines is None:
        raise errors.required("Line")
    if not isinstance(raw_lines, list):
        raise errors.invalid_property("Line", "expected a list of lines")
    taxes: dict[str, _TaxLine] = {}
    lines: list[Record] = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise errors.invalid_property("Line", "each line must be an object")
        line = _line(realm, raw, len(lines) + 1, side, calculation, taxes, us_code)
        if line is not None:
            lines.append(line)
    if not any(line["DetailType"] != DESCRIPTION for line in lines):
        raise errors.required("Line")
    subtotal = sum((line.get("Amount", ZERO) for line in lines), ZERO)
    if side == "sales":
        lines.append({"Amount": subtotal, "DetailType": SUBTOTAL, SUBTOTAL: {}})
    tax_lines = [
        {
            "Amount": t.amount,
            "DetailType": "TaxLineDetail",
            "TaxLineDetail": {
                "TaxRateRef": {"value": t.rate["Id"]},
                "PercentBased": True,
                "TaxPercent": t.rate["RateValue"],
                "NetAmountTaxable": t.net,
            },
        }
        for t in taxes.values()
    ]
    total_tax = sum((t.amount for t in taxes.values()), ZERO)
    return Computed(lines, subtotal, total_tax, tax_lines)


def _line(
    realm: Realm,
    raw: dict[str, Any],
    number: int,
    side: Side,
    calculation: str,
    taxes: dict[str, _TaxLine],
    us_code: Record | None = None,
) -> Record | None:
    kind = raw.get("DetailType")
    if kind is None:
        raise errors.required("Line.DetailType")
    if kind == SUBTOTAL:
        return None
    allowed = (SALES_ITEM, DESCRIPTION) if side == "sales" else (ITEM_EXPENSE, ACCOUNT_EXPENSE)
    if kind in NOT_EMULATED:
        raise errors.invalid_property("Line.DetailType", f"{kind} lines are not emulated")
    if kind not in allowed:
        raise errors.invalid_property(
            "Line.DetailType", f"'{kind}' is not one of {', '.join(allowed)}"
        )
    fields.text(raw, "Description", 4000, label="Line.Description")
    detail = raw.get(kind) if kind != DESCRIPTION else raw.get("DescriptionLineDetail") or {}
    if not isinstance(detail, dict):
        raise errors.required(f"Line.{kind}")
    out: Record = {"Id": str(number), "LineNum": number, "DetailType": kind}
    if raw.get("Description") is not None:
        out["Description"] = raw["Description"]
    if kind == DESCRIPTION:
        out["DescriptionLineDetail"] = dict(detail)
        return out
    if raw.get("Amount") is None:
        raise errors.required("Line.Amount")
    amount = round2(fields.number(raw["Amount"], "Line.Amount"))
    if kind == ACCOUNT_EXPENSE:
        account_id = fields.ref_id(detail, "AccountRef", label=f"Line.{kind}.AccountRef")
        if account_id is None:
            raise errors.required(f"Line.{kind}.AccountRef")
        account = refs.account(realm, account_id, f"Line.{kind}.AccountRef", EXPENSE_LINE_TYPES)
        out_detail: Record = {**detail, "AccountRef": refs.out(account, "Name")}
        out_detail.setdefault("BillableStatus", "NotBillable")
    else:
        out_detail = _item_detail(realm, kind, detail, amount, side, out)
    class_id = fields.ref_id(detail, "ClassRef", label=f"Line.{kind}.ClassRef")
    if class_id is not None:  # an active Class, else 2500 (refs.py)
        found = refs.record(realm, "Class", class_id, f"Line.{kind}.ClassRef")
        out_detail["ClassRef"] = refs.out(found, "FullyQualifiedName")
    code_id = fields.ref_id(detail, "TaxCodeRef", label=f"Line.{kind}.TaxCodeRef")
    if realm.profile.is_us:
        out_detail.pop("TaxCodeRef", None)
        if code_id not in (None, *US_PSEUDO):
            raise errors.business(
                f"Line.{kind}.TaxCodeRef '{code_id}': a US company's lines take TAX or NON; the "
                "rate is the transaction's (TxnTaxDetail.TxnTaxCodeRef) or automated sales tax.",
                f"Line.{kind}.TaxCodeRef",
            )
        if side == "sales":
            out_detail["TaxCodeRef"] = ref(code_id or "NON")
            if code_id == "TAX" and us_code is not None:
                _add_tax(realm, us_code, side, amount, taxes)
        elif code_id is not None:
            out_detail["TaxCodeRef"] = ref(code_id)
        out["Amount"] = amount
        out[kind] = out_detail
        return out
    if code_id is None and calculation != NOT_APPLICABLE:
        raise errors.business(NO_TAX_CODE, f"Line.{kind}.TaxCodeRef")
    if code_id is not None:
        code = refs.tax_code(realm, code_id, side, f"Line.{kind}.TaxCodeRef")
        out_detail["TaxCodeRef"] = ref(code["Id"])
        if calculation == TAX_EXCLUDED:
            _add_tax(realm, code, side, amount, taxes)
    out["Amount"] = amount
    out[kind] = out_detail
    return out


def _item_detail(
    realm: Realm, kind: str, detail: dict[str, Any], amount: Decimal, side: Side, out: Record
) -> Record:
    element = f"Line.{kind}.ItemRef"
    item_id = fields.ref_id(detail, "ItemRef", label=element)
    if item_id is None:
        raise errors.required(element)
    item = refs.record(realm, "Item", item_id, element)
    quantity = fields.optional_number(detail, "Qty", label=f"Line.{kind}.Qty")
    price = fields.optional_number(detail, "UnitPrice", label=f"Line.{kind}.UnitPrice")
    if quantity is None:
        quantity = (amount / price).normalize() if price else Decimal(1)
    if price is None:
        price = (amount / quantity).normalize() if quantity else ZERO
    if round2(quantity * price) != amount:
        raise errors.amount_mismatch(amount)
    result: Record = {
        **detail,
        "ItemRef": refs.out(item, "Name"),
        "Qty": quantity,
        "UnitPrice": price,
    }
    if side == "sales":
        result["ItemAccountRef"] = item["IncomeAccountRef"]
        description = item.get("Description")
    else:
        account = item.get("ExpenseAccountRef") or item.get("AssetAccountRef")
        if account is None:
            raise errors.business(
                f"Item '{item['Name']}' (Id {item['Id']}) has no expense account, so it cannot be "
                "purchased; set its ExpenseAccountRef.",
                element,
            )
        result["ItemAccountRef"] = account
        result.setdefault("BillableStatus", "NotBillable")
        description = item.get("PurchaseDesc") or item.get("Description")
    if "Description" not in out and description:
        out["Description"] = description
    return result


def _add_tax(
    realm: Realm, code: Record, side: Side, amount: Decimal, taxes: dict[str, _TaxLine]
) -> None:
    for detail in refs.rates(code, side):
        rate = realm.get("TaxRate", detail["TaxRateRef"]["value"])
        if rate is None:
            continue
        entry = taxes.setdefault(rate["Id"], _TaxLine(rate))
        entry.amount += round2(amount * rate["RateValue"] / 100)
        entry.net += amount
