"""Money as `Decimal` in the currency's minor units; quantities as `Decimal` too.

A currency's minor units (digits after the point) come from Babel's copy of the Unicode CLDR
currency data, so every ISO 4217 code Babel knows is accepted. Babel is read on first use, not at
import, so commands that never touch money do not pay for loading it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

#: Where CLDR's digits (how a currency is usually *written*) differ from ISO 4217's minor units
#: (how accounting tools *record* it) for a currency booksync already accepted: Babel 2.19 (CLDR
#: 47) writes forints and rupiahs without decimals (2.14 still gave two); ISO 4217, Xero and
#: QuickBooks keep two.
ISO_MINOR_UNITS_OVER_CLDR: Mapping[str, int] = {"HUF": 2, "IDR": 2}

#: Codes an error message offers as examples of what is accepted.
EXAMPLE_CURRENCIES = ("AUD", "EUR", "GBP", "JPY", "NZD", "USD")

#: Unit prices may carry more precision than the currency (Xero allows four places).
UNIT_PRICE_PLACES = 4
QUANTITY_PLACES = 4
PERCENT_PLACES = 4
#: Digits before the point an amount may have: what the store's NUMERIC(18, 4) columns hold.
MAX_WHOLE_DIGITS = 14
#: Significant digits for arithmetic on amounts: a product or sum of the largest storable
#: amounts is exact, so rounding it to money never overflows Python's default 28 digits.
MONEY_PRECISION = 60


class MoneyError(ValueError):
    """A value that is not acceptable as an amount; the message says what is."""


@functools.cache
def _minor_units_by_code() -> dict[str, int]:
    """Babel's whole currency table, read once, in code order."""
    from babel.numbers import get_currency_precision, list_currencies  # ~25 ms: defer to first use

    return {
        code: ISO_MINOR_UNITS_OVER_CLDR.get(code, get_currency_precision(code))
        for code in sorted(list_currencies())
    }


class _MinorUnits(Mapping[str, int]):
    """ISO 4217 code -> minor units, for every currency Babel knows; iterates in code order."""

    def __getitem__(self, currency: str) -> int:
        return _minor_units_by_code()[currency]

    def __iter__(self) -> Iterator[str]:
        return iter(_minor_units_by_code())

    def __len__(self) -> int:
        return len(_minor_units_by_code())


#: Every currency booksync accepts, with its minor units: `code in MINOR_UNITS`,
#: `MINOR_UNITS[code]`, `sorted(MINOR_UNITS)` for a list to choose from.
MINOR_UNITS: Mapping[str, int] = _MinorUnits()


def minor_units(currency: str) -> int:
    """Digits after the point in `currency`, or `MoneyError` naming what is accepted."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(
            f"currency {currency!r} is not a known ISO 4217 code; accepted: a three-letter "
            f"ISO 4217 code in capitals, such as {', '.join(EXAMPLE_CURRENCIES)}"
        ) from None


def parse_decimal(
    text: str | int | Decimal, *, places: int, allow_negative: bool = False
) -> Decimal:
    """Read an amount written by a person ("49", "49.00", "1,250.50"), refusing floats and excess places."""
    if isinstance(text, float):
        raise MoneyError("a float is not accepted; write the amount as text, e.g. '49.00'")
    raw = text if isinstance(text, Decimal) else str(text).strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError("not a number; accepted: a decimal amount such as 49.00") from None
    if not value.is_finite():
        raise MoneyError("not a finite number; accepted: a decimal amount such as 49.00")
    if value and value.adjusted() >= MAX_WHOLE_DIGITS:
        raise MoneyError(
            f"too large; accepted: at most {MAX_WHOLE_DIGITS} digits before the decimal point"
        )
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise MoneyError(f"too many decimal places; accepted: at most {places}")
    if value < 0 and not allow_negative:
        raise MoneyError("negative amounts are not accepted here; accepted: 0 or more")
    return value.quantize(Decimal(1).scaleb(-places)) if places else value.quantize(Decimal(1))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor units, half up, as the accounting tools do."""
    with localcontext(prec=MONEY_PRECISION):
        return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    with localcontext(prec=MONEY_PRECISION):
        return round_money(quantity * unit_price, currency)


def tax_amount(net: Decimal, percent: Decimal, currency: str) -> Decimal:
    """Tax on one line, rounded per line (Xero and QuickBooks round per line, then sum)."""
    with localcontext(prec=MONEY_PRECISION):
        return round_money(net * percent / Decimal(100), currency)
