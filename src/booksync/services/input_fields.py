"""The structured fields a record carries beside names and amounts: payment terms, a postal address,
tracking and an exchange rate, with the text forms a person types on the command line or in a form.

Each is validated before the store sees it, and a refusal names what is accepted. The text forms
("14 days", "20th of next month", "Region=North") are parsed here so the CLI and the web read them
alike; the API takes the same structures as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from booksync.domain.money import MoneyError, parse_decimal
from booksync.domain.terms import (
    DAYS_AFTER_BILL_DATE,
    DAYS_AFTER_BILL_MONTH,
    OF_CURRENT_MONTH,
    OF_FOLLOWING_MONTH,
    TERM_TYPES,
)
from booksync.errors import BadInput
from booksync.services.text import STORABLE, UNSTORABLE, storable


class Storable(BaseModel):
    """Refuses text no database can store, in every field; unknown fields are refused too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and not storable(value):
            raise PydanticCustomError("string_unstorable", f"{UNSTORABLE}; accepted: {STORABLE}")
        return value


# -- payment terms --------------------------------------------------------------------------------

TermType = Literal["DAYSAFTERBILLDATE", "DAYSAFTERBILLMONTH", "OFCURRENTMONTH", "OFFOLLOWINGMONTH"]
assert TermType.__args__ == TERM_TYPES  # type: ignore[attr-defined]

#: Days after the issue date (or month end) a person may give: a year covers every real term.
MAX_TERM_DAYS = 365
TERMS_ACCEPTED = (
    "'14 days', '30 days after the end of the month', '20th of the current month', "
    "'20th of next month', or empty to clear"
)
_ORDINAL = r"(\d{1,3})(?:st|nd|rd|th)?"
#: Text forms of terms, tried in order, each with the type it means.
_TERM_FORMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"(\d{1,3}) days? after (?:the )?end of (?:the )?(?:invoice |issue |bill )?month", DAYS_AFTER_BILL_MONTH),
        (r"(?:net ?)?(\d{1,3})(?: days?(?: after (?:the )?(?:invoice|issue|bill) date)?)?", DAYS_AFTER_BILL_DATE),
        (_ORDINAL + r" (?:day )?of (?:the )?(?:next|following) month", OF_FOLLOWING_MONTH),
        (_ORDINAL + r" (?:day )?of (?:the )?(?:current |this )?month", OF_CURRENT_MONTH),
        (r"due on receipt()", DAYS_AFTER_BILL_DATE),
    )
)  # fmt: skip


def parse_payment_terms(text: str) -> dict[str, Any] | None:
    """'14 days' -> {"days": 14, "type": "DAYSAFTERBILLDATE"}; '' -> None (no terms of its own).

    Also accepts the tools' own form, 'OFFOLLOWINGMONTH 20'. Raises ValueError "problem; accepted:
    ..." for anything else, so a Pydantic field and a face report it alike."""
    words = " ".join(text.split())
    if not words:
        return None
    kind, _, days = words.upper().partition(" ")
    if kind in TERM_TYPES and days.isdigit():
        return checked_terms(int(days), kind)
    for pattern, kind in _TERM_FORMS:
        match = pattern.fullmatch(words)
        if match is not None:
            return checked_terms(int(match.group(1) or 0), kind)
    raise ValueError(f"is not payment terms; accepted: {TERMS_ACCEPTED}")


def checked_terms(days: int, kind: str) -> dict[str, Any]:
    if kind in (OF_CURRENT_MONTH, OF_FOLLOWING_MONTH) and not 1 <= days <= 31:
        raise ValueError(f"day {days} is not a day of the month; accepted: a day from 1st to 31st")
    if not 0 <= days <= MAX_TERM_DAYS:
        raise ValueError(f"{days} days is too long; accepted: 0 to {MAX_TERM_DAYS} days")
    return {"days": days, "type": kind}


def terms_text(terms: Mapping[str, Any] | None) -> str:
    """{"days": 20, "type": "OFFOLLOWINGMONTH"} -> '20th of next month' (what the parser reads)."""
    if not terms:
        return ""
    days, kind = int(terms["days"]), terms.get("type", DAYS_AFTER_BILL_DATE)
    if kind == DAYS_AFTER_BILL_MONTH:
        return f"{days} days after the end of the month"
    if kind == OF_CURRENT_MONTH:
        return f"{_ordinal(days)} of the current month"
    if kind == OF_FOLLOWING_MONTH:
        return f"{_ordinal(days)} of next month"
    return f"{days} day" + ("" if days == 1 else "s")


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


