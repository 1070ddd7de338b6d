"""What a face may send to create or edit each record. Fields left unset are left unchanged.

References to other records (tenant, tax rate, account codes, item group, client, supplier, product)
are given as the text a person would type; an empty string clears an optional reference.

Every refusal happens here, before the store sees a value: text no database can store (NUL, an
unpaired surrogate such as a command-line argument that was not UTF-8), amounts not written in
ASCII digits, text longer than `MAX_TEXT`, documents with more than `MAX_LINES` lines, and a remote
tenant ID that could not name a file. Each says what would be accepted.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from booksync.domain.money import (
    MINOR_UNITS,
    PERCENT_PLACES,
    QUANTITY_PLACES,
    UNIT_PRICE_PLACES,
    MoneyError,
    parse_decimal,
)
from booksync.domain.types import AccountKind, DocumentStatus, EntityType
from booksync.services.input_fields import (
    AddressInput,
    ExchangeRate,
    PaymentTerms,
    Storable,
    Tracking,
)
from booksync.services.text import check_text as check_text  # re-exported

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Descriptions and other free text: a paragraph or two, not a file.
MAX_TEXT = 4000
#: Lines on one document: far more than any real invoice, few enough to save in one request.
MAX_LINES = 1000
#: A remote tenant ID names a ledger file (its stem) or a tool's tenant (a UUID, a realm number):
#: no path separators, no "..", no control characters, not starting with "." or a space.
REMOTE_TENANT_ID = re.compile(r"[^\s./\\][^/\\\x00-\x1f\x7f]{0,99}")


def _amount(places: int, *, allow_negative: bool = False) -> Any:
    def parse(value: Any) -> Decimal:
        if isinstance(value, float):
            value = repr(value)  # JSON numbers arrive as floats; read their shortest text exactly
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValueError("not a number; accepted: a decimal amount such as 49.00")
        if isinstance(value, str) and not value.isascii():
            # Python reads "１２" and "١٢" as 12; a tool or a person reading the books may not.
            raise ValueError(
                "is not written in ASCII digits; accepted: a decimal amount in digits 0-9, "
                "such as 49.00"
            )
        try:
            return parse_decimal(value, places=places, allow_negative=allow_negative)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(parse)


Price = Annotated[Decimal, _amount(UNIT_PRICE_PLACES)]
SignedPrice = Annotated[Decimal, _amount(UNIT_PRICE_PLACES, allow_negative=True)]
Quantity = Annotated[Decimal, _amount(QUANTITY_PLACES)]
Percent = Annotated[Decimal, _amount(PERCENT_PLACES)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Ref = Annotated[str, Field(max_length=255)]


def _bounded_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise PydanticCustomError(
            "string_too_long",
            "is {length} characters long; accepted: at most {limit} characters",
            {"length": f"{len(value):,}", "limit": f"{MAX_TEXT:,}"},
        )
    return value


#: Free text (descriptions): bounded, with the length in the refusal.
Text = Annotated[str, BeforeValidator(_bounded_text), Field(max_length=MAX_TEXT)]


class _Input(Storable):
    def given(self) -> dict[str, Any]:
        """Only the fields the caller set, so an edit leaves the rest alone."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.upper()
    if code not in MINOR_UNITS:
        raise ValueError(
            "is not a supported ISO 4217 currency; accepted: " + ", ".join(sorted(MINOR_UNITS))
        )
    return code


def _kept_currency(value: str | None) -> str | None:
    """A currency every record of its kind has: given as null, it is refused, not stored empty."""
    if value is None:
        raise ValueError("is empty; accepted: an ISO 4217 currency, e.g. AUD")
    return _currency(value)


class IntegrationSettings(_Input):
    enabled: bool | None = None
    entities_to_sync: list[EntityType] | None = None
    show_success_messages: bool | None = None


class TenantInput(_Input):
    name: Name | None = None
    remote_tenant_id: Ref | None = None
    base_currency: str | None = None

    _check_currency = field_validator("base_currency")(_kept_currency)

    @field_validator("remote_tenant_id")
    @classmethod
    def _remote_tenant_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value:
            raise ValueError(
                "is empty; accepted: the tool's ID for the tenant, or leave it out to use the name"
            )
        if ".." in value or not REMOTE_TENANT_ID.fullmatch(value):
            raise ValueError(
                "is not an ID any tool uses (it could name a path on the server); accepted: up "
                "to 100 characters without '/', '\\', '..' or control characters, not starting "
                "with '.'"
            )
        return value


