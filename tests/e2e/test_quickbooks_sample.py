"""The sample books synced into the QuickBooks Online emulator through the engine, end to end: every
syncable record reaches the company exactly once (customers and vendors by DisplayName, items by
Sku, documents by DocNumber), with the totals QuickBooks computes; the deliberate faults stay held
and are never sent; 5xx bursts, a 429 storm and answers lost after the write committed change
none of that; and a company disconnected mid-run keeps what it got, once, while the rest is held
until it is reconnected.

Set-up (`quickbooks_sample`): the sample is loaded as `booksync sample load` writes it, one
emulated company is connected through the real sign-in flow (Intuit's discovery document, the
consent screen, the code exchange), and the Australian half of the sample moves from its ledger
tenant to that company (`_books.move_sample`), the sample's tax types renamed to the company's GST
codes; then the company's chart, tax codes, customers and items are imported. The engine, the
connector and the emulator share one virtual clock.

What differs from the Xero set-up, and why:
- The emulated company is Australian and single-currency (AUD), as a new QuickBooks Online AU
  company is, so the New Zealand half (NZD) stays on its ledger tenant with the ledger switched
  off: held by integration.enabled, and never sent.
- booksync's account codes (200, 310, ...) are account numbers: the bookkeeper turns account
  numbers on and numbers the chart to match (`number_chart`), adding the accounts a new company
  lacks. The deliberately unknown code (4999) stays unknown.
- Sales orders reach QuickBooks as Estimates, and every write goes through /batch, so faults are
  aimed by timing (`FaultPlan`) rather than by path.
- The sample's AU prices never leave a fraction of a cent of tax, so one invoice is added whose
  per-line rounding differs from rounding its total (`add_small_line_invoice`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import Connector, PushItem, PushResult
from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.domain.money import line_amount, tax_amount
from booksync.domain.types import EntityType
from booksync.services import sample
from booksync.services.connect import connect_tool
from booksync.services.records import DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import Client, SyncEvent, Tenant
from booksync.sync.engine import Notice
from booksync_emulators.faults import FaultKind, FaultSwitches
from booksync_emulators.quickbooks import API_PREFIX, Realm
from booksync_emulators.quickbooks import seed as qbo_seed
from booksync_emulators.quickbooks.store import stamp
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
from emulators.conftest import QuickBooksEmulatorHandle, StartQuickBooks

COMPANY = "Northwind IT Pty Ltd"
#: The sample's (Xero-style) tax types, as an AU QuickBooks company names its GST codes.
TAX_CODES = {"OUTPUT": "GST", "INPUT": "GST", "EXEMPTOUTPUT": "FRE"}
#: Where each record type lives in QuickBooks, and the field a target is found by there.
QBO_HOME: dict[EntityType, tuple[str, str]] = {
    EntityType.CLIENT: ("Customer", "DisplayName"),
    EntityType.SUPPLIER: ("Vendor", "DisplayName"),
    EntityType.PRODUCT: ("Item", "Sku"),
    EntityType.INVOICE: ("Invoice", "DocNumber"),
    EntityType.SALES_ORDER: ("Estimate", "DocNumber"),
    EntityType.PURCHASE_ORDER: ("PurchaseOrder", "DocNumber"),
}
#: QuickBooks' line kinds that carry an item (its own subtotal line is left out).
ITEM_LINES = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail")
ACCOUNT_KINDS = {
    "income": ("Income", "ServiceFeeIncome", "Revenue"),
    "expense": ("Expense", "OtherMiscellaneousServiceCost", "Expense"),
}


# --- the sample books, pointed at QuickBooks ------------------------------------------------------


@dataclass
class QuickBooksSample(SampleSync):
    """The sample books pointed at one emulated company, and what should reach it."""

    handle: QuickBooksEmulatorHandle | None = None
    #: the company's own objects before the first pass (its seeded items), per entity
    before: dict[str, set[str]] = field(default_factory=dict)

    @property
    def qbo(self) -> QuickBooksEmulatorHandle:
        assert self.handle is not None
        return self.handle

    @property
    def company(self) -> Realm:
        return self.qbo.realm(0)

    @property
    def tenant(self) -> str:
        tenants = {t.tenant for t in self.syncable}
        assert len(tenants) == 1, tenants
        return str(tenants.pop())


def number_chart(realm: Realm) -> None:
    """The bookkeeper numbers the company's chart as booksync's account codes: an account of the
    same name gets the code as its number, a missing one is added (the codes a test must leave
    unknown or empty are left alone)."""
    accounts = realm.table("Account")
    for name, code, kind in sample.ACCOUNT_CODES:
        if not code or code == sample.UNKNOWN_CODE:
            continue
        same = next((a for a in accounts.values() if a["Name"] == name), None)
        if same is not None:
            same["AcctNum"] = code
            continue
        account_type, subtype, classification = ACCOUNT_KINDS[kind]
        account_id = realm.new_id("Account")
        accounts[account_id] = stamp(
            {
                "Id": account_id,
                "Name": name,
                "AcctNum": code,
                "SubAccount": False,
                "FullyQualifiedName": name,
                "Active": True,
                "Classification": classification,
                "AccountType": account_type,
                "AccountSubType": subtype,
                "CurrentBalance": Decimal("0"),
                "CurrentBalanceWithSubAccounts": Decimal("0"),
                "CurrencyRef": dict(qbo_seed.CURRENCY),
            },
            realm.created,
            created=True,
        )


def add_small_line_invoice(session: Session, tenant: Tenant) -> None:
    """An invoice whose tax differs by a cent between rounding each line (3 x 0.335 -> 1.02) and
    rounding the total (1.005 -> 1.01): the sample's AU prices never leave a fraction of a cent, so
    without it nothing would show which rule QuickBooks' totals follow."""
    client = session.scalars(
        select(Client)
        .where(
            Client.tenant_id == tenant.id,
            Client.tax_rate_id.is_(None),
            Client.exclude_from_accounting.is_(False),
        )
        .order_by(Client.id)
    ).first()
    assert client is not None
    line = {"product": "Microsoft 365 Backup (per user)", "unit_price": "3.35"}
    DOCUMENTS[EntityType.INVOICE].create(
        session,
        {
            "number": "INV-9001",
            "party": client.name,
            "issue_date": sample.ANCHOR,
            "status": "authorised",
            "lines": [line, line, line],
        },
    )


