"""The sample MSP books behind `booksync sample load`, the demo, and the tests that need real data.

Two ledger tenants (Australia, New Zealand) hold a few dozen clients, ~40 products in five item
groups, suppliers and a few hundred documents. A handful of records are wrong on purpose, one for
each way the brief's rules can fail, each used by at least one document so that document is held
too; `DELIBERATE_FAULTS` lists them for the rules and doctor tests. Every record is written through
the record services, so each gets its sync job, and the books are the same on every load: a seeded
random generator, dates fixed relative to `ANCHOR`, money as Decimal text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import product as pairs
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType
from booksync.services import records as svc
from booksync.services.errors import BadInput, Conflict
from booksync.store.models import SyncJob

ANCHOR = date(2026, 10, 1)
SEED = 20261001
DEFAULT_CLIENTS, DEFAULT_INVOICES, CREDIT_NOTES = 40, 300, 10
MIN_CLIENTS, MAX_CLIENTS, MAX_INVOICES = 5, 5000, 100_000
INV, SO, PO, CN = (
    EntityType.INVOICE,
    EntityType.SALES_ORDER,
    EntityType.PURCHASE_ORDER,
    EntityType.CREDIT_NOTE,
)

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


@dataclass(frozen=True, slots=True)
class Fault:
    """One deliberate way the sample books fail a rule.

    `record_type` and `reference` name the record that fails `rule` itself; `cause_type`, `cause`
    and `field` name what a person changes to fix it (often the same record). `blocked` lists the
    documents held through it, as (document type, number). `status` is what the rule says once the
    ledger tenants are connected and their charts imported: "blocked", or "unknown" where the tenant
    was never connected. A held document may show more than its fault: the invoice with another
    tenant's product also fails tax.mapped, since that product's rate is mapped for its own tenant.
    """

    rule: str
    record_type: str
    reference: str
    field: str
    cause_type: str
    cause: str
    status: str = "blocked"
    blocked: tuple[tuple[str, str], ...] = ()


#: The faulty records, as rule, record type, reference, field, and the record to fix when that is
#: not the record itself. Every document that names one of them is held by it.
_RECORD_FAULTS: tuple[tuple[str, str, str, str, tuple[str, str] | None], ...] = (
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
_DOCUMENT_FAULTS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "same_tenant": ("dependency.same_tenant", "tenant", ("product", CROSS_TENANT_PRODUCT)),
    "export_line": ("tax.mapped", "tax_types", ("tax_rate", UNMAPPED_RATE)),
    "credit_note": ("integration.entity_synced", "entities_to_sync", ("integration", "ledger")),
}


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What one load wrote, by record type in load order, and its deliberate faults."""

    #: record type (plural) -> how many were loaded
    loaded: dict[str, int]
    #: record type (plural) -> how many fail a rule on purpose or are held by one that does
    faulty: dict[str, int]
    faults: tuple[Fault, ...]
    sync_jobs: int


@dataclass
class _Party:
    """A client (or a supplier's stock order) and the size of its IT, which sets quantities."""

    name: str
    tenant: str | None
    seats: int = 10
    servers: int = 1
    sites: int = 1
    terms: int = 14
    tax_rate: str | None = None


@dataclass
class _Doc:
    kind: EntityType
    party: str
    issue: date
    lines: list[dict[str, str]]
    status: str
    reference: str = ""
    due_days: int | None = None
    #: a fault of the document's own: a key of _DOCUMENT_FAULTS
    fault: str = ""
    number: str = ""

    def names(self) -> set[str]:
        """The party and products it names."""
        return {self.party, *(line["product"] for line in self.lines)}

    def data(self) -> dict[str, Any]:
        due = {"due_date": self.issue + timedelta(days=self.due_days)} if self.due_days else {}
        return {
            "number": self.number,
            "party": self.party,
            "issue_date": self.issue,
            "status": self.status,
            "reference": self.reference,
            "lines": self.lines,
            **due,
        }


#: A tenant's products by item group, as (name, unit).
Offer = dict[str, list[tuple[str, str]]]


@dataclass
class Plan:
    """The whole data set as service inputs, built without touching a database."""

    products: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    suppliers: list[dict[str, Any]]
    documents: list[_Doc]
    faults: list[Fault] = field(default_factory=list)


def _product(name: str, code: str, price: str, cost: str, **extra: Any) -> dict[str, Any]:
    row = {"name": name, "code": code, "price": price, "cost": cost, "use_item_group_tax": True}
    return {k: v for k, v in (row | extra).items() if v is not None}


