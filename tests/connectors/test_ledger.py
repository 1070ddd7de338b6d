"""The embedded ledger connector, checked by beancount's own loader."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data

from booksync.connectors import (
    AuthError,
    Connector,
    ConnectorError,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
    PushResult,
)
from booksync.connectors.ledger import LedgerConnector, fileio
from booksync.domain.types import AccountKind, EntityType

E = EntityType
D = Decimal
TENANT = "acme-au"
CENT = Decimal("0.01")
_ids = itertools.count(1)


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> LedgerConnector:
    connector = LedgerConnector(tmp_path, today=lambda: date(2024, 7, 1))
    connector.connect(TENANT, "Acme AU", "AUD")
    return connector


def load(
    connector: LedgerConnector, tenant: str = TENANT
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    return loader.load_file(str(connector.path(tenant)))


def party(entity: EntityType, number: str, name: str, email: str | None = None) -> PushItem:
    payload = PartyPayload(entity, name, email, "AUD", number)
    return PushItem(f"{entity}:{number}:v1", entity, int(number[2:]), number, None, payload)


def product(
    code: str,
    *,
    income: str | None = "200",
    expense: str | None = "300",
    tax: str | None = "OUTPUT",
    key: str = "v1",
) -> PushItem:
    payload = ItemPayload(
        code, f"Item {code}", f"about {code}", D("10.00"), D("4.00"), income, expense, tax
    )
    return PushItem(f"product:{code}:{key}", E.PRODUCT, next(_ids), code, None, payload)


def line(
    qty: str,
    price: str,
    *,
    item: PushResult | None = None,
    code: str | None = "200",
    tax: str | None = "OUTPUT",
    percent: str = "10",
) -> LinePayload:
    item_code = None if item is None else str(item.request.code)
    remote = None if item is None else item.remote_id
    return LinePayload(
        item_code, remote, f"{qty} x {price}", D(qty), D(price), code, tax, D(percent)
    )


def document(
    entity: EntityType,
    number: str,
    contact: PushResult | None,
    *lines: LinePayload,
    key: str = "v1",
    remote_id: str | None = None,
    issued: date = date(2024, 5, 1),
    status: str = "authorised",
) -> PushItem:
    payload = DocumentPayload(
        entity,
        number,
        None if contact is None else contact.remote_id,
        "someone" if contact is None else str(contact.request.name),
        issued,
        date(2024, 5, 31),
        "AUD",
        status,
        "ref 7",
        lines,
    )
    return PushItem(f"{entity}:{number}:{key}", entity, 1, number, remote_id, payload)


def push_one(connector: LedgerConnector, item: PushItem) -> PushResult:
    [result] = connector.push(TENANT, item.entity, [item])
    return result


def transactions(entries: list[Any], link: str | None = None) -> list[data.Transaction]:
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    return [t for t in txns if link is None or link in t.links]


def units(posting: data.Posting) -> tuple[Decimal, str]:
    assert posting.units is not None and posting.units.number is not None
    return posting.units.number, posting.units.currency


def postings(txn: data.Transaction) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for posting in txn.postings:
        total[posting.account] += units(posting)[0]
    return dict(total)


def expected(lines: tuple[LinePayload, ...]) -> tuple[Decimal, Decimal]:
    """Net and tax computed independently: each line's net and tax rounded half up to the cent."""
    net = [(ln.quantity * ln.unit_price).quantize(CENT, ROUND_HALF_UP) for ln in lines]
    tax = [
        (n * ln.tax_percent / 100).quantize(CENT, ROUND_HALF_UP)
        for n, ln in zip(net, lines, strict=True)
    ]
    return sum(net, D(0)), sum(tax, D(0))


@pytest.fixture
def linked(ledger: LedgerConnector) -> dict[str, PushResult]:
    """A client, a supplier and two products already in the ledger."""
    [client] = ledger.push(
        TENANT, E.CLIENT, [party(E.CLIENT, "C-000012", "Acme Pty Ltd", "ap@acme.test")]
    )
    [supplier] = ledger.push(TENANT, E.SUPPLIER, [party(E.SUPPLIER, "S-000003", "Parts & Co")])
    widget, service = ledger.push(TENANT, E.PRODUCT, [product("WIDGET"), product("SUPPORT")])
    return {"client": client, "supplier": supplier, "widget": widget, "service": service}


