"""Xero's validation messages, translated into the brief's rule ids and the fix a person can run.

Xero words these messages for its own UI ("Account code '200' is not a valid code for this
document.", "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of
transaction.", "The contact name Acme is already assigned to another contact. ..."). Where one maps
to a checklist rule, the doctor shows that rule; the message itself is always kept verbatim.

Each translation carries its fix twice: `remedy`, the fix as data (`booksync.domain.fixes`), and
`fix`, the same as the command line a `PushResult` carries today (a test holds the two equal).

Where each message comes from (Xero's own words, as quoted in public reports):
- "Invoice # must be unique." -> `document.number_free` (a create is a PUT, which never updates:
  github.com/freakboy3742/pyxero/issues/328);
- "Organisation is not subscribed to currency USD" -> `currency.enabled`;
- "The document DueDate field must be specified." -> `document.due_date_set`
  (github.com/waynerobinson/xeroizer/issues/290);
- "The document date cannot be before the period lock date, currently set at 30-Nov-2018" (and
  "... end of year lock date ...") -> `document.after_lock_date` (help.pleo.io; xeroizer #92);
- "The contact with the specified contact details has been archived. The contact must be
  un-archived before creating new invoices or credit notes." -> `contact.not_archived`
  (help.re-leased.com/support/solutions/articles/8000045210);
- "The TaxType code 'OUTPUT' cannot be used with account code '310'." on a purchase order ->
  `tax.purchase_mapped`, elsewhere `tax.mapped`;
- a tracking category or option Xero does not have -> `tracking.matches_tool`.
"""

from __future__ import annotations

import re
import shlex

from booksync.connectors.refusals import Translation
from booksync.domain import fixes
from booksync.domain.records import Subject
from booksync.domain.types import EntityType

_TAX = re.compile(
    r"tax\s*type|tax\s*rate\s+must\s+be\s+valid|tax\s*rate.*(not valid|invalid)", re.I
)
_ACCOUNT = re.compile(
    r"account\s*code.*(not\s+(a\s+)?valid|archived|deleted|does\s+not\s+exist|not\s+found)"
    r"|account\s+must\s+be\s+valid|must\s+reference\s+a\s+valid\s+account",
    re.I,
)
_DUPLICATE_CONTACT = re.compile(
    r"contact\s+name.*already\s+assigned|must\s+be\s+unique\s+across\s+all\s+active\s+contacts",
    re.I,
)
_DUPLICATE_ITEM = re.compile(
    r"item\s+code.*already\s+(exists|in\s+use)|code.*must\s+be\s+unique", re.I
)
_DUPLICATE_NUMBER = re.compile(r"(#|number).*must\s+be\s+unique|already\s+exists", re.I)
_UNKNOWN_ITEM = re.compile(r"item\s*code.*(not\s+valid|not\s+found|does\s+not\s+exist)", re.I)
_CURRENCY = re.compile(r"not\s+subscribed\s+to\s+currency|currency.*not\s+(enabled|valid)", re.I)
_DUE_DATE = re.compile(r"due\s*date\s+field\s+must\s+be\s+specified|due\s*date.*required", re.I)
_LOCK_DATE = re.compile(
    r"cannot\s+be\s+before\s+the\s+(period|end\s+of\s+year)\s+lock\s+date", re.I
)
_ARCHIVED_CONTACT = re.compile(
    r"contact.*has\s+been\s+archived|must\s+be\s+un-?archived|archived\s+contact", re.I
)
_TRACKING = re.compile(r"tracking\s+(category|option)", re.I)
_PAID = re.compile(
    r"has\s+a\s+payment\s+or\s+credit\s+note\s+allocated|already\s+been\s+paid\s+off", re.I
)


def translate(
    messages: list[str], entity: EntityType, tenant_name: str, reference: str
) -> Translation:
    """The rule and fix for Xero's messages about one element (the first message that maps wins)."""
    for message in messages:
        found = _one(message, entity, tenant_name, reference)
        if found is not None:
            return found
    return Translation(None, None)


