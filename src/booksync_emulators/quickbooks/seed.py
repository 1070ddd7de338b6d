"""What a brand-new QuickBooks Online company starts with: an Australian company (AUD, GST) by
default, which matches booksync's sample books best, or a US one (USD, sales tax; `seed_us.py`).

- A chart of accounts trimmed to what a billing sync touches: Income (Sales of Product Income,
  Services), Cost of Goods Sold, a few expenses, and the system accounts (A/R, A/P, Undeposited
  Funds, GST Payable). Account numbers are off in a new company; `account_numbers=True` gives each
  account an `AcctNum`, as turning the preference on and numbering the chart would.
- GST tax codes as an AU company has them: `GST` (10 % on sales and purchases), `FRE` (GST free),
  `INP` (input taxed), `EXP` (GST-free exports, sales only), `CAP` (capital purchases, purchases
  only), `N-T` (not reportable). A line's `TaxCodeRef` names a code by its `Id`.
- Two service items, `Hours` and `Sales`, with income accounts but no tax code (so a line using
  them must name one).
- The payment terms a new company lists (Due on receipt, Net 15, Net 30, Net 60; `DefaultTerms` is
  Net 30, Id 3, as in Intuit's sample Preferences answer).
Ids are strings of digits, as QBO's are; each list has its own sequence.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Record = dict[str, Any]

COUNTRY = "AU"
CURRENCY = {"value": "AUD", "name": "Australian Dollar"}
TIMEZONE = "Australia/Sydney"
AGENCY = {"Id": "1", "DisplayName": "Australian Taxation Office"}

#: (Name, AccountType, AccountSubType, Classification, AcctNum)
CHART: tuple[tuple[str, str, str, str, str], ...] = (
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset", "1100"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", "1150"),
    ("Inventory Asset", "Other Current Asset", "Inventory", "Asset", "1200"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability", "2100"),
    ("GST Payable", "Other Current Liability", "GlobalTaxPayable", "Liability", "2200"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity", "3000"),
    ("Retained Earnings", "Equity", "RetainedEarnings", "Equity", "3100"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", "4000"),
    ("Services", "Income", "ServiceFeeIncome", "Revenue", "4100"),
    ("Discounts given", "Income", "DiscountsRefundsGiven", "Revenue", "4200"),
    ("Interest earned", "Other Income", "InterestEarned", "Revenue", "4900"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense", "5000"),
    ("Advertising", "Expense", "AdvertisingPromotional", "Expense", "6000"),
    ("Bank charges", "Expense", "BankCharges", "Expense", "6010"),
    ("Legal and professional fees", "Expense", "LegalProfessionalFees", "Expense", "6050"),
    ("Office expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense", "6100"),
    ("Rent or lease payments", "Expense", "RentOrLeaseOfBuildings", "Expense", "6200"),
    ("Subcontractors", "Expense", "OtherMiscellaneousServiceCost", "Expense", "6250"),
    ("Utilities", "Expense", "Utilities", "Expense", "6300"),
    ("Travel", "Expense", "Travel", "Expense", "6400"),
)

#: (Name, RateValue %, Description)
RATES: tuple[tuple[str, str, str], ...] = (
    ("GST (sales)", "10", "GST on sales"),
    ("GST (purchases)", "10", "GST on purchases"),
    ("GST free (sales)", "0", "GST-free sales"),
    ("GST free (purchases)", "0", "GST-free purchases"),
    ("Input taxed (sales)", "0", "Input-taxed sales"),
    ("Input taxed (purchases)", "0", "Input-taxed purchases"),
    ("GST free exports", "0", "GST-free exports"),
    ("GST on capital", "10", "GST on capital purchases"),
    ("N-T (sales)", "0", "Not reportable sales"),
    ("N-T (purchases)", "0", "Not reportable purchases"),
)

#: (Name, Description, sales rate names, purchase rate names)
CODES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("GST", "GST", ("GST (sales)",), ("GST (purchases)",)),
    ("FRE", "GST free", ("GST free (sales)",), ("GST free (purchases)",)),
    ("INP", "Input taxed", ("Input taxed (sales)",), ("Input taxed (purchases)",)),
    ("EXP", "GST free exports", ("GST free exports",), ()),
    ("CAP", "Capital purchases", (), ("GST on capital",)),
    ("N-T", "Not reportable", ("N-T (sales)",), ("N-T (purchases)",)),
)

#: (Name, Type, income account name, Description)
ITEMS: tuple[tuple[str, str, str, str], ...] = (
    ("Hours", "Service", "Services", "Hours of service"),
    ("Sales", "Service", "Sales of Product Income", "Sales"),
)


#: (Name, DueDays): Term objects of Type STANDARD
TERMS: tuple[tuple[str, int], ...] = (
    ("Due on receipt", 0),
    ("Net 15", 15),
    ("Net 30", 30),
    ("Net 60", 60),
)


def terms() -> list[Record]:
    return [
        {"Id": str(index), "Name": name, "Active": True, "Type": "STANDARD", "DueDays": days}
        for index, (name, days) in enumerate(TERMS, start=1)
    ]


def accounts(
    account_numbers: bool,
    chart: tuple[tuple[str, str, str, str, str], ...] = CHART,
    currency: dict[str, str] = CURRENCY,
) -> list[Record]:
    out = []
    for index, (name, kind, subtype, classification, number) in enumerate(chart, start=1):
        record: Record = {
            "Id": str(index),
            "Name": name,
            "SubAccount": False,
            "FullyQualifiedName": name,
            "Active": True,
            "Classification": classification,
            "AccountType": kind,
            "AccountSubType": subtype,
            "CurrentBalance": Decimal("0"),
            "CurrentBalanceWithSubAccounts": Decimal("0"),
            "CurrencyRef": dict(currency),
        }
        if account_numbers:
            record["AcctNum"] = number
        out.append(record)
    return out


def tax_rates() -> list[Record]:
    return [
        {
            "Id": str(index),
            "Name": name,
            "Description": description,
            "Active": True,
            "RateValue": Decimal(percent),
            "AgencyRef": {"value": AGENCY["Id"]},
            "SpecialTaxType": "NONE" if percent != "0" else "ZERO_RATE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": Decimal(percent)}],
        }
        for index, (name, percent, description) in enumerate(RATES, start=1)
    ]


def tax_codes(rates: list[Record]) -> list[Record]:
    by_name = {rate["Name"]: rate["Id"] for rate in rates}
    percent = {rate["Name"]: rate["RateValue"] for rate in rates}

    def rate_list(names: tuple[str, ...]) -> dict[str, Any]:
        return {
            "TaxRateDetail": [
                {
                    "TaxRateRef": {"value": by_name[n], "name": n},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
                for n in names
            ]
        }

    return [
        {
            "Id": str(index),
            "Name": name,
            "Description": description,
            "Active": True,
            "Hidden": False,
            "Taxable": any(percent[n] > 0 for n in (*sales, *purchases)),
            "TaxGroup": False,
            "SalesTaxRateList": rate_list(sales),
            "PurchaseTaxRateList": rate_list(purchases),
        }
        for index, (name, description, sales, purchases) in enumerate(CODES, start=1)
    ]


def items(chart: list[Record]) -> list[Record]:
    by_name = {account["Name"]: account["Id"] for account in chart}
    return [
        {
            "Id": str(index),
            "Name": name,
            "FullyQualifiedName": name,
            "Description": description,
            "Active": True,
            "SubItem": False,
            "Taxable": False,
            "UnitPrice": Decimal("0"),
            "Type": kind,
            "IncomeAccountRef": {"value": by_name[income], "name": income},
            "PurchaseCost": Decimal("0"),
            "TrackQtyOnHand": False,
        }
        for index, (name, kind, income, description) in enumerate(ITEMS, start=1)
    ]
