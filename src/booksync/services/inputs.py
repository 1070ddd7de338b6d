"""What a face may send to create or edit each record. Fields left unset are left unchanged.

References to other records (tenant, tax rate, account codes, item group, client, supplier, product)
are given as the text a person would type; an empty string clears an optional reference.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from booksync.domain.money import (
    MINOR_UNITS,
    PERCENT_PLACES,
    QUANTITY_PLACES,
    UNIT_PRICE_PLACES,
    MoneyError,
    parse_decimal,
)
from booksync.domain.types import AccountKind, DocumentStatus, EntityType

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _amount(places: int, *, allow_negative: bool = False) -> Any:
    def parse(value: Any) -> Decimal:
        if isinstance(value, float):
            value = repr(value)  # JSON numbers arrive as floats; read their shortest text exactly
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValueError("not a number; accepted: a decimal amount such as 49.00")
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


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

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


class IntegrationSettings(_Input):
    enabled: bool | None = None
    entities_to_sync: list[EntityType] | None = None
    show_success_messages: bool | None = None


class TenantInput(_Input):
    name: Name | None = None
    remote_tenant_id: Ref | None = None
    base_currency: str | None = None

    _check_currency = field_validator("base_currency")(_currency)


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

    _check_currency = field_validator("currency")(_currency)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.match(value):
            raise ValueError("is not an email address; accepted: name@example.com")
        return value or None


class ProductInput(_Input):
    name: Name | None = None
    code: Annotated[str, Field(max_length=50)] | None = None
    description: str | None = None
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


class LineInput(_Input):
    product: Ref
    quantity: Quantity = Decimal(1)
    #: Defaults to the product's price (its cost on a purchase order).
    unit_price: SignedPrice | None = None
    description: str | None = None
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
    lines: list[LineInput] | None = None

    _check_currency = field_validator("currency")(_currency)


INPUTS: dict[str, type[_Input]] = {
    "tenant": TenantInput,
    "tax_rate": TaxRateInput,
    "account_code": AccountCodeInput,
    "item_group": ItemGroupInput,
    EntityType.CLIENT.value: PartyInput,
    EntityType.SUPPLIER.value: PartyInput,
    EntityType.PRODUCT.value: ProductInput,
}
