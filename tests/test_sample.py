"""The sample MSP books: promised sizes, realistic and clean where meant to be, one deliberate fault
for every way the rules can fail, a pending sync job for every record, and a refusal to load twice.

The read-only checks share one default load per database (loading takes a few seconds); the tests
that write get a database of their own.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from booksync.connectors.ledger.chart import DEFAULT_ACCOUNTS, default_tax_types
from booksync.services.errors import BadInput, Conflict
from booksync.services.records import RECORD_TYPES
from booksync.services.sample import (
    ANCHOR,
    DELIBERATE_FAULTS,
    Fault,
    SampleSummary,
    load_sample,
    plan_sample,
)
from booksync.services.sample_data import CROSS_TENANT_PRODUCT
from booksync.store.db import Store
from booksync.store.models import (
    AccountCode,
    Client,
    Document,
    DocumentLine,
    Integration,
    ItemGroup,
    Product,
    Supplier,
    SyncJob,
    TaxRate,
    Tenant,
)
from cli_support import invoke, ok, snapshot

CHART_CODES = {account.code for account in DEFAULT_ACCOUNTS}
#: Every rule the sample can break without pushing anything (tool.accepted needs a push).
SEEDABLE_RULES = {
    "integration.enabled", "integration.entity_synced", "tenant.connected", "record.not_excluded",
    "record.tenant_set", "dependency.same_tenant", "tax.resolved", "tax.mapped",
    "account_code.set", "account_code.code_set", "account_code.matches_tool",
}  # fmt: skip
SMALL = {"clients": 5, "invoices": 12}


@dataclass
class Loaded:
    store: Store
    summary: SampleSummary


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def books(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    """The default sample, loaded once per database into a database of its own."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sample") / "sample.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:  # dropped when the session ends (conftest.pg_scratch)
        url = request.getfixturevalue("pg_scratch")("booksync_sample")
    store = Store(url)
    with store.session() as s:
        summary = load_sample(s)
    yield Loaded(store, summary)
    store.dispose()


def _all(session: Session, model: type[Any]) -> list[Any]:
    return list(session.scalars(select(model)).unique())


def _documents(session: Session) -> list[Document]:
    stmt = select(Document).options(
        selectinload(Document.lines).joinedload(DocumentLine.product),
        joinedload(Document.client),
        joinedload(Document.supplier),
    )
    return list(session.scalars(stmt).unique())


def _mapped(rate: TaxRate | None, tenant_id: int | None) -> bool:
    return rate is not None and any(m.tenant_id == tenant_id for m in rate.mappings)


def _line_rate(line: DocumentLine, party: Client | Supplier) -> TaxRate | None:
    """Tax resolution as the brief states it: line, client, product (or its group), default."""
    product = line.product
    group_rate = product.item_group.tax_rate if product.item_group else None
    own = group_rate if product.use_item_group_tax else product.tax_rate
    return line.tax_rate or party.tax_rate or own


def _accounts(product: Product) -> tuple[AccountCode | None, AccountCode | None]:
    group = product.item_group
    income = product.income_account or (group.income_account if group else None)
    expense = product.expense_account or (group.expense_account if group else None)
    return income, expense


def _faulty_refs() -> set[tuple[str, str]]:
    return {(f.record_type, f.reference) for f in DELIBERATE_FAULTS} | {
        ref for f in DELIBERATE_FAULTS for ref in f.blocked
    }


def test_loads_the_promised_number_of_each_record(books: Loaded) -> None:
    ranges = {"tenant": (3, 3), "tax_rate": (7, 7), "account_code": (8, 8), "item_group": (5, 5),
              "client": (35, 45), "supplier": (8, 12), "product": (35, 50),
              "invoice": (280, 320), "sales_order": (30, 50), "purchase_order": (30, 50),
              "credit_note": (8, 12)}  # fmt: skip
    with books.store.session() as s:
        counts = {name: RECORD_TYPES[name].count(s) for name in ranges}
        invoices = [d for d in _documents(s) if d.kind == "invoice"]
    for name, (low, high) in ranges.items():
        assert low <= counts[name] <= high, (name, counts[name])
        assert books.summary.loaded[name.replace("_", " ") + "s"] == counts[name]
    statuses = Counter(d.status for d in invoices)
    assert statuses["authorised"] + statuses["draft"] >= 0.7 * len(invoices)
    assert 0 < statuses["paid"] <= 0.25 * len(invoices)
    assert all(ANCHOR - timedelta(days=366) < d.issue_date < ANCHOR for d in invoices)
    numbers = sorted(d.number for d in invoices)
    assert numbers[0] == "INV-1001" and len(set(numbers)) == len(numbers)


