"""What a QuickBooks Online company is set up to accept, read before booksync writes to it.

A document's shape depends on the company, not on the document: the sales tax model on its
country (`CompanyInfo.Country`: a US company takes TAX/NON line codes, the others a tax code per
line), whether it takes booksync's numbers (`SalesFormsPrefs.CustomTxnNumbers`: off, QuickBooks
numbers sales forms itself and a number sent "can lead to unwanted duplicates"), which currencies
it may use (`CurrencyPrefs`, and the CompanyCurrency list when multicurrency is on), the date its
books are closed on (`AccountingInfoPrefs.BookCloseDate`), its default terms
(`SalesFormsPrefs.DefaultTerms`, a Term), and its classes and locations (Class, Department).
Field names as in Intuit's API reference (developer.intuit.com/app/developer/qbo/docs/api/
accounting/all-entities/preferences, .../companyinfo, .../companycurrency, .../class,
.../department, .../term).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from booksync.connectors.protocol import PaymentTerms, RemoteSettings
from booksync.connectors.quickbooks.api import ACTIVE_OR_NOT, CompanyApi, literal

#: booksync's names for QuickBooks' two tracking lists (a location is a Department in the API;
#: the company may call locations something else: `DepartmentTerminology`).
CLASS = "Class"
LOCATION = "Location"


@dataclass(frozen=True)
class Company:
    """One company's settings. The defaults are what an unreadable answer leaves: nothing assumed
    beyond QuickBooks' own defaults (custom numbers off)."""

    country: str = ""
    home_currency: str = ""
    multicurrency: bool = False
    #: Currencies documents may use: the home currency, plus the active CompanyCurrency codes.
    currencies: frozenset[str] = frozenset()
    custom_txn_numbers: bool = False
    book_close_date: date | None = None
    automated_sales_tax: bool = False
    default_terms: PaymentTerms | None = None
    #: Active classes and locations: every name booksync may hold (Name, FullyQualifiedName) -> Id.
    classes: Mapping[str, str] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    location_names: tuple[str, ...] = ()
    location_word: str = LOCATION

    @property
    def is_us(self) -> bool:
        return self.country.upper() in ("US", "USA")

    def currency_enabled(self, code: str) -> bool:
        return not self.currencies or code in self.currencies

    def settings(self) -> RemoteSettings:
        """What booksync imports as the tenant's settings (`SettingsImport.settings`)."""
        tracking: dict[str, tuple[str, ...]] = {}
        if self.class_names:
            tracking[CLASS] = self.class_names
        if self.location_names:
            tracking[LOCATION] = self.location_names
        return RemoteSettings(
            currencies=self.currencies,
            lock_date=self.book_close_date,
            payment_terms=self.default_terms,
            tracking_categories=tracking,
            tool_settings={
                "country": self.country,
                "custom_txn_numbers": self.custom_txn_numbers,
                "multicurrency": self.multicurrency,
                "home_currency": self.home_currency,
                "automated_sales_tax": self.automated_sales_tax,
            },
        )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _names(rows: list[dict[str, Any]]) -> tuple[dict[str, str], tuple[str, ...]]:
    ids: dict[str, str] = {}
    names: list[str] = []
    for row in rows:
        if row.get("Active", True) is False or not row.get("Id"):
            continue
        full = str(row.get("FullyQualifiedName") or row.get("Name") or "")
        if full:
            names.append(full)
        for key in (row.get("Name"), full):
            if key:
                ids.setdefault(str(key), str(row["Id"]))
    return ids, tuple(names)


def terms_of(row: Mapping[str, Any]) -> PaymentTerms | None:
    """A Term as booksync's payment terms: STANDARD is days after the issue date; DATE_DRIVEN is
    a day of a month (the following one: QuickBooks moves to it when the date is near)."""
    if row.get("Type") == "DATE_DRIVEN" and row.get("DayOfMonthDue") is not None:
        return PaymentTerms(int(row["DayOfMonthDue"]), "OFFOLLOWINGMONTH")
    if row.get("DueDays") is not None:
        return PaymentTerms(int(row["DueDays"]), "DAYSAFTERBILLDATE")
    return None


def read(api: CompanyApi, realm: str) -> Company:
    """The company's settings: CompanyInfo, Preferences, and the lists they point at."""
    info = _mapping(api.get(realm, f"companyinfo/{quote(realm, safe='')}").get("CompanyInfo"))
    prefs = _mapping(api.get(realm, "preferences").get("Preferences"))
    money = _mapping(prefs.get("CurrencyPrefs"))
    accounting = _mapping(prefs.get("AccountingInfoPrefs"))
    sales = _mapping(prefs.get("SalesFormsPrefs"))
    tax = _mapping(prefs.get("TaxPrefs"))
    home = str(_mapping(money.get("HomeCurrency")).get("value") or "")
    multicurrency = money.get("MultiCurrencyEnabled") is True
    currencies = {home} if home else set()
    if multicurrency:
        for row in api.query(realm, "CompanyCurrency"):
            if row.get("Active", True) is not False and row.get("Code"):
                currencies.add(str(row["Code"]))
    classes, class_names = _names(api.query(realm, CLASS, ACTIVE_OR_NOT))
    locations, location_names = _names(api.query(realm, "Department", ACTIVE_OR_NOT))
    terms = None
    term_id = _mapping(sales.get("DefaultTerms")).get("value")
    if term_id:
        rows = api.query(realm, "Term", f"Id = {literal(str(term_id))}")
        terms = terms_of(rows[0]) if rows else None
    return Company(
        country=str(info.get("Country") or ""),
        home_currency=home,
        multicurrency=multicurrency,
        currencies=frozenset(currencies),
        custom_txn_numbers=sales.get("CustomTxnNumbers") is True,
        book_close_date=_date(accounting.get("BookCloseDate")),
        automated_sales_tax=tax.get("PartnerTaxEnabled") is True,
        default_terms=terms,
        classes=classes,
        locations=locations,
        class_names=class_names,
        location_names=location_names,
        location_word=str(accounting.get("DepartmentTerminology") or LOCATION),
    )
