"""The default chart of accounts of a new ledger, like a new Xero organisation's, and account naming.

Account codes and tax types live as metadata on `open` directives (`code: "200"`, `tax_type:
"OUTPUT"`, `rate: 10`), so the chart is plain Beancount that Fava shows and a person can extend by
hand: any `open` with a `code` under Income/Expenses is an importable account code, any with a
`tax_type` and `rate` is an importable tax type. A `close` directive archives either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from booksync.domain.types import AccountKind

#: Every account booksync opens is opened on this date, so back-dated documents always post.
OPEN_DATE = date(1970, 1, 1)

ROOT = {AccountKind.INCOME: "Income", AccountKind.EXPENSE: "Expenses"}
RECEIVABLE = "Assets:Receivable"
PAYABLE = "Liabilities:Payable"
TAX_ROOT = "Liabilities:Tax"


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    name: str
    kind: AccountKind

    @property
    def account(self) -> str:
        return f"{ROOT[self.kind]}:{slug(self.name)}"


@dataclass(frozen=True, slots=True)
class ChartTaxType:
    tax_type: str
    name: str
    percent: Decimal

    @property
    def account(self) -> str:
        return f"{TAX_ROOT}:{slug(self.name)}"


_I, _E = AccountKind.INCOME, AccountKind.EXPENSE
DEFAULT_ACCOUNTS: tuple[ChartAccount, ...] = tuple(
    ChartAccount(code, name, kind)
    for code, name, kind in (
        ("200", "Sales", _I),
        ("260", "Other Revenue", _I),
        ("270", "Interest Income", _I),
        ("300", "Purchases", _E),
        ("310", "Cost of Goods Sold", _E),
        ("400", "Advertising", _E),
        ("404", "Bank Fees", _E),
        ("408", "Cleaning", _E),
        ("412", "Consulting & Accounting", _E),
        ("429", "General Expenses", _E),
        ("433", "Insurance", _E),
        ("445", "Light Power Heating", _E),
        ("453", "Office Expenses", _E),
        ("469", "Rent", _E),
        ("473", "Repairs and Maintenance", _E),
        ("485", "Subscriptions", _E),
        ("489", "Telephone & Internet", _E),
        ("493", "Travel", _E),
    )
)


def _taxes(*rows: tuple[str, str, str]) -> tuple[ChartTaxType, ...]:
    return tuple(ChartTaxType(t, name, Decimal(pct)) for t, name, pct in rows)


#: Tax types by base currency, as Xero sets them up for an organisation in that country.
DEFAULT_TAX_TYPES: dict[str, tuple[ChartTaxType, ...]] = {
    "AUD": _taxes(
        ("OUTPUT", "GST on Income", "10"),
        ("INPUT", "GST on Expenses", "10"),
        ("EXEMPTOUTPUT", "GST Free Income", "0"),
        ("EXEMPTEXPENSES", "GST Free Expenses", "0"),
        ("BASEXCLUDED", "BAS Excluded", "0"),
    ),
    "NZD": _taxes(
        ("OUTPUT2", "GST on Income", "15"),
        ("INPUT2", "GST on Expenses", "15"),
        ("ZERORATED", "Zero Rated", "0"),
        ("NONE", "No GST", "0"),
    ),
}
#: Other currencies start with no tax; add a tax type by opening a `Liabilities:Tax:...` account.
FALLBACK_TAX_TYPES: tuple[ChartTaxType, ...] = _taxes(("NONE", "No Tax", "0"))


def default_tax_types(currency: str) -> tuple[ChartTaxType, ...]:
    return DEFAULT_TAX_TYPES.get(currency, FALLBACK_TAX_TYPES)


def slug(text: str) -> str:
    """A valid Beancount account component from any name: "Consulting & Accounting" -> "Consulting-Accounting".

    Accents are folded to ASCII, words are capitalised and joined by dashes; an empty result is "X".
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_text) if w]
    joined = "-".join(w[0].upper() + w[1:] for w in words)[:60].rstrip("-")
    return joined or "X"


def quote(text: str) -> str:
    """A Beancount string literal; newlines become spaces so every entry stays one block of lines."""
    flat = " ".join(text.splitlines())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_ledger(title: str, currency: str) -> str:
    """The text of a new ledger: its options and the default chart of accounts and tax types."""
    lines = [
        "; A booksync ledger. booksync appends and rewrites the entries that carry a remote_id;",
        "; everything else is left as written. Check it with bean-check, browse it with fava.",
        "",
        f"option {quote('title')} {quote(title)}",
        f"option {quote('operating_currency')} {quote(currency)}",
        "",
    ]
    for acct in DEFAULT_ACCOUNTS:
        lines += [
            f"{OPEN_DATE} open {acct.account}",
            f"  code: {quote(acct.code)}",
            f"  name: {quote(acct.name)}",
        ]
    lines.append("")
    for tax in default_tax_types(currency):
        lines += [
            f"{OPEN_DATE} open {tax.account}",
            f"  tax_type: {quote(tax.tax_type)}",
            f"  name: {quote(tax.name)}",
            f"  rate: {tax.percent}",
        ]
    lines.append("")
    return "\n".join(lines)
