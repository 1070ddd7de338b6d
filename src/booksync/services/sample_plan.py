"""The sample books as service inputs, planned without touching a database: products, clients
and suppliers from the tables, the documents, and the deliberate faults they hold."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from itertools import product as pairs
from typing import Any

from booksync.services.errors import BadInput
from booksync.services.sample_data import (
    AU,
    AU_NAMES,
    CATALOG,
    CURRENCY,
    DEFAULT_CLIENTS,
    DEFAULT_INVOICES,
    DOCUMENT_FAULTS,
    EXCLUDED_CLIENT,
    EXCLUDED_SUPPLIER,
    FAULTY_PRODUCTS,
    LEGACY,
    LEGACY_CLIENT,
    MAX_CLIENTS,
    MAX_INVOICES,
    MIN_CLIENTS,
    NO_TENANT_CLIENT,
    NO_TENANT_SUPPLIER,
    NZ,
    NZ_NAMES,
    PURCHASE_TAX,
    RECORD_FAULTS,
    SALES_TAX,
    SEED,
    SUPPLIERS,
    TRADES,
)
from booksync.services.sample_documents import (
    CN,
    INV,
    PO,
    SO,
    Doc,
    Offer,
    Party,
    credit_notes,
    fault_documents,
    number_documents,
    regular_documents,
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


@dataclass
class Plan:
    """The whole data set as service inputs, built without touching a database."""

    products: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    suppliers: list[dict[str, Any]]
    documents: list[Doc]
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


def _clients(rng: random.Random, count: int) -> list[Party]:
    """The ordinary clients: one in five in New Zealand, each with its own size of IT."""
    regular = count - 3
    nz = max(1, round(regular * 0.2))
    au_names, nz_names = (
        _names(rng, regular - nz, AU_NAMES, " Pty Ltd"),
        _names(rng, nz, NZ_NAMES, " Ltd"),
    )
    parties = [Party(n, AU) for n in au_names] + [
        Party(n, NZ, tax_rate=SALES_TAX[NZ]) for n in nz_names
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
    docs = fault_documents(rng, plain_au)
    held = {kind: sum(d.kind is kind for d in docs) for kind in (INV, SO, PO)}
    if not held[INV] <= invoices <= MAX_INVOICES:
        raise BadInput(
            "invoices", invoices, "is out of range", f"a number from {held[INV]} to {MAX_INVOICES}"
        )
    orders = round(invoices * 2 / 15)  # 40 of each kind for the default 300 invoices
    wanted = {INV: invoices, SO: orders, PO: orders}
    docs += regular_documents(
        rng, regular, offer, {k: max(0, n - held[k]) for k, n in wanted.items()}
    )
    number_documents(docs)
    notes = credit_notes(rng, regular, offer, docs)
    number_documents(notes)
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


def _faults(docs: list[Doc]) -> list[Fault]:
    faults = []
    for rule, kind, ref, field_, cause in RECORD_FAULTS:
        held = tuple((d.kind.value, d.number) for d in docs if ref in d.names())
        cause_type, cause_ref = cause or (kind, ref)
        status = "unknown" if rule == "tenant.connected" else "blocked"
        faults.append(Fault(rule, kind, ref, field_, cause_type, cause_ref, status, held))
    for doc in docs:
        if doc.fault:
            rule, field_, cause = DOCUMENT_FAULTS[doc.fault]
            cause_type, cause_ref = cause or (doc.kind.value, doc.number)
            faults.append(Fault(rule, doc.kind.value, doc.number, field_, cause_type, cause_ref))
    return faults


@cache
def deliberate_faults(
    *, clients: int = DEFAULT_CLIENTS, invoices: int = DEFAULT_INVOICES, seed: int = SEED
) -> tuple[Fault, ...]:
    """The faults a load with these arguments holds (document numbers depend on the sizes)."""
    return tuple(plan_sample(clients=clients, invoices=invoices, seed=seed).faults)