def test_integrations_and_tenants_are_set_up_as_the_demo_expects(books: Loaded) -> None:
    with books.store.session() as s:
        integrations = {i.kind: i for i in _all(s, Integration)}
        tenants = {t.name: t for t in _all(s, Tenant)}
    ledger, xero = integrations["ledger"], integrations["xero"]
    assert ledger.enabled and ledger.show_success_messages
    assert set(ledger.entities_to_sync) == {
        "client", "supplier", "product", "invoice", "sales_order", "purchase_order",
    }  # fmt: skip
    assert not xero.enabled
    shape = {n: (t.integration_id, t.base_currency, t.remote_tenant_id) for n, t in tenants.items()}
    assert shape == {
        "Northwind IT AU": (ledger.id, "AUD", "northwind-au"),
        "Northwind IT NZ": (ledger.id, "NZD", "northwind-nz"),
        "Legacy Xero": (xero.id, "AUD", "legacy-xero"),
    }
    assert {t.connection_state for t in tenants.values()} == {"never"}


def test_tax_rates_and_account_codes_match_what_a_new_ledger_offers(books: Loaded) -> None:
    with books.store.session() as s:
        rates = {r.name: r for r in _all(s, TaxRate)}
        tenants = {t.id: t for t in _all(s, Tenant)}
        codes = _all(s, AccountCode)
        groups = {g.name: (g.tax_rate_id, g.income_account_id, g.expense_account_id)
                  for g in _all(s, ItemGroup)}  # fmt: skip
        mapped = {
            name: {tenants[m.tenant_id].name: m.tax_type for m in r.mappings}
            for name, r in rates.items()
        }
    assert not any(r.is_default for r in rates.values())  # so tax.resolved can fail
    assert mapped["Export Sales"] == {}
    assert mapped["GST on Income"]["Northwind IT AU"] == "OUTPUT"
    assert mapped["NZ GST on Income"] == {"Northwind IT NZ": "OUTPUT2"}
    for rate_mappings in mapped.values():
        for tenant_name, tax_type in rate_mappings.items():
            tenant = next(t for t in tenants.values() if t.name == tenant_name)
            offered = {t.tax_type for t in default_tax_types(tenant.base_currency)}
            assert tax_type in offered, (tenant_name, tax_type)
    assert all(not c.imported_from_tool and c.tenant_id is None for c in codes)
    outside_chart = {c.name: c.code for c in codes if c.code not in CHART_CODES}
    assert outside_chart == {"Project Income": "", "Legacy Services": "4999"}
    assert [name for name, (rate, _, _) in groups.items() if rate is None] == ["Hardware"]
    assert all(income and expense for _, income, expense in groups.values())


def test_documents_use_products_of_their_party_tenant_except_the_deliberate_ones(
    books: Loaded,
) -> None:
    expected = {
        ref for f in DELIBERATE_FAULTS if f.rule == "record.tenant_set" for ref in f.blocked
    } | {
        (f.record_type, f.reference)
        for f in DELIBERATE_FAULTS
        if f.rule == "dependency.same_tenant"
    }
    with books.store.session() as s:
        mismatched = {
            (d.kind, d.number)
            for d in _documents(s)
            if any(line.product.tenant_id != d.party.tenant_id for line in d.lines)
        }
    assert mismatched == expected and len(expected) >= 3


