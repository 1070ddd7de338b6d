"""Contacts: create, update, and the rules Xero holds them to.

- Name is required and unique among ACTIVE contacts (case-insensitive); an archived contact frees
  its name, and un-archiving into a taken name fails.
- ContactNumber (max 50) is unique; it also identifies the contact to update on POST.
- IsCustomer / IsSupplier are read-only: Xero sets them when a sale or a bill is raised.
- A document may name its contact by ContactID, ContactNumber or Name; an unknown Name creates the
  contact, as Xero does.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booksync_emulators.xero import validation as msg
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Invalid, Problems

ZERO_ID = "00000000-0000-0000-0000-000000000000"
READ_ONLY = frozenset(
    {
        "ContactID", "IsCustomer", "IsSupplier", "UpdatedDateUTC", "HasValidationErrors",
        "ValidationErrors", "StatusAttributeString", "Balances", "HasAttachments", "Website",
        "Discount", "MergedToContactID", "BatchPayments", "Attachments",
    }
)  # fmt: skip
LIMITS = {
    "Name": 255, "FirstName": 255, "LastName": 255, "EmailAddress": 255, "ContactNumber": 50,
    "AccountNumber": 50, "CompanyNumber": 50, "TaxNumber": 50,
}  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def save_contact(
    org: Org, element: dict[str, Any], now: datetime, path_id: str | None, method: str
) -> Record:
    """Create or update one contact; raise `Invalid` with every problem and change nothing.

    The contact to update is named by ContactID, or on POST by a known ContactNumber."""
    problems = Problems()
    existing = _target(org, element, path_id, method)
    own_id = existing["ContactID"] if existing else None
    values = {name: problems.text(element, name, limit) for name, limit in LIMITS.items()}
    name = values["Name"]
    if (existing is None and not (name or "").strip()) or (name is not None and not name.strip()):
        problems.add(msg.CONTACT_NAME_REQUIRED)
    status = element.get("ContactStatus", existing["ContactStatus"] if existing else "ACTIVE")
    if status not in ("ACTIVE", "ARCHIVED"):
        problems.add(
            msg.STATUS_NOT_ALLOWED.format(
                document="Contact", status=status, allowed="ACTIVE, ARCHIVED"
            )
        )
    final_name = name if name is not None else (existing["Name"] if existing else "")
    if (
        status == "ACTIVE"
        and final_name.strip()
        and org.contact_named(final_name, excluding=own_id)
    ):
        problems.add(msg.CONTACT_NAME_TAKEN.format(name=final_name))
    number = values["ContactNumber"]
    if number and org.contact_numbered(number, excluding=own_id):
        problems.add(msg.CONTACT_NUMBER_TAKEN)
    email = values["EmailAddress"]
    if email and not _EMAIL.match(email):
        problems.add(msg.EMAIL_INVALID)
    problems.raise_if_any()

    record = dict(existing) if existing else _blank(str(uuid.uuid4()))
    record.update({k: v for k, v in element.items() if v is not None and k not in READ_ONLY})
    record["ContactStatus"] = status
    org.collection("Contacts")[record["ContactID"]] = record
    org.changed("Contacts", record, existing is None, now)
    return record


def _target(org: Org, element: dict[str, Any], path_id: str | None, method: str) -> Record | None:
    contacts = org.collection("Contacts")
    wanted = path_id or element.get("ContactID")
    if wanted:
        found = contacts.get(str(wanted))
        if found is None:
            raise Invalid([msg.CONTACT_NOT_FOUND.format(id=wanted)])
        return found
    number = element.get("ContactNumber")
    if method == "POST" and isinstance(number, str) and number:
        return org.contact_numbered(number)
    return None


def _blank(contact_id: str) -> Record:
    return {
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE",
        "Name": "",
        "IsSupplier": False,
        "IsCustomer": False,
    }


def render_contact(record: Record) -> dict[str, Any]:
    """A contact as Xero returns it."""
    out = {
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    out.update(record)
    return out


def render_invalid(element: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    """A rejected element as Xero echoes it back, with its ValidationErrors."""
    out = dict(element)
    out.setdefault("ContactID", ZERO_ID)
    out["HasValidationErrors"] = True
    out["ValidationErrors"] = [{"Message": m} for m in messages]
    return out


# -- a document's contact ----------------------------------------------------------------------------


@dataclass
class ContactRef:
    """The contact a document points at: an existing record, or one to create with the document."""

    record: Record
    is_new: bool


def resolve_contact(org: Org, ref: Any, problems: Problems) -> ContactRef | None:
    if not isinstance(ref, dict) or not any(
        ref.get(k) for k in ("ContactID", "ContactNumber", "Name")
    ):
        problems.add(msg.CONTACT_EMPTY)
        return None
    contacts = org.collection("Contacts")
    if ref.get("ContactID"):
        found = contacts.get(str(ref["ContactID"]))
        if found is None:
            problems.add(msg.CONTACT_NOT_FOUND.format(id=ref["ContactID"]))
            return None
        return ContactRef(found, False)
    if ref.get("ContactNumber"):
        found = org.contact_numbered(str(ref["ContactNumber"]))
        if found is not None:
            return ContactRef(found, False)
    name = str(ref.get("Name") or "").strip()
    if not name:
        problems.add(msg.CONTACT_NOT_FOUND.format(id=ref.get("ContactNumber")))
        return None
    found = org.contact_named(name)
    if found is not None:
        return ContactRef(found, False)
    new = _blank(str(uuid.uuid4()))
    new.update(
        Name=name, **({"ContactNumber": ref["ContactNumber"]} if ref.get("ContactNumber") else {})
    )
    return ContactRef(new, True)


def commit_contact(org: Org, ref: ContactRef, role: str | None, now: datetime) -> Record:
    """Store a contact created by a document, and mark it customer/supplier for that document."""
    record = ref.record
    if ref.is_new:
        org.collection("Contacts")[record["ContactID"]] = record
        org.changed("Contacts", record, True, now)
    if role == "customer" and not record.get("IsCustomer"):
        record["IsCustomer"] = True
    if role == "supplier" and not record.get("IsSupplier"):
        record["IsSupplier"] = True
    return record


def contact_summary(record: Record) -> dict[str, Any]:
    """The contact as embedded in a document."""
    out = {
        "ContactID": record["ContactID"],
        "Name": record["Name"],
        "ContactStatus": record["ContactStatus"],
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }
    for key in ("ContactNumber", "EmailAddress", "IsCustomer", "IsSupplier", "UpdatedDateUTC"):
        if key in record:
            out[key] = record[key]
    return out
