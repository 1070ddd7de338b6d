"""Collecting the ValidationErrors of one batch element, and the messages Xero puts in them.

Messages marked "seen" are Xero's own wording as quoted in public bug reports and vendor help pages;
the others are the emulator's wording for a rule Xero enforces but whose exact text we could not
find. A client should key on the rule (which element failed), never on the wording.
"""

from __future__ import annotations

from typing import Any


class Invalid(Exception):
    """An element failed validation; `messages` become its ValidationErrors."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class Problems:
    """Gathers every problem of an element before answering, as Xero lists them all at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise Invalid(self.messages)

    def text(self, element: dict[str, Any], field: str, max_length: int) -> str | None:
        """A string field, checked against its length limit; None when absent."""
        value = element.get(field)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(f"{field} must be text.")
            return None
        if len(value) > max_length:
            self.add(TOO_LONG.format(field=field, max=max_length))
        return value


# -- seen ------------------------------------------------------------------------------------------
CONTACT_NAME_TAKEN = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
CONTACT_NUMBER_TAKEN = (
    "Another contact has this contact number. Please enter a different contact number."
)
EMAIL_INVALID = "Email address must be valid."
ACCOUNT_NOT_VALID = "Account code '{code}' is not a valid code for this document."
ACCOUNT_ARCHIVED = (
    "Account code '{code}' has been archived or has been deleted. "
    "Each line item must reference a valid account."
)
ACCOUNT_REQUIRED = "Account code must be specified"
ITEM_ACCOUNT_NOT_VALID = "Account code '{code}' does not exist or cannot be applied to Items."
TAX_TYPE_NOT_VALID = (
    "The TaxType code {tax_type} does not exist or cannot be used for this type of transaction."
)
TAX_TYPE_ACCOUNT_MISMATCH = (
    "The TaxType code '{tax_type}' cannot be used with account code '{code}'."
)
ITEM_CODE_NOT_VALID = "Item code '{code}' is not valid"
INVOICE_NUMBER_TAKEN = "Invoice # must be unique."
NOT_EDITABLE = "{document} not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
DUE_DATE_REQUIRED = "The document DueDate field must be specified"
CONTACT_EMPTY = "Contact cannot be empty."
CURRENCY_NOT_SUBSCRIBED = "Organisation is not subscribed to currency {currency}"
ACCOUNT_CODE_TOO_LONG = "Account Code is too long. Maximum of 10 characters allowed"

# -- emulator wording ------------------------------------------------------------------------------
TOO_LONG = "{field} must not be longer than {max} characters."
CONTACT_NAME_REQUIRED = "A contact name must be specified."
CONTACT_NOT_FOUND = "The contact with ContactID '{id}' could not be found."
ITEM_CODE_REQUIRED = "Item code must be specified."
ITEM_CODE_TAKEN = "Item code '{code}' already exists."
OBJECT_NOT_FOUND = "{element} with {field} '{id}' could not be found."
TYPE_REQUIRED = "{document} Type must be specified as one of {allowed}."
STATUS_NOT_ALLOWED = "{document} status '{status}' is not one of {allowed}."
STATUS_CHANGE = "{document} status cannot change from {old} to {new}."
DATE_INVALID = "{field} '{value}' is not a valid date (use YYYY-MM-DD)."
NUMBER_INVALID = "{field} '{value}' is not a valid number."
LINE_AMOUNT_MISMATCH = (
    "The line amount {given} does not equal Quantity x UnitAmount less discount ({expected})."
)
LINE_AMOUNT_TYPES = "LineAmountTypes '{value}' is not one of {allowed}."
LINE_ITEMS_REQUIRED = "{document} must have at least one line item."
