"""Invoices, estimates, credit memos, sales receipts and purchase orders: one set of rules, five
configurations.

QBO has no sales order: booksync sends a sales order as an **Estimate** (TxnStatus Pending), the
form QBO offers for goods and services proposed to a customer.

What QBO enforces and the emulator reproduces:
- The party: `CustomerRef` (sales forms) or `VendorRef` (purchase orders) is required (2020) and
  must be an active customer / vendor (2500).
- `DocNumber` at most 21 characters (2050), numbered and checked for duplicates as the company's
  `CustomTxnNumbers` says (`forms.doc_number`).
- Dates are `YYYY-MM-DD` ("" is a date not sent); `TxnDate` defaults to the company's today, an
  invoice's `DueDate` to its payment terms (`forms.due_date`). A posting form dated on or before
  the books' close date is 6210 (`company.check_books_open`).
- Addresses, memos, class and location, currency and exchange rate: `forms.py`.
- Lines and tax are in `lines` (and `ustax` for US companies); `TotalAmt` = lines + tax, `Balance`
  (invoices, credit memos) = `TotalAmt` less what payments apply, a credit memo's
  `RemainingCredit` too. A sales receipt is paid on the spot (Balance 0) into Undeposited Funds
  unless `DepositToAccountRef` says otherwise; a purchase order posts against Accounts Payable
  (`APAccountRef`) and is Open until closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import (
    company,
    errors,
    fields,
    forms,
    lines,
    payments,
    refs,
    ustax,
)
from booksync_emulators.quickbooks.refs import Side
from booksync_emulators.quickbooks.store import Realm, Record

ZERO = Decimal("0.00")
READ_ONLY = frozenset(
    {
        "TotalAmt",
        "Balance",
        "HomeTotalAmt",
        "HomeBalance",
        "RemainingCredit",
        "Deposit",
        "LinkedTxn",
    }
)


@dataclass(frozen=True)
class TxnKind:
    entity: str
    party_field: str
    party_entity: str
    side: Side
    due_days: int | None = None
    #: Balance follows TotalAmt (the form is owed); else it is fixed in `fixed`
    owed: bool = False
    #: (field, default, allowed values)
    status: tuple[str, str, tuple[str, ...]] | None = None
    #: (field, default account name, account types accepted)
    account: tuple[str, str, frozenset[str]] | None = None
    date_fields: tuple[str, ...] = ("TxnDate",)
    fixed: dict[str, Any] = field(default_factory=dict)


_SALES_FORM = {"PrintStatus": "NotSet", "EmailStatus": "NotSet", "ApplyTaxAfterDiscount": False}
KINDS: dict[str, TxnKind] = {
    "Invoice": TxnKind(
        "Invoice", "CustomerRef", "Customer", "sales", due_days=30, owed=True,
        date_fields=("TxnDate", "DueDate", "ShipDate"),
        fixed={**_SALES_FORM, "Deposit": ZERO, "AllowOnlineCreditCardPayment": False},
    ),
    "Estimate": TxnKind(
        "Estimate", "CustomerRef", "Customer", "sales",
        status=("TxnStatus", "Pending", ("Pending", "Accepted", "Closed", "Rejected")),
        date_fields=("TxnDate", "ExpirationDate", "ShipDate", "AcceptedDate"), fixed=dict(_SALES_FORM),
    ),
    "CreditMemo": TxnKind("CreditMemo", "CustomerRef", "Customer", "sales", owed=True, fixed=dict(_SALES_FORM)),
    "SalesReceipt": TxnKind(
        "SalesReceipt", "CustomerRef", "Customer", "sales",
        account=("DepositToAccountRef", "Undeposited Funds", frozenset({"Bank", "Other Current Asset"})),
        fixed={**_SALES_FORM, "Balance": ZERO},
    ),
    "PurchaseOrder": TxnKind(
        "PurchaseOrder", "VendorRef", "Vendor", "purchases",
        status=("POStatus", "Open", ("Open", "Closed")),
        account=("APAccountRef", "Accounts Payable (A/P)", frozenset({"Accounts Payable"})),
        date_fields=("TxnDate", "DueDate"), fixed={"EmailStatus": "NotSet"},
    ),
}  # fmt: skip


def complete(
    realm: Realm,
    kind: TxnKind,
    draft: Record,
    existing: Record | None,
    now: datetime,
    *,
    allow_duplicate_number: bool = False,
) -> Record:
    """Validate a transaction and compute its lines and totals; raise `Fault`."""
    party_id = fields.ref_id(draft, kind.party_field)
    if party_id is None:
        raise errors.required(kind.party_field)
    party = refs.record(realm, kind.party_entity, party_id, kind.party_field)
    record: Record = dict(draft)
    record[kind.party_field] = refs.out(party)
    record.pop("DocNumber", None)
    number = forms.doc_number(
        realm, kind.entity, draft, existing, allow_duplicate=allow_duplicate_number
    )
    if number:
        record["DocNumber"] = number

    for name in kind.date_fields:
        record.pop(name, None)
        value = fields.day(draft, name)
        if value is not None:
            record[name] = value
    record.setdefault("TxnDate", realm.today(now).isoformat())
    company.check_books_open(
        realm, kind.entity, record["TxnDate"], existing.get("TxnDate") if existing else None
    )
    if kind.due_days is not None:
        forms.due_date(realm, record, draft, party)
    forms.memos(record, draft, kind.entity)
    if kind.side == "sales":
        forms.addresses(record, draft, party)
    forms.tracking(realm, record, draft)
    rate = forms.currency(realm, record, draft, party)

    if kind.status is not None:
        status_field, default, allowed = kind.status
        status = draft.get(status_field) or default
        if status not in allowed:
            raise errors.invalid_property(
                status_field, f"'{status}' is not one of {', '.join(allowed)}"
            )
        record[status_field] = status
    if kind.account is not None:
        account_field, default_name, types = kind.account
        account_id = fields.ref_id(draft, account_field)
        account = (
            refs.account(realm, account_id, account_field, types)
            if account_id is not None
            else realm.account_named(default_name)
        )
        record[account_field] = refs.out(account, "Name")

    computed = _lines(realm, kind, draft, record)
    total = computed.subtotal + computed.total_tax
    for name, value in kind.fixed.items():
        record.setdefault(name, value)
    record.update(Line=computed.lines, TxnTaxDetail=computed.tax_detail(), TotalAmt=total)
    if realm.profile.multicurrency:
        record["HomeTotalAmt"] = forms.home(total, rate)
    own_id = existing["Id"] if existing else None
    if kind.owed:
        paid = payments.applied_to(realm, kind.entity, own_id) if own_id else ZERO
        record["Balance"] = total - paid
    if kind.entity == "CreditMemo":
        record["RemainingCredit"] = record["Balance"]
    kept = [x for x in record.get("LinkedTxn") or [] if x.get("TxnType") != "Payment"]
    record["LinkedTxn"] = kept + (payments.links_to(realm, kind.entity, own_id) if own_id else [])
    return record


def _lines(realm: Realm, kind: TxnKind, draft: Record, record: Record) -> lines.Computed:
    """The lines and tax, in the company's tax model: a tax code per line outside the US
    (`GlobalTaxCalculation` "Not applicable to US companies; required for non-US companies"),
    TAX / NON and the transaction's tax code in the US (`ustax`)."""
    if realm.profile.is_us:
        record.pop("GlobalTaxCalculation", None)
        code = ustax.transaction_code(realm, draft, record) if kind.side == "sales" else None
        computed = lines.compute(realm, draft.get("Line"), side=kind.side, us_code=code)
        if code is not None:
            computed.tax_code = code["Id"]
        return computed
    calculation = draft.get("GlobalTaxCalculation") or lines.TAX_EXCLUDED
    if calculation not in lines.CALCULATIONS:
        raise errors.invalid_property(
            "GlobalTaxCalculation", f"'{calculation}' is not one of {', '.join(lines.CALCULATIONS)}"
        )
    record["GlobalTaxCalculation"] = calculation
    return lines.compute(realm, draft.get("Line"), side=kind.side, calculation=calculation)