class PaymentTermsInput(Storable):
    """When a document falls due, as the tools name it (Xero's PaymentTerms `Day` and `Type`)."""

    days: int = Field(
        ge=0,
        le=MAX_TERM_DAYS,
        description="days after the issue date (or the month's end); for OF... types, the day of "
        "the month",
    )
    type: TermType = Field(
        DAYS_AFTER_BILL_DATE,  # type: ignore[arg-type]
        description="DAYSAFTERBILLDATE, DAYSAFTERBILLMONTH, OFCURRENTMONTH or OFFOLLOWINGMONTH",
    )

    @model_validator(mode="after")
    def _day_of_month(self) -> PaymentTermsInput:
        checked_terms(self.days, self.type)
        return self

    def stored(self) -> dict[str, Any]:
        return {"days": self.days, "type": self.type}


def _terms(value: Any, _handler: Any) -> PaymentTermsInput | None:
    """Text or JSON to terms, with one message naming what is accepted (not one per form)."""
    if isinstance(value, str):
        value = parse_payment_terms(value)
    if value is None or isinstance(value, PaymentTermsInput):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"is not payment terms; accepted: {TERMS_ACCEPTED}")
    try:
        return PaymentTermsInput.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"] if str(p) in ("days", "type"))
        problem = error["msg"].removeprefix("Value error, ")
        if "; accepted: " not in problem:
            problem += (
                f'; accepted: {{"days": 0 to {MAX_TERM_DAYS}, "type": {" | ".join(TERM_TYPES)}}}'
            )
        raise ValueError(f"{where}: {problem}" if where else problem) from None


#: Payment terms as JSON ({"days": 14, "type": "DAYSAFTERBILLDATE"}) or as text ("14 days");
#: empty text or null clears them.
PaymentTerms = Annotated[
    PaymentTermsInput | str | None,
    WrapValidator(_terms),
    Field(
        description='e.g. {"days": 14, "type": "DAYSAFTERBILLDATE"}, or as text: ' + TERMS_ACCEPTED
    ),
]


# -- address --------------------------------------------------------------------------------------

# Lengths as Xero's Address allows them (tests/specs/xero/xero_accounting.yaml, `Address:` at line
# 20276: AddressLine1-4 max 500, City and Region max 255, PostalCode and Country max 50).
MAX_ADDRESS_LINES = 4
COUNTRY = re.compile(r"[A-Za-z][A-Za-z .'-]*")