def _products() -> tuple[list[dict[str, Any]], dict[str, Offer]]:
    """Every product's input, and what each tenant sells.

    Hardware and NZ products carry their own rate: Hardware has no group rate, and the groups'
    rates are Australian.
    """
    rows: list[dict[str, Any]] = []
    offer: dict[str, Offer] = {AU: {}, NZ: {}}
    for group, items in CATALOG.items():
        for name, code, unit, price, cost, nz_price, nz_cost in items:
            about = {"item_group": group, "description": f"{name}, billed per {unit}"}
            own_rate = group == "Hardware"
            own = {"use_item_group_tax": False, "tax_rate": SALES_TAX[AU]} if own_rate else {}
            rows.append(_product(name, code, price, cost, tenant=AU, **about, **own))
            offer[AU].setdefault(group, []).append((name, unit))
            if nz_price:
                own = {"use_item_group_tax": False, "tax_rate": SALES_TAX[NZ]}
                nz_name = f"{name} (NZ)"
                rows.append(
                    _product(nz_name, f"NZ-{code}", nz_price, nz_cost, tenant=NZ, **about, **own)
                )
                offer[NZ].setdefault(group, []).append((nz_name, unit))
    for n, (name, item_group, fault) in enumerate(FAULTY_PRODUCTS, start=1):
        faulty = {"item_group": item_group, "tenant": AU, **fault}
        rows.append(_product(name, f"FAULT-{n}", "150.00", "50.00", **faulty))
    return rows, offer


def _party(
    name: str, tenant: str | None, tax_rate: str | None, mailbox: str, **extra: Any
) -> dict[str, Any]:
    slug = "-".join(name.lower().replace(" pty ltd", "").replace(" ltd", "").split())
    row = {
        "name": name,
        "email": f"{mailbox}@{slug}.example.com",
        "currency": CURRENCY[tenant],
        "tenant": tenant,
        "tax_rate": tax_rate,
        **extra,
    }
    return {k: v for k, v in row.items() if v is not None}


def _clients(rng: random.Random, count: int) -> list[_Party]:
    """The ordinary clients: one in five in New Zealand, each with its own size of IT."""
    regular = count - 3
    nz = max(1, round(regular * 0.2))
    au_names, nz_names = (
        _names(rng, regular - nz, AU_NAMES, " Pty Ltd"),
        _names(rng, nz, NZ_NAMES, " Ltd"),
    )
    parties = [_Party(n, AU) for n in au_names] + [
        _Party(n, NZ, tax_rate=SALES_TAX[NZ]) for n in nz_names
    ]
    for party in parties:
        party.seats, party.servers = rng.randint(4, 60), rng.choice([0, 0, 1, 1, 2, 3])
        party.sites, party.terms = rng.choice([1, 1, 1, 2, 3]), rng.choice([14, 14, 30])
    if len(au_names) >= 10:  # an exporter: its overseas services are GST-free, set on the client
        parties[len(au_names) - 1].tax_rate = "GST Free Income"
    if nz >= 4:
        parties[-1].tax_rate = "Zero Rated"
    return parties


def _names(rng: random.Random, count: int, prefixes: list[str], suffix: str) -> list[str]:
    """`count` distinct business names; past the combinations, numbered branches."""
    pool = [f"{p} {t}" for p, t in pairs(prefixes, TRADES)]
    rng.shuffle(pool)
    branch = [f" No. {i // len(pool) + 1}" if i >= len(pool) else "" for i in range(count)]
    return [pool[i % len(pool)] + branch[i] + suffix for i in range(count)]


def _qty(rng: random.Random, unit: str, party: _Party) -> str:
    if unit in ("device", "user"):
        return str(max(1, party.seats + rng.randint(-2, 2)))
    if unit in ("server", "site"):
        return str(max(1, party.servers if unit == "server" else party.sites))
    if unit == "hour":
        return rng.choice(["0.5", "1", "1.5", "2", "3", "4", "6", "8"])
    return str(rng.randint(1, 5))


def _sale_lines(
    rng: random.Random, kind: str, client: _Party, offer: Offer
) -> list[dict[str, str]]:
    """A monthly managed-services bill, a labour bill, or a hardware job."""
    picks: list[tuple[str, str]] = []
    if kind == "monthly":
        managed = offer["Managed Services"]
        picks.append(rng.choice([p for p in managed if p[1] != "server"]))
        picks.append(rng.choice(offer["Licences"]))
        if rng.random() < 0.7:
            picks.append(rng.choice(offer["Backup"]))
        if client.servers:
            picks.append(next(p for p in managed if p[1] == "server"))
    elif kind == "labour":
        picks = rng.sample(offer["Labour"], rng.randint(1, 2))
    else:
        picks = rng.sample(offer["Hardware"], rng.randint(1, 3))
        if rng.random() < 0.5:
            picks.append(rng.choice(offer["Labour"]))
    return [{"product": name, "quantity": _qty(rng, unit, client)} for name, unit in picks]


