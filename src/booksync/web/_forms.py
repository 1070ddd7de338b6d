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
from booksync.domain.types import AccountKind, DocumentStatus
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
)
from booksync.services.serialize import money, number

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
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def changes(
    fields: tuple[Field, ...],
    sent: Mapping[str, str | bool],
    current: Mapping[str, str | bool] | None,
) -> dict[str, Any]:
    """Service input for the fields that differ from `current` (every filled-in one when creating)."""
    data: dict[str, Any] = {}
    for f in fields:
        value = sent[f.name]
        if current is not None and value == current.get(f.name):
            continue
        if value == "":
            if current is None:
                continue  # a new record simply does not set it
            value = "" if f.ref else f.blank
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


def _tool_codes(session: Session) -> Choices:
    """Codes imported from the tools, as suggestions for an account code's Code."""
    rows = ACCOUNT_CODES.list(session, limit=MAX_CHOICES, filters={"imported_from_tool": True})
    return [(row.code, account_label(row)) for row in rows if row.active]


CHOICES: dict[str, Callable[[Session], Choices]] = {
    "tenants": _tenants,
    "tax_rates": _tax_rates,
    "item_groups": _item_groups,
    "income_accounts": _accounts(AccountKind.INCOME),
    "expense_accounts": _accounts(AccountKind.EXPENSE),
    "clients": _names(CLIENTS),
    "suppliers": _names(SUPPLIERS),
    "products": _names(PRODUCTS),
    "tool_codes": _tool_codes,
    "currencies": lambda _s: [(c, c) for c in sorted(MINOR_UNITS)],
    "account_kinds": lambda _s: [(k.value, k.value) for k in AccountKind],
    "statuses": lambda _s: [(s.value, s.value) for s in DocumentStatus],
}


def choices_for(session: Session, fields: tuple[Field, ...]) -> dict[str, Choices]:
    return {f.choices: CHOICES[f.choices](session) for f in fields if f.choices}


# -- the fields of each record type --------------------------------------------------------------

ACCOUNTING = "Accounting integration"


def _price(attr: str) -> Callable[[Any], str]:
    def read(product: Any) -> str:
        currency = product.tenant.base_currency if product.tenant is not None else None
        return money(getattr(product, attr), currency) or ""

    return read


def _accounting_fields(kind: str) -> tuple[Field, ...]:
    return (
        Field(
            "exclude_from_accounting",
            "Exclude from Accounting Integration",
            "checkbox",
            section=ACCOUNTING,
            help=f"When ticked, this {kind} never syncs, nor anything that uses it.",
        ),
        Field(
            "tenant",
            "Tenant",
            "select",
            ref=True,
            choices="tenants",
            section=ACCOUNTING,
            help="The organisation in the accounting tool this record syncs to.",
        ),
        Field(
            "remote_id",
            "Remote ID",
            section=ACCOUNTING,
            help=f"The accounting tool's unique ID for this {kind}; filled in when it syncs.",
        ),
    )


PARTY_FIELDS = (
    Field("name", "Name", required=True),
    Field("email", "Email", "email"),
    Field("currency", "Currency", "select", choices="currencies", empty="(default: AUD)"),
    Field(
        "tax_rate",
        "Tax rate",
        "select",
        ref=True,
        choices="tax_rates",
        help="Overrides the products' tax rates, e.g. for exempt or overseas customers.",
    ),
)
CLIENT_FIELDS = PARTY_FIELDS + _accounting_fields("client")
SUPPLIER_FIELDS = PARTY_FIELDS + _accounting_fields("supplier")

PRODUCT_FIELDS = (
    Field("name", "Name", required=True),
    Field("code", "Code", help="The item code in the accounting tool."),
    Field("description", "Description", "textarea", blank=""),
    Field("price", "Price", "decimal", read=_price("price"), help="Sales unit price."),
    Field("cost", "Cost", "decimal", read=_price("cost"), help="Purchase unit price."),
    Field("item_group", "Item group", "select", ref=True, choices="item_groups", section="Tax"),
    Field(
        "use_item_group_tax",
        "Use Item Group Tax",
        "checkbox",
        section="Tax",
        help="Take the tax rate from the item group instead of the one below.",
    ),
    Field("tax_rate", "Tax rate", "select", ref=True, choices="tax_rates", section="Tax"),
    Field(
        "income_account",
        "Income account (sales)",
        "select",
        ref=True,
        choices="income_accounts",
        section="Account codes",
        help="Used by invoices, sales orders and credit notes; inherited from the item group when empty.",
    ),
    Field(
        "expense_account",
        "Expense account (purchases)",
        "select",
        ref=True,
        choices="expense_accounts",
        section="Account codes",
        help="Used by purchase orders; inherited from the item group when empty.",
    ),
) + _accounting_fields("product")

ITEM_GROUP_FIELDS = (
    Field("name", "Name", required=True),
    Field("tax_rate", "Tax rate", "select", ref=True, choices="tax_rates"),
    Field(
        "income_account", "Income account (sales)", "select", ref=True, choices="income_accounts"
    ),
    Field(
        "expense_account",
        "Expense account (purchases)",
        "select",
        ref=True,
        choices="expense_accounts",
    ),
)

TAX_RATE_FIELDS = (
    Field("name", "Name", required=True),
    Field("percent", "Percentage", "decimal", required=True),
    Field(
        "is_default",
        "Global default",
        "checkbox",
        help="Used by any line whose client, product and item group set no tax rate.",
    ),
)

ACCOUNT_CODE_FIELDS = (
    Field("name", "Name", required=True),
    Field(
        "code",
        "Code",
        "suggest",
        choices="tool_codes",
        blank="",
        help="Must equal a code imported from the accounting tool, or invoices using it cannot sync.",
    ),
    Field("kind", "Kind", "select", choices="account_kinds", required=True, empty="(choose)"),
    Field(
        "tenant",
        "Tenant",
        "select",
        ref=True,
        choices="tenants",
        help="Set on codes imported from a tenant; leave empty for your own.",
    ),
    Field("imported_from_tool", "Imported from the tool", "checkbox"),
    Field(
        "active", "Active", "checkbox", default=True, help="An archived code cannot be posted to."
    ),
)

TENANT_FIELDS = (
    Field("name", "Name", required=True),
    Field(
        "remote_tenant_id",
        "Remote tenant ID",
        help="The organisation's ID in the tool (for the ledger: its file name).",
    ),
    Field("base_currency", "Base currency", "select", choices="currencies", empty="(default: AUD)"),
)


def document_fields(party: str) -> tuple[Field, ...]:
    """An invoice's, order's or credit note's own fields; `party` is client or supplier."""
    return (
        Field("number", "Number", required=True),
        Field(
            party,
            party.capitalize(),
            "suggest",
            key="party",
            choices=f"{party}s",
            required=True,
            read=lambda d: d.party.name if d.party is not None else "",
        ),
        Field("issue_date", "Issue date", "date"),
        Field("due_date", "Due date", "date"),
        Field("currency", "Currency", "select", choices="currencies", empty=f"(the {party}'s)"),
        Field("status", "Status", "select", choices="statuses", empty="(draft)"),
        Field("reference", "Reference", blank="", read=lambda d: d.reference_text or ""),
    )
