"""The sample books, pointed at an emulated cloud tool, and what the end-to-end tests check of them.

Shared by tests/e2e/test_xero_sample.py and test_quickbooks_sample.py. A test loads the sample as
`booksync sample load` writes it, connects the tool's tenants through the real sign-in flow, and
then `move_sample` does what a bookkeeper switching tools would: tick the tool's entities, turn the
ledger off, map the tax rates to the tool's tax types and point the records at the new tenants.
`sort_sample` says what must reach the tool and what the rules must hold back (the sample's
deliberate faults, the documents held through them, what the tool's tenants cannot take). The
engine, the connectors and the emulator share one virtual clock (`SampleSync.run`), so
Retry-After, backoff and pacing cost no real time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import Connector, DocumentPayload
from booksync.domain.types import EntityType
from booksync.services import sample
from booksync.services.records import (
    CLIENTS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    RecordType,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.books import load_books
from booksync.store.db import Store
from booksync.store.models import Client, Document, Product, Supplier, Syncable, SyncJob, Tenant
from booksync.sync.engine import Engine, PassResult
from booksync.sync.pacing import Clock
from booksync.sync.payloads import build_push_item, party_number, product_code
from booksync_emulators.server import Exchange

#: What the cloud tools sync here: the sample's ledger entities (credit notes stay unticked).
ENTITIES = ["client", "supplier", "product", "invoice", "sales_order", "purchase_order"]
#: Long enough for every backoff, Retry-After and dependency wait of a pass (virtual seconds).
MAX_WAIT = 3600.0
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Target:
    """One sample record as a test expects to find it: where it goes and by what the tool knows it.
    `reference` is booksync's (party number, product code, document number); `names` the record's
    name, for parties and products."""

    entity: EntityType
    record_id: int
    label: str
    tenant: str | None
    reference: str
    names: tuple[str, ...] = ()


@dataclass
class SampleSync:
    """The sample books pointed at an emulated tool, and what should reach it."""

    store: Store
    clock: Clock
    syncable: list[Target] = field(default_factory=list)
    held: list[Target] = field(default_factory=list)
    #: wraps each tenant's connector (a test times its faults with this)
    wrap: Callable[[Connector], Connector] = lambda connector: connector

    def engine(self, **options: Any) -> Engine:
        def connector(tenant: Tenant) -> Connector:
            return self.wrap(tenant_connector(tenant, clock=self.clock, timeout=5.0))

        # The emulator's clock has the engine's shape, so time is one for all.
        return Engine(self.store, connector, clock=self.clock, **options)

    def run(self, **options: Any) -> PassResult:
        engine = self.engine(**options)
        try:
            return engine.run_pass(max_wait=MAX_WAIT)
        finally:
            engine.close()


def browser(url: str) -> None:
    """The person at the consent screen: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=5)


# --- moving the sample onto a tool ---------------------------------------------------------------


def move_sample(
    session: Session,
    tool: str,
    moved: Mapping[str, str],
    tax_types: Mapping[str, str] | None = None,
) -> None:
    """Sync `tool` instead of the ledger: its entities ticked, the ledger off, the sample's tax
    rates mapped on each new tenant (the sample's tax types, renamed by `tax_types` when the tool
    names them otherwise), and the records of each ledger tenant in `moved` on its new tenant."""
    configure_integration(
        session,
        tool,
        {"enabled": True, "entities_to_sync": ENTITIES, "show_success_messages": True},
    )
    configure_integration(session, "ledger", {"enabled": False})
    for rate, _, mappings in sample.TAX_RATES:
        for ledger_tenant, tax_type in mappings.items():
            if ledger_tenant in moved:
                renamed = (tax_types or {}).get(tax_type, tax_type)
                # The purchase side too: purchase orders use it (tax.purchase_mapped).
                bought = sample.PURCHASE_TAX_TYPES.get(rate, {}).get(ledger_tenant)
                bought = (tax_types or {}).get(bought, bought) if bought else None
                TAX_RATES.map(
                    session, rate, moved[ledger_tenant], renamed, purchase_tax_type=bought
                )
    services: dict[type, RecordType[Any, Any]] = {
        Client: CLIENTS,
        Supplier: SUPPLIERS,
        Product: PRODUCTS,
    }
    records: list[Client | Supplier | Product] = [
        *session.scalars(select(Client).order_by(Client.id)),
        *session.scalars(select(Supplier).order_by(Supplier.id)),
        *session.scalars(select(Product).order_by(Product.id)),
    ]
    for record in records:
        if record.tenant is not None and record.tenant.name in moved:
            service = services[type(record)]
            service.update(session, record.id, {"tenant": moved[record.tenant.name]})


def import_tenants(session: Session, tenants: Iterable[Tenant], clock: Clock) -> None:
    """Import each tenant's chart, tax types, contacts and items, on the shared clock."""
    for tenant in tenants:
        connector = tenant_connector(tenant, clock=clock)
        try:
            import_from_tool(session, tenant.name, connector=connector)
        finally:
            connector.close()


def sort_sample(store: Store) -> tuple[list[Target], list[Target]]:
    """(syncable, held): every record, sorted into what must reach the tool and what the rules must
    hold back: the sample's deliberate faults, the documents held through them, the types not
    synced, and (left on a switched-off ledger tenant) whatever a test did not move."""
    held_refs = set()
    for fault in sample.DELIBERATE_FAULTS:
        held_refs.add((fault.record_type, fault.reference))
        held_refs.update(fault.blocked)
    syncable: list[Target] = []
    held: list[Target] = []
    with store.session() as s:
        records: list[Syncable] = [
            *s.scalars(select(Client)),
            *s.scalars(select(Supplier)),
            *s.scalars(select(Product)),
            *s.scalars(select(Document)),
        ]
        seen = set()
        for record in records:
            ref = (record.entity_type.value, record.reference)
            seen.add(ref)
            target = _target(record)
            on_ledger = _integration_of(record) == "ledger"
            if ref[0] not in ENTITIES or ref in held_refs or on_ledger:
                held.append(target)
            else:
                syncable.append(target)
    assert held_refs <= seen, f"faults not in the books: {sorted(held_refs - seen)}"
    return syncable, held


