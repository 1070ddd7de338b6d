"""The sample MSP books' tables: tenants, tax rates, account codes, item groups, the product
catalog, suppliers, client names, and the records that are wrong on purpose.

Plain data, no code: `sample_plan` turns it into service inputs and `sample` loads them. Money is
Decimal text; dates are relative to `ANCHOR`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

ANCHOR = date(2026, 10, 1)
SEED = 20261001
DEFAULT_CLIENTS, DEFAULT_INVOICES, CREDIT_NOTES = 40, 300, 10
MIN_CLIENTS, MAX_CLIENTS, MAX_INVOICES = 5, 5000, 100_000

AU, NZ, LEGACY = "Northwind IT AU", "Northwind IT NZ", "Legacy Xero"
#: name, integration, remote tenant id, base currency. Their connection stays "never".
TENANTS = (
    (AU, "ledger", "northwind-au", "AUD"),
    (NZ, "ledger", "northwind-nz", "NZD"),
    (LEGACY, "xero", "legacy-xero", "AUD"),
)
CURRENCY = {AU: "AUD", NZ: "NZD", LEGACY: "AUD", None: "AUD"}
#: Credit notes are left out on purpose (integration.entity_synced).
LEDGER_ENTITIES = ["client", "supplier", "product", "invoice", "sales_order", "purchase_order"]
LEDGER = {"enabled": True, "show_success_messages": True, "entities_to_sync": LEDGER_ENTITIES}
XERO = {"enabled": False, "entities_to_sync": ["client", "product", "invoice"]}
#: Each integration the sample sets up, with its settings.
INTEGRATIONS = {"ledger": LEDGER, "xero": XERO}

#: name, percent, tenant -> tax type. No global default, on purpose (tax.resolved can fail), and
#: "Export Sales" is mapped nowhere (tax.mapped). "GST on Income" is mapped for Legacy Xero too, so
#: the records there fail on the integration alone.
TAX_RATES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("GST on Income", "10", {AU: "OUTPUT", LEGACY: "OUTPUT"}),
    ("GST on Expenses", "10", {AU: "INPUT"}),
    ("GST Free Income", "0", {AU: "EXEMPTOUTPUT"}),
    ("NZ GST on Income", "15", {NZ: "OUTPUT2"}),
    ("NZ GST on Expenses", "15", {NZ: "INPUT2"}),
    ("Zero Rated", "0", {NZ: "ZERORATED"}),
    ("Export Sales", "0", {}),
)
#: rate -> tenant -> the tool's tax type for purchases (tax.purchase_mapped): every rate a
#: purchase order of the sample may use.
PURCHASE_TAX_TYPES: dict[str, dict[str, str]] = {
    "GST on Income": {AU: "INPUT"},
    "GST on Expenses": {AU: "INPUT"},
    "NZ GST on Income": {NZ: "INPUT2"},
    "NZ GST on Expenses": {NZ: "INPUT2"},
}
SALES_TAX = {AU: "GST on Income", NZ: "NZ GST on Income"}
PURCHASE_TAX = {AU: "GST on Expenses", NZ: "NZ GST on Expenses"}
#: name, code, kind: the user's own codes. The last two are wrong on purpose.
ACCOUNT_CODES = (
    ("Sales", "200", "income"), ("Other Revenue", "260", "income"),
    ("Purchases", "300", "expense"), ("Cost of Goods Sold", "310", "expense"),
    ("Subscriptions", "485", "expense"), ("Consulting", "412", "expense"),
    ("Project Income", "", "income"), ("Legacy Services", "4999", "income"),
)  # fmt: skip
#: name, tax rate, income account, expense account. Hardware has no tax rate, on purpose.
ITEM_GROUPS = (
    ("Managed Services", "GST on Income", "200", "310"),
    ("Backup", "GST on Income", "200", "485"),
    ("Licences", "GST on Income", "260", "485"),
    ("Hardware", None, "200", "300"),
    ("Labour", "GST on Income", "200", "412"),
)
#: item group -> name, code, unit, AUD price, AUD cost, NZD price and cost ("" if not sold in NZ).
CATALOG = {
    "Managed Services": [
        ("Managed Workstation", "MS-WKS", "device", "65.00", "18.00", "72.00", "20.00"),
        ("Managed Server", "MS-SRV", "server", "245.00", "60.00", "269.00", "66.00"),
        ("Managed Network (per site)", "MS-NET", "site", "180.00", "40.00", "", ""),
        ("Managed Firewall", "MS-FW", "site", "95.00", "25.00", "", ""),
        ("Endpoint Security (per device)", "MS-EDR", "device", "12.50", "6.20", "13.90", "6.90"),
        ("Helpdesk Unlimited (per user)", "MS-HD", "user", "55.00", "15.00", "", ""),
    ],
    "Backup": [
        ("Backup 1TB", "BK-1TB", "site", "120.00", "45.00", "132.00", "50.00"),
        ("Backup 5TB", "BK-5TB", "site", "480.00", "190.00", "", ""),
        ("Microsoft 365 Backup (per user)", "BK-M365", "user", "4.50", "2.10", "4.90", "2.30"),
        ("Server Image Backup", "BK-IMG", "server", "89.00", "30.00", "", ""),
    ],
    "Licences": [
        ("Microsoft 365 Business Basic", "LIC-M365-BB", "user", "9.00", "7.20", "", ""),
        ("Microsoft 365 Business Standard", "LIC-M365-BS", "user", "18.70", "15.00", "20.60", "16.50"),
        ("Microsoft 365 Business Premium", "LIC-M365-BP", "user", "33.00", "26.40", "36.30", "29.00"),
        ("Exchange Online (Plan 1)", "LIC-EXO-P1", "user", "6.00", "4.80", "", ""),
        ("Adobe Acrobat Pro (annual)", "LIC-ACRO", "user", "359.00", "290.00", "", ""),
    ],
    "Hardware": [
        ("Firewall appliance", "HW-FW", "each", "1450.00", "1100.00", "1590.00", "1210.00"),
        ("Business Laptop 14in", "HW-LAP14", "each", "1899.00", "1520.00", "2090.00", "1670.00"),
        ("24in Monitor", "HW-MON24", "each", "329.00", "240.00", "", ""),
        ("24-port Network Switch", "HW-SW24", "each", "689.00", "520.00", "", ""),
        ("Wireless Access Point", "HW-WAP", "each", "449.00", "330.00", "495.00", "365.00"),
    ],
    "Labour": [
        ("Onsite labour (hour)", "LAB-ONSITE", "hour", "165.00", "70.00", "180.00", "75.00"),
        ("Remote support (hour)", "LAB-REMOTE", "hour", "140.00", "60.00", "155.00", "65.00"),
        ("Project labour (hour)", "LAB-PROJECT", "hour", "185.00", "80.00", "", ""),
        ("After-hours labour (hour)", "LAB-AFTERHRS", "hour", "245.00", "95.00", "", ""),
    ],
}  # fmt: skip
#: name, tenant, the item groups it sells to us.
SUPPLIERS = (
    ("Ingram Micro Australia", AU, ("Hardware", "Licences")),
    ("Dicker Data Australia", AU, ("Hardware", "Licences", "Backup")),
    ("Microsoft Australia", AU, ("Licences",)),
    ("Synnex Australia", AU, ("Hardware",)),
    ("Kaseya Datto", AU, ("Backup",)),
    ("Ingram Micro New Zealand", NZ, ("Hardware", "Licences")),
    ("Dicker Data New Zealand", NZ, ("Hardware", "Licences", "Backup")),
    ("PB Tech", NZ, ("Hardware",)),
)
#: Client names: a place and a trade, e.g. "Banksia Dental Pty Ltd" or "Kauri Legal Ltd".
AU_NAMES = [
    "Harbour", "Bayside", "Southern Cross", "Coastal", "Redgum", "Blue Gum", "Wattle", "Ironbark",
    "Kookaburra", "Summit", "Riverbend", "Parkside", "Northshore", "Eastwood", "Clearwater",
    "Sandstone", "Jacaranda", "Banksia", "Silverleaf", "Granite",
]  # fmt: skip
NZ_NAMES = [
    "Kauri", "Tui", "Pohutukawa", "Rimu", "Kowhai", "Harbourview", "Southern Alps", "Waitemata",
    "Manuka", "Totara",
]  # fmt: skip
TRADES = [
    "Dental", "Legal", "Accounting", "Physiotherapy", "Architects", "Engineering", "Real Estate",
    "Veterinary Clinic", "Logistics", "Medical Centre", "Construction", "Financial Planning",
    "Freight", "Pharmacy", "Motors",
]  # fmt: skip

# The faulty records, named so a person sees at once what is wrong with them.
EXCLUDED_CLIENT, NO_TENANT_CLIENT = "Excluded Pty Ltd", "No Tenant Pty Ltd"
LEGACY_CLIENT = "Legacy Xero Client Pty Ltd"
EXCLUDED_SUPPLIER, NO_TENANT_SUPPLIER = "Excluded Supplies Pty Ltd", "No Tenant Supplies Pty Ltd"
EXCLUDED_PRODUCT, NO_TENANT_PRODUCT = "Excluded Internal Product", "No Tenant Support Pack"
LEGACY_PRODUCT = "Legacy Xero Support Plan"
NO_TAX_PRODUCT, UNMAPPED_TAX_PRODUCT = "Rack Server (group tax)", "Export Support Retainer"
NO_ACCOUNT_PRODUCT = "Ad-hoc Service (no account)"
EMPTY_CODE_PRODUCT, UNKNOWN_CODE_PRODUCT = "Project Work (empty code)", "Legacy Services Retainer"
UNMAPPED_RATE, EMPTY_CODE_ACCOUNT, UNKNOWN_CODE = "Export Sales", "Project Income", "4999"
#: An ordinary NZ product, put on an AU client's invoice (dependency.same_tenant).
CROSS_TENANT_PRODUCT = "Managed Workstation (NZ)"
#: name, item group, what is wrong: each otherwise an ordinary AU product.
FAULTY_PRODUCTS: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    (EXCLUDED_PRODUCT, "Labour", {"exclude_from_accounting": True}),
    (NO_TENANT_PRODUCT, "Labour", {"tenant": None}),
    (LEGACY_PRODUCT, "Managed Services", {"tenant": LEGACY}),
    (NO_TAX_PRODUCT, "Hardware", {}),  # ticks Use Item Group Tax; Hardware has no rate
    (UNMAPPED_TAX_PRODUCT, "Labour", {"use_item_group_tax": False, "tax_rate": UNMAPPED_RATE}),
    (NO_ACCOUNT_PRODUCT, None, {"use_item_group_tax": False, "tax_rate": "GST on Income"}),
    (EMPTY_CODE_PRODUCT, "Labour", {"income_account": EMPTY_CODE_ACCOUNT}),
    (UNKNOWN_CODE_PRODUCT, "Managed Services", {"income_account": UNKNOWN_CODE}),
)


#: The faulty records, as rule, record type, reference, field, and the record to fix when that is
#: not the record itself. Every document that names one of them is held by it.
RECORD_FAULTS: tuple[tuple[str, str, str, str, tuple[str, str] | None], ...] = (
    ("integration.enabled", "client", LEGACY_CLIENT, "enabled", ("integration", "xero")),
    ("tenant.connected", "client", LEGACY_CLIENT, "connection", ("tenant", LEGACY)),
    ("integration.enabled", "product", LEGACY_PRODUCT, "enabled", ("integration", "xero")),
    ("tenant.connected", "product", LEGACY_PRODUCT, "connection", ("tenant", LEGACY)),
    ("record.not_excluded", "client", EXCLUDED_CLIENT, "exclude_from_accounting", None),
    ("record.not_excluded", "product", EXCLUDED_PRODUCT, "exclude_from_accounting", None),
    ("record.not_excluded", "supplier", EXCLUDED_SUPPLIER, "exclude_from_accounting", None),
    ("record.tenant_set", "client", NO_TENANT_CLIENT, "tenant", None),
    ("record.tenant_set", "product", NO_TENANT_PRODUCT, "tenant", None),
    ("record.tenant_set", "supplier", NO_TENANT_SUPPLIER, "tenant", None),
    ("tax.resolved", "product", NO_TAX_PRODUCT, "tax_rate", ("item_group", "Hardware")),
    ("tax.mapped", "product", UNMAPPED_TAX_PRODUCT, "tax_types", ("tax_rate", UNMAPPED_RATE)),
    ("account_code.set", "product", NO_ACCOUNT_PRODUCT, "income_account", None),
    ("account_code.code_set", "product", EMPTY_CODE_PRODUCT, "code", ("account_code", EMPTY_CODE_ACCOUNT)),
    ("account_code.matches_tool", "product", UNKNOWN_CODE_PRODUCT, "code", ("account_code", UNKNOWN_CODE)),
)  # fmt: skip
#: Documents at fault themselves, by their `fault`: rule, field, the record to fix (None: itself).
DOCUMENT_FAULTS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "same_tenant": ("dependency.same_tenant", "lines", None),
    "export_line": ("tax.mapped", "tax_types", ("tax_rate", UNMAPPED_RATE)),
    "credit_note": ("integration.entity_synced", "entities_to_sync", ("integration", "ledger")),
}
