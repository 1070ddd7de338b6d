"""Reading the fields of a request body, each refused with the Fault QBO gives for it: wrong type
or unreadable value -> 2010, over its length -> 2050. Absent fields come back as None; whether they
are required is the caller's rule (2020)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from booksync_emulators.quickbooks import errors
from booksync_emulators.quickbooks.wire import decimal


def text(body: dict[str, Any], name: str, maximum: int, *, label: str | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.invalid_property(label or name, "expected text")
    if len(value) > maximum:
        raise errors.too_long(label or name, maximum, len(value))
    return value


def number(value: Any, name: str) -> Decimal:
    try:
        return decimal(value)
    except ValueError:
        raise errors.invalid_property(name, f"'{value}' is not a number") from None


def optional_number(body: dict[str, Any], name: str, *, label: str | None = None) -> Decimal | None:
    value = body.get(name)
    return None if value is None else number(value, label or name)


def boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise errors.invalid_property(name, f"'{value}' is not true or false")


def day(body: dict[str, Any], name: str) -> str | None:
    """A `YYYY-MM-DD` date field, returned in that form; an empty string is a date not supplied.

    QBO reads "" as absent ("If the date is not supplied, the current date on the server is used",
    TxnDate in https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/
    invoice): python-quickbooks sends `TxnDate`, `DueDate` and `ShipDate` as "" on every invoice
    it creates (quickbooks/objects/invoice.py, 0.9.12), and QBO takes those invoices."""
    value = body.get(name)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise errors.invalid_property(name, f"'{value}' is not a date (YYYY-MM-DD)") from None


def ref_id(body: dict[str, Any], name: str, *, label: str | None = None) -> str | None:
    """The `value` of a reference field (`{"value": "12", "name": ...}`)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("value"), str | int):
        raise errors.invalid_property(label or name, 'expected {"value": "<Id>"}')
    return str(value["value"]).strip() or None


def mapping(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise errors.invalid_property(name, "expected an object")
