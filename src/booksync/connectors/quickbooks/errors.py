"""QuickBooks Faults, translated into the brief's rule ids and the fix a person can run.

A Fault carries errors with a numeric `code`, a `Message`, a `Detail` and sometimes the `element`
(field) at fault: 6240 duplicate name, 6140 duplicate document number, 5010 stale object (the
SyncToken is old), 610 object not found, 6000 and the 2xxx codes for a business or request
validation naming a field. Where the field points at a checklist rule, the doctor shows that rule;
the tool's own words are always kept in the message.

Closed books are known by the Message ("Account Period Closed"), not the code: Intuit's list of
frequent errors gives 6210, Harvest's support page 6200, and routablehq/python-quickbooks#208 saw
it as 5010, the stale-object code, which must then not be retried as one.

Each translation carries its fix twice: `remedy`, the fix as data (`booksync.domain.fixes`), and
`fix`, the same as the command line a `PushResult` carries today (a test holds the two equal).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from booksync.connectors.refusals import Translation
from booksync.domain import fixes
from booksync.domain.fixes import Fix
from booksync.domain.records import Subject
from booksync.domain.types import EntityType

DUPLICATE_NAME = "6240"
DUPLICATE_NUMBER = "6140"
STALE_OBJECT = "5010"
NOT_FOUND = "610"
INVALID_REFERENCE = "2500"
PERIOD_CLOSED = "account period closed"


@dataclass(frozen=True)
class FaultError:
    """One error of a Fault, as QuickBooks sent it."""

    code: str
    message: str
    detail: str
    element: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultError:
        def text(*keys: str) -> str:
            return next((str(data[k]) for k in keys if data.get(k) not in (None, "")), "")

        return cls(
            text("code"), text("Message", "message"), text("Detail", "detail"), text("element")
        )

    def __str__(self) -> str:
        words = self.detail or self.message or "no reason given"
        if self.message and self.message not in words:
            words = f"{self.message}: {words}"
        field = f", field {self.element}" if self.element else ""
        return f"{words} (QuickBooks error {self.code or '?'}{field})"


def period_closed(error: FaultError) -> bool:
    return PERIOD_CLOSED in f"{error.message} {error.detail}".casefold()


def stale(errors: Sequence[FaultError]) -> bool:
    """A SyncToken QuickBooks no longer holds (worth reading again and retrying once)."""
    return any(e.code == STALE_OBJECT and not period_closed(e) for e in errors)


def fault_errors(fault: Any) -> list[FaultError]:
    """The errors of a Fault object ({"Error": [...], "type": ...}), in either letter case."""
    if not isinstance(fault, Mapping):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    return [FaultError.from_json(e) for e in errors if isinstance(e, Mapping)]


def _importing(tenant_name: str) -> Fix:
    return fixes.import_tenant(Subject("tenant", None, tenant_name))


#: Where QuickBooks names a field (in `element`, or inside `Detail`), which rule it belongs to.
_TAX = re.compile(r"tax", re.I)
_CURRENCY = re.compile(r"currency", re.I)
_ACCOUNT = re.compile(r"account", re.I)
_ITEM = re.compile(r"\bitem|ItemRef", re.I)
_CUSTOMER = re.compile(r"CustomerRef|\bcustomer\b", re.I)
_VENDOR = re.compile(r"VendorRef|\bvendor\b", re.I)
_FIELD_IN_DETAIL = re.compile(r"\b((?:Line\.)?[A-Z][A-Za-z]*(?:\.[A-Z][A-Za-z]*)*Ref)\b")


def field_at_fault(error: FaultError) -> str:
    """The field QuickBooks blames: its `element`, else a `...Ref` named in the Detail."""
    if error.element:
        return error.element
    found = _FIELD_IN_DETAIL.search(error.detail)
    return found.group(1) if found else ""


def translate(
    errors: Sequence[FaultError],
    entity: EntityType,
    tenant_name: str,
    reference: str,
    *,
    operation: str = "create",
) -> Translation:
    """The rule and fix for QuickBooks' errors about one element (the first that maps wins)."""
    tenant = shlex.quote(tenant_name)
    ref = shlex.quote(reference)
    retry = f"booksync sync retry {entity.value} {ref}"
    record = Subject(entity.value, None, reference)
    noun = entity.value.replace("_", "-")
    for error in errors:
        if period_closed(error):
            return Translation(
                "document.after_lock_date",
                f"booksync {noun} edit {ref} --date YYYY-MM-DD",
                "QuickBooks' books are closed on and before this document's date: date it after "
                "the close date, or have the books reopened in QuickBooks",
                fixes.set_field(record, "issue_date"),
            )
        if error.code == DUPLICATE_NAME:
            if entity.is_party:
                return Translation(
                    "tool.accepted",
                    f"booksync tenant import {tenant}",
                    "QuickBooks names are unique across customers, vendors and employees, and one "
                    "already has this name: if it is this "
                    f"{entity.label}, importing the tenant links {ref} to it by its exact display "
                    f"name, then: {retry}; if it is someone else, rename one of them",
                    _importing(tenant_name),
                )
            return Translation(
                "tool.accepted",
                f"booksync tenant import {tenant}",
                "QuickBooks already has an item with this name: if it is this product, importing "
                f"the tenant links it (by SKU or exact name), then: {retry}; otherwise rename one "
                "of them",
                _importing(tenant_name),
            )
        if error.code == DUPLICATE_NUMBER:
            return Translation(
                "document.number_free",
                f"booksync {noun} edit {ref} --number NUMBER",
                f"QuickBooks already has a {entity.label} numbered {reference} that booksync did "
                "not create; renumber one of them",
                fixes.renumber(record),
            )
        if error.code == STALE_OBJECT:
            return Translation(
                "tool.accepted",
                retry,
                "it was being changed in QuickBooks at the same time, twice in a row; push again",
                fixes.retry_sync(record),
            )
        found = _by_field(error, entity, tenant_name)
        if found is not None:
            return found
        if error.code == NOT_FOUND:
            return _not_found(entity, tenant_name, record, linked=operation != "create")
    return Translation("tool.accepted", None)


