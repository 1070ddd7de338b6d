"""Xero's validation messages, translated into the brief's rule ids and the fix a person can run.

Xero words these messages for its own UI ("Account code '200' is not a valid code for this
document.", "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of
transaction.", "The contact name Acme is already assigned to another contact. ..."). Where one maps
to a checklist rule, the doctor shows that rule; the message itself is always kept verbatim.

Each translation carries its fix twice: `remedy`, the fix as data (`booksync.domain.fixes`), and
`fix`, the same as the command line a `PushResult` carries today (a test holds the two equal).
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


def translate(
    messages: list[str], entity: EntityType, tenant_name: str, reference: str
) -> Translation:
    """The rule and fix for Xero's messages about one element (the first message that maps wins)."""
    tenant = shlex.quote(tenant_name)
    ref = shlex.quote(reference)
    importing = fixes.import_tenant(Subject("tenant", None, tenant_name))
    for message in messages:
        if _TAX.search(message):
            return Translation(
                "tax.mapped",
                f"booksync tax-rate map RATE --tenant {tenant} --tax-type TAX_TYPE",
                "map the tax rate to a tax type this Xero organisation offers "
                f"(booksync tenant import {tenant} refreshes the list)",
                fixes.map_tax_rate(
                    Subject("tax_rate", None, fixes.UNNAMED), Subject("tenant", None, tenant_name)
                ),
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
        if entity.is_document and _DUPLICATE_NUMBER.search(message):
            return Translation(
                "tool.accepted",
                None,
                f"Xero already has a {entity.label} numbered {reference} that booksync did not "
                "create; renumber one of them",
            )
    return Translation(None, None)