def _status(rng: random.Random, issue: date, kind: EntityType) -> str:
    if kind is INV and (ANCHOR - issue).days <= 14:
        return rng.choice(["draft", "draft", "authorised"])
    if kind is INV:
        return rng.choices(["authorised", "paid", "draft"], weights=[78, 15, 7])[0]
    if kind is CN:
        return rng.choice(["authorised", "authorised", "draft"])
    return rng.choice(["draft", "submitted", "authorised", "authorised"])


def _days_ago(rng: random.Random, low: int, high: int) -> date:
    return ANCHOR - timedelta(days=rng.randint(low, high))


def _fault_documents(rng: random.Random, plain_au: list[_Party]) -> list[_Doc]:
    """The documents held on purpose, by a faulty party or product on them or by a fault of their own.

    Their other records are ordinary and Australian: a document without a faulty party goes to an
    AU client with no tax rate of its own, so each line resolves its product's rate.
    """

    def line(product: str, quantity: str = "1", **extra: str) -> dict[str, str]:
        return {"product": product, "quantity": quantity, **extra}

    def doc(
        kind: EntityType, party: str | None, lines: list[dict[str, str]], fault: str = ""
    ) -> _Doc:
        due = 30 if kind is PO else 14 if kind is INV else None
        issue, status = _days_ago(rng, 3, 45), rng.choice(["draft", "authorised"])
        return _Doc(kind, party or rng.choice(plain_au).name, issue, lines, status, "", due, fault)

    labour, hardware = line("Remote support (hour)", "2"), line("Wireless Access Point", "2")
    return [
        doc(INV, LEGACY_CLIENT, [line(LEGACY_PRODUCT)]),
        doc(INV, EXCLUDED_CLIENT, [line("Managed Workstation", "12"), labour]),
        doc(SO, EXCLUDED_CLIENT, [hardware]),
        doc(INV, None, [labour, line(EXCLUDED_PRODUCT)]),
        doc(PO, EXCLUDED_SUPPLIER, [line("24in Monitor", "4")]),
        doc(INV, NO_TENANT_CLIENT, [line("Onsite labour (hour)", "3")]),
        doc(SO, NO_TENANT_CLIENT, [hardware]),
        doc(INV, None, [line(NO_TENANT_PRODUCT, "2")]),
        doc(PO, NO_TENANT_SUPPLIER, [line("Business Laptop 14in", "2")]),
        doc(
            INV,
            None,
            [line("Managed Workstation", "8"), line(CROSS_TENANT_PRODUCT, "2")],
            "same_tenant",
        ),
        doc(INV, None, [line(NO_TAX_PRODUCT), labour]),
        doc(SO, None, [line(NO_TAX_PRODUCT, "2")]),
        doc(INV, None, [line(UNMAPPED_TAX_PRODUCT)]),
        doc(INV, None, [line("Remote support (hour)", "4", tax_rate=UNMAPPED_RATE)], "export_line"),
        doc(INV, None, [line(NO_ACCOUNT_PRODUCT, "2")]),
        doc(INV, None, [line(EMPTY_CODE_PRODUCT, "6")]),
        doc(INV, None, [line(UNKNOWN_CODE_PRODUCT)]),
    ]


def _regular_documents(
    rng: random.Random,
    clients: list[_Party],
    offer: dict[str, Offer],
    counts: dict[EntityType, int],
) -> list[_Doc]:
    """Invoices over the last year, recent sales orders, and stock orders from the suppliers."""
    docs: list[_Doc] = []
    for _ in range(counts[INV]):
        client, issue = rng.choice(clients), _days_ago(rng, 1, 365)
        kind = rng.choices(["monthly", "labour", "hardware"], weights=[60, 28, 12])[0]
        lines = _sale_lines(rng, kind, client, offer[client.tenant or AU])
        what = {
            "monthly": f"Managed services {issue:%B %Y}",
            "labour": "Support and onsite work",
            "hardware": "Hardware supply and installation",
        }[kind]
        docs.append(
            _Doc(INV, client.name, issue, lines, _status(rng, issue, INV), what, client.terms)
        )
    for _ in range(counts[SO]):
        client, issue = rng.choice(clients), _days_ago(rng, 1, 120)
        lines = _sale_lines(
            rng, rng.choice(["hardware", "labour"]), client, offer[client.tenant or AU]
        )
        docs.append(_Doc(SO, client.name, issue, lines, _status(rng, issue, SO), "Quote accepted"))
    for _ in range(counts[PO]):
        name, tenant, groups = rng.choice(SUPPLIERS)
        stock = _Party(name, tenant, seats=rng.randint(5, 30), sites=rng.randint(1, 3))
        choices = [p for g in groups for p in offer[tenant][g]]
        picks = rng.sample(choices, rng.randint(1, min(3, len(choices))))
        lines = [{"product": p, "quantity": _qty(rng, unit, stock)} for p, unit in picks]
        issue = _days_ago(rng, 1, 180)
        docs.append(_Doc(PO, name, issue, lines, _status(rng, issue, PO), "Stock order", 30))
    return docs


