"""What a new US QuickBooks Online company starts with: USD, and the US sales tax model.

US sales forms do not name a tax rate on a line: a line's `TaxCodeRef` is one of two pseudo tax
codes, `TAX` or `NON`, and the rate comes either from the transaction's tax code
(`TxnTaxDetail.TxnTaxCodeRef`, companies on manual sales tax) or from automated sales tax (AST),
which "is determined based on the source and destination address ... The destination address is
the shipping address provided on the sales transaction. If a shipping address is not provided, the
company address is considered as the destination address"
(https://developer.intuit.com/app/developer/qbo/docs/develop/tutorials/manage-sales-tax-for-us-locales).

The emulator's AST knows a few states' rates (`AST_STATES`, state rates only, enough to tell one
destination from another); any other destination is charged nothing. Each state is also a tax code
(with its rate) that a manual-tax company can name as the transaction's tax code.
"""

from __future__ import annotations

from decimal import Decimal

from booksync_emulators.quickbooks.seed import Record

CURRENCY = {"value": "USD", "name": "United States Dollar"}
PSEUDO_CODES = ("TAX", "NON")

#: (Name, AccountType, AccountSubType, Classification, AcctNum)
CHART: tuple[tuple[str, str, str, str, str], ...] = (
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset", "1100"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", "1150"),
    ("Inventory Asset", "Other Current Asset", "Inventory", "Asset", "1200"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability", "2100"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable", "Liability", "2200"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity", "3000"),
    ("Retained Earnings", "Equity", "RetainedEarnings", "Equity", "3100"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", "4000"),
    ("Services", "Income", "ServiceFeeIncome", "Revenue", "4100"),
    ("Discounts given", "Income", "DiscountsRefundsGiven", "Revenue", "4200"),
    ("Interest earned", "Other Income", "InterestEarned", "Revenue", "4900"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense", "5000"),
    ("Advertising", "Expense", "AdvertisingPromotional", "Expense", "6000"),
    ("Office expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense", "6100"),
    ("Subcontractors", "Expense", "OtherMiscellaneousServiceCost", "Expense", "6250"),
)

#: (state code, tax code name, tax rate name, percent)
AST_STATES: tuple[tuple[str, str, str, str], ...] = (
    ("CA", "California", "California State Tax", "7.25"),
    ("NY", "New York", "New York State Tax", "4"),
    ("TX", "Texas", "Texas State Tax", "6.25"),
)
AGENCY = {"Id": "1", "DisplayName": "State tax agencies"}


def tax_rates() -> list[Record]:
    return [
        {
            "Id": str(index),
            "Name": rate_name,
            "Description": rate_name,
            "Active": True,
            "RateValue": Decimal(percent),
            "AgencyRef": {"value": AGENCY["Id"]},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": Decimal(percent)}],
        }
        for index, (_, _, rate_name, percent) in enumerate(AST_STATES, start=1)
    ]


def tax_codes(rates: list[Record]) -> list[Record]:
    """TAX and NON (Ids as their names, Taxable true / false, no rates of their own), then a code
    per state with that state's rate."""
    codes: list[Record] = [
        {"Id": name, "Name": name, "Description": name, "Active": True, "Hidden": False,
         "Taxable": name == "TAX", "TaxGroup": False}
        for name in PSEUDO_CODES
    ]  # fmt: skip
    for index, ((_, code_name, rate_name, _), rate) in enumerate(
        zip(AST_STATES, rates, strict=True), start=1
    ):
        detail = {"TaxRateRef": {"value": rate["Id"], "name": rate_name},
                  "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}  # fmt: skip
        codes.append(
            {
                "Id": str(index),
                "Name": code_name,
                "Description": f"{code_name} sales tax",
                "Active": True,
                "Hidden": False,
                "Taxable": True,
                "TaxGroup": True,
                "SalesTaxRateList": {"TaxRateDetail": [detail]},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            }
        )
    return codes


def state_code(codes: list[Record], state: str | None) -> str | None:
    """The tax code Id AST charges a destination in `state` (None: no rate known there)."""
    wanted = next((name for st, name, _, _ in AST_STATES if st == (state or "").upper()), None)
    return next((c["Id"] for c in codes if c["Name"] == wanted), None) if wanted else None