# --- tenants and the chart ------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["AUD", "NZD", "USD"])
def test_a_new_ledger_loads_with_zero_errors(tmp_path: Path, currency: str) -> None:
    connector = LedgerConnector(tmp_path)
    tenant = connector.connect("books", "Books Ltd", currency)
    entries, errors, options = loader.load_file(str(tmp_path / "books.beancount"))
    assert errors == []
    assert options["title"] == "Books Ltd" and options["operating_currency"] == [currency]
    assert (tenant.remote_id, tenant.name, tenant.base_currency) == ("books", "Books Ltd", currency)
    assert any(isinstance(e, data.Open) for e in entries)


def test_connect_keeps_an_existing_ledger(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    before = ledger.path(TENANT).read_bytes()
    ledger.connect(TENANT, "Another name", "NZD")
    assert ledger.path(TENANT).read_bytes() == before


def test_list_tenants_lists_the_ledger_files(ledger: LedgerConnector, tmp_path: Path) -> None:
    ledger.connect("Kiwi Ltd", "Kiwi Ltd", "NZD")  # a tenant named, not numbered
    (tmp_path / "notes.txt").write_text("not a ledger")
    tenants = {t.remote_id: (t.name, t.base_currency) for t in ledger.list_tenants()}
    assert tenants == {TENANT: ("Acme AU", "AUD"), "Kiwi Ltd": ("Kiwi Ltd", "NZD")}
    assert (tmp_path / "Kiwi Ltd.beancount").is_file()
    assert LedgerConnector(tmp_path / "absent").list_tenants() == []


def test_account_codes_import_back_as_written(ledger: LedgerConnector) -> None:
    accounts = {a.code: a for a in ledger.account_codes(TENANT)}
    assert accounts["200"].name == "Sales" and accounts["200"].kind is AccountKind.INCOME
    assert accounts["412"].name == "Consulting & Accounting"
    assert accounts["493"].kind is AccountKind.EXPENSE
    income = sorted(c for c, a in accounts.items() if a.kind is AccountKind.INCOME)
    assert income == ["200", "260", "270"]
    assert len(accounts) == 18 and all(a.active for a in accounts.values())
    # the same codes are what the file says, read independently of the connector
    entries, _, _ = load(ledger)
    in_file = {
        e.meta["code"]: e.meta["name"]
        for e in entries
        if isinstance(e, data.Open) and "code" in e.meta
    }
    assert in_file == {code: a.name for code, a in accounts.items()}


@pytest.mark.parametrize(
    ("currency", "rates"),
    [
        (
            "AUD",
            {"OUTPUT": 10, "INPUT": 10, "EXEMPTOUTPUT": 0, "EXEMPTEXPENSES": 0, "BASEXCLUDED": 0},
        ),
        ("NZD", {"OUTPUT2": 15, "INPUT2": 15, "ZERORATED": 0, "NONE": 0}),
    ],
)
def test_tax_types_import_back_per_currency(
    tmp_path: Path, currency: str, rates: dict[str, int]
) -> None:
    connector = LedgerConnector(tmp_path)
    connector.connect("t", "T", currency)
    imported = {t.tax_type: t.percent for t in connector.tax_types("t")}
    assert imported == {k: Decimal(v) for k, v in rates.items()}
    assert all(t.active for t in connector.tax_types("t"))


def test_an_archived_account_imports_inactive_and_documents_cannot_use_it(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    ok = push_one(
        ledger, document(E.INVOICE, "INV-1", linked["client"], line("1", "5", code="260"))
    )
    assert ok.outcome is Outcome.CREATED
    ledger.archive_account(TENANT, "260")
    accounts = {a.code: a.active for a in ledger.account_codes(TENANT)}
    assert accounts["260"] is False and accounts["200"] is True
    assert load(ledger)[1] == []
    refused = push_one(
        ledger, document(E.INVOICE, "INV-2", linked["client"], line("1", "5", code="260"))
    )
    assert refused.outcome is Outcome.REJECTED
    assert refused.rule == "account_code.matches_tool"
    assert "archived" in refused.message and "260" in refused.message
    assert refused.fix and "200" in refused.fix


def test_an_archive_is_never_dated_before_the_accounts_last_posting(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    later = document(E.INVOICE, "INV-9", linked["client"], line("1", "5"), issued=date(2030, 1, 1))
    assert push_one(ledger, later).outcome is Outcome.CREATED
    ledger.archive_account(TENANT, "200", on=date(2024, 1, 1))
    entries, errors, _ = load(ledger)
    assert errors == []
    [close] = [e for e in entries if isinstance(e, data.Close)]
    assert close.date == date(2030, 1, 1)


def test_added_accounts_and_tax_types_import_and_can_be_archived(ledger: LedgerConnector) -> None:
    ledger.add_account(TENANT, "210", "Managed Services", AccountKind.INCOME)
    ledger.add_tax_type(TENANT, "GSTONIMPORTS", "GST on Imports", D("10"))
    ledger.archive_tax_type(TENANT, "BASEXCLUDED")
    assert ("210", "Managed Services", True) in [
        (a.code, a.name, a.active) for a in ledger.account_codes(TENANT)
    ]
    taxes = {t.tax_type: (t.percent, t.active) for t in ledger.tax_types(TENANT)}
    assert taxes["GSTONIMPORTS"] == (D("10"), True) and taxes["BASEXCLUDED"] == (D("0"), False)
    assert load(ledger)[1] == []
    with pytest.raises(ConnectorError, match="already"):
        ledger.add_account(TENANT, "210", "Again", AccountKind.INCOME)


# --- pushing ---------------------------------------------------------------------------------------


def test_every_record_type_makes_a_ledger_beancount_validates(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    client, supplier, widget, service = (
        linked[k] for k in ("client", "supplier", "widget", "service")
    )
    invoice = document(
        E.INVOICE,
        "INV-1001",
        client,
        line("1", "1.05", item=widget),
        line("1", "1.05", item=widget),
        line("1", "1.05", item=widget),
        line("2", "149.995", item=service, code="260"),
        line("1", "80", code="270", tax="EXEMPTOUTPUT", percent="0"),
    )
    credit = document(E.CREDIT_NOTE, "CN-1", client, line("1", "33.33", item=widget))
    order = document(
        E.PURCHASE_ORDER, "PO-7", supplier, line("4", "12.50", code="300", tax="INPUT")
    )
    sales_order = document(E.SALES_ORDER, "SO-3", client, line("5", "10", item=service))
    results = [push_one(ledger, item) for item in (invoice, credit, order, sales_order)]
    assert [r.outcome for r in results] == [Outcome.CREATED] * 4, [r.message for r in results]

    entries, errors, _ = load(ledger)
    assert errors == []
    receivable = "Assets:Receivable:Acme-Pty-Ltd"
    for item, txn_link in (
        (invoice, "INV-1001"),
        (credit, "CN-1"),
        (order, "PO-7"),
        (sales_order, "SO-3"),
    ):
        [txn] = transactions(entries, txn_link)
        assert sum(units(p)[0] for p in txn.postings) == 0
        assert {units(p)[1] for p in txn.postings} == {"AUD"}
        net, tax = expected(item.payload.lines)  # type: ignore[union-attr]
        assert txn.meta["net"].number == net and txn.meta["tax"].number == tax
        assert txn.meta["total"].number == net + tax

    [inv] = transactions(entries, "INV-1001")
    amounts = postings(inv)
    net, tax = expected(invoice.payload.lines)  # type: ignore[union-attr]
    assert tax == D("0.33") + D("30.00")  # three lines of 0.105 -> 0.11 each, not 0.32 on the total
    assert amounts[receivable] == net + tax
    assert amounts["Liabilities:Tax:GST-On-Income"] == -tax
    assert amounts["Income:Sales"] == D("-3.15") and amounts["Income:Other-Revenue"] == D("-299.99")
    assert amounts["Income:Interest-Income"] == D("-80.00")
    assert inv.tags >= {"invoice"} and inv.meta["number"] == "INV-1001"

    [cn] = transactions(entries, "CN-1")
    assert postings(cn)[receivable] == -(D("33.33") + D("3.33"))
    assert postings(cn)["Liabilities:Tax:GST-On-Income"] == D("3.33")

    [po] = transactions(entries, "PO-7")  # non-posting, as in Xero and QuickBooks
    assert postings(po) == {
        "Liabilities:Payable:Parts-Co": D("0"),
        "Expenses:Purchases": D("0"),
        "Liabilities:Tax:GST-On-Expenses": D("0"),
    }
    assert "purchase-order" in po.tags and po.meta["total"].number == D("55.00")

    [so] = transactions(entries, "SO-3")
    assert "sales-order" in so.tags and all(units(p)[0] == 0 for p in so.postings)
    assert so.meta["total"].number == D("55.00")


def test_parties_and_products_carry_their_details(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    entries, _, _ = load(ledger)
    opens = {e.account: e.meta for e in entries if isinstance(e, data.Open)}
    client = opens["Assets:Receivable:Acme-Pty-Ltd"]
    assert (client["name"], client["number"], client["email"]) == (
        "Acme Pty Ltd",
        "C-000012",
        "ap@acme.test",
    )
    assert client["remote_id"] == linked["client"].remote_id
    assert opens["Liabilities:Payable:Parts-Co"]["number"] == "S-000003"
    [widget] = [e for e in entries if isinstance(e, data.Custom) and e.values[0].value == "WIDGET"]
    assert widget.type == "booksync-item"
    assert widget.meta["income_account_code"] == "200" and widget.meta["tax_type"] == "OUTPUT"
    assert widget.meta["price"] == D("10.00")
    contacts = {c.number: c for c in ledger.contacts(TENANT)}
    assert (
        contacts["C-000012"].remote_id == linked["client"].remote_id and contacts["C-000012"].active
    )
    assert {i.code for i in ledger.items(TENANT)} == {"WIDGET", "SUPPORT"}


def test_remote_ids_are_the_same_for_the_same_reference(tmp_path: Path) -> None:
    first, second = LedgerConnector(tmp_path / "a"), LedgerConnector(tmp_path / "b")
    for connector in (first, second):
        connector.connect(TENANT, "Acme AU", "AUD")
    item = party(E.CLIENT, "C-000001", "Acme")
    assert push_one(first, item).remote_id == push_one(second, item).remote_id


def test_the_same_push_twice_leaves_one_entry(ledger: LedgerConnector) -> None:
    item = party(E.CLIENT, "C-000001", "Acme")
    first = push_one(ledger, item)
    text = ledger.path(TENANT).read_text()
    again = push_one(ledger, item)
    assert (again.outcome, again.remote_id) == (Outcome.CREATED, first.remote_id)
    assert ledger.path(TENANT).read_text() == text
    assert [c.number for c in ledger.contacts(TENANT)] == ["C-000001"]


def test_a_new_version_of_something_present_updates_it_in_place(ledger: LedgerConnector) -> None:
    first = push_one(ledger, party(E.CLIENT, "C-000001", "Acme", "old@acme.test"))
    push_one(ledger, party(E.CLIENT, "C-000002", "Beta"))
    lineno = {e.meta["number"]: e.meta["lineno"] for e in load(ledger)[0] if "number" in e.meta}
    newer = replace(
        party(E.CLIENT, "C-000001", "Acme Renamed", "new@acme.test"), key="client:C-000001:v2"
    )
    result = push_one(ledger, newer)
    assert (result.outcome, result.remote_id) == (Outcome.UPDATED, first.remote_id)
    entries, errors, _ = load(ledger)
    assert errors == []
    [acme] = [e for e in entries if isinstance(e, data.Open) and e.meta.get("number") == "C-000001"]
    assert acme.meta["email"] == "new@acme.test" and acme.meta["name"] == "Acme Renamed"
    assert acme.account == "Assets:Receivable:Acme"  # the account, and every posting to it, stays
    assert acme.meta["lineno"] == lineno["C-000001"]
    assert len(ledger.contacts(TENANT)) == 2


def test_an_update_by_remote_id_rewrites_the_document_in_place(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    created = push_one(ledger, document(E.INVOICE, "INV-5", linked["client"], line("1", "100")))
    path = ledger.path(TENANT)
    path.write_text(
        path.read_text()
        + '\n; written by hand, kept\n2024-05-02 note Assets:Receivable:Acme-Pty-Ltd "called"\n'
    )
    edit = document(
        E.INVOICE,
        "INV-5",
        linked["client"],
        line("2", "100"),
        line("1", "5"),
        key="v2",
        remote_id=created.remote_id,
    )
    updated = push_one(ledger, edit)
    assert (updated.outcome, updated.remote_id) == (Outcome.UPDATED, created.remote_id)
    entries, errors, _ = load(ledger)
    assert errors == []
    [txn] = transactions(entries, "INV-5")
    assert postings(txn)["Assets:Receivable:Acme-Pty-Ltd"] == D("225.50")
    assert "; written by hand, kept" in path.read_text()
    assert any(isinstance(e, data.Note) for e in entries)
    assert ledger.lookup(TENANT, E.INVOICE, "INV-5") == created.remote_id


def test_an_update_of_an_unknown_remote_id_is_rejected_not_created(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    ghost = document(E.INVOICE, "INV-6", linked["client"], line("1", "1"), remote_id="no-such-id")
    result = push_one(ledger, ghost)
    assert result.outcome is Outcome.REJECTED and "no-such-id" in result.message
    assert transactions(load(ledger)[0], "INV-6") == []


def test_a_rejected_element_does_not_stop_the_others(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    client = linked["client"]
    batch = [
        document(E.INVOICE, "INV-1", client, line("1", "10", code="999")),
        document(E.INVOICE, "INV-2", client, line("1", "10", tax="OUTPUT9")),
        document(E.INVOICE, "INV-3", client, line("1", "10")),
        document(E.INVOICE, "INV-4", client, line("1", "10", tax="OUTPUT", percent="15")),
    ]
    results = ledger.push(TENANT, E.INVOICE, batch)
    assert [r.key for r in results] == [b.key for b in batch]
    assert [(r.outcome, r.rule) for r in results] == [
        (Outcome.REJECTED, "account_code.matches_tool"),
        (Outcome.REJECTED, "tax.mapped"),
        (Outcome.CREATED, None),
        (Outcome.REJECTED, "tax.mapped"),
    ]
    assert "'999'" in results[0].message and "200" in (results[0].fix or "")
    assert "'OUTPUT9'" in results[1].message and "OUTPUT" in (results[1].fix or "")
    assert "10%" in results[3].message and "15%" in results[3].message
    entries, errors, _ = load(ledger)
    assert errors == []
    assert [t.meta["number"] for t in transactions(entries)] == ["INV-3"]


def test_documents_need_their_contact_and_products_in_the_ledger(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    stranger = PushResult(
        "x",
        Outcome.CREATED,
        "not-a-contact",
        request=PartyPayload(E.CLIENT, "Zed", None, "AUD", "C-9"),
    )
    ghost_item = PushResult(
        "y",
        Outcome.CREATED,
        "not-an-item",
        request=ItemPayload("GHOST", "Ghost", "", None, None, None, None, None),
    )
    results = [
        push_one(ledger, document(E.INVOICE, "INV-1", stranger, line("1", "1"))),
        push_one(
            ledger, document(E.INVOICE, "INV-2", linked["client"], line("1", "1", item=ghost_item))
        ),
        push_one(
            ledger,
            document(
                E.PURCHASE_ORDER, "PO-1", linked["client"], line("1", "1", code="300", tax="INPUT")
            ),
        ),
        push_one(ledger, document(E.INVOICE, "INV-3", None, line("1", "1"))),
    ]
    assert [r.rule for r in results] == [
        "dependency.client",
        "dependency.product",
        "dependency.supplier",
        "dependency.client",
    ]
    assert all(r.outcome is Outcome.REJECTED and r.fix for r in results)
    assert "'Zed'" in results[0].message and "'GHOST'" in results[1].message


def test_a_line_without_an_account_code_says_which_rule(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    bare = push_one(ledger, product("BARE", income=None))
    assert bare.outcome is Outcome.CREATED
    result = push_one(
        ledger, document(E.INVOICE, "INV-1", linked["client"], line("1", "1", item=bare, code=None))
    )
    assert (result.outcome, result.rule) == (Outcome.REJECTED, "account_code.set")
    blank = document(E.INVOICE, "INV-3", linked["client"], line("1", "1", item=bare, code=""))
    assert push_one(ledger, blank).rule == "account_code.code_set"
    inherited = push_one(
        ledger,
        document(
            E.INVOICE, "INV-2", linked["client"], line("1", "1", item=linked["widget"], code=None)
        ),
    )
    assert inherited.outcome is Outcome.CREATED
    [txn] = transactions(load(ledger)[0], "INV-2")
    assert "Income:Sales" in postings(txn)


def test_products_are_checked_against_the_chart(ledger: LedgerConnector) -> None:
    results = ledger.push(
        TENANT, E.PRODUCT, [product("A", income="999"), product("B", tax="GST"), product("C")]
    )
    assert [(r.outcome, r.rule) for r in results] == [
        (Outcome.REJECTED, "account_code.matches_tool"),
        (Outcome.REJECTED, "tax.mapped"),
        (Outcome.CREATED, None),
    ]
    assert [i.code for i in ledger.items(TENANT)] == ["C"]


def test_a_payload_of_the_wrong_shape_is_rejected(ledger: LedgerConnector) -> None:
    wrong = replace(party(E.CLIENT, "C-000001", "Acme"), entity=E.PRODUCT)
    [shape] = ledger.push(TENANT, E.PRODUCT, [wrong])
    [batch] = ledger.push(TENANT, E.SUPPLIER, [party(E.CLIENT, "C-000002", "Beta")])
    assert shape.outcome is Outcome.REJECTED and batch.outcome is Outcome.REJECTED
    assert ledger.contacts(TENANT) == []


def test_clients_with_the_same_name_get_their_own_accounts(ledger: LedgerConnector) -> None:
    a, b = ledger.push(
        TENANT, E.CLIENT, [party(E.CLIENT, "C-000001", "Acme"), party(E.CLIENT, "C-000002", "Acme")]
    )
    assert a.remote_id != b.remote_id
    opens = [
        e.account for e in load(ledger)[0] if isinstance(e, data.Open) and "Receivable" in e.account
    ]
    assert opens == ["Assets:Receivable:Acme", "Assets:Receivable:Acme-C-000002"]


def test_a_contact_written_by_hand_is_imported_and_adopted(ledger: LedgerConnector) -> None:
    path = ledger.path(TENANT)
    path.write_text(
        path.read_text() + '\n1970-01-01 open Assets:Receivable:Bobs-Shop\n  name: "Bob\'s Shop"\n'
    )
    [bob] = ledger.contacts(TENANT)
    assert (bob.remote_id, bob.name, bob.number) == (
        "Assets:Receivable:Bobs-Shop",
        "Bob's Shop",
        None,
    )
    assert ledger.lookup(TENANT, E.CLIENT, "Bob's Shop") == bob.remote_id
    adopted = push_one(ledger, party(E.CLIENT, "C-000044", "Bob's Shop"))
    assert (adopted.outcome, adopted.remote_id) == (Outcome.UPDATED, bob.remote_id)
    [bob_again] = ledger.contacts(TENANT)
    assert bob_again.number == "C-000044"
    assert load(ledger)[1] == []


def test_a_document_written_by_hand_is_never_overwritten_by_a_create(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    path = ledger.path(TENANT)
    by_hand = (
        '\n2024-04-01 * "Acme Pty Ltd" "typed in before booksync" ^INV-42\n'
        "  Assets:Receivable:Acme-Pty-Ltd  5.00 AUD\n"
        "  Income:Sales  -5.00 AUD\n"
    )
    path.write_text(path.read_text() + by_hand)
    assert ledger.lookup(TENANT, E.INVOICE, "INV-42") is None  # not booksync's object yet
    create = document(E.INVOICE, "INV-42", linked["client"], line("1", "20"))
    refused = push_one(ledger, create)
    assert (refused.outcome, refused.rule) == (Outcome.REJECTED, "document.number_free")
    assert path.read_text().endswith(by_hand)  # untouched
    # What booksync's engine then reads, to link it when the client and total agree.
    [found] = ledger.documents(TENANT, E.INVOICE, ["INV-42", "INV-43"])
    assert (found.number, found.total, found.currency) == ("INV-42", D("5.00"), "AUD")
    assert found.contact_remote_id == linked["client"].remote_id
    # Linked (pushed with that id), it is rewritten in place: one entry, booksync's.
    result = push_one(ledger, replace(create, remote_id=found.remote_id))
    assert (result.outcome, result.remote_id) == (Outcome.UPDATED, found.remote_id)
    entries, errors, _ = load(ledger)
    assert errors == []
    [txn] = transactions(entries, "INV-42")
    assert postings(txn)["Assets:Receivable:Acme-Pty-Ltd"] == D("22.00")
    assert ledger.lookup(TENANT, E.INVOICE, "INV-42") == result.remote_id


def test_lookup_finds_objects_by_their_reference(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    invoice = push_one(ledger, document(E.INVOICE, "INV-77", linked["client"], line("1", "1")))
    assert ledger.lookup(TENANT, E.CLIENT, "C-000012") == linked["client"].remote_id
    assert ledger.lookup(TENANT, E.SUPPLIER, "S-000003") == linked["supplier"].remote_id
    assert ledger.lookup(TENANT, E.PRODUCT, "WIDGET") == linked["widget"].remote_id
    assert ledger.lookup(TENANT, E.INVOICE, "INV-77") == invoice.remote_id
    assert ledger.lookup(TENANT, E.INVOICE, "INV-78") is None
    assert ledger.lookup(TENANT, E.CREDIT_NOTE, "INV-77") is None


# --- the file itself ---------------------------------------------------------------------------------


def test_a_crash_after_the_temp_file_is_written_leaves_the_ledger_intact(
    ledger: LedgerConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ledger.path(TENANT)
    push_one(ledger, party(E.CLIENT, "C-000001", "Acme"))
    before = path.read_bytes()
    seen: list[str] = []

    def killed(temporary: str, target: Path) -> None:
        seen.append(Path(temporary).read_text())
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(fileio, "_commit", killed)
    with pytest.raises(KeyboardInterrupt):
        push_one(ledger, party(E.CLIENT, "C-000002", "Beta"))
    assert "C-000002" in seen[0]  # the new text was fully written, just never put in place
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [
        path.name
    ]
    monkeypatch.undo()
    assert push_one(ledger, party(E.CLIENT, "C-000002", "Beta")).outcome is Outcome.CREATED


def test_concurrent_writers_lose_nothing(ledger: LedgerConnector, tmp_path: Path) -> None:
    def writer(start: int) -> None:
        other = LedgerConnector(tmp_path)
        for n in range(start, start + 8):
            other.push(TENANT, E.CLIENT, [party(E.CLIENT, f"C-{n:06d}", f"Client {n}")])

    threads = [threading.Thread(target=writer, args=(s,)) for s in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ledger.contacts(TENANT)) == 16
    assert load(ledger)[1] == []


def test_a_missing_ledger_is_a_tenant_that_is_not_connected(ledger: LedgerConnector) -> None:
    with pytest.raises(AuthError, match="not connected"):
        ledger.push("elsewhere", E.CLIENT, [party(E.CLIENT, "C-000001", "Acme")])
    with pytest.raises(AuthError):
        ledger.account_codes("elsewhere")
    for bad in ("../x", "a/b", ".hidden", " x", "x\ny", "x" * 101):
        with pytest.raises(ConnectorError, match="is not accepted; accepted: up to 100"):
            ledger.path(bad)
    with pytest.raises(ConnectorError, match="currency 'XYZ' is not accepted"):
        ledger.connect("new", "New", "XYZ")


def test_the_ledger_connector_is_a_connector_with_the_ledgers_limits(
    ledger: LedgerConnector,
) -> None:
    assert isinstance(ledger, Connector)
    assert all(ledger.limits.batch_for(e) == 200 for e in EntityType)
    assert ledger.limits.calls_per_minute is None and ledger.limits.concurrency == 1
    assert ledger.validate(TENANT) == []
    ledger.close()
