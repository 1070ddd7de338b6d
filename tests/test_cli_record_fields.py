"""The fields that make documents book correctly, through the CLI: payment terms, addresses and
tracking on clients and suppliers, tracking on products, exchange rates, tracking and credited
invoices on documents; tax types checked against the tenant's tool; account codes named with
--tenant found among that tenant's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from booksync.connectors.protocol import PaymentTerms, RemoteAccount, RemoteSettings
from booksync.domain.types import AccountKind
from booksync.services.records import ACCOUNT_CODES, TENANTS
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store
from booksync_emulators.recording import RecordingTool
from cli_support import data, invoke, ok, seed, snapshot
from support.books import TENANT, ready_books


@pytest.fixture
def books(db_url: str) -> str:
    seed(db_url)
    return db_url


def refused(db_url: str, *args: str) -> str:
    """The one error line of a refused command, checked to have written nothing."""
    before = snapshot(db_url)
    result = invoke(db_url, *args)
    assert result.exit_code == 2, result.output
    assert snapshot(db_url) == before
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    return message


def test_a_clients_terms_address_and_tracking_round_trip(books: str) -> None:
    created = data(
        books, "client", "add", "Zed Ltd", "--payment-terms", "20th of next month",
        "--address-line", "Level 2", "--address-line", "1 Main St", "--city", "Sydney",
        "--region", "NSW", "--postal-code", "2000", "--country", "AU",
        "--tracking", "Region=North", "--tenant", "Acme AU",
    )  # fmt: skip
    assert created["payment_terms"] == {"days": 20, "type": "OFFOLLOWINGMONTH"}
    assert created["address"] == {
        "lines": ["Level 2", "1 Main St"],
        "city": "Sydney",
        "region": "NSW",
        "postal_code": "2000",
        "country": "AU",
    }
    assert created["tracking"] == {"Region": "North"}
    # An edit changes only the parts of the address given; an empty one is removed.
    edited = data(
        books, "client", "edit", "Zed Ltd", "--city", "Parramatta", "--region", "",
        "--payment-terms", "30 days after the end of the month", "--tracking", "Region=South",
        "--tracking", "Team=Ops",
    )  # fmt: skip
    assert edited["address"] == {
        "lines": ["Level 2", "1 Main St"],
        "city": "Parramatta",
        "region": None,
        "postal_code": "2000",
        "country": "AU",
    }
    assert edited["payment_terms"] == {"days": 30, "type": "DAYSAFTERBILLMONTH"}
    assert edited["tracking"] == {"Region": "South", "Team": "Ops"}
    shown = ok(books, "client", "show", "Zed Ltd").stdout
    assert "30 days after the end of the month" in shown
    assert "Level 2, 1 Main St, Parramatta, 2000, AU" in shown
    assert "Region=South; Team=Ops" in shown
    cleared = data(
        books, "client", "edit", "Zed Ltd", "--payment-terms", "", "--tracking", "",
        "--address-line", "", "--city", "", "--postal-code", "", "--country", "",
    )  # fmt: skip
    assert (cleared["payment_terms"], cleared["address"], cleared["tracking"]) == (None, None, {})


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("14 days", {"days": 14, "type": "DAYSAFTERBILLDATE"}),
        ("Net 30", {"days": 30, "type": "DAYSAFTERBILLDATE"}),
        ("due on receipt", {"days": 0, "type": "DAYSAFTERBILLDATE"}),
        ("7 days after the end of the month", {"days": 7, "type": "DAYSAFTERBILLMONTH"}),
        ("1st of the current month", {"days": 1, "type": "OFCURRENTMONTH"}),
        ("31st of the following month", {"days": 31, "type": "OFFOLLOWINGMONTH"}),
        ("OFFOLLOWINGMONTH 15", {"days": 15, "type": "OFFOLLOWINGMONTH"}),
    ],
)
def test_payment_terms_are_read_as_people_write_them(
    books: str, typed: str, terms: dict[str, Any]
) -> None:
    supplier = data(books, "supplier", "edit", "Base Supplier", "--payment-terms", typed)
    assert supplier["payment_terms"] == terms


def test_product_tracking_and_a_documents_rate_and_tracking(books: str) -> None:
    product = data(books, "product", "edit", "Backup 1TB", "--tracking", "Service=Backup")
    assert product["tracking"] == {"Service": "Backup"}
    invoice = data(
        books, "invoice", "add", "INV-50", "--client", "Base Client", "--line", "Backup 1TB:1",
        "--currency", "USD", "--exchange-rate", "1.523456", "--tracking", "Region=North",
    )  # fmt: skip
    assert (invoice["exchange_rate"], invoice["tracking"]) == ("1.523456", {"Region": "North"})
    edited = data(books, "invoice", "edit", "INV-50", "--exchange-rate", "", "--tracking", "")
    assert (edited["exchange_rate"], edited["tracking"]) == (None, {})


def test_a_credit_note_credits_an_invoice_of_its_own_client(books: str) -> None:
    ok(books, "client", "add", "Other Co")
    for number, client in (("INV-1", "Base Client"), ("INV-2", "Other Co")):
        ok(books, "invoice", "add", number, "--client", client, "--line", "Backup 1TB:1")
    note = data(
        books, "credit-note", "add", "CN-1", "--client", "Base Client",
        "--line", "Backup 1TB:1", "--credits", "INV-1",
    )  # fmt: skip
    assert note["credits"] == "INV-1"
    message = refused(books, "credit-note", "edit", "CN-1", "--credits", "INV-2")
    assert message == (
        "error: --credits: 'INV-2' is an invoice of client 'Other Co', not of 'Base Client'; "
        "accepted: an invoice of client 'Base Client'"
    )
    # Moving the credit note to another client is checked against the invoice it credits too.
    assert "--credits: 'INV-1' is an invoice of client 'Base Client'" in refused(
        books, "credit-note", "edit", "CN-1", "--client", "Other Co"
    )
    assert "is not a known invoice" in refused(
        books, "credit-note", "edit", "CN-1", "--credits", "CN-1"
    )
    ok(books, "invoice", "edit", "INV-2", "--currency", "USD")
    assert "'INV-2' is in USD, the credit note in AUD" in refused(
        books, "credit-note", "edit", "CN-1", "--client", "Other Co", "--credits", "INV-2"
    )
    ok(books, "invoice", "edit", "INV-1", "--status", "voided")
    assert "'INV-1' is voided" in refused(
        books, "credit-note", "add", "CN-2", "--client", "Base Client", "--line", "Backup 1TB:1",
        "--credits", "INV-1",
    )  # fmt: skip
    assert data(books, "credit-note", "edit", "CN-1", "--credits", "")["credits"] is None
    assert "--credits" not in invoke(books, "invoice", "add", "--help").stdout


def test_tenant_output_shows_the_tools_settings(db_url: str) -> None:
    store = Store(db_url)
    try:
        ready_books(store, SettingsTool(), invoices=0)
    finally:
        store.dispose()
    shown = data(db_url, "tenant", "show", TENANT)
    assert shown["payment_terms"] == {"days": 14, "type": "DAYSAFTERBILLDATE"}
    assert (shown["currencies"], shown["lock_date"]) == (["AUD", "NZD"], "2025-06-30")
    text = ok(db_url, "tenant", "show", TENANT).stdout
    assert "14 days" in text and "2025-06-30" in text


def test_tenant_import_says_what_came_of_the_settings(db_url: str, tmp_path: Path) -> None:
    ok(db_url, "tenant", "add", "Books", "--integration", "ledger")
    said = ok(db_url, "tenant", "connect", "Books", "--dir", str(tmp_path)).stdout
    assert "  settings: " in said


class SettingsTool(RecordingTool):
    """A RecordingTool with a chart of its own and settings."""

    def __init__(self, chart: list[tuple[str, str, AccountKind]] | None = None) -> None:
        super().__init__()
        self.chart = chart

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        if self.chart is None:
            return super().account_codes(tenant)
        return [RemoteAccount(code, name, kind, True) for code, name, kind in self.chart]

    def settings(self, tenant: str) -> RemoteSettings:
        return RemoteSettings(
            currencies=frozenset({"AUD", "NZD"}),
            lock_date=date(2025, 6, 30),
            payment_terms=PaymentTerms(14),
        )


@pytest.fixture
def imported(db_url: str) -> Iterator[str]:
    """Two ledger tenants, imported: Acme AU (Sales is 200) and Acme NZ (Sales is 4000); the
    user's own Sales account renamed so only the tenants' carry the name."""
    store = Store(db_url)
    ready_books(store, SettingsTool(), invoices=0)
    nz = SettingsTool(
        [("4000", "Sales", AccountKind.INCOME), ("5000", "Costs", AccountKind.EXPENSE)]
    )
    with store.session() as s:
        TENANTS.create_for(s, "ledger", {"name": "Acme NZ", "remote_tenant_id": "acme-nz"})
        ACCOUNT_CODES.update(s, "Sales", {"name": "Own sales"})
    with store.session() as s:
        connect_tenant(s, "Acme NZ", connector=nz)
    with store.session() as s:
        import_from_tool(s, "Acme NZ", connector=nz)
    store.dispose()
    yield db_url


def test_tax_types_are_checked_against_the_imported_ones(imported: str) -> None:
    rate = ["tax-rate", "map", "GST on Income", "--tenant", TENANT]
    message = refused(imported, *rate, "--tax-type", "BOGUS")
    assert message == (
        "error: --tax-type: 'BOGUS' is not a tax type of tenant 'Acme AU'; "
        "accepted: 'INPUT', 'OUTPUT'"
    )
    message = refused(imported, *rate, "--tax-type", "output")
    assert "--tax-type: 'output' is not a tax type of tenant 'Acme AU'" in message
    assert "did you mean OUTPUT?" in message and "accepted: 'INPUT', 'OUTPUT'" in message
    message = refused(imported, *rate, "--tax-type", "OUTPUT", "--purchase-tax-type", "input2")
    assert message.startswith("error: --purchase-tax-type: 'input2' is not a tax type")
    said = ok(imported, *rate, "--tax-type", "OUTPUT", "--purchase-tax-type", "INPUT").stdout
    assert "maps to OUTPUT (purchases: INPUT) in 'Acme AU'" in said
    shown = data(imported, "tax-rate", "show", "GST on Income")
    assert shown["purchase_tax_types"] == {"Acme AU": "INPUT"}
    ok(imported, *rate, "--purchase-tax-type", "")  # removes the purchase side only
    shown = data(imported, "tax-rate", "show", "GST on Income")
    assert (shown["tax_types"]["Acme AU"], shown["purchase_tax_types"]) == ("OUTPUT", {})
    assert "--tax-type: None is required" in refused(
        imported, "tax-rate", "map", "GST on Expenses", "--tenant", "Acme NZ",
        "--purchase-tax-type", "INPUT",
    )  # fmt: skip


def test_account_references_with_a_tenant_are_that_tenants(imported: str) -> None:
    nz = data(
        imported, "product", "add", "NZ backup", "--income-account", "Sales", "--tenant", "Acme NZ"
    )
    au = data(
        imported, "product", "add", "AU backup", "--income-account", "Sales", "--tenant", TENANT
    )
    assert (nz["income_account"], au["income_account"]) == ("4000", "200")
    # An edit without --tenant narrows to the product's own tenant.
    assert (
        data(imported, "product", "edit", "NZ backup", "--income-account", "Sales")[
            "income_account"
        ]
        == "4000"
    )
    message = refused(imported, "product", "edit", "AU backup", "--income-account", "4000")
    assert message.startswith(
        "error: --income-account: '4000' is not an account code of tenant 'Acme AU' nor one of "
        "your own; accepted: "
    )
    assert "'200'" in message and "'4000'" not in message.split("accepted:")[1]
    # Without a tenant, a name two tenants share is ambiguous, as before.
    assert "matches 2 account codes" in refused(
        imported, "product", "add", "Anywhere", "--income-account", "Sales"
    )


def test_an_imported_accounts_code_edit_makes_it_your_own(imported: str) -> None:
    accounts = data(imported, "account-code", "list", "--search", "Sales")
    au = next(a for a in accounts if a["tenant"] == TENANT)
    edited = data(imported, "account-code", "edit", str(au["id"]), "--code", "4999")
    assert (edited["code"], edited["imported_from_tool"]) == ("4999", False)
    assert "--imported-from-tool: True is set only by importing from the tool" in refused(
        imported, "account-code", "edit", str(au["id"]), "--imported-from-tool"
    )
