"""Customers, vendors and employees: QBO's "names", with the rules QBO holds them to.

- DisplayName is unique across customers, vendors **and** employees together, compared without
  regard to case (6240 Duplicate Name Exists Error). Without a DisplayName, QBO builds one from
  Title, GivenName, MiddleName, FamilyName and Suffix; with none of them the name is missing (2020).
- Making a name inactive is how it is "deleted": QBO renames it `<name> (deleted)`, which frees the
  name for a new one. Making it active again takes the suffix off, if the name is still free.
- Text limits (2050): DisplayName 500, GivenName / MiddleName / FamilyName / CompanyName 100,
  Title / Suffix 16, PrintOnCheckName 110, Notes 2000, email address 100.
- CurrencyRef is one of the company's currencies (`company.currency_ref`; 6000 otherwise), the
  home currency when not sent.
- BillAddr / ShipAddr (customers) and BillAddr (vendors) are kept as sent, each part within its
  length (`forms.ADDRESS_LIMITS`); a customer's `SalesTermRef` names a Term. A sales form without
  addresses of its own takes its customer's (`forms.addresses`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from booksync_emulators.quickbooks import company, errors, fields, forms, refs
from booksync_emulators.quickbooks.store import Realm, Record

DELETED = " (deleted)"
PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
LIMITS = {
    "DisplayName": 500, "Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
    "Suffix": 16, "CompanyName": 100, "PrintOnCheckName": 110, "Notes": 2000,
}  # fmt: skip
#: fields QBO computes; a client may send them, they are ignored
READ_ONLY = frozenset({"FullyQualifiedName", "Balance", "BalanceWithJobs", "V4IDPseudonym"})


def complete(
    realm: Realm, entity: str, draft: Record, existing: Record | None, now: datetime
) -> Record:
    """Validate a customer, vendor or employee and fill what QBO derives; raise `Fault`."""
    for name, limit in LIMITS.items():
        fields.text(draft, name, limit)
    active = fields.boolean(draft, "Active")
    active = True if active is None else active
    display = (draft.get("DisplayName") or "").strip()
    if not display:
        display = " ".join(str(draft[p]).strip() for p in PARTS if draft.get(p))
    if not display:
        raise errors.required("DisplayName")
    was_active = existing is None or existing.get("Active", True)
    if not active and was_active and not display.endswith(DELETED):
        display += DELETED
    if active and not was_active and display.endswith(DELETED):
        display = display[: -len(DELETED)]
    own = (entity, existing["Id"]) if existing else None
    if realm.name_holder(display, excluding=own) is not None:
        raise errors.duplicate_name(errors.NAME_TAKEN)

    email = fields.mapping(draft, "PrimaryEmailAddr")
    if email is not None:
        fields.text(email, "Address", 100, label="PrimaryEmailAddr.Address")
    for name in ("BillAddr", "ShipAddr"):
        forms.address(draft, name)
    sent = fields.ref_id(draft, "CurrencyRef")
    kept = (existing or {}).get("CurrencyRef")
    if kept and sent is not None and sent != kept["value"]:
        raise errors.business("A name's currency cannot change once it is set.", "CurrencyRef")
    currency = dict(kept) if kept else company.currency_ref(realm, sent, "CurrencyRef")
    record: Record = dict(draft)
    record.update(
        DisplayName=display,
        FullyQualifiedName=display,
        PrintOnCheckName=draft.get("PrintOnCheckName") or display,
        Active=active,
    )
    if entity != "Employee":
        record["CurrencyRef"] = currency
        record["Balance"] = (existing or {}).get("Balance", Decimal("0"))
    if entity == "Customer":
        code_id = fields.ref_id(draft, "DefaultTaxCodeRef")
        if code_id is not None:
            refs.tax_code(realm, code_id, "sales", "DefaultTaxCodeRef")
        term_id = fields.ref_id(draft, "SalesTermRef")
        if term_id is not None:
            record["SalesTermRef"] = refs.out(
                refs.record(realm, "Term", term_id, "SalesTermRef"), "Name"
            )
        record["BalanceWithJobs"] = record["Balance"]
        record.setdefault("Job", False)
        record.setdefault("BillWithParent", False)
        record.setdefault("IsProject", False)
        record.setdefault("PreferredDeliveryMethod", "Print")
    elif entity == "Vendor":
        record.setdefault("Vendor1099", False)
    else:
        record.setdefault("BillableTime", False)
    return record
