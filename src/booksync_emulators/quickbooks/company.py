"""A company's settings (`Profile`) and the two objects that show them: CompanyInfo and Preferences.

What a connector must read before it writes a document lives here, each field where Intuit's API
reference puts it (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/
preferences and .../companyinfo):

- `CompanyInfo.Country`: decides the sales tax model (US: TAX/NON line codes and a transaction tax
  code or automated sales tax; elsewhere: a tax code per line, `GlobalTaxCalculation`). Source:
  https://developer.intuit.com/app/developer/qbo/docs/develop/tutorials/manage-sales-tax-for-us-locales
  and .../manage-sales-tax-for-non-us-locales.
- `SalesFormsPrefs.CustomTxnNumbers`: off in a new company ("QBO has locked the running number by
  default", https://solarsys.sg/2014/10/15/how-to-set-a-custom-transaction-number-in-qbo-singapore/;
  Intuit's sample Preferences answer shows `false`); see `transactions.doc_number` for its effect.
- `SalesFormsPrefs.DefaultTerms`: the Term a sales form's due date follows.
- `AccountingInfoPrefs.BookCloseDate`: the books are closed on and before it (ruckus/quickbooks-ruby
  PR #630 "Add BookCloseDate to the accounting info fields"); `TrackDepartments`,
  `DepartmentTerminology`, `ClassTrackingPerTxn(Line)` switch on locations and classes.
- `CurrencyPrefs.MultiCurrencyEnabled` / `HomeCurrency`; the other currencies are CompanyCurrency
  objects (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/
  companycurrency: "the currencies that have been set up for use by a company ... when
  multicurrency is enabled"; the home currency is not one of them).
- `TaxPrefs.PartnerTaxEnabled` (minor version 3): the US company uses automated sales tax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from booksync_emulators.quickbooks import errors

if TYPE_CHECKING:
    from booksync_emulators.quickbooks.store import Realm, Record

#: Posting transactions: the ones closing the books freezes (estimates and purchase orders post
#: nothing; the emulator lets them through).
POSTING = frozenset({"Invoice", "CreditMemo", "SalesReceipt", "Payment"})


@dataclass
class Profile:
    """How a company is set up. `Profile.au()` and `Profile.us()` are new companies of each kind."""

    country: str
    currency: str
    currency_name: str
    timezone: str
    address: dict[str, str]
    account_numbers: bool = False
    custom_txn_numbers: bool = False
    multicurrency: bool = False
    book_close_date: date | None = None
    #: US only: automated sales tax (companies created after 10 November 2017 have it).
    automated_sales_tax: bool = False
    #: The Term Id sales forms default to (seeded "Net 30").
    default_terms: str | None = "3"
    #: Class and location tracking: off in a new company; adding a class or location in the
    #: emulator's set-up helpers (`companies.py`) turns it on, as an owner does first.
    track_classes: bool = False
    track_departments: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def au(cls) -> Profile:
        return cls(
            "AU",
            "AUD",
            "Australian Dollar",
            "Australia/Sydney",
            {"Line1": "1 George St", "City": "Sydney", "CountrySubDivisionCode": "NSW",
             "PostalCode": "2000", "Country": "AU"},
        )  # fmt: skip

    @classmethod
    def us(cls) -> Profile:
        return cls(
            "US",
            "USD",
            "United States Dollar",
            "America/Los_Angeles",
            {"Line1": "2700 Coast Ave", "City": "Mountain View", "CountrySubDivisionCode": "CA",
             "PostalCode": "94043", "Country": "US"},
            automated_sales_tax=True,
        )  # fmt: skip

    @property
    def is_us(self) -> bool:
        return self.country == "US"

    def currency_ref(self) -> dict[str, str]:
        return {"value": self.currency, "name": self.currency_name}


def company_info(realm: Realm) -> Record:
    profile = realm.profile
    return {
        "Id": "1",
        "SyncToken": "0",
        "CompanyName": realm.name,
        "LegalName": realm.name,
        "CompanyAddr": {"Id": "1", **profile.address},
        "LegalAddr": dict(profile.address),
        "CustomerCommunicationAddr": dict(profile.address),
        "Country": profile.country,
        "SupportedLanguages": "en",
        "FiscalYearStartMonth": "July" if profile.country == "AU" else "January",
        "CompanyStartDate": realm.created.date().isoformat(),
        "Email": {"Address": "owner@example.com"},
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"}],
    }


def preferences(realm: Realm) -> Record:
    profile = realm.profile
    accounting: Record = {
        "UseAccountNumbers": profile.account_numbers,
        "TrackDepartments": profile.track_departments,
        "DepartmentTerminology": "Location",
        "ClassTrackingPerTxn": False,
        "ClassTrackingPerTxnLine": profile.track_classes,
    }
    if profile.book_close_date is not None:
        accounting["BookCloseDate"] = profile.book_close_date.isoformat()
    sales: Record = {"CustomTxnNumbers": profile.custom_txn_numbers, "AllowDiscount": False}
    if profile.default_terms is not None:
        sales["DefaultTerms"] = {"value": profile.default_terms}
    tax: Record = {"UsingSalesTax": True}
    if profile.is_us:
        tax["PartnerTaxEnabled"] = profile.automated_sales_tax
    return {
        "Id": "1",
        "SyncToken": "0",
        "AccountingInfoPrefs": accounting,
        "SalesFormsPrefs": sales,
        "TaxPrefs": tax,
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": profile.multicurrency,
            "HomeCurrency": {"value": profile.currency},
        },
    }


# -- rules other modules ask about ----------------------------------------------------------------


def currencies(realm: Realm) -> set[str]:
    """The codes a transaction or name may use: the home currency, and with multicurrency on the
    active CompanyCurrency codes."""
    found = {realm.profile.currency}
    if realm.profile.multicurrency:
        found |= {
            str(c["Code"]) for c in realm.table("CompanyCurrency").values() if c.get("Active", True)
        }
    return found


def currency_ref(realm: Realm, code: str | None, element: str) -> dict[str, str]:
    """The CurrencyRef a record gets for `code` (None: the home currency), or 6000 when the
    company cannot use it (emulator wording: the exact QBO text is not documented)."""
    profile = realm.profile
    if code is None or code == profile.currency:
        return profile.currency_ref()
    if not profile.multicurrency:
        raise errors.business(
            f"Currency {code} is not available: multicurrency is off and the home currency is "
            f"{profile.currency}.",
            element,
        )
    if code not in currencies(realm):
        raise errors.business(
            f"Currency {code} is not one of this company's currencies "
            f"({', '.join(sorted(currencies(realm)))}); add it under Currencies first.",
            element,
        )
    named = next((c for c in realm.table("CompanyCurrency").values() if c["Code"] == code), None)
    return {"value": code, "name": str((named or {}).get("Name") or code)}


def check_books_open(realm: Realm, entity: str, *dates: str | None) -> None:
    """6210 "Account Period Closed" for a posting transaction dated on or before BookCloseDate.

    Code and words from Intuit's list of frequent errors ("6210 Account Period Closed: The account
    period has closed and the account books cannot be updated through the QBO Services API",
    https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-
    handle-them, item 11; Harvest's support page quotes the same words with code 6200, and
    routablehq/python-quickbooks#208 a 5010: a client must go by the Message, not the code).
    """
    closed = realm.profile.book_close_date
    if closed is None or entity not in POSTING:
        return
    for value in dates:
        if value and date.fromisoformat(value) <= closed:
            raise errors.period_closed()


def today(realm: Realm, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(realm.profile.timezone)).date()
