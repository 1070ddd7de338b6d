"""The fields of each record type's page: where the seed's screens put them, how each reads the
record's current value, and how the text typed into it becomes the service's input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import object_session

from booksync.services.input_fields import (
    MAX_ADDRESS_LINES,
    MAX_TRACKING,
    parse_tracking,
    terms_text,
    tracking_text,
)
from booksync.services.serialize import money
from booksync.web._forms import Field

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


def _address(part: str) -> Callable[[Any], str]:
    def read(party: Any) -> str:
        value = (party.address or {}).get(part)
        if isinstance(value, list):
            return "\n".join(value)
        return value or ""

    return read


def _tracking_field(help_text: str, section: str = "") -> Field:
    return Field(
        "tracking",
        "Tracking",
        help=help_text + f" As Category=Option, e.g. Region=North; at most {MAX_TRACKING}, "
        "separated by ';'.",
        section=section,
        read=lambda obj: tracking_text(obj.tracking),
        parse=lambda text: parse_tracking("tracking", text),
    )


ADDRESS = "Address"
#: A client's or supplier's payment terms, address and tracking.
PARTY_DETAILS = (
    Field(
        "payment_terms",
        "Payment terms",
        help="Sets the due date of its documents that have none, e.g. '14 days', '30 days after "
        "the end of the month', '20th of next month'; empty: the tenant's default.",
        read=lambda party: terms_text(party.payment_terms),
    ),
    Field(
        "address_lines",
        "Street",
        "textarea",
        key="address.lines",
        section=ADDRESS,
        help=f"One line per row, at most {MAX_ADDRESS_LINES}.",
        read=_address("lines"),
        parse=lambda text: [line.strip() for line in text.splitlines() if line.strip()],
    ),
    Field("city", "City", key="address.city", section=ADDRESS, read=_address("city")),
    Field(
        "region",
        "State or region",
        key="address.region",
        section=ADDRESS,
        read=_address("region"),
    ),
    Field(
        "postal_code",
        "Postal code",
        key="address.postal_code",
        section=ADDRESS,
        read=_address("postal_code"),
    ),
    Field("country", "Country", key="address.country", section=ADDRESS, read=_address("country")),
    _tracking_field("Tracking its documents default to.", ACCOUNTING),
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
CLIENT_FIELDS = PARTY_FIELDS + PARTY_DETAILS + _accounting_fields("client")
SUPPLIER_FIELDS = PARTY_FIELDS + PARTY_DETAILS + _accounting_fields("supplier")

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
    _tracking_field("Tracking its lines default to.", ACCOUNTING),
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
    Field(
        "imported_from_tool",
        "Imported from the tool",
        "checkbox",
        help="Set by importing the tenant only. Changing the code or tenant of an imported account "
        "makes it your own, checked against the tool like any other.",
    ),
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


def _credited(note: Any) -> str:
    """The number of the invoice a credit note credits, as its form shows it."""
    session = object_session(note)
    if note.credited_document_id is None or session is None:
        return ""
    invoice = session.get(type(note), note.credited_document_id)
    return invoice.number if invoice is not None else ""


CREDITS = Field(
    "credits",
    "Credits invoice",
    "suggest",
    choices="invoices",
    blank="",
    help="The invoice this credit note credits (of the same client); the tool allocates it there.",
    read=_credited,
)


def document_fields(party: str, *, credit_note: bool = False) -> tuple[Field, ...]:
    """An invoice's, order's or credit note's own fields; `party` is client or supplier."""
    return _document_fields(party) + (CREDITS,) * credit_note


def _document_fields(party: str) -> tuple[Field, ...]:
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
        Field(
            "exchange_rate",
            "Exchange rate",
            "decimal",
            help="Units of the tenant's base currency per unit of this currency; empty: the "
            "tool's own rate.",
        ),
        _tracking_field("For the whole document, over the party's and the products'."),
    )
