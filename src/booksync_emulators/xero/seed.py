"""What a brand-new Xero organisation starts with: a chart of accounts and the region's tax rates.

The accounts and rates follow Xero's default chart for a new AU, NZ or UK organisation (codes 090 to
970; GST 10 % AU as OUTPUT/INPUT, GST 15 % NZ and VAT 20 % UK as OUTPUT2/INPUT2), trimmed to what a
billing sync touches. Each tax rate says which account classes it can apply to, so a sales rate on
an expense account is refused the way Xero refuses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Region:
    code: str
    country: str
    currency: str
    timezone: str
    #: tax type for each role an account's default tax plays
    roles: dict[str, str]
    #: (Name, TaxType, percent, side, ReportTaxType); side is "sales", "purchases" or "any"
    rates: tuple[tuple[str, str, str, str, str], ...]


REGIONS: dict[str, Region] = {
    "AU": Region(
        "AU",
        "AU",
        "AUD",
        "AUSEASTERNSTANDARDTIME",
        {
            "out": "OUTPUT",
            "in": "INPUT",
            "none": "BASEXCLUDED",
            "free_out": "EXEMPTOUTPUT",
            "free_in": "EXEMPTEXPENSES",
        },
        (
            ("GST on Income", "OUTPUT", "10", "sales", "OUTPUT"),
            ("GST on Expenses", "INPUT", "10", "purchases", "INPUT"),
            ("GST Free Income", "EXEMPTOUTPUT", "0", "sales", "EXEMPTOUTPUT"),
            ("GST Free Expenses", "EXEMPTEXPENSES", "0", "purchases", "EXEMPTEXPENSES"),
            ("GST Free Exports", "EXEMPTEXPORT", "0", "sales", "EXEMPTEXPORT"),
            ("GST on Capital", "CAPEXINPUT", "10", "purchases", "CAPITALEXINPUT"),
            ("GST Free Capital", "EXEMPTCAPITAL", "0", "purchases", "EXEMPTCAPITAL"),
            ("GST on Imports", "GSTONIMPORTS", "0", "purchases", "GSTONIMPORTS"),
            ("Input Taxed", "INPUTTAXED", "0", "any", "INPUTTAXED"),
            ("BAS Excluded", "BASEXCLUDED", "0", "any", "BASEXCLUDED"),
        ),
    ),
    "NZ": Region(
        "NZ",
        "NZ",
        "NZD",
        "NEWZEALANDSTANDARDTIME",
        {
            "out": "OUTPUT2",
            "in": "INPUT2",
            "none": "NONE",
            "free_out": "ZERORATED",
            "free_in": "NONE",
        },
        (
            ("15% GST on Income", "OUTPUT2", "15", "sales", "OUTPUT"),
            ("15% GST on Expenses", "INPUT2", "15", "purchases", "INPUT"),
            ("Zero Rated", "ZERORATED", "0", "sales", "EXEMPTOUTPUT"),
            ("GST on Imports", "GSTONIMPORTS", "0", "purchases", "GSTONIMPORTS"),
            ("No GST", "NONE", "0", "any", "NONE"),
        ),
    ),
    "UK": Region(
        "UK",
        "GB",
        "GBP",
        "GMTSTANDARDTIME",
        {
            "out": "OUTPUT2",
            "in": "INPUT2",
            "none": "NONE",
            "free_out": "EXEMPTOUTPUT",
            "free_in": "EXEMPTINPUT",
        },
        (
            ("20% (VAT on Income)", "OUTPUT2", "20", "sales", "OUTPUT"),
            ("20% (VAT on Expenses)", "INPUT2", "20", "purchases", "INPUT"),
            ("5% (VAT on Income)", "RROUTPUT", "5", "sales", "OUTPUT"),
            ("5% (VAT on Expenses)", "RRINPUT", "5", "purchases", "INPUT"),
            ("Zero Rated Income", "ZERORATEDOUTPUT", "0", "sales", "OUTPUT"),
            ("Zero Rated Expenses", "ZERORATEDINPUT", "0", "purchases", "INPUT"),
            ("Exempt Income", "EXEMPTOUTPUT", "0", "sales", "EXEMPTOUTPUT"),
            ("Exempt Expenses", "EXEMPTINPUT", "0", "purchases", "EXEMPTEXPENSES"),
            ("No VAT", "NONE", "0", "any", "NONE"),
        ),
    ),
}

#: (Code, Name, Type, tax role, SystemAccount)
CHART: tuple[tuple[str, str, str, str, str], ...] = (
    ("090", "Business Bank Account", "BANK", "none", ""),
    ("200", "Sales", "REVENUE", "out", ""),
    ("260", "Other Revenue", "REVENUE", "out", ""),
    ("270", "Interest Income", "REVENUE", "free_out", ""),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "in", ""),
    ("400", "Advertising", "EXPENSE", "in", ""),
    ("404", "Bank Fees", "EXPENSE", "free_in", ""),
    ("408", "Cleaning", "EXPENSE", "in", ""),
    ("412", "Consulting & Accounting", "EXPENSE", "in", ""),
    ("416", "Depreciation", "DEPRECIATN", "none", ""),
    ("420", "Entertainment", "EXPENSE", "none", ""),
    ("425", "Freight & Courier", "EXPENSE", "in", ""),
    ("429", "General Expenses", "EXPENSE", "in", ""),
    ("433", "Insurance", "EXPENSE", "in", ""),
    ("437", "Interest Expense", "EXPENSE", "free_in", ""),
    ("441", "Legal expenses", "EXPENSE", "in", ""),
    ("445", "Light, Power, Heating", "EXPENSE", "in", ""),
    ("449", "Motor Vehicle Expenses", "EXPENSE", "in", ""),
    ("453", "Office Expenses", "EXPENSE", "in", ""),
    ("461", "Printing & Stationery", "EXPENSE", "in", ""),
    ("469", "Rent", "EXPENSE", "in", ""),
    ("473", "Repairs and Maintenance", "EXPENSE", "in", ""),
    ("477", "Wages and Salaries", "EXPENSE", "none", ""),
    ("485", "Subscriptions", "EXPENSE", "in", ""),
    ("489", "Telephone & Internet", "EXPENSE", "in", ""),
    ("493", "Travel - National", "EXPENSE", "in", ""),
    ("494", "Travel - International", "EXPENSE", "free_in", ""),
    ("610", "Accounts Receivable", "CURRENT", "none", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", "none", ""),
    ("630", "Inventory", "INVENTORY", "none", ""),
    ("710", "Office Equipment", "FIXED", "in", ""),
    ("720", "Computer Equipment", "FIXED", "in", ""),
    ("800", "Accounts Payable", "CURRLIAB", "none", "CREDITORS"),
    ("820", "GST", "CURRLIAB", "none", "GST"),
    ("840", "Historical Adjustment", "CURRLIAB", "none", "HISTORICAL"),
    ("860", "Rounding", "CURRLIAB", "none", "ROUNDING"),
    ("877", "Tracking Transfers", "CURRLIAB", "none", "TRACKINGTRANSFERS"),
    ("960", "Retained Earnings", "EQUITY", "none", "RETAINEDEARNINGS"),
    ("970", "Owner A Share Capital", "EQUITY", "none", ""),
)

ACCOUNT_CLASS = {
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
    "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE", "OVERHEADS": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "DEPRECIATN": "EXPENSE",
    "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY", "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
}  # fmt: skip

_APPLIES = {
    "sales": {
        "Revenue": True,
        "Expenses": False,
        "Assets": False,
        "Liabilities": True,
        "Equity": True,
    },
    "purchases": {
        "Revenue": False,
        "Expenses": True,
        "Assets": True,
        "Liabilities": True,
        "Equity": True,
    },
    "any": {"Revenue": True, "Expenses": True, "Assets": True, "Liabilities": True, "Equity": True},
}
CLASS_FLAG = {
    "REVENUE": "Revenue",
    "EXPENSE": "Expenses",
    "ASSET": "Assets",
    "LIABILITY": "Liabilities",
    "EQUITY": "Equity",
}


def tax_rates(region: Region) -> list[dict[str, Any]]:
    """The region's tax rates as Xero TaxRate records."""
    rates = []
    for name, tax_type, percent, side, report in region.rates:
        rate = Decimal(percent).quantize(Decimal("0.0000"))
        record: dict[str, Any] = {
            "Name": name,
            "TaxType": tax_type,
            "ReportTaxType": report,
            "Status": "ACTIVE",
            "TaxComponents": [
                {
                    "Name": "GST" if region.code != "UK" else "VAT",
                    "Rate": rate,
                    "IsCompound": False,
                    "IsNonRecoverable": False,
                }
            ],
            "DisplayTaxRate": rate,
            "EffectiveRate": rate,
        }
        for flag, allowed in _APPLIES[side].items():
            record[f"CanApplyTo{flag}"] = allowed
        rates.append(record)
    return rates


def accounts(region: Region) -> list[dict[str, Any]]:
    """The default chart as Xero Account records."""
    chart = []
    for code, name, kind, role, system in CHART:
        record: dict[str, Any] = {
            "AccountID": str(uuid.uuid4()),
            "Code": code,
            "Name": name,
            "Type": kind,
            "TaxType": region.roles[role],
            "Status": "ACTIVE",
            "Class": ACCOUNT_CLASS[kind],
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": kind in ("EXPENSE", "OVERHEADS"),
            "ReportingCode": "",
            "HasAttachments": False,
        }
        if system:
            record["SystemAccount"] = system
        if kind == "BANK":
            record.update(
                BankAccountNumber="0821234567", BankAccountType="BANK", CurrencyCode=region.currency
            )
        chart.append(record)
    return chart
