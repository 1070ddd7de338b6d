"""Form fields: how each record field is shown, read back from a submitted form, and diffed.

A field's `name` is its input name, its element id (so the doctor's `#field` links land on it) and
the service input it feeds, unless `key` says otherwise. The web sends the services only what the
person changed, as the text they typed; the services validate it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from booksync.domain.money import MINOR_UNITS
from booksync.domain.types import AccountKind, DocumentStatus, EntityType
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
)
from booksync.services.serialize import number

#: How many options a select or suggestion list offers; beyond that a person types the name.
MAX_CHOICES = 1000

Choices = list[tuple[str, str]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    #: text | textarea | decimal | email | select | checkbox | date | suggest (text + datalist)
    widget: str = "text"
    #: The service input this field feeds (default: `name`).
    key: str | None = None
    #: A reference to another record: its value is "#id" and an empty value clears it.
    ref: bool = False
    #: Name of the choices provider (see CHOICES) for selects and suggestions.
    choices: str | None = None
    required: bool = False
    #: What an emptied field sends to the service.
    blank: Any = None
    help: str = ""
    #: The fieldset it is shown in ("" for the record's main fields).
    section: str = ""
    #: Reads the current value as form text; default: the attribute `name` (or `name_id` for refs).
    read: Callable[[Any], str | bool] | None = None
    #: A select's empty option on a new record, meaning "the service's default" (refs always have one).
    empty: str | None = None
    #: The value a new record's form starts with.
    default: str | bool = ""
    #: Turns the typed text into the service's input (e.g. 'Region=North' into a mapping); it
    #: raises BadInput naming the field. Not called on an emptied field (that sends `blank`).
    parse: Callable[[str], Any] | None = None

    @property
    def input_key(self) -> str:
        return self.key or self.name

    def current(self, obj: Any) -> str | bool:
        if self.read is not None:
            return self.read(obj)
        if self.ref:
            ref_id = getattr(obj, f"{self.name}_id")
            return f"#{ref_id}" if ref_id is not None else ""
        value = getattr(obj, self.name)
        if self.widget == "checkbox":
            return bool(value)
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return number(value)
        if isinstance(value, date):
            return value.isoformat()
        return str(value)


def current_values(fields: tuple[Field, ...], obj: Any | None) -> dict[str, str | bool]:
    """The form as it shows a record (or, for a new record, empty)."""
    if obj is None:
        return {f.name: f.default or (False if f.widget == "checkbox" else "") for f in fields}
    return {f.name: f.current(obj) for f in fields}


def submitted_values(fields: tuple[Field, ...], form: FormData) -> dict[str, str | bool]:
    """What the person sent, per field: a checkbox is on when present, text is stripped."""
    values: dict[str, str | bool] = {}
    for f in fields:
        if f.widget == "checkbox":
            values[f.name] = f.name in form
        else:
            raw = form.get(f.name, "")
            text = raw.strip() if isinstance(raw, str) else ""
            # Browsers send a textarea's new lines as CRLF; a parsed field compares by its lines.
            values[f.name] = text.replace("\r\n", "\n") if f.parse is not None else text
    return values


def changes(
    fields: tuple[Field, ...],
    sent: Mapping[str, str | bool],
    current: Mapping[str, str | bool] | None,
) -> dict[str, Any]:
    """Service input for the fields that differ from `current` (every filled-in one when creating).

    A key with a dot (`address.city`) is a part of a structured input: the parts changed are sent
    together (`{"address": {"city": ...}}`), and the service changes only those."""
    data: dict[str, Any] = {}
    for f in fields:
        value: Any = sent[f.name]
        if current is not None and value == current.get(f.name):
            continue
        if value == "":
            if current is None:
                continue  # a new record simply does not set it
            value = "" if f.ref else f.blank
        elif f.parse is not None and isinstance(value, str):
            value = f.parse(value)
        outer, dot, inner = f.input_key.partition(".")
        if dot:
            data.setdefault(outer, {})[inner] = value
        else:
            data[f.input_key] = value
    return data


def error_id(field: str) -> str:
    """The element id a service's field path points at: `lines[2].product` -> `lines-2-product`."""
    return field.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")


