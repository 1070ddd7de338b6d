"""Every record type through the CLI: add, show --json (by reference and by id), list --json, edit,
delete; plus the money and quantity forms a person reads back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from cli_support import data, invoke, ok, seed, subset


@dataclass(frozen=True)
class Case:
    command: str
    add: list[str]
    added: dict[str, Any]
    edit: list[str]
    edited: dict[str, Any]

    @property
    def key(self) -> str:
        return "number" if "number" in self.added else "name"

    def __str__(self) -> str:
        return self.command


def _lines(*lines: dict[str, Any]) -> list[dict[str, Any]]:
    return list(lines)


CASES = [
    Case(
        "client",
        ["Acme Ltd", "--email", "ap@acme.test", "--currency", "nzd", "--tax-rate", "GST Free",
         "--tenant", "Acme AU", "--remote-id", "C-1"],
        {"name": "Acme Ltd", "email": "ap@acme.test", "currency": "NZD", "tax_rate": "GST Free",
         "tenant": "Acme AU", "remote_id": "C-1", "exclude_from_accounting": False, "version": 1},
        ["--name", "Acme Pty", "--tax-rate", "", "--email", "", "--exclude-from-accounting"],
        {"name": "Acme Pty", "tax_rate": None, "email": None, "exclude_from_accounting": True,
         "tenant": "Acme AU", "version": 2},
    ),
    Case(
        "supplier",
        ["Disk Co", "--email", "sales@disk.test", "--tenant", "Acme AU", "--exclude-from-accounting"],
        {"name": "Disk Co", "email": "sales@disk.test", "currency": "AUD", "tenant": "Acme AU",
         "exclude_from_accounting": True},
        ["--include-in-accounting", "--tenant", "", "--tax-rate", "GST on Income"],
        {"name": "Disk Co", "exclude_from_accounting": False, "tenant": None,
         "tax_rate": "GST on Income"},
    ),
    Case(
        "product",
        ["Backup 2TB", "--code", "B2", "--price", "79", "--cost", "40.5", "--item-group", "Backup",
         "--use-item-group-tax", "--income-account", "200", "--expense-account", "Purchases",
         "--tenant", "Acme AU", "--description", "Two terabytes"],
        {"name": "Backup 2TB", "code": "B2", "price": "79.00", "cost": "40.50",
         "item_group": "Backup", "use_item_group_tax": True, "income_account": "200",
         "expense_account": "300", "tenant": "Acme AU", "description": "Two terabytes",
         "tax_rate": None, "exclude_from_accounting": False},
        ["--price", "12.3456", "--no-use-item-group-tax", "--tax-rate", "GST Free",
         "--item-group", "", "--code", "", "--remote-id", "item-9"],
        {"price": "12.3456", "use_item_group_tax": False, "tax_rate": "GST Free",
         "item_group": None, "code": None, "remote_id": "item-9", "cost": "40.50"},
    ),
    Case(
        "item-group",
        ["Support", "--tax-rate", "GST Free", "--income-account", "Sales", "--expense-account", "300"],
        {"name": "Support", "tax_rate": "GST Free", "income_account": "200",
         "expense_account": "300"},
        ["--name", "Support Plans", "--tax-rate", "", "--income-account", ""],
        {"name": "Support Plans", "tax_rate": None, "income_account": None,
         "expense_account": "300"},
    ),
    Case(
        "tax-rate",
        ["Zero Rated", "--percent", "0"],
        {"name": "Zero Rated", "percent": "0", "is_default": False, "tax_types": {}},
        ["--percent", "12.5", "--default"],
        {"name": "Zero Rated", "percent": "12.5", "is_default": True},
    ),
    Case(
        "account-code",
        ["Consulting", "--code", "210", "--kind", "income", "--tenant", "Acme AU"],
        {"name": "Consulting", "code": "210", "kind": "income", "tenant": "Acme AU",
         "imported_from_tool": False, "active": True},
        ["--code", "215", "--inactive", "--tenant", "", "--kind", "expense"],
        {"name": "Consulting", "code": "215", "active": False, "tenant": None, "kind": "expense"},
    ),
    Case(
        "invoice",
        ["INV-1001", "--client", "Base Client", "--line", "Backup 1TB:2:49.00",
         "--line", "Backup 1TB:0.5", "--date", "2025-07-01", "--due", "2025-07-31",
         "--reference", "PO-7"],
        {"number": "INV-1001", "client": "Base Client", "issue_date": "2025-07-01",
         "due_date": "2025-07-31", "reference": "PO-7", "currency": "AUD", "status": "draft",
         "subtotal": "122.50", "version": 1,
         "lines": _lines(
             {"position": 1, "product": "Backup 1TB", "quantity": "2", "unit_price": "49.00",
              "tax_rate": None, "amount": "98.00"},
             {"position": 2, "product": "Backup 1TB", "quantity": "0.5", "unit_price": "49.00",
              "tax_rate": None, "amount": "24.50"},
         )},
        ["--number", "INV-1002", "--line", "Backup 1TB:3:45.00:GST Free", "--status",
         "authorised", "--due", ""],
        {"number": "INV-1002", "status": "authorised", "due_date": None, "subtotal": "135.00",
         "version": 2,
         "lines": _lines(
             {"position": 1, "product": "Backup 1TB", "quantity": "3", "unit_price": "45.00",
              "tax_rate": "GST Free", "amount": "135.00"},
         )},
    ),
    Case(
        "sales-order",
        ["SO-1", "--client", "Base Client", "--line", "Backup 1TB:1", "--currency", "jpy",
         "--line", "Backup 1TB:2:1200"],
        {"number": "SO-1", "client": "Base Client", "currency": "JPY", "subtotal": "2449",
         "lines": _lines(
             {"quantity": "1", "unit_price": "49", "amount": "49"},
             {"quantity": "2", "unit_price": "1200", "amount": "2400"},
         )},
        ["--reference", "call 12", "--date", "2025-01-02"],
        {"number": "SO-1", "reference": "call 12", "issue_date": "2025-01-02",
         "subtotal": "2449"},
    ),
    Case(
        "purchase-order",
        ["PO-1", "--supplier", "Base Supplier", "--line", "Backup 1TB:4"],
        {"number": "PO-1", "supplier": "Base Supplier", "subtotal": "120.00",
         "lines": _lines({"quantity": "4", "unit_price": "30.00", "amount": "120.00"})},
        ["--line", "Backup 1TB:4:29.99", "--line", "Backup 1TB:1:0"],
        {"supplier": "Base Supplier", "subtotal": "119.96",
         "lines": _lines(
             {"quantity": "4", "unit_price": "29.99", "amount": "119.96"},
             {"quantity": "1", "unit_price": "0.00", "amount": "0.00"},
         )},
    ),
    Case(
        "credit-note",
        ["CN-1", "--client", "Base Client", "--line", "Backup 1TB:1:-10.00"],
        {"number": "CN-1", "client": "Base Client", "subtotal": "-10.00",
         "lines": _lines({"unit_price": "-10.00", "amount": "-10.00"})},
        ["--client", "1", "--status", "voided"],
        {"client": "Base Client", "status": "voided"},
    ),
    Case(
        "tenant",
        ["Acme NZ", "--integration", "xero", "--currency", "NZD"],
        {"name": "Acme NZ", "integration": "xero", "remote_tenant_id": "Acme NZ",
         "base_currency": "NZD", "connection": "never"},
        ["--name", "Acme New Zealand", "--remote-id", "3f9c-nz"],
        {"name": "Acme New Zealand", "remote_tenant_id": "3f9c-nz", "base_currency": "NZD"},
    ),
]  # fmt: skip


def _matches(record: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        if key == "lines":
            assert [subset(line, w) for line, w in zip(record["lines"], want, strict=True)] == want
        else:
            assert record.get(key, "<missing>") == want, key


@pytest.mark.parametrize("case", CASES, ids=str)
def test_record_round_trip(db_url: str, case: Case) -> None:
    seed(db_url)
    cmd, key = case.command, case.added[case.key]

    created = data(db_url, cmd, "add", *case.add)
    _matches(created, case.added)
    assert data(db_url, cmd, "show", key) == created
    assert data(db_url, cmd, "show", str(created["id"])) == created
    assert created in data(db_url, cmd, "list")

    edited = data(db_url, cmd, "edit", key, *case.edit)
    _matches(edited, case.edited)
    assert edited["id"] == created["id"]
    new_key = edited[case.key]
    assert data(db_url, cmd, "show", new_key) == edited

    listed = ok(db_url, cmd, "list").stdout
    assert new_key in listed
    assert new_key in ok(db_url, cmd, "show", new_key).stdout

    deleted = ok(db_url, cmd, "delete", new_key)
    assert f"'{new_key}' deleted" in deleted.stdout
    gone = invoke(db_url, cmd, "show", new_key)
    assert gone.exit_code == 2
    assert "is not a known" in gone.stderr
    assert all(r["id"] != created["id"] for r in data(db_url, cmd, "list"))


def test_list_search_limit_and_offset(db_url: str) -> None:
    for name in ("Alpha Pty", "Beta Pty", "Gamma Ltd"):
        ok(db_url, "client", "add", name)
    assert [c["name"] for c in data(db_url, "client", "list", "--search", "pty")] == [
        "Alpha Pty",
        "Beta Pty",
    ]
    page = data(db_url, "client", "list", "--limit", "1", "--offset", "1")
    assert [c["name"] for c in page] == ["Beta Pty"]


def test_new_default_tax_rate_replaces_the_old_one(db_url: str) -> None:
    seed(db_url)
    ok(db_url, "tax-rate", "add", "GST 15", "--percent", "15", "--default")
    defaults = [r["name"] for r in data(db_url, "tax-rate", "list") if r["is_default"]]
    assert defaults == ["GST 15"]


def test_tax_rate_map_and_unmap(db_url: str) -> None:
    seed(db_url)
    mapped = ok(
        db_url, "tax-rate", "map", "GST on Income", "--tenant", "Acme AU", "--tax-type", "OUTPUT"
    )
    assert "OUTPUT" in mapped.stdout
    ok(db_url, "tax-rate", "map", "GST on Income", "--tenant", "1", "--tax-type", "OUTPUT2")
    assert data(db_url, "tax-rate", "show", "GST on Income")["tax_types"] == {"Acme AU": "OUTPUT2"}
    ok(db_url, "tax-rate", "unmap", "GST on Income", "--tenant", "Acme AU")
    assert data(db_url, "tax-rate", "show", "GST on Income")["tax_types"] == {}


def test_document_show_prints_its_lines(db_url: str) -> None:
    seed(db_url)
    ok(db_url, "invoice", "add", "INV-7", "--client", "Base Client", "--line", "Backup 1TB:2:49")
    shown = ok(db_url, "invoice", "show", "INV-7").stdout
    assert "Backup 1TB" in shown
    assert "98.00" in shown


def test_product_given_by_id_when_its_name_has_a_colon(db_url: str) -> None:
    seed(db_url)
    product = data(db_url, "product", "add", "Backup: Cloud", "--price", "5")
    invoice = data(
        db_url, "invoice", "add", "INV-8", "--client", "Base Client",
        "--line", f"{product['id']}:3",
    )  # fmt: skip
    assert subset(invoice["lines"][0], {"product": "Backup: Cloud", "amount": "15.00"}) == {
        "product": "Backup: Cloud",
        "amount": "15.00",
    }


def test_user_text_is_printed_verbatim(db_url: str) -> None:
    """Names are data, not Rich markup or :emoji: codes."""
    name = "[bold]Smile :smile: Ltd"
    assert f"'{name}' created" in ok(db_url, "client", "add", name).stdout
    assert name in ok(db_url, "client", "list").stdout
    assert name in ok(db_url, "client", "show", name).stdout
    assert name in invoke(db_url, "client", "add", name).stderr


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "client",
            ["--tax-rate", "--tenant", "--exclude-from-accounting", "--include-in-accounting"],
        ),
        ("product", ["--use-item-group-tax", "--no-use-item-group-tax", "--income-account"]),
        ("invoice", ["--client", "--line", "--date", "--due", "--currency", "--status"]),
        ("purchase-order", ["--supplier", "--line"]),
        ("tax-rate", ["--percent", "--default", "--no-default"]),
    ],
)
def test_help_names_every_option(command: str, options: list[str]) -> None:
    for sub in ("add", "edit"):
        shown = invoke("unused.db", command, sub, "--help")
        assert shown.exit_code == 0
        for option in options:
            assert option in shown.stdout, f"{command} {sub} --help lacks {option}"
