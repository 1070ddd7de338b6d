"""The sample books synced into the Xero emulator through the engine, end to end: every syncable
record reaches Xero exactly once, with the amounts and tax Xero computes; the deliberate faults stay
held and are never sent; 5xx bursts, a 429 storm and answers lost after the write committed change
none of that; and a tenant whose connection is revoked mid-run is held while the other carries on.

Set-up (`xero_sample`): the sample is loaded as `booksync sample load` writes it, two Xero
organisations (AU, NZ) are connected through the real sign-in flow, and the sample's records move
from their ledger tenants to those Xero tenants through the record services, tax rates mapped to
the same tax types; then both tenants import their charts. The engine, the connectors and the
emulator share one virtual clock, so Retry-After, backoff and pacing cost no real time.

One thing differs from the ledger set-up: the sample's "Purchases" account code 300 is not in a
new Xero organisation's chart (the emulator follows Xero's default AU/NZ charts), so each
organisation gets that account first, as the bookkeeper would add it in Xero. Sales orders reach
Xero as Quotes (`test_authorised_sales_order_reaches_xero_as_a_sent_quote`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.xero import XeroConnector
from booksync.domain.money import line_amount, tax_amount
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services import sample
from booksync.services.books import load_books
from booksync.services.records import (
    CLIENTS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.services.xero_connect import XeroSettings, connect_xero
from booksync.store.db import Store
from booksync.store.models import (
    Client,
    Document,
    Product,
    Supplier,
    Syncable,
    SyncEvent,
    SyncJob,
    Tenant,
)
from booksync.sync.engine import Engine, Notice, PassResult
from booksync.sync.payloads import build_push_item, party_number, product_code
from booksync_emulators.clock import VirtualClock
from booksync_emulators.faults import FaultKind, FaultSwitches
from booksync_emulators.xero import ACCOUNTING_PREFIX, Org, XeroEmulator
from booksync_emulators.xero.seed import REGIONS
from emulators.conftest import (  # noqa: F401 - fixtures
    START,
    XeroEmulatorHandle,
    xero_emulator,
    xero_emulator_factory,
)
from emulators.openapi import check_exchange

#: What Xero syncs here: the sample's ledger entities (credit notes stay unticked, as there).
ENTITIES = ["client", "supplier", "product", "invoice", "sales_order", "purchase_order"]
#: Where each record type lives in Xero, and the field that carries booksync's reference.
XERO_HOME: dict[EntityType, tuple[str, str, str]] = {
    EntityType.CLIENT: ("Contacts", "ContactNumber", "ContactID"),
    EntityType.SUPPLIER: ("Contacts", "ContactNumber", "ContactID"),
    EntityType.PRODUCT: ("Items", "Code", "ItemID"),
    EntityType.INVOICE: ("Invoices", "InvoiceNumber", "InvoiceID"),
    EntityType.PURCHASE_ORDER: ("PurchaseOrders", "PurchaseOrderNumber", "PurchaseOrderID"),
    EntityType.SALES_ORDER: ("Quotes", "QuoteNumber", "QuoteID"),
}
CENT = Decimal("0.01")
#: Long enough for every backoff, Retry-After and dependency wait of a pass (virtual seconds).
MAX_WAIT = 3600.0


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


# --- the sample books, pointed at Xero ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One sample record as the test expects to find it: where it goes and by what Xero knows it."""

    entity: EntityType
    record_id: int
    label: str
    tenant: str | None
    reference: str
    names: tuple[str, ...] = ()


@dataclass
class XeroSample:
    """The sample books pointed at two emulated Xero organisations, and what should reach each."""

    store: Store
    handle: XeroEmulatorHandle
    #: booksync tenant name -> the emulator org it is connected to
    orgs: dict[str, Org]
    syncable: list[Target] = field(default_factory=list)
    held: list[Target] = field(default_factory=list)

    def engine(self, **options: Any) -> Engine:
        clock = self.handle.clock
        return Engine(
            self.store,
            lambda tenant: tenant_connector(tenant, clock=clock, timeout=5.0),
            clock=clock,  # the emulator's clock: the engine's shape, so time is one for all
            **options,
        )

    def run(self, **options: Any) -> PassResult:
        engine = self.engine(**options)
        try:
            return engine.run_pass(max_wait=MAX_WAIT)
        finally:
            engine.close()

    def tenant_of(self, currency: str) -> str:
        return next(name for name, org in self.orgs.items() if org.currency == currency)