class AddressInput(Storable):
    """A postal address; on an edit, only the parts given change and an empty part is cleared."""

    lines: list[Annotated[str, Field(max_length=500)]] | None = Field(
        None, max_length=MAX_ADDRESS_LINES, description="street lines, at most 4"
    )
    city: Annotated[str, Field(max_length=255)] | None = None
    region: Annotated[str, Field(max_length=255)] | None = Field(
        None, description="state, province or region"
    )
    postal_code: Annotated[str, Field(max_length=50)] | None = None
    country: Annotated[str, Field(max_length=50)] | None = Field(
        None, description="the country's name or code, in letters"
    )

    @field_validator("lines", mode="before")
    @classmethod
    def _few_lines(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_ADDRESS_LINES:
            raise PydanticCustomError(
                "too_long",
                "has {count} lines; accepted: at most {limit} street lines",
                {"count": len(value), "limit": MAX_ADDRESS_LINES},
            )
        return value

    @field_validator("country")
    @classmethod
    def _letters(cls, value: str | None) -> str | None:
        # Xero: "Country: max length = 50, [A-Z], [a-z] only" (xero_accounting.yaml, Address).
        if value and not COUNTRY.fullmatch(value):
            raise ValueError(
                "is not a country name; accepted: letters (spaces, '.', '-' allowed), e.g. AU "
                "or Australia"
            )
        return value


def merged_address(
    current: Mapping[str, Any] | None, given: AddressInput | None
) -> dict[str, Any] | None:
    """The stored address after an edit: the parts given replace the current ones, an empty part
    is removed, and an address left with nothing is None."""
    if given is None:
        return None
    address = dict(current or {})
    for name in given.model_fields_set:
        value = getattr(given, name)
        if name == "lines":
            value = [line for line in value or () if line]
        if value in (None, "", []):
            address.pop(name, None)
        else:
            address[name] = value
    order = list(AddressInput.model_fields)
    ranked = sorted(address, key=lambda k: order.index(k) if k in order else len(order))
    return {k: address[k] for k in ranked} or None


# -- tracking -------------------------------------------------------------------------------------

#: Xero allows at most two tracking categories on a line (/work/shared/specs/api-facts.md, Invoice:
#: "<=2 tracking"); QuickBooks has a class and a location. Names and options: max 100 characters
#: (xero_accounting.yaml, `TrackingCategory:` line 25297).
MAX_TRACKING = 2
MAX_TRACKING_NAME = 100
TRACKING_ACCEPTED = (
    f"CATEGORY=OPTION, e.g. 'Region=North', at most {MAX_TRACKING} categories, or empty to clear"
)


def _tracking(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"is not tracking; accepted: {{category: option}}, {TRACKING_ACCEPTED}")
    if len(value) > MAX_TRACKING:
        raise ValueError(
            f"has {len(value)} categories; accepted: at most {MAX_TRACKING} (the tools allow two)"
        )
    tracking: dict[str, str] = {}
    for category, option in value.items():
        for part in (category, option):
            if not isinstance(part, str) or not part.strip():
                raise ValueError(f"is not tracking; accepted: {TRACKING_ACCEPTED}")
            if len(part.strip()) > MAX_TRACKING_NAME:
                raise ValueError(
                    f"has a name of {len(part.strip())} characters; accepted: category and "
                    f"option names of at most {MAX_TRACKING_NAME} characters"
                )
            if not storable(part):
                raise ValueError(f"{UNSTORABLE}; accepted: {STORABLE}")
        tracking[category.strip()] = option.strip()
    return tracking or None


#: {category: option}: Xero tracking categories, QuickBooks class and location. Null or {} clears.
Tracking = Annotated[
    dict[str, str] | None,
    BeforeValidator(_tracking),
    Field(
        json_schema_extra={"maxProperties": MAX_TRACKING},
        description='{category: option}, e.g. {"Region": "North"}; at most two categories',
    ),
]


def parse_tracking(field: str, texts: str | Iterable[str]) -> dict[str, str] | None:
    """'Region=North' (one or several, separated by ';' or new lines) -> {"Region": "North"};
    an empty text clears. Raises BadInput naming `field`."""
    parts = [texts] if isinstance(texts, str) else list(texts)
    tracking: dict[str, str] = {}
    for text in parts:
        for pair in re.split(r"[;\n]", text):
            if not pair.strip():
                continue
            category, equals, option = pair.partition("=")
            if not equals or not category.strip() or not option.strip():
                raise BadInput(field, pair.strip(), "is not CATEGORY=OPTION", TRACKING_ACCEPTED)
            if category.strip() in tracking:
                raise BadInput(
                    field, pair.strip(), "names a category twice", "one option per category"
                )
            tracking[category.strip()] = option.strip()
    return tracking or None


def tracking_text(tracking: Mapping[str, str] | None, separator: str = "; ") -> str:
    return separator.join(f"{k}={v}" for k, v in (tracking or {}).items())


# -- exchange rate --------------------------------------------------------------------------------

#: Places an exchange rate is stored with, and the first rate too large to store
#: (documents.exchange_rate is NUMERIC(18, 6)).
RATE_PLACES = 6
MAX_RATE = 10**12


def _rate(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError("is not a number; accepted: a rate greater than 0, e.g. 1.5234")
    if isinstance(value, str) and not value.isascii():
        raise ValueError("is not written in ASCII digits; accepted: a rate such as 1.5234")
    try:
        rate = parse_decimal(value, places=RATE_PLACES, allow_negative=True)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if rate <= 0:
        raise ValueError("is not greater than 0; accepted: a rate greater than 0, e.g. 1.5234")
    if rate >= MAX_RATE:
        raise ValueError(f"is too large; accepted: a rate below {MAX_RATE:,}")
    return rate


#: Units of the tenant's base currency per unit of the document's currency; null: the tool's rate.
ExchangeRate = Annotated[
    Decimal | None,
    BeforeValidator(_rate),
    Field(
        description="units of the tenant's base currency per unit of the document's currency, "
        "up to 6 decimal places; null or empty: the tool's own rate"
    ),
]