def test_ordinary_records_are_ready_to_sync(books: Loaded) -> None:
    """Most of the books must sync cleanly: every record not deliberately faulty passes the rules
    a sample can break (tenant, exclusion, tax resolved and mapped, account codes in the chart)."""
    faulty = _faulty_refs()
    with books.store.session() as s:
        ledger = s.scalars(select(Integration).where(Integration.kind == "ledger")).one()
        ledger_tenants = {t.id: t for t in ledger.tenants}
        products = [p for p in _all(s, Product) if ("product", p.name) not in faulty]
        for product in products:
            assert product.tenant_id in ledger_tenants and not product.exclude_from_accounting
            rate = product.item_group.tax_rate if product.use_item_group_tax else product.tax_rate
            assert _mapped(rate, product.tenant_id), product.name
            income, expense = _accounts(product)
            assert income and income.code in CHART_CODES, product.name
            assert expense and expense.code in CHART_CODES, product.name
        parties = [*_all(s, Client), *_all(s, Supplier)]
        for party in parties:
            kind = "client" if isinstance(party, Client) else "supplier"
            if (kind, party.name) in faulty:
                continue
            tenant = ledger_tenants[party.tenant_id]
            assert not party.exclude_from_accounting
            assert party.currency == tenant.base_currency
            assert party.tax_rate is None or _mapped(party.tax_rate, party.tenant_id)
        clean = [d for d in _documents(s) if (d.kind, d.number) not in faulty]
        for document in clean:
            assert document.kind in ledger.entities_to_sync
            for line in document.lines:
                assert _mapped(_line_rate(line, document.party), document.party.tenant_id)
    assert len(products) >= 30 and len(clean) >= 350


def test_every_deliberate_fault_record_has_its_stated_property(books: Loaded) -> None:
    with books.store.session() as s:
        find: dict[str, Any] = {
            "client": {c.name: c for c in _all(s, Client)},
            "supplier": {c.name: c for c in _all(s, Supplier)},
            "product": {p.name: p for p in _all(s, Product)},
            **{kind: {} for kind in ("invoice", "sales_order", "purchase_order", "credit_note")},
        }
        for d in _documents(s):
            find[d.kind][d.number] = d
        ledger = s.scalars(select(Integration).where(Integration.kind == "ledger")).one()
        for fault in DELIBERATE_FAULTS:
            record = find[fault.record_type][fault.reference]
            _check_fault(fault, record, ledger)
            for kind, number in fault.blocked:
                held = find[kind][number]
                named = {held.party.name, *(line.product.name for line in held.lines)}
                assert fault.reference in named, (fault, number)


def _check_fault(fault: Fault, record: Any, ledger: Integration) -> None:  # noqa: C901
    rule, where = fault.rule, (fault.rule, fault.reference)
    if rule == "integration.enabled":
        assert not record.tenant.integration.enabled, where
        assert (fault.cause_type, fault.cause) == ("integration", record.tenant.integration.kind)
    elif rule == "tenant.connected":
        assert record.tenant.name == fault.cause and record.tenant.connection_state == "never"
        assert fault.status == "unknown"
    elif rule == "record.not_excluded":
        assert record.exclude_from_accounting, where
    elif rule == "record.tenant_set":
        assert record.tenant_id is None, where
    elif rule == "integration.entity_synced":
        assert record.kind not in ledger.entities_to_sync, where
        assert record.party.tenant.integration_id == ledger.id
    elif rule == "dependency.same_tenant":
        # The fix is the document's line, never a move of the product from its own tenant.
        assert (fault.cause_type, fault.cause, fault.field) == (record.kind, record.number, "lines")
        others = [
            ln.product for ln in record.lines if ln.product.tenant_id != record.party.tenant_id
        ]
        assert [p.name for p in others] == [CROSS_TENANT_PRODUCT], where
        assert others[0].tenant_id is not None, where
    elif rule == "tax.resolved":
        assert record.use_item_group_tax and record.item_group.tax_rate_id is None, where
        assert fault.cause == record.item_group.name
    elif rule == "tax.mapped" and fault.record_type == "product":
        assert record.tax_rate.name == fault.cause and not _mapped(
            record.tax_rate, record.tenant_id
        )
    elif rule == "tax.mapped":
        rates = [ln.tax_rate for ln in record.lines if ln.tax_rate is not None]
        assert any(r.name == fault.cause and not r.mappings for r in rates), where
    elif rule == "account_code.set":
        assert _accounts(record)[0] is None, where
    elif rule == "account_code.code_set":
        income = _accounts(record)[0]
        assert income is not None and income.name == fault.cause and income.code == "", where
    elif rule == "account_code.matches_tool":
        income = _accounts(record)[0]
        assert income is not None and income.code == fault.cause not in CHART_CODES, where
    else:  # pragma: no cover - a fault for a rule this test does not know
        pytest.fail(f"no check for {rule}")
    if fault.record_type in ("client", "supplier", "product"):
        assert fault.blocked, f"{fault.reference} holds no document"