def _credit_notes(
    rng: random.Random, clients: list[_Party], offer: dict[str, Offer], docs: list[_Doc]
) -> list[_Doc]:
    """Credits against earlier invoices; held because credit notes are not in Entities to Sync."""
    notes = []
    for _ in range(CREDIT_NOTES):
        client, issue = rng.choice(clients), _days_ago(rng, 1, 90)
        theirs = [
            d.number for d in docs if d.kind is INV and d.party == client.name and d.issue < issue
        ]
        reference = f"Credit against {rng.choice(theirs)}" if theirs else "Goodwill credit"
        lines = [{"product": offer[client.tenant or AU]["Labour"][1][0], "quantity": "1"}]
        notes.append(
            _Doc(
                CN,
                client.name,
                issue,
                lines,
                _status(rng, issue, CN),
                reference,
                fault="credit_note",
            )
        )
    return notes


def plan_sample(
    *, clients: int = DEFAULT_CLIENTS, invoices: int = DEFAULT_INVOICES, seed: int = SEED
) -> Plan:
    """The data set for these sizes; the same arguments always give the same plan."""
    if not MIN_CLIENTS <= clients <= MAX_CLIENTS:
        raise BadInput(
            "clients", clients, "is out of range", f"a number from {MIN_CLIENTS} to {MAX_CLIENTS}"
        )
    rng = random.Random(seed)
    products, offer = _products()
    regular = _clients(rng, clients)
    plain_au = [c for c in regular if c.tenant == AU and c.tax_rate is None]
    docs = _fault_documents(rng, plain_au)
    held = {kind: sum(d.kind is kind for d in docs) for kind in (INV, SO, PO)}
    if not held[INV] <= invoices <= MAX_INVOICES:
        raise BadInput(
            "invoices", invoices, "is out of range", f"a number from {held[INV]} to {MAX_INVOICES}"
        )
    orders = round(invoices * 2 / 15)  # 40 of each kind for the default 300 invoices
    wanted = {INV: invoices, SO: orders, PO: orders}
    docs += _regular_documents(
        rng, regular, offer, {k: max(0, n - held[k]) for k, n in wanted.items()}
    )
    _number(docs)
    notes = _credit_notes(rng, regular, offer, docs)
    _number(notes)
    client_rows = [_party(c.name, c.tenant, c.tax_rate, "accounts") for c in regular] + [
        _party(EXCLUDED_CLIENT, AU, None, "accounts", exclude_from_accounting=True),
        _party(NO_TENANT_CLIENT, None, None, "accounts"),
        _party(LEGACY_CLIENT, LEGACY, None, "accounts"),
    ]
    supplier_rows = [_party(name, t, PURCHASE_TAX[t], "ar") for name, t, _ in SUPPLIERS] + [
        _party(EXCLUDED_SUPPLIER, AU, PURCHASE_TAX[AU], "ar", exclude_from_accounting=True),
        _party(NO_TENANT_SUPPLIER, None, PURCHASE_TAX[AU], "ar"),
    ]
    documents = sorted(docs + notes, key=lambda d: ((INV, SO, PO, CN).index(d.kind), d.number))
    return Plan(products, client_rows, supplier_rows, documents, _faults(documents))


def _number(docs: list[_Doc]) -> None:
    """Number each kind in date order: INV-1001.., SO-0001.., PO-0001.., CN-0001.."""
    prefix, first = {INV: "INV", SO: "SO", PO: "PO", CN: "CN"}, {INV: 1001}
    last: dict[EntityType, int] = {}
    for doc in sorted(docs, key=lambda d: d.issue):  # stable: same-day documents keep their order
        last[doc.kind] = last.get(doc.kind, first.get(doc.kind, 1) - 1) + 1
        doc.number = f"{prefix[doc.kind]}-{last[doc.kind]:04d}"


