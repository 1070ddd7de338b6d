"""Currency precision comes from Babel's data: every ISO 4217 currency is accepted and rounded to
its own minor units, the 45 booksync always accepted keep theirs, and an unknown code is refused
saying what is accepted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from booksync.domain.money import (
    MINOR_UNITS,
    MoneyError,
    line_amount,
    minor_units,
    round_money,
    tax_amount,
)

D = Decimal

#: The hand-kept table booksync used before Babel: none of these may round differently now.
BEFORE_BABEL = {
    "AED": 2, "ARS": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "FJD": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NOK": 2,
    "NZD": 2, "OMR": 3, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2,
    "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip


def test_every_currency_accepted_before_keeps_its_minor_units() -> None:
    assert {code: MINOR_UNITS[code] for code in BEFORE_BABEL} == BEFORE_BABEL


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("1234.50", "XOF", "1235"),  # West African CFA franc: no minor unit
        ("19.9995", "BHD", "20.000"),  # Bahraini dinar: three places
        ("0.12344", "BHD", "0.123"),
        ("1.23455", "CLF", "1.2346"),  # Chilean Unidad de Fomento: four places
        ("7.125", "MAD", "7.13"),  # Moroccan dirham: two, like most
    ],
)
def test_a_currency_outside_the_old_table_rounds_half_up_to_its_own_minor_units(
    amount: str, currency: str, rounded: str
) -> None:
    result = round_money(D(amount), currency)
    assert result == D(rounded)
    assert str(result) == rounded  # the exponent is the currency's, not the input's


def test_line_and_tax_amounts_in_a_three_place_currency_keep_three_places() -> None:
    net = line_amount(D("3"), D("1.3335"), "KWD")
    assert str(net) == "4.001"  # 4.0005 rounds half up
    assert str(tax_amount(net, D("5"), "KWD")) == "0.200"


@pytest.mark.parametrize("code", ["QQQ", "aud", "AU", "", "EURO"])
def test_an_unknown_currency_is_refused_naming_the_field_the_value_and_what_is_accepted(
    code: str,
) -> None:
    assert code not in MINOR_UNITS
    with pytest.raises(MoneyError) as refused:
        round_money(D("1.00"), code)
    message = str(refused.value)
    assert message.startswith(f"currency {code!r} is not a known ISO 4217 code")
    assert "accepted: a three-letter ISO 4217 code in capitals, such as AUD, EUR" in message
    with pytest.raises(MoneyError):
        minor_units(code)


def test_the_list_of_currencies_is_sorted_and_covers_iso_4217_beyond_the_old_table() -> None:
    codes = sorted(MINOR_UNITS)
    assert codes == list(MINOR_UNITS)
    assert set(BEFORE_BABEL) < set(codes)
    assert {"XOF", "CLF", "MAD", "NGN", "KES"} <= set(codes)
    assert all(len(code) == 3 and code.isupper() for code in codes)
    assert len(MINOR_UNITS) == len(codes) > 150
    assert MINOR_UNITS.get("QQQ", 2) == 2  # callers that fall back for an unknown code still can