def _integration_of(record: Syncable) -> str | None:
    owner = record.party if isinstance(record, Document) else record
    tenant = owner.tenant if isinstance(owner, Client | Supplier | Product) else None
    return tenant.integration.kind if tenant is not None else None


def _target(record: Syncable) -> Target:
    entity = record.entity_type
    label = f"{entity.value} {record.reference}"
    if isinstance(record, Client | Supplier):
        tenant = record.tenant.name if record.tenant else None
        number = party_number(entity, record.id)
        return Target(entity, record.id, label, tenant, number, (record.name,))
    if isinstance(record, Product):
        tenant = record.tenant.name if record.tenant else None
        return Target(entity, record.id, label, tenant, product_code(record), (record.name,))
    assert isinstance(record, Document)
    party = record.party
    tenant = party.tenant.name if party is not None and party.tenant else None
    return Target(entity, record.id, label, tenant, record.number)


# --- what the tests check ----------------------------------------------------------------------------


def jobs_by_record(session: Session) -> dict[tuple[EntityType, int], SyncJob]:
    return {(EntityType(j.entity_type), j.record_id): j for j in session.scalars(select(SyncJob))}


#: (tenant, collection) -> every object the tool holds there that booksync could have made, as
#: (the key a target is found by, the object's id)
Holdings = Mapping[tuple[str, str], Sequence[tuple[Any, str]]]


def assert_reached_once(
    store: Store,
    targets: Sequence[Target],
    holdings: Holdings,
    home: Callable[[Target], tuple[str, Any]],
) -> None:
    """Each target is in its tenant's `home` collection exactly once (found by its key), its job is
    synced and linked to that object by remote ID, and nothing else is there."""
    wanted: dict[tuple[str, str], set[Any]] = {}
    for target in targets:
        collection, key = home(target)
        assert target.tenant is not None, f"{target.label} has no tenant"
        wanted.setdefault((target.tenant, collection), set()).add(key)
    missing_places = sorted(set(wanted) - set(holdings))
    assert not missing_places, f"nothing read from {missing_places}"
    ids: dict[tuple[str, str, Any], str] = {}
    for (tenant, collection), objects in holdings.items():
        found = Counter(key for key, _ in objects)
        twice = sorted(str(key) for key, n in found.items() if n > 1)
        assert not twice, f"in {tenant} {collection} more than once: {twice}"
        expected = wanted.get((tenant, collection), set())
        assert set(found) == expected, (
            f"{tenant} {collection}: missing {sorted(str(k) for k in expected - set(found))}, "
            f"unexpected {sorted(str(k) for k in set(found) - expected)}"
        )
        ids.update({(tenant, collection, key): remote_id for key, remote_id in objects})
    with store.session() as s:
        jobs = jobs_by_record(s)
        for target in targets:
            job = jobs[(target.entity, target.record_id)]
            assert job.status == "synced", f"{target.label}: {job.status} {job.last_error}"
            remote_id = ids[(str(target.tenant), *home(target))]
            assert job.remote_id == remote_id, f"{target.label} is linked to another object"


def assert_held(store: Store, targets: Sequence[Target], *, rule: str | None = None) -> None:
    """Each target's job is blocked, with its reasons (among them `rule`, when given)."""
    with store.session() as s:
        jobs = jobs_by_record(s)
        for target in targets:
            job = jobs[(target.entity, target.record_id)]
            reasons = [r["id"] for r in job.blocked_reasons or []]
            assert job.status == "blocked", f"{target.label} is {job.status}, not held"
            assert reasons, f"{target.label} is held without a reason"
            if rule is not None:
                assert rule in reasons, f"{target.label} is held by {reasons}, not {rule}"


def assert_never_sent(exchanges: Iterable[Exchange], targets: Sequence[Target]) -> None:
    """No write to the emulator carried a target: not its reference, not its name. Reads may name
    a held document's number: the tenant import asks the tool whether that number is free
    (`document.number_free`), which writes nothing."""
    sent = [
        e.request.body.decode() + str(e.request.query)
        for e in exchanges
        if e.request.method != "GET"
    ]
    for target in targets:
        for text in (target.reference, *target.names):
            assert not any(f'"{text}"' in body for body in sent), f"{target.label} was sent"


# --- amounts --------------------------------------------------------------------------------------


def document_payloads(
    store: Store, targets: Sequence[Target]
) -> list[tuple[Target, DocumentPayload]]:
    """What booksync pushes for each invoice and purchase order among `targets` (their current
    version, with the tax rate and percent it resolved for every line)."""
    wanted = (EntityType.INVOICE, EntityType.PURCHASE_ORDER)
    out = []
    with store.session() as s:
        books = load_books(s, whole=True)
        tenants = {t.name: t.id for t in s.scalars(select(Tenant))}
        for target in (t for t in targets if t.entity in wanted):
            record = s.get(Document, target.record_id)
            assert record is not None and target.tenant is not None
            item = build_push_item(books, record, books.tenants[tenants[target.tenant]])
            assert isinstance(item.payload, DocumentPayload)
            out.append((target, item.payload))
    return out


def tax_per_line(amount: Decimal, percent: Decimal) -> Decimal:
    """Tax on one line, rounded there to 2 dp (half away from zero): Xero's rule, and the one QBO
    is emulated with; a document's tax is the sum of its lines'."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
