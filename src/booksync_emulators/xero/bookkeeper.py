"""What a bookkeeper does in Xero's own screens, behind an app's back, for tests of two-way sync.

Each change bumps UpdatedDateUTC (so If-Modified-Since finds it) and makes the webhook event Xero
would send (`Org.changed`): an archived contact is a CONTACT UPDATE ("including when contacts are
archived", https://developer.xero.com/documentation/webhooks/overview), a voided invoice an
INVOICE UPDATE. Merging contacts: the merged-away contact is archived and points at the one kept
with `MergedToContactID` ("ID for the destination of a merged contact",
tests/specs/xero/xero_accounting.yaml line 21188); its invoices and credit notes move to the
contact kept (emulator rule, as merging is meant to leave one contact with the history), each an
INVOICE / CREDITNOTE UPDATE. Voiding zeroes AmountDue (emulator rule).
"""

from __future__ import annotations

from typing import Any

from booksync_emulators.xero.store import Org, Record

_DOCUMENTS = ("Invoices", "CreditNotes")


def _record(org: Org, collection: str, record_id: str) -> Record:
    found = org.collection(collection).get(record_id)
    if found is None:
        raise KeyError(f"{collection} has no record {record_id}")
    return found


def void(org: Org, invoice_id: str) -> Record:
    """Void an AUTHORISED invoice (or credit note) that has nothing paid or credited."""
    with org.lock:
        collection = "Invoices" if invoice_id in org.collection("Invoices") else "CreditNotes"
        document = _record(org, collection, invoice_id)
        if document["Status"] not in ("AUTHORISED", "SUBMITTED", "DRAFT"):
            raise ValueError(f"{invoice_id} is {document['Status']}: it cannot be voided")
        if document.get("AmountPaid", 0) > 0 or document.get("AmountCredited", 0) > 0:
            raise ValueError(f"{invoice_id} has payments or credits: remove them before voiding")
        document["Status"] = "VOIDED" if document["Status"] == "AUTHORISED" else "DELETED"
        document["AmountDue"] = document.get("AmountDue", 0) * 0
        org.changed(collection, document, False, org.now())
        return document


def edit(org: Org, collection: str, record_id: str, fields: dict[str, Any]) -> Record:
    """Set fields of a record as typed on screen (not validated: tests say what they mean)."""
    with org.lock:
        record = _record(org, collection, record_id)
        record.update(fields)
        org.changed(collection, record, False, org.now())
        return record


def archive_contact(org: Org, contact_id: str) -> Record:
    with org.lock:
        contact = _record(org, "Contacts", contact_id)
        contact["ContactStatus"] = "ARCHIVED"
        org.changed("Contacts", contact, False, org.now())
        return contact


def merge_contacts(org: Org, from_id: str, into_id: str) -> Record:
    """Merge `from_id` into `into_id`; return the contact kept."""
    if from_id == into_id:
        raise ValueError("a contact cannot be merged into itself")
    with org.lock:
        gone, kept = _record(org, "Contacts", from_id), _record(org, "Contacts", into_id)
        now = org.now()
        for collection in _DOCUMENTS:
            for document in org.collection(collection).values():
                if document.get("Contact", {}).get("ContactID") == from_id:
                    document["Contact"] = {"ContactID": into_id}
                    org.changed(collection, document, False, now)
        gone["ContactStatus"] = "ARCHIVED"
        gone["MergedToContactID"] = into_id
        org.changed("Contacts", gone, False, now)
        org.changed("Contacts", kept, False, now)
        return kept
