"""The sample MSP books behind `booksync sample load`, the demo, and the tests that need real data.

Two ledger tenants (Australia, New Zealand) hold a few dozen clients, ~40 products in five item
groups, suppliers and a few hundred documents. A handful of records are wrong on purpose, one for
each way the brief's rules can fail, each used by at least one document so that document is held
too; `DELIBERATE_FAULTS` lists them for the rules and doctor tests. Every record is written through
the record services, so each gets its sync job, and the books are the same on every load: a seeded
random generator, dates fixed relative to `ANCHOR`, money as Decimal text.

The tables live in `sample_data`, the seeded planning in `sample_plan` and `sample_documents`; this
module loads a plan and re-exports the names the tests and faces use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.services import records as svc
from booksync.services.errors import Conflict
from booksync.services.sample_data import (
    ACCOUNT_CODES,
    ANCHOR,
    AU,
    DEFAULT_CLIENTS,
    DEFAULT_INVOICES,
    INTEGRATIONS,
    ITEM_GROUPS,
    LEGACY,
    MAX_CLIENTS,
    MAX_INVOICES,
    MIN_CLIENTS,
    NZ,
    PURCHASE_TAX_TYPES,
    SEED,
    TAX_RATES,
    TENANTS,
    UNKNOWN_CODE,
)
from booksync.services.sample_documents import CN, INV, PO, SO
from booksync.services.sample_plan import Fault, Plan, deliberate_faults, plan_sample
from booksync.store.models import SyncJob


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What one load wrote, by record type in load order, and its deliberate faults."""

    #: record type (plural) -> how many were loaded
    loaded: dict[str, int]
    #: record type (plural) -> how many fail a rule on purpose or are held by one that does
    faulty: dict[str, int]
    faults: tuple[Fault, ...]
    sync_jobs: int


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
    for kind, settings in INTEGRATIONS.items():
        svc.configure_integration(session, kind, settings)
    for name, integration, remote, currency in TENANTS:
        tenant = {"name": name, "remote_tenant_id": remote, "base_currency": currency}
        svc.TENANTS.create_for(session, integration, tenant)
    for name, percent, mappings in TAX_RATES:
        svc.TAX_RATES.create(session, {"name": name, "percent": percent})
        for tenant_name, tax_type in mappings.items():
            purchase = PURCHASE_TAX_TYPES.get(name, {}).get(tenant_name)
            svc.TAX_RATES.map(session, name, tenant_name, tax_type, purchase_tax_type=purchase)
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

__all__ = [
    "ACCOUNT_CODES",
    "ANCHOR",
    "AU",
    "DEFAULT_CLIENTS",
    "DEFAULT_INVOICES",
    "DELIBERATE_FAULTS",
    "ITEM_GROUPS",
    "LEGACY",
    "MAX_CLIENTS",
    "MAX_INVOICES",
    "MIN_CLIENTS",
    "NZ",
    "PURCHASE_TAX_TYPES",
    "SEED",
    "TAX_RATES",
    "TENANTS",
    "UNKNOWN_CODE",
    "Fault",
    "Plan",
    "SampleSummary",
    "deliberate_faults",
    "load_sample",
    "plan_sample",
]
