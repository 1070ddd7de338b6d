"""The sample's documents: recurring invoices, sales and stock orders, credit notes, and the
documents held on purpose, drawn from one seeded random generator so every load is the same."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from booksync.domain.types import EntityType
from booksync.services.sample_data import (
    ANCHOR,
    AU,
    CREDIT_NOTES,
    CROSS_TENANT_PRODUCT,
    EMPTY_CODE_PRODUCT,
    EXCLUDED_CLIENT,
    EXCLUDED_PRODUCT,
    EXCLUDED_SUPPLIER,
    LEGACY_CLIENT,
    LEGACY_PRODUCT,
    NO_ACCOUNT_PRODUCT,
    NO_TAX_PRODUCT,
    NO_TENANT_CLIENT,
    NO_TENANT_PRODUCT,
    NO_TENANT_SUPPLIER,
    SUPPLIERS,
    UNKNOWN_CODE_PRODUCT,
    UNMAPPED_RATE,
    UNMAPPED_TAX_PRODUCT,
)

INV, SO, PO, CN = (
    EntityType.INVOICE,
    EntityType.SALES_ORDER,
    EntityType.PURCHASE_ORDER,
    EntityType.CREDIT_NOTE,
)


@dataclass
class Party:
    """A client (or a supplier's stock order) and the size of its IT, which sets quantities."""

    name: str
    tenant: str | None
    seats: int = 10
    servers: int = 1
    sites: int = 1
    terms: int = 14
    tax_rate: str | None = None


@dataclass
class Doc:
    """A planned document; numbered once every document is drawn, so numbers follow dates."""

    kind: EntityType
    party: str
    issue: date
    lines: list[dict[str, str]]
    status: str
    reference: str = ""
    due_days: int | None = None
    #: a fault of the document's own: a key of DOCUMENT_FAULTS
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


def _qty(rng: random.Random, unit: str, party: Party) -> str:
    if unit in ("device", "user"):
        return str(max(1, party.seats + rng.randint(-2, 2)))
    if unit in ("server", "site"):
        return str(max(1, party.servers if unit == "server" else party.sites))
    if unit == "hour":
        return rng.choice(["0.5", "1", "1.5", "2", "3", "4", "6", "8"])
    return str(rng.randint(1, 5))


def _sale_lines(rng: random.Random, kind: str, client: Party, offer: Offer) -> list[dict[str, str]]:
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


def fault_documents(rng: random.Random, plain_au: list[Party]) -> list[Doc]:
    """The documents held on purpose, by a faulty party or product on them or by a fault of their own.

    Their other records are ordinary and Australian: a document without a faulty party goes to an
    AU client with no tax rate of its own, so each line resolves its product's rate.
    """

    def line(product: str, quantity: str = "1", **extra: str) -> dict[str, str]:
        return {"product": product, "quantity": quantity, **extra}

    def doc(
        kind: EntityType, party: str | None, lines: list[dict[str, str]], fault: str = ""
    ) -> Doc:
        due = 30 if kind is PO else 14 if kind is INV else None
        issue, status = _days_ago(rng, 3, 45), rng.choice(["draft", "authorised"])
        return Doc(kind, party or rng.choice(plain_au).name, issue, lines, status, "", due, fault)

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


def regular_documents(
    rng: random.Random,
    clients: list[Party],
    offer: dict[str, Offer],
    counts: dict[EntityType, int],
) -> list[Doc]:
    """Invoices over the last year, recent sales orders, and stock orders from the suppliers."""
    docs: list[Doc] = []
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
            Doc(INV, client.name, issue, lines, _status(rng, issue, INV), what, client.terms)
        )
    for _ in range(counts[SO]):
        client, issue = rng.choice(clients), _days_ago(rng, 1, 120)
        lines = _sale_lines(
            rng, rng.choice(["hardware", "labour"]), client, offer[client.tenant or AU]
        )
        docs.append(Doc(SO, client.name, issue, lines, _status(rng, issue, SO), "Quote accepted"))
    for _ in range(counts[PO]):
        name, tenant, groups = rng.choice(SUPPLIERS)
        stock = Party(name, tenant, seats=rng.randint(5, 30), sites=rng.randint(1, 3))
        choices = [p for g in groups for p in offer[tenant][g]]
        picks = rng.sample(choices, rng.randint(1, min(3, len(choices))))
        lines = [{"product": p, "quantity": _qty(rng, unit, stock)} for p, unit in picks]
        issue = _days_ago(rng, 1, 180)
        docs.append(Doc(PO, name, issue, lines, _status(rng, issue, PO), "Stock order", 30))
    return docs


def credit_notes(
    rng: random.Random, clients: list[Party], offer: dict[str, Offer], docs: list[Doc]
) -> list[Doc]:
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
            Doc(
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


def number_documents(docs: list[Doc]) -> None:
    """Number each kind in date order: INV-1001.., SO-0001.., PO-0001.., CN-0001.."""
    prefix, first = {INV: "INV", SO: "SO", PO: "PO", CN: "CN"}, {INV: 1001}
    last: dict[EntityType, int] = {}
    for doc in sorted(docs, key=lambda d: d.issue):  # stable: same-day documents keep their order
        last[doc.kind] = last.get(doc.kind, first.get(doc.kind, 1) - 1) + 1
        doc.number = f"{prefix[doc.kind]}-{last[doc.kind]:04d}"