def _one(message: str, entity: EntityType, tenant_name: str, reference: str) -> Translation | None:
    tenant = shlex.quote(tenant_name)
    ref = shlex.quote(reference)
    tenant_subject = Subject("tenant", None, tenant_name)
    importing = fixes.import_tenant(tenant_subject)
    record = Subject(entity.value, None, reference)
    if entity.is_document and _DUPLICATE_NUMBER.search(message):
        return Translation(
            "document.number_free",
            f"booksync tenant import {tenant}",
            f"Xero already has a {entity.label} numbered {reference} that booksync did not create, "
            "and booksync never overwrites it. Import the tenant: if that document has the same "
            "contact and total it is linked to this one; otherwise renumber this one "
            f"(booksync {entity.value.replace('_', '-')} edit {ref} --number NEW)",
            importing,
        )
    if _CURRENCY.search(message):
        return Translation(
            "currency.enabled",
            f"booksync tenant import {tenant}",
            "add the currency in Xero (Settings > Currencies), then import the tenant again",
            importing,
        )
    if entity.is_document and _DUE_DATE.search(message):
        due = fixes.set_field(record, "due")
        return Translation(
            "document.due_date_set",
            f"booksync {entity.value.replace('_', '-')} edit {ref} --due DUE",
            "an approved invoice needs a due date: give it one, or payment terms to the client "
            "(or the tenant) it can be worked out from",
            due,
        )
    if entity.is_document and _LOCK_DATE.search(message):
        dated = fixes.set_field(record, "date")
        return Translation(
            "document.after_lock_date",
            f"booksync {entity.value.replace('_', '-')} edit {ref} --date DATE",
            "Xero's books are locked up to that date: date the document after it, or ask the "
            "adviser to move the lock date in Xero",
            dated,
        )
    if _ARCHIVED_CONTACT.search(message):
        return Translation(
            "contact.not_archived",
            f"booksync tenant import {tenant}",
            "restore the contact in Xero (Contacts > Archived > Restore), then import the tenant",
            importing,
        )
    if _TRACKING.search(message):
        return Translation(
            "tracking.matches_tool",
            f"booksync tenant import {tenant}",
            "use a tracking category and option this Xero organisation has (importing the "
            "tenant refreshes the list)",
            importing,
        )
    if _TAX.search(message):
        if entity is EntityType.PURCHASE_ORDER:
            command = f"booksync tax-rate map RATE --tenant {tenant} --purchase-tax-type TAX_TYPE"
            return Translation(
                "tax.purchase_mapped",
                command,
                "a purchase order needs the tax rate's purchase tax type (e.g. INPUT), not its "
                f"sales one (booksync tenant import {tenant} refreshes the list)",
                fixes.map_purchase_tax_rate(
                    Subject("tax_rate", None, fixes.UNNAMED), tenant_subject
                ),
            )
        return Translation(
            "tax.mapped",
            f"booksync tax-rate map RATE --tenant {tenant} --tax-type TAX_TYPE",
            "map the tax rate to a tax type this Xero organisation offers "
            f"(booksync tenant import {tenant} refreshes the list)",
            fixes.map_tax_rate(Subject("tax_rate", None, fixes.UNNAMED), tenant_subject),
        )
    if _ACCOUNT.search(message):
        return Translation(
            "account_code.matches_tool",
            f"booksync tenant import {tenant}",
            "the account code is not an active account in this Xero organisation; import its "
            "chart again and the doctor names the account code to change",
            importing,
        )
    if _UNKNOWN_ITEM.search(message):
        return Translation(
            "dependency.product",
            f"booksync tenant import {tenant}",
            "a line's product is not an item in this Xero organisation",
            importing,
        )
    if entity.is_party and _DUPLICATE_CONTACT.search(message):
        return Translation(
            "tool.accepted",
            f"booksync tenant import {tenant}",
            "Xero already has an active contact with this name; importing the tenant's contacts "
            f"links {ref} to it (exact name), then retry: booksync sync retry {entity.value} {ref}",
            importing,
        )
    if entity is EntityType.PRODUCT and _DUPLICATE_ITEM.search(message):
        return Translation(
            "tool.accepted",
            f"booksync tenant import {tenant}",
            "Xero already has an item with this code; importing the tenant's items links the "
            f"product to it, then retry: booksync sync retry product {ref}",
            importing,
        )
    if entity.is_document and _PAID.search(message):
        return Translation(
            "tool.accepted",
            None,
            "Xero keeps a document with a payment or an allocated credit note as it is: remove "
            "the payment or allocation in Xero first, then retry",
        )
    return None
