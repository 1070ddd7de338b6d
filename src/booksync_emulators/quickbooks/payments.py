"""Payments (ReceivePayment): money received from a customer, applied to its invoices, and the
way QBO applies a credit memo to an invoice.

A credit memo is applied to an invoice by a payment whose lines link both: "When applying a credit
memo to an invoice in QuickBooks Online, a $0 payment record is created to link the credit and the
invoice ... with the credit amount applied to the invoice and a negative amount applied to the
credit" (https://hub.acctivate.com/articles/credit-applications-in-quickbooks-online; through the
API likewise "you need to create a zero-dollar payment, which is the link between the Credit Memo
and the Invoice", https://docs.breadwinner.com/quickbooks/applying-credit-to-an-invoice). In the
API a line is `{"Amount", "LinkedTxn": [{"TxnId", "TxnType"}]}` and `TotalAmt` is required
(https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment).

What the emulator holds a payment to: an active customer; lines linking that customer's invoices
and credit memos only (other TxnTypes are not emulated); no line above what its transaction still
owes (invoice `Balance`) or still offers (credit memo `Balance` / `RemainingCredit`); and invoices
applied minus credits applied at most `TotalAmt`, the rest being `UnappliedAmt` (emulator wording
for the refusals). Applying moves those balances and adds the payment to each transaction's
`LinkedTxn`; deleting or voiding the payment moves them back. `DepositToAccountRef` defaults to
Undeposited Funds ("If you do not specify this account the payment is applied to the Undeposited
Funds account").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import errors, fields, refs
from booksync_emulators.quickbooks.store import Realm, Record, stamp
from booksync_emulators.quickbooks.wire import round2

ZERO = Decimal("0.00")
APPLIES_TO = ("Invoice", "CreditMemo")
READ_ONLY = frozenset({"UnappliedAmt", "HomeTotalAmt"})


def complete(realm: Realm, draft: Record, existing: Record | None, now: datetime) -> Record:
    """Validate a payment; its effect on balances comes after it has an Id (`apply`)."""
    customer_id = fields.ref_id(draft, "CustomerRef")
    if customer_id is None:
        raise errors.required("CustomerRef")
    customer = refs.record(realm, "Customer", customer_id, "CustomerRef")
    if draft.get("TotalAmt") in (None, ""):
        raise errors.required("TotalAmt")
    total = round2(fields.number(draft["TotalAmt"], "TotalAmt"))
    if total < 0:
        raise errors.invalid_property("TotalAmt", "a payment cannot be negative")
    record: Record = dict(draft)
    record.update(CustomerRef=refs.out(customer), TotalAmt=total)
    record.setdefault("TxnDate", realm.today(now).isoformat())
    fields.day(record, "TxnDate")
    applied = {"Invoice": ZERO, "CreditMemo": ZERO}
    out_lines = []
    undo = _allocations(existing) if existing else {}
    for raw in draft.get("Line") or []:
        if not isinstance(raw, dict):
            raise errors.invalid_property("Line", "each line must be an object")
        amount = round2(fields.number(raw.get("Amount", 0), "Line.Amount"))
        links = raw.get("LinkedTxn") or []
        if len(links) != 1 or not isinstance(links[0], dict):
            raise errors.invalid_property("Line.LinkedTxn", "each line links one transaction")
        txn_type, txn_id = str(links[0].get("TxnType")), str(links[0].get("TxnId"))
        if txn_type not in APPLIES_TO:
            raise errors.invalid_property("Line.LinkedTxn.TxnType", f"{txn_type} is not emulated")
        txn = realm.get(txn_type, txn_id)
        if txn is None:
            raise errors.object_not_found(txn_type, txn_id)
        if (txn.get("CustomerRef") or {}).get("value") != customer["Id"]:
            raise errors.business(
                f"{txn_type} {txn_id} belongs to another customer.", "Line.LinkedTxn"
            )
        open_amount = txn.get("Balance", ZERO) + undo.get((txn_type, txn_id), ZERO)
        if amount > open_amount:
            raise errors.business(
                f"{txn_type} {txn_id} has {open_amount} open; a line cannot apply {amount}.",
                "Line.Amount",
            )
        applied[txn_type] += amount
        out_lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]})
    net = applied["Invoice"] - applied["CreditMemo"]
    if net > total:
        raise errors.business(
            f"The lines apply {net} to invoices, more than the payment's TotalAmt {total}.",
            "TotalAmt",
        )
    if net < 0:
        raise errors.business(
            "Credits applied exceed the invoices they are applied to.", "Line.LinkedTxn"
        )
    account_id = fields.ref_id(draft, "DepositToAccountRef")
    account = (
        refs.account(
            realm, account_id, "DepositToAccountRef", frozenset({"Bank", "Other Current Asset"})
        )
        if account_id is not None
        else realm.account_named("Undeposited Funds")
    )
    record.update(
        Line=out_lines,
        UnappliedAmt=total - net,
        DepositToAccountRef=refs.out(account, "Name"),
        CurrencyRef=dict(customer.get("CurrencyRef") or realm.profile.currency_ref()),
        ProcessPayment=False,
    )
    return record


def _allocations(payment: Record) -> dict[tuple[str, str], Decimal]:
    found: dict[tuple[str, str], Decimal] = {}
    for line in payment.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (str(link["TxnType"]), str(link["TxnId"]))
            found[key] = found.get(key, ZERO) + line["Amount"]
    return found


def apply(realm: Realm, payment: Record, previous: Record | None, now: datetime) -> None:
    """Move the linked transactions' balances by what the payment applies (undoing `previous`,
    the payment as it was before an update)."""
    if previous is not None:
        release(realm, previous, now)
    for (txn_type, txn_id), amount in _allocations(payment).items():
        txn = realm.get(txn_type, txn_id)
        if txn is None:
            continue
        _move(txn, -amount, now)
        realm.changed(txn_type, txn_id, "Update", now)  # its Balance moved
        links = txn.setdefault("LinkedTxn", [])
        mine = [
            x for x in links if x.get("TxnId") == payment["Id"] and x.get("TxnType") == "Payment"
        ]
        if not mine:
            links.append({"TxnId": payment["Id"], "TxnType": "Payment"})


def release(realm: Realm, payment: Record, now: datetime) -> None:
    """Give back what `payment` applied (it is deleted, voided or about to change)."""
    for (txn_type, txn_id), amount in _allocations(payment).items():
        txn = realm.get(txn_type, txn_id)
        if txn is None:
            continue
        _move(txn, amount, now)
        realm.changed(txn_type, txn_id, "Update", now)
        txn["LinkedTxn"] = [
            x for x in txn.get("LinkedTxn") or []
            if not (x.get("TxnType") == "Payment" and x.get("TxnId") == payment["Id"])
        ]  # fmt: skip


def _move(txn: Record, amount: Decimal, now: datetime) -> None:
    txn["Balance"] = txn.get("Balance", ZERO) + amount
    if "RemainingCredit" in txn:
        txn["RemainingCredit"] = txn["Balance"]
    txn["SyncToken"] = str(int(txn["SyncToken"]) + 1)
    stamp(txn, now, created=False)


def applied_to(realm: Realm, txn_type: str, txn_id: str) -> Decimal:
    """What payments apply to one invoice or credit memo now."""
    total = ZERO
    for payment in realm.table("Payment").values():
        total += _allocations(payment).get((txn_type, txn_id), ZERO)
    return total


def links_to(realm: Realm, txn_type: str, txn_id: str) -> list[dict[str, Any]]:
    """The `LinkedTxn` entries QBO keeps on a transaction for the payments applied to it."""
    return [
        {"TxnId": p["Id"], "TxnType": "Payment"}
        for p in realm.table("Payment").values()
        if (txn_type, txn_id) in _allocations(p)
    ]


def unlink(realm: Realm, txn_type: str, txn_id: str, now: datetime) -> None:
    """A voided or deleted invoice or credit memo leaves the payments applied to it: a
    zero-amount payment (a credit application) goes whole, giving back the other side; a payment
    of money keeps the money as unapplied (emulator rule)."""
    for payment in list(realm.table("Payment").values()):
        if (txn_type, txn_id) not in _allocations(payment):
            continue
        release(realm, payment, now)
        if payment["TotalAmt"] == ZERO:
            del realm.table("Payment")[payment["Id"]]
            realm.changed("Payment", payment["Id"], "Delete", now)
            continue
        payment["Line"] = [
            ln for ln in payment["Line"]
            if not any((x["TxnType"], x["TxnId"]) == (txn_type, txn_id) for x in ln["LinkedTxn"])
        ]  # fmt: skip
        net = sum(
            (ln["Amount"] if ln["LinkedTxn"][0]["TxnType"] == "Invoice" else -ln["Amount"])
            for ln in payment["Line"]
        )
        payment["UnappliedAmt"] = payment["TotalAmt"] - net
        payment["SyncToken"] = str(int(payment["SyncToken"]) + 1)
        stamp(payment, now, created=False)
        realm.changed("Payment", payment["Id"], "Update", now)
        apply(realm, payment, None, now)