def point_sample_at_quickbooks(
    store: Store, handle: QuickBooksEmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> QuickBooksSample:
    """`store` holds the sample books as `booksync sample load` writes them (`sample_store`)."""
    company = handle.realm(0)
    company.name = COMPANY
    number_chart(company)
    secret = handle.client_secret or ""
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", secret)  # refreshes need it
    settings = QuickBooksSettings.from_env(
        {
            "BOOKSYNC_QUICKBOOKS_URL": handle.base_url,
            "BOOKSYNC_QUICKBOOKS_CLIENT_ID": handle.client_id,
            "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": secret,
            "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    handle.emulator.auth.consent_realm = company.realm_id
    with store.session() as s:
        (tenant,) = connect_tool(
            s, "quickbooks", settings=settings, announce=browser, timeout=10, clock=handle.clock
        )
        assert tenant.remote_tenant_id == company.realm_id and tenant.base_currency == "AUD"
        move_sample(s, "quickbooks", {sample.AU: tenant.name}, TAX_CODES)
        import_tenants(s, [tenant], handle.clock)
        add_small_line_invoice(s, tenant)
    syncable, held = sort_sample(store)
    before = {name: set(company.table(name)) for name, _ in QBO_HOME.values()}
    return QuickBooksSample(store, handle.clock, syncable, held, handle=handle, before=before)


@pytest.fixture
def quickbooks_sample(
    sample_store: Store,
    quickbooks_emulator_factory: StartQuickBooks,
    monkeypatch: pytest.MonkeyPatch,
) -> QuickBooksSample:
    handle = quickbooks_emulator_factory(realms=1, account_numbers=True)
    return point_sample_at_quickbooks(sample_store, handle, monkeypatch)


# --- what the tests check -------------------------------------------------------------------------


def qbo_home(target: Target) -> tuple[str, Any]:
    collection, _ = QBO_HOME[target.entity]
    return collection, target.names[0] if target.entity.is_party else target.reference


def assert_in_quickbooks_once(qs: QuickBooksSample, targets: Sequence[Target]) -> None:
    """Every target once in the company, linked by remote ID; nothing else booksync could have made."""
    holdings = {
        (qs.tenant, collection): [
            (record.get(key), record["Id"])
            for record in qs.company.table(collection).values()
            if record["Id"] not in qs.before[collection]
        ]
        for collection, key in QBO_HOME.values()
    }
    assert_reached_once(qs.store, targets, holdings, qbo_home)


def code_rates(company: Realm, code_id: str, side: str) -> list[tuple[str, Decimal]]:
    """The rates a tax code charges on one side (Sales or Purchase), as (rate Id, percent)."""
    code = company.get("TaxCode", code_id)
    assert code is not None
    rates = company.table("TaxRate")
    details = code[f"{side}TaxRateList"]["TaxRateDetail"]
    return [
        (d["TaxRateRef"]["value"], rates[d["TaxRateRef"]["value"]]["RateValue"]) for d in details
    ]


def assert_totals_as_quickbooks_computes(qs: QuickBooksSample, targets: Sequence[Target]) -> int:
    """Every synced invoice and purchase order: each line's quantity, price and amount in
    QuickBooks are booksync's own (amount = quantity x unit price at 2 dp) and its tax code charges
    the percent booksync resolved; the company's tax for each rate is the sum of that rate's tax on
    each line rounded there to 2 dp, which is booksync's own tax per line; the total is lines plus
    tax.

    Returns how many of them have a tax that rounding the subtotal's tax would get wrong, i.e.
    where "per line" is what makes the figures agree."""
    zero = Decimal("0.00")
    per_line_matters = 0
    for target, ours in document_payloads(qs.store, targets):
        collection, key = QBO_HOME[target.entity]
        theirs = qs.company.find(collection, key, target.reference)
        assert theirs is not None, target.label
        side = "Purchase" if target.entity is EntityType.PURCHASE_ORDER else "Sales"
        lines = [ln for ln in theirs["Line"] if ln["DetailType"] in ITEM_LINES]
        assert len(lines) == len(ours.lines), target.label
        by_rate: dict[str, Decimal] = {}
        ours_tax = zero
        for line, remote in zip(ours.lines, lines, strict=True):
            amount = line_amount(line.quantity, line.unit_price, ours.currency)
            detail = remote[remote["DetailType"]]
            assert (detail["Qty"], detail["UnitPrice"]) == (line.quantity, line.unit_price)
            assert remote["Amount"] == amount, f"{target.label}: line amount"
            rates = code_rates(qs.company, detail["TaxCodeRef"]["value"], side)
            assert sum(p for _, p in rates) == line.tax_percent, f"{target.label}: tax code"
            for rate_id, percent in rates:
                by_rate[rate_id] = by_rate.get(rate_id, zero) + tax_per_line(amount, percent)
            ours_tax += tax_amount(amount, line.tax_percent, ours.currency)
        tax_detail = theirs["TxnTaxDetail"]
        theirs_by_rate = {
            t["TaxLineDetail"]["TaxRateRef"]["value"]: t["Amount"] for t in tax_detail["TaxLine"]
        }
        assert theirs_by_rate == by_rate, f"{target.label}: tax per rate"
        assert tax_detail["TotalTax"] == ours_tax == sum(by_rate.values()), f"{target.label}: tax"
        subtotal = sum((ln["Amount"] for ln in lines), zero)
        assert theirs["TotalAmt"] == subtotal + ours_tax, f"{target.label}: total"
        percents = {line.tax_percent for line in ours.lines}
        if len(percents) == 1 and tax_per_line(subtotal, percents.pop()) != ours_tax:
            per_line_matters += 1
    return per_line_matters


# --- the tests ------------------------------------------------------------------------------------


def test_sample_books_reach_quickbooks_once_with_its_totals(
    quickbooks_sample: QuickBooksSample,
) -> None:
    qs = quickbooks_sample
    result = qs.run()

    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert result.count("synced") == len(qs.syncable)
    assert_in_quickbooks_once(qs, qs.syncable)
    assert assert_totals_as_quickbooks_computes(qs, qs.syncable) > 0
    assert_held(qs.store, qs.held)
    assert_never_sent(qs.qbo.exchanges, qs.held)
    # Batches, not one call per record: every write went through /batch, up to 30 operations each.
    api = [e for e in qs.qbo.exchanges if e.request.path.startswith(API_PREFIX)]
    writes = [e for e in api if e.request.method == "POST"]
    assert writes and all(e.request.path.endswith("/batch") for e in writes)
    assert len(writes) <= len(qs.syncable) / 10
    assert all(e.response.status == 200 for e in api)


# --- faults ---------------------------------------------------------------------------------------


class FaultPlan:
    """Faults armed as the engine starts its n-th push of a record type, so each lands on that
    type's batch: QuickBooks takes every write on one path (/batch), so a path cannot aim them.

    `arms[(entity, n)]` arms the emulator's switches just before that push goes out."""

    def __init__(self, arms: dict[tuple[EntityType, int], Callable[[], None]]) -> None:
        self.arms = dict(arms)
        self.pushes: Counter[EntityType] = Counter()

    def wrap(self, connector: Connector) -> Connector:
        plan = self

        class Timed:
            kind, limits = connector.kind, connector.limits

            def __getattr__(self, name: str) -> Any:
                return getattr(connector, name)

            def push(
                self, tenant: str, entity: EntityType, items: Sequence[PushItem]
            ) -> list[PushResult]:
                plan.pushes[entity] += 1
                arm = plan.arms.pop((entity, plan.pushes[entity]), None)
                if arm is not None:
                    arm()
                return connector.push(tenant, entity, items)

        return Timed()  # type: ignore[return-value]


def fault_plan(faults: FaultSwitches) -> FaultPlan:
    """5xx bursts, a 429 storm and answers lost after the write committed, on every record type.

    - A lost answer is retried by the client with the same requestid, and QuickBooks answers the
      retry from memory (applying it again would be refused: names and numbers are unique there);
      lost three times in a row, the push is "outcome unknown", and before pushing again the
      engine looks each record up (customers and vendors by the display name sent, items by Sku,
      documents by DocNumber) and updates what it finds.
    - A 503 is retried by the client (twice), then rescheduled by the engine; a 500 on a write is
      "outcome unknown" at once (nothing was applied: the look-up finds nothing, so it is created).
    - QuickBooks' 429 carries no Retry-After: the realm is held for the 60 s Intuit asks for, and
      each push it meets is rescheduled.
    """
    batch, post = "/batch", ["POST"]

    def lost(times: int) -> Callable[[], None]:
        return lambda: faults.timeout_after_commit(times, path=batch)

    def failing(times: int, status: int) -> Callable[[], None]:
        return lambda: faults.fail_next(times, status, retry_after=5, methods=post, path=batch)

    return FaultPlan(
        {
            (EntityType.CLIENT, 1): lost(3),
            (EntityType.SUPPLIER, 1): failing(3, 503),
            (EntityType.PRODUCT, 1): failing(1, 500),
            (EntityType.PRODUCT, 2): lost(1),
            (EntityType.INVOICE, 1): lambda: faults.rate_limit_storm(6, path=batch),
            (EntityType.INVOICE, 7): lost(3),
            (EntityType.INVOICE, 8): failing(1, 500),
            (EntityType.SALES_ORDER, 1): failing(3, 503),
            (EntityType.SALES_ORDER, 2): lost(1),
            (EntityType.PURCHASE_ORDER, 1): lost(3),
        }
    )


def test_faults_on_the_way_change_nothing_that_reaches_quickbooks(
    quickbooks_sample: QuickBooksSample,
) -> None:
    qs = quickbooks_sample
    faults = qs.qbo.faults
    plan = fault_plan(faults)
    qs.wrap = plan.wrap
    start = qs.clock.now()

    result = qs.run()

    assert result.count("failed") == 0, [n.text for n in result.notices if n.level == "error"]
    assert not plan.arms and faults.armed == 0, "some faults never fired"
    fired = Counter(f.kind for f in faults.fired)
    assert fired[FaultKind.ERROR] == 8 and fired[FaultKind.RATE_LIMIT] == 6
    assert fired[FaultKind.TIMEOUT_AFTER_COMMIT] == 11
    api = [e for e in qs.qbo.exchanges if e.request.path.startswith(API_PREFIX)]
    statuses = Counter(e.response.status for e in api)
    assert statuses[429] == 6 and statuses[503] == 6 and statuses[500] == 2  # none but ours
    assert_in_quickbooks_once(qs, qs.syncable)
    assert_totals_as_quickbooks_computes(qs, qs.syncable)
    assert_held(qs.store, qs.held)
    assert_never_sent(qs.qbo.exchanges, qs.held)
    with qs.store.session() as s:
        events = Counter(
            (k, e) for k, e in s.execute(select(SyncEvent.kind, SyncEvent.entity_type))
        )
    for entity in ("supplier", "product", "invoice", "sales_order"):
        assert events[("retry", entity)], f"no {entity} was retried"
    # Lost three times over: the engine found what the lost writes created, and updated it.
    for entity in ("client", "invoice", "purchase_order"):
        assert events[("matched", entity)], f"no {entity} was looked up and found"
    # The client asked again for each lost answer with the same requestid (three pushes lost three
    # times, two once), and QuickBooks answered from its memory: nothing failed, nothing is twice.
    lost = Counter(e.request.query["requestid"][0] for e in api if not e.delivered)
    assert sorted(lost.values()) == [1, 1, 3, 3, 3]
    assert qs.clock.now() - start >= 6 * 60  # each 429 held the realm the 60 s Intuit asks for


def test_a_company_disconnected_mid_run_holds_the_rest_until_reconnected(
    quickbooks_sample: QuickBooksSample,
) -> None:
    qs = quickbooks_sample
    disconnected: list[str] = []

    def disconnect_after_first_invoice(notice: Notice) -> None:
        """The person disconnects booksync from the company in QuickBooks, mid-run."""
        if not disconnected and notice.text.startswith("Invoice "):
            for token in qs.qbo.emulator.auth.refresh_tokens.values():
                token.grant.revoked = True
            disconnected.append(notice.text)

    result = qs.run(on_notice=disconnect_after_first_invoice)

    assert disconnected, "no invoice synced before the disconnection"
    with qs.store.session() as s:
        jobs = jobs_by_record(s)
        tenant = s.scalars(select(Tenant).where(Tenant.name == qs.tenant)).one()
        # Intuit refuses a revoked grant's refresh token as it does an expired one (invalid_grant).
        assert tenant.connection_state == "expired"
    done = [t for t in qs.syncable if jobs[(t.entity, t.record_id)].status == "synced"]
    stopped = [t for t in qs.syncable if t not in done]
    assert any(t.entity is EntityType.INVOICE for t in done)
    assert any(t.entity is EntityType.INVOICE for t in stopped)
    assert_held(qs.store, stopped, rule="tenant.connected")
    assert_in_quickbooks_once(qs, done)  # what reached the company before is there once; no more
    assert_held(qs.store, qs.held)
    assert_never_sent(qs.qbo.exchanges, qs.held)
    refused = [n for n in result.notices if n.level == "error" and "refused" in n.text]
    assert refused and refused[0].fix == f"booksync tenant connect '{qs.tenant}'"