def test_every_rule_a_sample_can_break_is_broken_on_purpose(books: Loaded) -> None:
    assert books.summary.faults == DELIBERATE_FAULTS
    assert {f.rule for f in DELIBERATE_FAULTS} == SEEDABLE_RULES
    # A faulty client, supplier and product each hold a document: dependency.client/.supplier/.product.
    holders = {f.record_type for f in DELIBERATE_FAULTS if f.blocked}
    assert holders == {"client", "supplier", "product"}
    held = {ref for f in DELIBERATE_FAULTS for ref in f.blocked} | {
        (f.record_type, f.reference) for f in DELIBERATE_FAULTS if not f.blocked
    }
    assert 15 <= len(held) <= 30


def test_every_syncable_record_has_exactly_one_pending_sync_job(books: Loaded) -> None:
    with books.store.session() as s:
        jobs = Counter((j.entity_type, j.record_id) for j in _all(s, SyncJob))
        pending = {
            (j.entity_type, j.record_id, j.record_version, j.status) for j in _all(s, SyncJob)
        }
        records = [
            (kind, r.id, r.version)
            for kind, model in (("client", Client), ("supplier", Supplier), ("product", Product))
            for r in _all(s, model)
        ] + [(d.kind, d.id, d.version) for d in _all(s, Document)]
    assert len(jobs) == len(records) == books.summary.sync_jobs
    for kind, record_id, version in records:
        assert jobs[(kind, record_id)] == 1
        assert (kind, record_id, version, "pending") in pending


def test_the_plan_is_the_same_every_time_and_scales() -> None:
    assert plan_sample() == plan_sample()
    assert plan_sample(seed=7).documents != plan_sample().documents
    big = plan_sample(clients=400, invoices=1500)
    names = [c["name"] for c in big.clients]
    assert len(names) == len(set(names)) == 400
    kinds = Counter(d.kind.value for d in big.documents)
    assert kinds["invoice"] == 1500 and kinds["sales_order"] == kinds["purchase_order"] == 200
    assert {f.rule for f in big.faults} == SEEDABLE_RULES


def test_loading_twice_refuses_and_writes_nothing(store: Store) -> None:
    with store.session() as s:
        load_sample(s, **SMALL)
    before = snapshot(store.url)
    with store.session() as s, pytest.raises(Conflict) as refused:
        load_sample(s, **SMALL)
    assert refused.value.field == "database"
    assert "5 clients" in str(refused.value) and "empty database" in str(refused.value)
    assert snapshot(store.url) == before


@pytest.mark.parametrize(
    ("sizes", "field", "value"),
    [({"clients": 4}, "clients", 4), ({"clients": 5001}, "clients", 5001),
     ({"invoices": 11}, "invoices", 11)],
)  # fmt: skip
def test_sizes_out_of_range_are_refused(
    store: Store, sizes: dict[str, int], field: str, value: int
) -> None:
    with store.session() as s, pytest.raises(BadInput) as refused:
        load_sample(s, **sizes)
    assert (refused.value.field, refused.value.value) == (field, value)
    assert "a number from" in str(refused.value)
    with store.session() as s:
        assert RECORD_TYPES["tenant"].count(s) == 0


def test_cli_loads_the_sample_and_prints_what_it_loaded(db_url: str) -> None:
    result = ok(db_url, "sample", "load", "--clients", "5", "--invoices", "12")
    assert "Sample books loaded" in result.stdout and "Deliberate faults" in result.stdout
    assert "invoices" in result.stdout and "dependency.same_tenant" in result.stdout
    assert "sync jobs pending" in result.stdout
    store = Store(db_url)
    with store.session() as s:
        assert RECORD_TYPES["client"].count(s) == 5
        assert RECORD_TYPES["invoice"].count(s) == 12
    store.dispose()


def test_cli_refuses_a_database_that_has_records(db_url: str) -> None:
    ok(db_url, "sample", "load", "--clients", "5", "--invoices", "12")
    before = snapshot(db_url)
    result = invoke(db_url, "sample", "load")
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.startswith("error: database:") and "\n" not in message
    assert "empty database" in message
    assert snapshot(db_url) == before


def test_cli_names_the_option_of_a_bad_size(db_url: str) -> None:
    result = invoke(db_url, "sample", "load", "--clients", "2")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --clients: 2 is out of range; accepted: a number from 5 to 5000"
    )
