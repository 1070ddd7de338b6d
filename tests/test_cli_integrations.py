"""`booksync integration ...`: every tool is listed from the start, and its settings stick."""

from __future__ import annotations

from cli_support import data, ok

ALL = ["client", "supplier", "product", "invoice", "sales_order", "purchase_order", "credit_note"]


def test_list_shows_every_integration_disabled_before_any_exists(db_url: str) -> None:
    rows = data(db_url, "integration", "list")
    assert [(r["kind"], r["enabled"], r["entities_to_sync"]) for r in rows] == [
        ("ledger", False, []),
        ("xero", False, []),
        ("quickbooks", False, []),
    ]
    table = ok(db_url, "integration", "list").stdout
    assert all(kind in table for kind in ("ledger", "xero", "quickbooks"))
    assert data(db_url, "integration", "show", "quickbooks")["enabled"] is False


def test_enable_configure_and_disable(db_url: str) -> None:
    assert "Xero enabled" in ok(db_url, "integration", "enable", "Xero").stdout
    configured = data(
        db_url, "integration", "configure", "xero",
        "--entities", "invoice, clients,product", "--show-success-messages",
    )  # fmt: skip
    assert configured["enabled"] is True
    assert configured["entities_to_sync"] == ["client", "product", "invoice"]
    assert configured["show_success_messages"] is True

    ok(db_url, "integration", "configure", "xero", "--no-show-success-messages")
    shown = data(db_url, "integration", "show", "xero")
    assert shown["show_success_messages"] is False
    assert shown["entities_to_sync"] == ["client", "product", "invoice"]  # untouched

    ok(db_url, "integration", "disable", "xero")
    rows = {r["kind"]: r for r in data(db_url, "integration", "list")}
    assert rows["xero"]["enabled"] is False
    assert rows["xero"]["entities_to_sync"] == ["client", "product", "invoice"]
    assert rows["ledger"]["enabled"] is False


def test_entities_all_and_none(db_url: str) -> None:
    everything = data(db_url, "integration", "configure", "ledger", "--entities", "all")
    assert everything["entities_to_sync"] == ALL
    nothing = data(db_url, "integration", "configure", "ledger", "--entities", "")
    assert nothing["entities_to_sync"] == []


def test_show_lists_the_integrations_tenants(db_url: str) -> None:
    ok(db_url, "tenant", "add", "Acme AU", "--integration", "quickbooks", "--remote-id", "9130")
    shown = data(db_url, "integration", "show", "quickbooks")
    assert shown["tenants"] == ["Acme AU"]
    assert data(db_url, "tenant", "show", "9130")["name"] == "Acme AU"