def archived_contact(entity: EntityType, party: EntityType, name: str) -> Translation:
    """The document's customer or vendor is inactive in QuickBooks (its "deleted" state)."""
    kind = "customer" if party is EntityType.CLIENT else "vendor"
    return Translation(
        "contact.not_archived",
        None,
        f"the {party.label} '{name}' is an inactive {kind} in QuickBooks, which takes no new "
        f"{entity.label} for it; make the {kind} active in QuickBooks, or raise the "
        f"{entity.label} to another {party.label}",
    )


def _not_found(
    entity: EntityType, tenant_name: str, record: Subject, *, linked: bool
) -> Translation:
    """610 without a field: the record itself (when updating) or something it refers to is gone."""
    tenant, ref = shlex.quote(tenant_name), shlex.quote(record.ref)
    command = {
        EntityType.CLIENT: "client",
        EntityType.SUPPLIER: "supplier",
        EntityType.PRODUCT: "product",
    }.get(entity)
    if linked and command:
        return Translation(
            "tool.accepted",
            f"booksync {command} edit {ref} --remote-id ''",
            f"the QuickBooks record this {entity.label} is linked to was deleted or made inactive "
            "there; reactivate it in QuickBooks, or clear the remote ID so booksync creates it "
            "again",
            fixes.set_field(record, "remote_id", ""),
        )
    itself = f"the QuickBooks {entity.label} it is linked to, or " if linked else ""
    return Translation(
        "tool.accepted",
        f"booksync tenant import {tenant}",
        f"{itself}something it uses (customer, vendor, item, account or tax code) was deleted or "
        "made inactive in QuickBooks; import the tenant again and the doctor names it",
        _importing(tenant_name),
    )


#: Codes whose Detail names the problem in words when no field is given.
_VALIDATION_CODES = frozenset({"6000", "2020", "2050", "2500"})


def _by_field(error: FaultError, entity: EntityType, tenant_name: str) -> Translation | None:
    """The rule the field at fault belongs to (or, for validation codes, the Detail's words)."""
    tenant, importing = shlex.quote(tenant_name), _importing(tenant_name)
    field = field_at_fault(error)
    if field:
        words = field
    elif error.code in _VALIDATION_CODES:
        words = error.detail or error.message
    else:
        return None
    if _CURRENCY.search(words):
        return Translation(
            "currency.enabled",
            f"booksync tenant import {tenant}",
            "the currency is not one this QuickBooks company uses (turn multicurrency on and add "
            "it there, then import the tenant again)",
            importing,
        )
    if _TAX.search(words) and entity is EntityType.PURCHASE_ORDER:
        return Translation(
            "tax.purchase_mapped",
            f"booksync tax-rate map RATE --tenant {tenant} --purchase-tax-type TAX_CODE",
            "map the tax rate's purchase side to a tax code this QuickBooks company offers on "
            f"purchases (booksync tenant import {tenant} refreshes the list)",
            fixes.map_purchase_tax_rate(
                Subject("tax_rate", None, fixes.UNNAMED), Subject("tenant", None, tenant_name)
            ),
        )
    if _TAX.search(words):
        return Translation(
            "tax.mapped",
            f"booksync tax-rate map RATE --tenant {tenant} --tax-type TAX_CODE",
            "map the tax rate to a tax code this QuickBooks company offers "
            f"(booksync tenant import {tenant} refreshes the list)",
            fixes.map_tax_rate(
                Subject("tax_rate", None, fixes.UNNAMED), Subject("tenant", None, tenant_name)
            ),
        )
    if _ACCOUNT.search(words):
        return Translation(
            "account_code.matches_tool",
            f"booksync tenant import {tenant}",
            "the account is not an active account of this QuickBooks company; import its chart "
            "again and the doctor names the account code to change",
            importing,
        )
    if _ITEM.search(words) and entity is not EntityType.PRODUCT:
        return Translation(
            "dependency.product",
            f"booksync tenant import {tenant}",
            "a line's product is not an active item of this QuickBooks company",
            importing,
        )
    if _CUSTOMER.search(words) and entity is not EntityType.CLIENT:
        return Translation(
            "dependency.client",
            f"booksync tenant import {tenant}",
            "the client is not an active customer of this QuickBooks company",
            importing,
        )
    if _VENDOR.search(words) and entity is not EntityType.SUPPLIER:
        return Translation(
            "dependency.supplier",
            f"booksync tenant import {tenant}",
            "the supplier is not an active vendor of this QuickBooks company",
            importing,
        )
    if field:
        return Translation("tool.accepted", None, f"QuickBooks refused the field {field}")
    return None