def _faults(docs: list[_Doc]) -> list[Fault]:
    faults = []
    for rule, kind, ref, field_, cause in _RECORD_FAULTS:
        held = tuple((d.kind.value, d.number) for d in docs if ref in d.names())
        cause_type, cause_ref = cause or (kind, ref)
        status = "unknown" if rule == "tenant.connected" else "blocked"
        faults.append(Fault(rule, kind, ref, field_, cause_type, cause_ref, status, held))
    for doc in docs:
        if doc.fault:
            rule, field_, cause = _DOCUMENT_FAULTS[doc.fault]
            cause_type, cause_ref = cause or (doc.kind.value, doc.number)
            faults.append(Fault(rule, doc.kind.value, doc.number, field_, cause_type, cause_ref))
    return faults


@cache
def deliberate_faults(
    *, clients: int = DEFAULT_CLIENTS, invoices: int = DEFAULT_INVOICES, seed: int = SEED
) -> tuple[Fault, ...]:
    """The faults a load with these arguments holds (document numbers depend on the sizes)."""
    return tuple(plan_sample(clients=clients, invoices=invoices, seed=seed).faults)


def _refuse_if_not_empty(session: Session) -> None:
    counts = [(rt.count(session), name.replace("_", " ")) for name, rt in svc.RECORD_TYPES.items()]
    present = ", ".join(f"{n} {name}{'s' if n > 1 else ''}" for n, name in counts if n)
    if present:
        raise Conflict(
            "database",
            present,
            "found; the sample loads only into an empty database",
            "a new database, e.g. booksync --db sample.db sample load",
        )


def load_sample(
    session: Session,
    *,
    clients: int = DEFAULT_CLIENTS,
    invoices: int = DEFAULT_INVOICES,
    seed: int = SEED,
) -> SampleSummary:
    """Write the sample books into an empty database, in the caller's transaction."""
    plan = plan_sample(clients=clients, invoices=invoices, seed=seed)
    _refuse_if_not_empty(session)
    svc.configure_integration(session, "ledger", LEDGER)
    svc.configure_integration(session, "xero", XERO)
    for name, integration, remote, currency in TENANTS:
        tenant = {"name": name, "remote_tenant_id": remote, "base_currency": currency}
        svc.TENANTS.create_for(session, integration, tenant)
    for name, percent, mappings in TAX_RATES:
        svc.TAX_RATES.create(session, {"name": name, "percent": percent})
        for tenant_name, tax_type in mappings.items():
            svc.TAX_RATES.map(session, name, tenant_name, tax_type)
    for name, code, kind in ACCOUNT_CODES:
        svc.ACCOUNT_CODES.create(session, {"name": name, "code": code, "kind": kind})
    for name, rate, income, expense in ITEM_GROUPS:
        group = {
            "name": name,
            "tax_rate": rate or "",
            "income_account": income,
            "expense_account": expense,
        }
        svc.ITEM_GROUPS.create(session, group)
    for service, rows in (
        (svc.PRODUCTS, plan.products),
        (svc.CLIENTS, plan.clients),
        (svc.SUPPLIERS, plan.suppliers),
    ):
        for row in rows:
            service.create(session, row)
    for doc in plan.documents:
        svc.DOCUMENTS[doc.kind].create(session, doc.data())
    return _summary(session, plan)


def _summary(session: Session, plan: Plan) -> SampleSummary:
    loaded = {
        "tenants": len(TENANTS),
        "tax rates": len(TAX_RATES),
        "account codes": len(ACCOUNT_CODES),
        "item groups": len(ITEM_GROUPS),
        "products": len(plan.products),
        "clients": len(plan.clients),
        "suppliers": len(plan.suppliers),
    }
    for document_type in (INV, SO, PO, CN):
        loaded[f"{document_type.label}s"] = sum(d.kind is document_type for d in plan.documents)
    faulty: dict[str, set[str]] = {}
    for fault in plan.faults:
        for kind, ref in ((fault.record_type, fault.reference), *fault.blocked):
            faulty.setdefault(f"{kind.replace('_', ' ')}s", set()).add(ref)
    jobs = session.scalar(select(func.count()).select_from(SyncJob)) or 0
    return SampleSummary(loaded, {k: len(v) for k, v in faulty.items()}, tuple(plan.faults), jobs)


#: The deliberate faults of the default load, for the rules and doctor tests.
DELIBERATE_FAULTS: tuple[Fault, ...] = deliberate_faults()