# -- choices -------------------------------------------------------------------------------------


def _ref_choices(rows: Any, label: Callable[[Any], str]) -> Choices:
    return [(f"#{row.id}", label(row)) for row in rows]


def _tenants(session: Session) -> Choices:
    return _ref_choices(
        TENANTS.list(session, limit=MAX_CHOICES),
        lambda t: f"{t.name} ({t.integration.kind})",
    )


def _tax_rates(session: Session) -> Choices:
    return _ref_choices(
        TAX_RATES.list(session, limit=MAX_CHOICES),
        lambda r: f"{r.name} ({number(r.percent)}%)" + (" — default" if r.is_default else ""),
    )


def _item_groups(session: Session) -> Choices:
    return _ref_choices(ITEM_GROUPS.list(session, limit=MAX_CHOICES), lambda g: g.name)


def account_label(account: Any) -> str:
    code = account.code or "no Code"
    where = f", imported from {account.tenant.name}" if account.imported_from_tool else ""
    where += "" if account.active else ", archived"
    return f"{code} — {account.name}{where}"


def _accounts(kind: AccountKind) -> Callable[[Session], Choices]:
    def choices(session: Session) -> Choices:
        rows = ACCOUNT_CODES.list(session, limit=MAX_CHOICES, filters={"kind": kind.value})
        return _ref_choices(rows, account_label)

    return choices


def _names(service: Any) -> Callable[[Session], Choices]:
    def choices(session: Session) -> Choices:
        return [(row.name, row.name) for row in service.list(session, limit=MAX_CHOICES)]

    return choices


def _tool_codes(session: Session, record: Any = None) -> Choices:
    """Codes imported from the tools, as suggestions for an account code's Code: only those no
    other account code of the user's own has taken, since saving one of those is refused."""
    rows = ACCOUNT_CODES.list(session, limit=MAX_CHOICES, filters={"imported_from_tool": True})
    own = ACCOUNT_CODES.list(session, limit=MAX_CHOICES, filters={"imported_from_tool": False})
    record_id = getattr(record, "id", None)
    taken = {a.code for a in own if a.code and a.id != record_id}
    return [(row.code, account_label(row)) for row in rows if row.active and row.code not in taken]


CHOICES: dict[str, Callable[[Session], Choices]] = {
    "tenants": _tenants,
    "tax_rates": _tax_rates,
    "item_groups": _item_groups,
    "income_accounts": _accounts(AccountKind.INCOME),
    "expense_accounts": _accounts(AccountKind.EXPENSE),
    "clients": _names(CLIENTS),
    "suppliers": _names(SUPPLIERS),
    "products": _names(PRODUCTS),
    "invoices": lambda session: [
        (d.number, d.number) for d in DOCUMENTS[EntityType.INVOICE].list(session, limit=MAX_CHOICES)
    ],
    "tool_codes": _tool_codes,
    "currencies": lambda _s: [(c, c) for c in sorted(MINOR_UNITS)],
    "account_kinds": lambda _s: [(k.value, k.value) for k in AccountKind],
    "statuses": lambda _s: [(s.value, s.value) for s in DocumentStatus],
}


#: Choices that depend on the record being edited (it is passed as a second argument).
FOR_RECORD: dict[str, Callable[[Session, Any], Choices]] = {"tool_codes": _tool_codes}


def choices_for(
    session: Session, fields: tuple[Field, ...], record: Any = None
) -> dict[str, Choices]:
    return {
        f.choices: (
            FOR_RECORD[f.choices](session, record)
            if f.choices in FOR_RECORD
            else CHOICES[f.choices](session)
        )
        for f in fields
        if f.choices
    }