def add_purchases_account(org: Org) -> None:
    """Xero's default chart has no 300; the sample's Purchases account code needs one."""
    account_id = str(uuid.uuid4())
    org.accounts[account_id] = {
        "AccountID": account_id,
        "Code": "300",
        "Name": "Purchases",
        "Type": "DIRECTCOSTS",
        "TaxType": REGIONS[org.region].roles["in"],
        "Status": "ACTIVE",
        "Class": "EXPENSE",
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "ReportingCode": "",
        "HasAttachments": False,
        "UpdatedDateUTC": org.created,
    }


def browser(url: str) -> None:
    """The person at the consent screen: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=5)


def point_sample_at_xero(store: Store, handle: XeroEmulatorHandle) -> XeroSample:
    for org in handle.emulator.orgs.values():
        add_purchases_account(org)
    app = handle.emulator.auth.register_client("booksync-e2e", None)  # a PKCE app: no secret
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": app.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        sample.load_sample(s)
        tenants = connect_xero(
            s, settings=settings, announce=browser, timeout=10, clock=handle.clock
        )
        orgs = {t.name: handle.emulator.orgs[t.remote_tenant_id] for t in tenants}
        by_currency = {t.base_currency: t.name for t in tenants}
        moved = {sample.AU: by_currency["AUD"], sample.NZ: by_currency["NZD"]}
        configure_integration(
            s,
            "xero",
            {"enabled": True, "entities_to_sync": ENTITIES, "show_success_messages": True},
        )
        configure_integration(s, "ledger", {"enabled": False})
        for rate, _, mappings in sample.TAX_RATES:
            for ledger_tenant, tax_type in mappings.items():
                if ledger_tenant in moved:
                    TAX_RATES.map(s, rate, moved[ledger_tenant], tax_type)
        for service, model in ((CLIENTS, Client), (SUPPLIERS, Supplier), (PRODUCTS, Product)):
            for record in s.scalars(select(model).order_by(model.id)).all():
                if record.tenant is not None and record.tenant.name in moved:
                    service.update(s, record.id, {"tenant": moved[record.tenant.name]})
        for tenant in tenants:
            connector = tenant_connector(tenant, clock=handle.clock)
            try:
                import_from_tool(s, tenant.name, connector=connector)
            finally:
                connector.close()
    xs = XeroSample(store, handle, orgs)
    _expect(xs)
    return xs


def _expect(xs: XeroSample) -> None:
    """Sort every record into what must reach Xero and what the rules must hold back: the sample's
    deliberate faults, the documents held through them, and the types Xero does not sync."""
    held_refs = set()
    for fault in sample.DELIBERATE_FAULTS:
        held_refs.add((fault.record_type, fault.reference))
        held_refs.update(fault.blocked)
    with xs.store.session() as s:
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
            if ref[0] not in ENTITIES or ref in held_refs:
                xs.held.append(target)
            else:
                xs.syncable.append(target)
    assert held_refs <= seen, f"faults not in the books: {sorted(held_refs - seen)}"


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


@pytest.fixture
def xero_sample(store: Store, xero_emulator: XeroEmulatorHandle) -> XeroSample:  # noqa: F811
    return point_sample_at_xero(store, xero_emulator)


# --- what the tests check --------------------------------------------------------------------------


def jobs_by_record(session: Session) -> dict[tuple[EntityType, int], SyncJob]:
    return {(EntityType(j.entity_type), j.record_id): j for j in session.scalars(select(SyncJob))}


def assert_reached_xero_once(xs: XeroSample, targets: list[Target]) -> None:
    """Each target is in its tenant's organisation exactly once, linked to booksync by remote ID,
    and nothing else is there."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for target in targets:
        assert target.tenant in xs.orgs, f"{target.label} has no Xero tenant"
        collection = XERO_HOME[target.entity][0]
        wanted.setdefault((target.tenant, collection), set()).add(target.reference)
    for tenant, org in xs.orgs.items():
        for collection in {home[0] for home in XERO_HOME.values()}:
            number_field = next(h[1] for h in XERO_HOME.values() if h[0] == collection)
            found = Counter(r.get(number_field) for r in org.collection(collection).values())
            twice = sorted(str(ref) for ref, n in found.items() if n > 1)
            assert not twice, f"in {tenant} {collection} more than once: {twice}"
            expected = wanted.get((tenant, collection), set())
            assert set(found) == expected, (
                f"{tenant} {collection}: missing {sorted(expected - set(found))}, "
                f"unexpected {sorted(str(r) for r in set(found) - expected)}"
            )
    with xs.store.session() as s:
        jobs = jobs_by_record(s)
        for target in targets:
            collection, number_field, id_field = XERO_HOME[target.entity]
            remote = xs.orgs[str(target.tenant)].find(collection, number_field, target.reference)
            assert remote is not None
            job = jobs[(target.entity, target.record_id)]
            assert job.status == "synced", f"{target.label}: {job.status} {job.last_error}"
            assert job.remote_id == remote[id_field], f"{target.label} is linked to another object"


