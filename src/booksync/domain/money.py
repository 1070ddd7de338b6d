"""Money as `Decimal` in the currency's minor units; quantities as `Decimal` too."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

#: ISO 4217 currencies booksync accepts, with their minor units (digits after the point).
MINOR_UNITS: dict[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "FJD": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2,
    "NZD": 2, "OMR": 3, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2,
    "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

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


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(
            f"unknown currency; accepted: ISO 4217 codes such as {', '.join(sorted(MINOR_UNITS)[:6])}, ..."
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
