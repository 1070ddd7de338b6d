"""The sample books synced into the Xero emulator through the engine, end to end: every syncable
record reaches Xero exactly once, with the amounts and tax Xero computes; the deliberate faults stay
held and are never sent; 5xx bursts, a 429 storm and answers lost after the write committed change
none of that; and a tenant whose connection is revoked mid-run is held while the other carries on.

Set-up (`xero_sample`): the sample is loaded as `booksync sample load` writes it, two Xero
organisations (AU, NZ) are connected through the real sign-in flow, and the sample's records move
from their ledger tenants to those Xero tenants through the record services, tax rates mapped to
the same tax types (`_books.move_sample`); then both tenants import their charts. The engine, the
connectors and the emulator share one virtual clock, so Retry-After, backoff and pacing cost no
real time.

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
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.money import line_amount, tax_amount
from booksync.domain.types import EntityType
from booksync.services import sample
from booksync.services.connect import connect_tool
from booksync.store.db import Store
from booksync.store.models import SyncEvent, Tenant
from booksync.sync.engine import Notice
from booksync_emulators.clock import VirtualClock
from booksync_emulators.faults import FaultKind, FaultSwitches
from booksync_emulators.xero import ACCOUNTING_PREFIX, Org, XeroEmulator
from booksync_emulators.xero.seed import REGIONS
from e2e._books import (
    SampleSync,
    Target,
    assert_held,
    assert_never_sent,
    assert_reached_once,
    browser,
    document_payloads,
    import_tenants,
    jobs_by_record,
    move_sample,
    sort_sample,
    tax_per_line,
)
from emulators.conftest import START, XeroEmulatorHandle
from emulators.openapi import check_exchange

#: Where each record type lives in Xero, and the field that carries booksync's reference.
XERO_HOME: dict[EntityType, tuple[str, str, str]] = {
    EntityType.CLIENT: ("Contacts", "ContactNumber", "ContactID"),
    EntityType.SUPPLIER: ("Contacts", "ContactNumber", "ContactID"),
    EntityType.PRODUCT: ("Items", "Code", "ItemID"),
    EntityType.INVOICE: ("Invoices", "InvoiceNumber", "InvoiceID"),
    EntityType.PURCHASE_ORDER: ("PurchaseOrders", "PurchaseOrderNumber", "PurchaseOrderID"),
    EntityType.SALES_ORDER: ("Quotes", "QuoteNumber", "QuoteID"),
}


# --- the sample books, pointed at Xero ---------------------------------------------------------------


@dataclass
class XeroSample(SampleSync):
    """The sample books pointed at two emulated Xero organisations, and what should reach each."""

    handle: XeroEmulatorHandle | None = None
    #: booksync tenant name -> the emulator org it is connected to
    orgs: dict[str, Org] = field(default_factory=dict)

    @property
    def xero(self) -> XeroEmulatorHandle:
        assert self.handle is not None
        return self.handle

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


def point_sample_at_xero(store: Store, handle: XeroEmulatorHandle) -> XeroSample:
    """`store` holds the sample books as `booksync sample load` writes them (`sample_store`)."""
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
        tenants = connect_tool(
            s, "xero", settings=settings, announce=browser, timeout=10, clock=handle.clock
        )
        orgs = {t.name: handle.emulator.orgs[t.remote_tenant_id] for t in tenants}
        by_currency = {t.base_currency: t.name for t in tenants}
        move_sample(s, "xero", {sample.AU: by_currency["AUD"], sample.NZ: by_currency["NZD"]})
        import_tenants(s, tenants, handle.clock)
    syncable, held = sort_sample(store)
    return XeroSample(store, handle.clock, syncable, held, handle=handle, orgs=orgs)


@pytest.fixture
def xero_sample(sample_store: Store, xero_emulator: XeroEmulatorHandle) -> XeroSample:
    return point_sample_at_xero(sample_store, xero_emulator)


# --- what the tests check --------------------------------------------------------------------------


def xero_home(target: Target) -> tuple[str, Any]:
    return XERO_HOME[target.entity][0], target.reference


def assert_reached_xero_once(xs: XeroSample, targets: list[Target]) -> None:
    """Each target is in its tenant's organisation exactly once, linked to booksync by remote ID,
    and nothing else is there."""
    holdings = {
        (tenant, collection): [
            (record.get(number_field), record[id_field])
            for record in org.collection(collection).values()
        ]
        for tenant, org in xs.orgs.items()
        for collection, number_field, id_field in XERO_HOME.values()
    }
    assert_reached_once(xs.store, targets, holdings, xero_home)


def assert_amounts_as_xero_computes(xs: XeroSample, targets: list[Target]) -> int:
    """Every synced invoice and purchase order: each line's amount and tax in Xero equal booksync's
    own (quantity x unit price, tax at the rate booksync resolved, both per line at 2 dp) and Xero's
    rule applied to the tax type's rate; the totals are the sums of the lines.

    Returns how many of them have a total tax that rounding the subtotal's tax would get wrong,
    i.e. where "per line" is what makes the figures agree."""
    zero = Decimal("0.00")
    per_line_matters = 0
    for target, ours in document_payloads(xs.store, targets):
        collection, number_field, _ = XERO_HOME[target.entity]
        org = xs.orgs[str(target.tenant)]
        theirs = org.find(collection, number_field, target.reference)
        assert theirs is not None and len(theirs["LineItems"]) == len(ours.lines)
        for line, remote in zip(ours.lines, theirs["LineItems"], strict=True):
            amount = line_amount(line.quantity, line.unit_price, ours.currency)
            tax = tax_amount(amount, line.tax_percent, ours.currency)
            rate = org.tax_rate(remote["TaxType"])
            assert rate is not None and rate["EffectiveRate"] == line.tax_percent
            assert remote["LineAmount"] == amount, f"{target.label}: line amount"
            assert remote["TaxAmount"] == tax == tax_per_line(amount, rate["EffectiveRate"]), (
                f"{target.label}: line tax"
            )
        subtotal = sum((x["LineAmount"] for x in theirs["LineItems"]), zero)
        total_tax = sum((x["TaxAmount"] for x in theirs["LineItems"]), zero)
        assert (theirs["SubTotal"], theirs["TotalTax"]) == (subtotal, total_tax), target.label
        assert theirs["Total"] == subtotal + total_tax, target.label
        percents = {line.tax_percent for line in ours.lines}
        if len(percents) == 1 and tax_per_line(subtotal, percents.pop()) != total_tax:
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
    assert_held(xs.store, xs.held)
    assert_never_sent(xs.xero.exchanges, xs.held)
    # Batches, not one call per record: every write carried up to 50 elements.
    writes = [e for e in xs.xero.exchanges if e.request.method == "POST"]
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
    arm_faults(xs.xero.faults)
    start = xs.xero.clock.now()

    result = xs.run()

    assert xs.xero.faults.armed == 0, "some faults never fired"
    fired = Counter(f.kind for f in xs.xero.faults.fired)
    assert fired[FaultKind.ERROR] == 7 and fired[FaultKind.RATE_LIMIT] == 7
    assert fired[FaultKind.TIMEOUT_AFTER_COMMIT] == 7
    statuses = Counter(e.response.status for e in xs.xero.exchanges)
    assert statuses[429] == 7 and statuses[503] == 4 and statuses[500] == 3
    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert_reached_xero_once(xs, xs.syncable)
    assert_amounts_as_xero_computes(xs, xs.syncable)
    assert_held(xs.store, xs.held)
    assert_never_sent(xs.xero.exchanges, xs.held)
    with xs.store.session() as s:
        events = Counter(
            (k, e) for k, e in s.execute(select(SyncEvent.kind, SyncEvent.entity_type))
        )
    assert events[("retry", "client")] and events[("retry", "invoice")]
    # Answers lost three times over: the engine found what the lost writes created, and updated it.
    assert events[("matched", "invoice")] and events[("matched", "purchase_order")]
    assert xs.xero.clock.now() - start >= 30  # the storm's Retry-After was waited out (virtually)


def test_a_revoked_tenant_is_held_while_the_other_syncs(xero_sample: XeroSample) -> None:
    xs = xero_sample
    au, nz = xs.tenant_of("AUD"), xs.tenant_of("NZD")
    revoked: list[str] = []

    def revoke_after_first_invoice(notice: Notice) -> None:
        """The person disconnects booksync from the AU organisation in Xero, mid-run."""
        if not revoked and notice.text.startswith("Invoice ") and f"'{au}'" in notice.text:
            auth = xs.xero.emulator.auth
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
    assert_held(xs.store, stopped, rule="tenant.connected")
    # What reached AU before the revocation is there once and nothing after it; NZ got everything.
    assert_reached_xero_once(xs, done + [t for t in xs.syncable if t.tenant == nz])
    assert_held(xs.store, xs.held)
    assert_never_sent(xs.xero.exchanges, xs.held)
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