def assert_held(xs: XeroSample, targets: list[Target], *, rule: str | None = None) -> None:
    """Each target's job is blocked, with its reasons (among them `rule`, when given)."""
    with xs.store.session() as s:
        jobs = jobs_by_record(s)
        for target in targets:
            job = jobs[(target.entity, target.record_id)]
            reasons = [r["id"] for r in job.blocked_reasons or []]
            assert job.status == "blocked", f"{target.label} is {job.status}, not held"
            assert reasons, f"{target.label} is held without a reason"
            if rule is not None:
                assert rule in reasons, f"{target.label} is held by {reasons}, not {rule}"


def assert_never_sent(xs: XeroSample, targets: list[Target]) -> None:
    """No request to the emulator carried the target: not its reference, not its name."""
    sent = [e.request.body.decode() + str(e.request.query) for e in xs.handle.exchanges]
    for target in targets:
        for text in (target.reference, *target.names):
            assert not any(f'"{text}"' in body for body in sent), f"{target.label} was sent"


def xero_tax(line_total: Decimal, percent: Decimal) -> Decimal:
    """Xero's rule: tax on each line, rounded there to 2 dp (half away from zero), then summed."""
    return (line_total * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def assert_amounts_as_xero_computes(xs: XeroSample, targets: list[Target]) -> int:
    """Every synced invoice and purchase order: each line's amount and tax in Xero equal booksync's
    own (quantity x unit price, tax at the rate booksync resolved, both per line at 2 dp) and Xero's
    rule applied to the tax type's rate; the totals are the sums of the lines.

    Returns how many of them have a total tax that rounding the subtotal's tax would get wrong,
    i.e. where "per line" is what makes the figures agree."""
    documents = [t for t in targets if t.entity in (EntityType.INVOICE, EntityType.PURCHASE_ORDER)]
    zero = Decimal("0.00")
    per_line_matters = 0
    with xs.store.session() as s:
        books = load_books(s, whole=True)
        tenants = {t.name: t.id for t in s.scalars(select(Tenant))}
        for target in documents:
            record = s.get(Document, target.record_id)
            assert record is not None and target.tenant is not None
            ours = build_push_item(books, record, books.tenants[tenants[target.tenant]]).payload
            assert isinstance(ours, DocumentPayload)
            collection, number_field, _ = XERO_HOME[target.entity]
            org = xs.orgs[target.tenant]
            theirs = org.find(collection, number_field, target.reference)
            assert theirs is not None and len(theirs["LineItems"]) == len(ours.lines)
            for line, remote in zip(ours.lines, theirs["LineItems"], strict=True):
                amount = line_amount(line.quantity, line.unit_price, record.currency)
                tax = tax_amount(amount, line.tax_percent, record.currency)
                rate = org.tax_rate(remote["TaxType"])
                assert rate is not None and rate["EffectiveRate"] == line.tax_percent
                assert remote["LineAmount"] == amount, f"{target.label}: line amount"
                assert remote["TaxAmount"] == tax == xero_tax(amount, rate["EffectiveRate"]), (
                    f"{target.label}: line tax"
                )
            subtotal = sum((x["LineAmount"] for x in theirs["LineItems"]), zero)
            total_tax = sum((x["TaxAmount"] for x in theirs["LineItems"]), zero)
            assert (theirs["SubTotal"], theirs["TotalTax"]) == (subtotal, total_tax), target.label
            assert theirs["Total"] == subtotal + total_tax, target.label
            percents = {line.tax_percent for line in ours.lines}
            if len(percents) == 1 and xero_tax(subtotal, percents.pop()) != total_tax:
                per_line_matters += 1
    return per_line_matters


# --- the tests ------------------------------------------------------------------------------------


def test_sample_books_reach_xero_once_with_xeros_totals(xero_sample: XeroSample) -> None:
    xs = xero_sample
    result = xs.run()

    assert result.count("synced") == len(xs.syncable)
    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert_reached_xero_once(xs, xs.syncable)
    assert assert_amounts_as_xero_computes(xs, xs.syncable) > 0
    assert_held(xs, xs.held)
    assert_never_sent(xs, xs.held)
    # Batches, not one call per record: every write carried up to 50 elements.
    writes = [e for e in xs.handle.exchanges if e.request.method == "POST"]
    assert len(writes) < len(xs.syncable) / 10
    assert all(e.response.status == 200 for e in writes)


def arm_faults(faults: FaultSwitches) -> None:
    """5xx bursts, a 429 storm and answers lost after the write committed, on every kind of write.

    Per kind: the client retries a 503 twice before the engine reschedules; a 500 on a write is
    "outcome unknown" at once; three lost answers in a row exhaust the client's retries, so the engine
    looks each element up before pushing again (and updates what it finds).
    """
    post = ["POST"]
    faults.fail_next(4, 503, retry_after=5, methods=post, path="/Contacts")
    faults.fail_next(1, 500, methods=post, path="/Items")
    faults.timeout_after_commit(1, path="/Items")
    faults.rate_limit_storm(7, retry_after=30, path="/Invoices")
    faults.fail_next(2, 500, methods=post, path="/Invoices")
    faults.timeout_after_commit(3, path="/Invoices")
    faults.timeout_after_commit(3, path="/PurchaseOrders")


def test_faults_on_the_way_change_nothing_that_reaches_xero(xero_sample: XeroSample) -> None:
    xs = xero_sample
    arm_faults(xs.handle.faults)
    start = xs.handle.clock.now()

    result = xs.run()

    assert xs.handle.faults.armed == 0, "some faults never fired"
    fired = Counter(f.kind for f in xs.handle.faults.fired)
    assert fired[FaultKind.ERROR] == 7 and fired[FaultKind.RATE_LIMIT] == 7
    assert fired[FaultKind.TIMEOUT_AFTER_COMMIT] == 7
    statuses = Counter(e.response.status for e in xs.handle.exchanges)
    assert statuses[429] == 7 and statuses[503] == 4 and statuses[500] == 3
    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert_reached_xero_once(xs, xs.syncable)
    assert_amounts_as_xero_computes(xs, xs.syncable)
    assert_held(xs, xs.held)
    assert_never_sent(xs, xs.held)
    with xs.store.session() as s:
        events = Counter(
            (k, e) for k, e in s.execute(select(SyncEvent.kind, SyncEvent.entity_type))
        )
    assert events[("retry", "client")] and events[("retry", "invoice")]
    # Answers lost three times over: the engine found what the lost writes created, and updated it.
    assert events[("matched", "invoice")] and events[("matched", "purchase_order")]
    assert xs.handle.clock.now() - start >= 30  # the storm's Retry-After was waited out (virtually)


def test_a_revoked_tenant_is_held_while_the_other_syncs(xero_sample: XeroSample) -> None:
    xs = xero_sample
    au, nz = xs.tenant_of("AUD"), xs.tenant_of("NZD")
    revoked: list[str] = []

    def revoke_after_first_invoice(notice: Notice) -> None:
        """The person disconnects booksync from the AU organisation in Xero, mid-run."""
        if not revoked and notice.text.startswith("Invoice ") and f"'{au}'" in notice.text:
            auth = xs.handle.emulator.auth
            for connections in auth.connections.values():
                connections.pop(xs.orgs[au].tenant_id, None)
            revoked.append(notice.text)

    result = xs.run(on_notice=revoke_after_first_invoice)

    assert revoked, "no AU invoice synced before the revocation"
    with xs.store.session() as s:
        jobs = jobs_by_record(s)
        tenant = s.scalars(select(Tenant).where(Tenant.name == au)).one()
        assert tenant.connection_state == "revoked"  # a 403: the connection was withdrawn
    on_au = [t for t in xs.syncable if t.tenant == au]
    done = [t for t in on_au if jobs[(t.entity, t.record_id)].status == "synced"]
    stopped = [t for t in on_au if t not in done]
    assert any(t.entity is EntityType.INVOICE for t in done)
    assert any(t.entity is EntityType.INVOICE for t in stopped)
    assert_held(xs, stopped, rule="tenant.connected")
    # What reached AU before the revocation is there once and nothing after it; NZ got everything.
    assert_reached_xero_once(xs, done + [t for t in xs.syncable if t.tenant == nz])
    assert_held(xs, xs.held)
    assert_never_sent(xs, xs.held)
    refused = [n for n in result.notices if n.level == "error" and "refused" in n.text]
    assert refused and refused[0].fix == f"booksync tenant connect '{au}'"


def test_authorised_sales_order_reaches_xero_as_a_sent_quote() -> None:
    """An agreed sales order becomes a Quote in status SENT (Xero creates quotes only as DRAFT or
    SENT), written the way the spec spells Quotes' LineAmountTypes. Checks the spec itself."""
    emulator = XeroEmulator(clock=VirtualClock(START))
    (seeded,) = emulator.seed(1)
    with emulator.serve() as server:
        tokens = TokenSet(
            seeded.access_token, seeded.refresh_token, emulator.clock.utcnow() + timedelta(hours=1)
        )
        xero = XeroConnector(
            tokens,
            base_url=server.url + ACCOUNTING_PREFIX,
            identity_url=server.url,
            client_id=emulator.client.client_id,
            client_secret=emulator.client.client_secret,
            clock=emulator.clock,
            timeout=5.0,
        )
        try:
            party = PartyPayload(EntityType.CLIENT, "Acme Pty Ltd", None, "AUD", "C-000001")
            (contact,) = xero.push(
                seeded.tenant_id,
                EntityType.CLIENT,
                [PushItem("k-c", EntityType.CLIENT, 1, "C-000001", None, party)],
            )
            assert contact.remote_id is not None
            line = LinePayload(
                None, None, "Onsite labour", Decimal(2), Decimal("165.00"), "200", "OUTPUT",
                Decimal(10),
            )  # fmt: skip
            order = DocumentPayload(
                EntityType.SALES_ORDER, "SO-0001", contact.remote_id, "Acme Pty Ltd",
                date(2026, 11, 2), None, "AUD", "authorised", None, (line,),
            )  # fmt: skip
            (answer,) = xero.push(
                seeded.tenant_id,
                EntityType.SALES_ORDER,
                [PushItem("k-so", EntityType.SALES_ORDER, 1, "SO-0001", None, order)],
            )
        finally:
            xero.close()
        problems = [
            p for e in server.recorder for p in (*check_exchange(e)[0], *check_exchange(e)[1])
        ]
    assert not problems, problems
    assert answer.outcome is Outcome.CREATED, answer.message
    quote = emulator.orgs[seeded.tenant_id].find("Quotes", "QuoteNumber", "SO-0001")
    assert quote is not None and quote["Status"] == "SENT"
