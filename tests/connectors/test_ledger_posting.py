"""How each document posts in the embedded ledger, as Xero and QuickBooks post it; the ledger's
settings, lock date, the documents it holds under a number, and what each push says it booked.

Checked with beancount's own loader: the income statement is the sum of Income and Expenses
postings, as Fava shows it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from booksync.connectors import Outcome, PushResult
from booksync.connectors.ledger import LedgerConnector
from booksync.connectors.protocol import (
    Booked,
    DocumentImport,
    DocumentPayload,
    ItemPayload,
    PushItem,
    SettingsImport,
)
from booksync.domain.types import EntityType
from connectors.test_ledger import (
    TENANT,
    document,
    line,
    load,
    party,
    postings,
    product,
    push_one,
    transactions,
    units,
)

E = EntityType
D = Decimal
RECEIVABLE = "Assets:Receivable:Acme-Pty-Ltd"
PAYABLE = "Liabilities:Payable:Parts-Co"


@pytest.fixture
def ledger(tmp_path: Path) -> LedgerConnector:
    connector = LedgerConnector(tmp_path, today=lambda: date(2024, 7, 1))
    connector.connect(TENANT, "Acme AU", "AUD")
    return connector


@pytest.fixture
def linked(ledger: LedgerConnector) -> dict[str, PushResult]:
    """A client, a supplier and a product already in the ledger."""
    [client] = ledger.push(TENANT, E.CLIENT, [party(E.CLIENT, "C-000012", "Acme Pty Ltd")])
    [supplier] = ledger.push(TENANT, E.SUPPLIER, [party(E.SUPPLIER, "S-000003", "Parts & Co")])
    [widget] = ledger.push(TENANT, E.PRODUCT, [product("WIDGET")])
    return {"client": client, "supplier": supplier, "widget": widget}


def statement(connector: LedgerConnector) -> dict[str, Decimal]:
    """Balances by top-level account (Income, Expenses, Assets, Liabilities), as Fava sums them."""
    entries, errors, _ = load(connector)
    assert errors == []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for txn in transactions(entries):
        for posting in txn.postings:
            totals[posting.account.split(":")[0]] += units(posting)[0]
    return dict(totals)


def party_of(entity: EntityType, linked: dict[str, PushResult]) -> PushResult:
    return linked["supplier"] if entity is E.PURCHASE_ORDER else linked["client"]


def lines_for(entity: EntityType) -> tuple[object, ...]:
    if entity is E.PURCHASE_ORDER:
        return (line("4", "12.50", code="300", tax="INPUT"),)
    return (line("4", "12.50"),)


# --- what posts ----------------------------------------------------------------------------------

POSTING_TABLE = [
    # (document, status, posts): Xero and QuickBooks post approved invoices and credit notes only.
    (E.INVOICE, "authorised", True),
    (E.INVOICE, "paid", True),
    (E.INVOICE, "draft", False),
    (E.INVOICE, "submitted", False),
    (E.INVOICE, "voided", False),
    (E.CREDIT_NOTE, "authorised", True),
    (E.CREDIT_NOTE, "draft", False),
    (E.SALES_ORDER, "authorised", False),
    (E.PURCHASE_ORDER, "authorised", False),
    (E.PURCHASE_ORDER, "draft", False),
]


@pytest.mark.parametrize(("entity", "status", "posts"), POSTING_TABLE)
def test_each_document_posts_as_the_tools_post_it(
    ledger: LedgerConnector,
    linked: dict[str, PushResult],
    entity: EntityType,
    status: str,
    posts: bool,
) -> None:
    item = document(entity, "D-1", party_of(entity, linked), *lines_for(entity), status=status)  # type: ignore[arg-type]
    result = push_one(ledger, item)
    assert result.outcome is Outcome.CREATED, result.message
    entries, errors, _ = load(ledger)
    assert errors == []
    [txn] = transactions(entries, "D-1")
    moved = {account: amount for account, amount in postings(txn).items() if amount}
    assert bool(moved) is posts
    assert txn.meta["total"].number == D("55.00")  # the document's figures, posted or not
    assert txn.meta["status"] == status
    assert f"{entity.value.replace('_', '-')}" in txn.tags
    if posts:
        party = RECEIVABLE if entity is not E.PURCHASE_ORDER else PAYABLE
        sign = -1 if entity is E.CREDIT_NOTE else 1
        assert moved[party] == sign * D("55.00")


def test_the_income_statement_holds_only_what_the_tools_post(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    client, supplier = linked["client"], linked["supplier"]
    invoice = push_one(ledger, document(E.INVOICE, "INV-1", client, line("1", "100")))
    push_one(ledger, document(E.INVOICE, "INV-2", client, line("1", "50"), status="draft"))
    push_one(
        ledger,
        document(E.PURCHASE_ORDER, "PO-1", supplier, line("1", "30", code="300", tax="INPUT")),
    )
    push_one(ledger, document(E.SALES_ORDER, "SO-1", client, line("1", "20")))
    credit = credit_note(client, invoice.remote_id, "CN-1")
    assert push_one(ledger, credit).outcome is Outcome.CREATED
    assert statement(ledger) == {
        "Income": D("-90.00"),  # 100 invoiced less 10 credited; no draft, no order
        "Expenses": D("0"),  # the purchase order is a promise, not a purchase
        "Assets": D("99.00"),  # 110 receivable less 11 credited
        "Liabilities": D("-9.00"),  # GST on the 90
    }


def test_voiding_a_posted_invoice_takes_it_out_of_the_accounts(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    first = push_one(ledger, document(E.INVOICE, "INV-9", linked["client"], line("2", "10")))
    assert statement(ledger)["Income"] == D("-20.00")
    voided = document(
        E.INVOICE,
        "INV-9",
        linked["client"],
        line("2", "10"),
        key="v2",
        remote_id=first.remote_id,
        status="voided",
    )
    assert push_one(ledger, voided).outcome is Outcome.UPDATED
    assert statement(ledger)["Income"] == D("0")
    [txn] = transactions(load(ledger)[0], "INV-9")
    assert "voided" in txn.tags and txn.meta["total"].number == D("22.00")


# --- credit notes --------------------------------------------------------------------------------


def credit_note(client: PushResult, credited: str | None, number: str = "CN-7") -> PushItem:
    item = document(E.CREDIT_NOTE, number, client, line("1", "10"))
    assert isinstance(item.payload, DocumentPayload)
    return replace(item, payload=replace(item.payload, credited_remote_id=credited))


def test_a_credit_note_posts_against_the_receivable_of_the_invoice_it_credits(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    invoice = push_one(ledger, document(E.INVOICE, "INV-5", linked["client"], line("1", "100")))
    assert push_one(ledger, credit_note(linked["client"], invoice.remote_id)).outcome is (
        Outcome.CREATED
    )
    entries, errors, _ = load(ledger)
    assert errors == []
    [inv, cn] = transactions(entries, "INV-5")  # the credit note carries the invoice's link
    assert cn.meta["credits"] == "INV-5" and "CN-7" in cn.links
    assert postings(inv)[RECEIVABLE] + postings(cn)[RECEIVABLE] == D("99.00")


def test_a_credit_note_for_an_invoice_the_ledger_lacks_or_another_client_is_refused(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    missing = push_one(ledger, credit_note(linked["client"], "no-such-invoice", "CN-8"))
    assert missing.outcome is Outcome.REJECTED and "not in the ledger" in missing.message
    [other] = ledger.push(TENANT, E.CLIENT, [party(E.CLIENT, "C-000099", "Other Co")])
    invoice = push_one(ledger, document(E.INVOICE, "INV-6", other, line("1", "100")))
    wrong = push_one(ledger, credit_note(linked["client"], invoice.remote_id, "CN-9"))
    assert wrong.outcome is Outcome.REJECTED and "Assets:Receivable:Other-Co" in wrong.message
    assert transactions(load(ledger)[0], "CN-8") == transactions(load(ledger)[0], "CN-9") == []


# --- settings, lock date, documents by number -----------------------------------------------------


def test_settings_give_every_currency_the_ledger_posts_and_no_lock_date_by_default(
    ledger: LedgerConnector,
) -> None:
    assert isinstance(ledger, SettingsImport) and isinstance(ledger, DocumentImport)
    settings = ledger.settings(TENANT)
    assert {"AUD", "USD", "NZD", "JPY"} <= settings.currencies and "XYZ" not in settings.currencies
    assert settings.lock_date is None and settings.payment_terms is None
    assert settings.tool_settings["operating_currencies"] == ["AUD"]


def test_a_lock_date_refuses_posting_documents_dated_on_or_before_it(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    ledger.lock(TENANT, date(2024, 5, 1))
    assert ledger.settings(TENANT).lock_date == date(2024, 5, 1)
    client, supplier = linked["client"], linked["supplier"]
    on_it = push_one(ledger, document(E.INVOICE, "INV-L", client, line("1", "1")))
    assert (on_it.outcome, on_it.rule) == (Outcome.REJECTED, "document.after_lock_date")
    assert "2024-05-01" in on_it.message and on_it.fix
    after = document(E.INVOICE, "INV-M", client, line("1", "1"), issued=date(2024, 5, 2))
    order = document(E.PURCHASE_ORDER, "PO-L", supplier, line("1", "1", code="300", tax="INPUT"))
    assert push_one(ledger, after).outcome is Outcome.CREATED
    assert push_one(ledger, order).outcome is Outcome.CREATED  # a purchase order posts nothing
    assert load(ledger)[1] == []


def test_documents_lists_what_the_ledger_holds_under_each_number(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    made = push_one(ledger, document(E.INVOICE, "INV-3", linked["client"], line("3", "10")))
    [found] = ledger.documents(TENANT, E.INVOICE, ["INV-3", "INV-4", "INV-3"])
    assert (found.remote_id, found.number, found.total, found.currency, found.status) == (
        made.remote_id,
        "INV-3",
        D("33.00"),
        "AUD",
        "authorised",
    )
    assert found.contact_remote_id == linked["client"].remote_id
    assert ledger.documents(TENANT, E.CREDIT_NOTE, ["INV-3"]) == []


# --- what each push says it booked ---------------------------------------------------------------


def test_a_push_says_what_the_ledger_booked_and_a_replay_says_it_again(
    ledger: LedgerConnector, linked: dict[str, PushResult]
) -> None:
    # Per-GB billing: 1,000 x 0.0125 is 12.50, tax 1.25 (four places kept until the line rounds).
    item = document(
        E.INVOICE, "INV-GB", linked["client"], line("1000", "0.0125"), line("1", "1.05")
    )
    created = push_one(ledger, item)
    expected = Booked(
        total=D("14.91"),
        tax=D("1.36"),
        line_count=2,
        contact_remote_id=linked["client"].remote_id,
        currency="AUD",
        status="authorised",
    )
    assert created.booked == expected
    replayed = push_one(ledger, item)
    assert replayed.message == "already in the ledger" and replayed.booked == expected
    assert linked["client"].booked is None  # a contact books no figures


def test_a_product_carries_its_purchase_tax_type_and_an_unknown_one_is_refused(
    ledger: LedgerConnector,
) -> None:
    def item(purchase: str, code: str) -> PushItem:
        payload = ItemPayload(
            code, code, code, D("10"), D("4"), "200", "300", "OUTPUT", purchase_tax_type=purchase
        )
        return PushItem(f"product:{code}:v1", E.PRODUCT, 1, code, None, payload)

    good, bad = ledger.push(TENANT, E.PRODUCT, [item("INPUT", "P-1"), item("INPUT9", "P-2")])
    assert good.outcome is Outcome.CREATED
    assert (bad.outcome, bad.rule) == (Outcome.REJECTED, "tax.mapped") and "INPUT9" in bad.message
    assert 'purchase_tax_type: "INPUT"' in ledger.path(TENANT).read_text()
