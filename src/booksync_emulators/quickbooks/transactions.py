"""Invoices, estimates, credit memos, sales receipts and purchase orders: one set of rules, five
configurations.

QBO has no sales order: booksync sends a sales order as an **Estimate** (TxnStatus Pending), the
form QBO offers for goods and services proposed to a customer.

What QBO enforces and the emulator reproduces:
- The party: `CustomerRef` (sales forms) or `VendorRef` (purchase orders) is required (2020) and
  must be an active customer / vendor (2500).
- `DocNumber` at most 21 characters (2050). Without one, QBO numbers the form: one past the highest
  numeric number of its type, from 1001 (a full update that leaves DocNumber out keeps the number).
  A number already used by another form of the type is 6140, unless the call says
  `?include=allowduplicatedocnum`.
- Dates are `YYYY-MM-DD`; `TxnDate` defaults to the company's today, an invoice's `DueDate` to 30
  days later (terms Net 30). Single currency (AUD).
- Lines and tax are in `lines`; `TotalAmt` = lines + tax, `Balance` (invoices, credit memos) =
  `TotalAmt`, a credit memo's `RemainingCredit` too. A sales receipt is paid on the spot (Balance 0)
  into Undeposited Funds unless `DepositToAccountRef` says otherwise; a purchase order posts
  against Accounts Payable (`APAccountRef`) and is Open until closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import errors, fields, lines, refs, seed
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
        "TxnTaxDetail",
        "Deposit",
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

    number = fields.text(draft, "DocNumber", 21)
    if number is None:
        number = existing.get("DocNumber") if existing else realm.next_doc_number(kind.entity)
    own_id = existing["Id"] if existing else None
    taken = realm.doc_numbered(kind.entity, number, own_id) if number else None
    if number and taken is not None and not allow_duplicate_number:
        raise errors.duplicate_doc_number(number, kind.entity, taken["Id"])
    if number:
        record["DocNumber"] = number

    for name in kind.date_fields:
        value = fields.day(draft, name)
        if value is not None:
            record[name] = value
    record.setdefault("TxnDate", realm.today(now).isoformat())
    if kind.due_days is not None and "DueDate" not in record:
        due = date.fromisoformat(record["TxnDate"]) + timedelta(days=kind.due_days)
        record["DueDate"] = due.isoformat()
    fields.text(draft, "PrivateNote", 4000)
    currency = fields.ref_id(draft, "CurrencyRef")
    if currency is not None and currency != seed.CURRENCY["value"]:
        raise errors.business(
            f"Currency {currency} is not available: multicurrency is off and the home currency is "
            f"{seed.CURRENCY['value']}.",
            "CurrencyRef",
        )
    record["CurrencyRef"] = dict(seed.CURRENCY)

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

    calculation = draft.get("GlobalTaxCalculation") or lines.TAX_EXCLUDED
    if calculation not in lines.CALCULATIONS:
        raise errors.invalid_property(
            "GlobalTaxCalculation", f"'{calculation}' is not one of {', '.join(lines.CALCULATIONS)}"
        )
    computed = lines.compute(realm, draft.get("Line"), side=kind.side, calculation=calculation)
    total = computed.subtotal + computed.total_tax
    for name, value in kind.fixed.items():
        record.setdefault(name, value)
    record.update(
        Line=computed.lines,
        GlobalTaxCalculation=calculation,
        TxnTaxDetail=computed.tax_detail(),
        TotalAmt=total,
    )
    if kind.owed:
        record["Balance"] = total
    if kind.entity == "CreditMemo":
        record["RemainingCredit"] = total
    record.setdefault("LinkedTxn", [])
    return record