class TaxRateInput(_Input):
    name: Name | None = None
    percent: Percent | None = None
    is_default: bool | None = None

    @field_validator("percent")
    @classmethod
    def _range(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value > 100:
            raise ValueError("is more than 100; accepted: a percentage from 0 to 100")
        return value


class AccountCodeInput(_Input):
    name: Name | None = None
    code: Annotated[str, Field(max_length=50)] | None = None
    kind: AccountKind | None = None
    tenant: Ref | None = None
    imported_from_tool: bool | None = None
    active: bool | None = None


class ItemGroupInput(_Input):
    name: Name | None = None
    tax_rate: Ref | None = None
    income_account: Ref | None = None
    expense_account: Ref | None = None


class PartyInput(_Input):
    """A client or a supplier."""

    name: Name | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    currency: str | None = None
    tax_rate: Ref | None = None
    exclude_from_accounting: bool | None = None
    tenant: Ref | None = None
    remote_id: Ref | None = None
    #: Sets the due date of its documents that have none (else the tenant's default applies).
    payment_terms: PaymentTerms = None
    address: AddressInput | None = None
    #: Tracking its documents default to.
    tracking: Tracking = None

    _check_currency = field_validator("currency")(_kept_currency)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.match(value):
            raise ValueError("is not an email address; accepted: name@example.com")
        return value or None


class ProductInput(_Input):
    name: Name | None = None
    code: Annotated[str, Field(max_length=50)] | None = None
    description: Text | None = None
    price: Price | None = None
    cost: Price | None = None
    item_group: Ref | None = None
    use_item_group_tax: bool | None = None
    tax_rate: Ref | None = None
    income_account: Ref | None = None
    expense_account: Ref | None = None
    exclude_from_accounting: bool | None = None
    tenant: Ref | None = None
    remote_id: Ref | None = None
    #: Tracking its lines default to.
    tracking: Tracking = None


class LineInput(_Input):
    product: Ref
    quantity: Quantity = Decimal(1)
    #: Defaults to the product's price (its cost on a purchase order).
    unit_price: SignedPrice | None = None
    description: Text | None = None
    tax_rate: Ref | None = None

    @field_validator("quantity")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise ValueError("is zero; accepted: a quantity greater than 0, e.g. 1 or 0.5")
        return value


class DocumentInput(_Input):
    number: Name | None = None
    #: The client, or the supplier on a purchase order.
    party: Ref | None = None
    issue_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    status: DocumentStatus | None = None
    reference: Annotated[str, Field(max_length=255)] | None = None
    lines: list[LineInput] | None = Field(None, max_length=MAX_LINES)
    exchange_rate: ExchangeRate = None
    tracking: Tracking = None

    _check_currency = field_validator("currency")(_currency)

    @field_validator("issue_date", mode="before")
    @classmethod
    def _issue_date(cls, value: Any) -> Any:
        # Given but empty: every document has an issue date (leave the field out for today).
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(
                "is empty; accepted: a date as YYYY-MM-DD, or leave it out for today's date"
            )
        return value

    @field_validator("lines", mode="before")
    @classmethod
    def _few_enough_lines(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_LINES:
            raise PydanticCustomError(
                "too_long",
                "has {count} lines; accepted: at most {limit} lines per document",
                {"count": f"{len(value):,}", "limit": f"{MAX_LINES:,}"},
            )
        return value


class CreditNoteInput(DocumentInput):
    #: The invoice it credits (its number or id), which the tool allocates it to; "" clears.
    credits: Ref | None = Field(
        None, description="the number of the invoice it credits (of the same client)"
    )


INPUTS: dict[str, type[_Input]] = {
    "tenant": TenantInput,
    "tax_rate": TaxRateInput,
    "account_code": AccountCodeInput,
    "item_group": ItemGroupInput,
    EntityType.CLIENT.value: PartyInput,
    EntityType.SUPPLIER.value: PartyInput,
    EntityType.PRODUCT.value: ProductInput,
}
