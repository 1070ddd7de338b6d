"""A document's subtotal, tax and total, rounded the way the receiving tool rounds them.

The tools may differ on where tax is rounded, and a cent's difference is a `tool.totals_match`
finding, so booksync computes what each tool will book rather than one house figure:

- "line" (Xero, `LineAmountTypes` "Exclusive", the default): each line's amount is quantity x unit
  price rounded to two places, its tax is a percentage of that line amount rounded on the line, and
  the document's tax is the sum of the lines' taxes. Sources: tests/specs/xero/xero_accounting.yaml
  line 20705 ("TaxAmount ... auto calculated as a percentage of the line amount ... based on the
  tax rate") and line 22654 (UnitAmount rounded to two places unless `unitdp=4`);
  /work/shared/specs/api-facts.md "Rounding: tax per line at 2 dp then summed".
- "document": one tax figure per tax rate over the whole document, rounded once, as QuickBooks
  Online's `TxnTaxDetail.TaxLine` is shaped (one line per `TaxRateRef`, with its
  `NetAmountTaxable` and `TaxPercent`: https://developer.intuit.com/app/developer/qbo/docs/api/
  accounting/all-entities/invoice). Caution, found while checking: Intuit's own answers say
  QuickBooks Online "will always calculate line-by-line" for GST/HST
  (https://quickbooks.intuit.com/learn-support/en-ca/sales-customers/if-my-subtotal-is-95-40-and-
  my-gst-hst-is-15-the-total-tax/01/306952, and .../hey-the-gst-calculations-for-my-invoices-are-
  not-correct-when/00/1567567), and ruckus/quickbooks-ruby#547 shows a QuickBooks total a cent
  above the rate applied to the subtotal. So a QuickBooks `Tool` should declare "line" unless its
  connector's own evidence (e.g. US automated sales tax) says otherwise; `tool.totals_match` then
  reports any cent the choice gets wrong, with both figures.

A tool declares which it uses (`Tool.tax_rounding`); the payload builder and the verification
after a push both call `document_totals` with it, so the figure booksync sends and the figure it
checks the tool's answer against are one computation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import cache
from typing import Literal

from booksync.domain.money import MONEY_PRECISION

#: Where tax is rounded: on each line, then summed ("line"), or once per tax rate on the document
#: ("document", the shape of QuickBooks Online's `TxnTaxDetail`; see the caution above).
TaxRounding = Literal["line", "document"]

#: Places of a line amount: both tools book line amounts in two places whatever the unit price's.
AMOUNT_PLACES = 2


@dataclass(frozen=True, slots=True)
class Totals:
    """What a document adds up to, tax exclusive lines: subtotal + tax == total."""

    subtotal: Decimal
    tax: Decimal
    total: Decimal


#: The arithmetic context of amounts: what `localcontext(prec=MONEY_PRECISION)` gives a thread
#: with the default context, passed explicitly by the hot paths (a pass rounds ~140,000 figures;
#: entering a context for each costs more than the rounding itself).
_MONEY = Context(prec=MONEY_PRECISION)


@cache
def _quantum(places: int) -> Decimal:
    """1 in the last of `places` decimal places (0.01 for two), the exponent rounding keeps."""
    return Decimal(1).scaleb(-places, _MONEY)


def _round(amount: Decimal, places: int) -> Decimal:
    return amount.quantize(_quantum(places), rounding=ROUND_HALF_UP, context=_MONEY)


def line_amount(quantity: Decimal, unit_price: Decimal, *, places: int = AMOUNT_PLACES) -> Decimal:
    """Quantity x unit price, rounded half up to `places` (two, as both tools book it).

    1,000 x 0.0125 is 12.50: the unit price keeps its four places until the product is rounded.
    """
    return _round(_MONEY.multiply(quantity, unit_price), places)


def document_totals(
    lines: Iterable[tuple[Decimal, Decimal, Decimal]],
    rounding: TaxRounding = "line",
    *,
    places: int = AMOUNT_PLACES,
) -> Totals:
    """Subtotal, tax and total of `(quantity, unit_price, tax_percent)` lines, tax exclusive.

    "line": each line's tax is rounded, then summed (Xero). "document": the line amounts taxed at
    one percentage are summed and that sum's tax rounded once (QuickBooks Online's `TxnTaxDetail`).
    The two can differ by a cent per line: three lines of 0.05 at 10% carry 0.03 of tax by line,
    0.02 by document (0.015 rounded once).
    """
    if rounding not in ("line", "document"):
        raise ValueError(f"tax rounding {rounding!r} is not known; accepted: 'line', 'document'")
    subtotal = Decimal(0)
    tax = Decimal(0)
    by_rate: dict[Decimal, Decimal] = {}
    with localcontext(prec=MONEY_PRECISION):
        for quantity, unit_price, percent in lines:
            amount = line_amount(quantity, unit_price, places=places)
            subtotal += amount
            if rounding == "line":
                tax += _round(amount * percent / Decimal(100), places)
            else:
                key = percent.normalize()
                by_rate[key] = by_rate.get(key, Decimal(0)) + amount
        for percent, taxable in by_rate.items():
            tax += _round(taxable * percent / Decimal(100), places)
        subtotal, tax = _round(subtotal, places), _round(tax, places)
        return Totals(subtotal, tax, subtotal + tax)
