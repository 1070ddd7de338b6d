"""The web admin in-process, on SQLite and PostgreSQL: sign-in, CSRF, every page, forms and their
field messages, the integrations page, the sync panel and the health page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from booksync.domain.types import EntityType
from booksync.services.doctor import health_report
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    RECORD_TYPES,
    TAX_RATES,
    TENANTS,
    configure_integration,
    integration_for,
)
from booksync.services.sample import AU, MIN_CLIENTS, NZ, Fault, load_sample
from booksync.services.tenants import connect_tenant, import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import Client, Document, Product, SyncJob, User
from web.html_support import parse
from web.web_support import WebClient

SLUGS = {
    "client": "clients",
    "supplier": "suppliers",
    "product": "products",
    "item_group": "item-groups",
    "tax_rate": "tax-rates",
    "account_code": "account-codes",
    "tenant": "tenants",
    "invoice": "invoices",
    "sales_order": "sales-orders",
    "purchase_order": "purchase-orders",
    "credit_note": "credit-notes",
}
PAGES = [f"/{slug}" for slug in SLUGS.values()] + ["/integrations", "/health"]
#: The fewest invoices a sample load takes: the ones its deliberate faults hold.
FAULT_INVOICES = 12


def record_id(store: Store, kind: str, ref: str) -> int:
    with store.session() as s:
        if EntityType._value2member_map_.get(kind) and EntityType(kind).is_document:
            return DOCUMENTS[EntityType(kind)].get(s, ref).id
        return int(RECORD_TYPES[kind].get(s, ref).id)


def count(store: Store, model: Any) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def small_sample(store: Store, ledgers: Path | None = None) -> tuple[Fault, ...]:
    """The sample books at their smallest, with every deliberate fault; with `ledgers`, the ledger
    tenants are connected and their charts imported, so each fault shows as the rule it breaks."""
    with store.session() as s:
        faults = load_sample(s, clients=MIN_CLIENTS, invoices=FAULT_INVOICES).faults
    for tenant in (AU, NZ) if ledgers is not None else ():
        with store.session() as s:
            connect_tenant(s, tenant, directory=ledgers)
            import_from_tool(s, tenant)
    return faults


def small_books(store: Store) -> None:
    """A ledger tenant (not connected), a tax rate, account codes, an item group and a product."""
    with store.session() as s:
        configure_integration(
            s, "ledger", {"enabled": True, "entities_to_sync": ["client", "product", "invoice"]}
        )
        TENANTS.create_for(s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"})
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", "Acme AU", "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ITEM_GROUPS.create(
            s, {"name": "Services", "tax_rate": "GST on Income", "income_account": "200"}
        )
        PRODUCTS.create(
            s,
            {
                "name": "Hours",
                "code": "HRS",
                "price": "120",
                "item_group": "Services",
                "use_item_group_tax": True,
                "tenant": "Acme AU",
            },
        )
        CLIENTS.create(s, {"name": "Acme Pty Ltd", "tenant": "Acme AU"})


# -- sign-in -------------------------------------------------------------------------------------


def test_every_page_asks_for_sign_in_first(anonymous: WebClient) -> None:
    for path in PAGES + ["/clients/1", "/integrations/ledger", "/clients/new"]:
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in"), path
    assert anonymous.get("/clients?q=a").headers["location"] == "/sign-in?next=/clients%3Fq%3Da"


def test_signing_in_returns_to_the_page_asked_for_and_never_off_site(
    anonymous: WebClient,
) -> None:
    anonymous.get("/sign-in?next=/health")
    response = anonymous.post(
        "/sign-in",
        {"username": "Alice", "password": "correct horse battery", "next": "/health"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/health"
    assert "Signed in as" in anonymous.page("/health")

    anonymous.post("/sign-out")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        anonymous.get("/sign-in")
        response = anonymous.post(
            "/sign-in",
            {"username": "alice", "password": "correct horse battery", "next": target},
        )
        assert response.headers["location"] == "/", target
        anonymous.post("/sign-out")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    anonymous: WebClient,
) -> None:
    anonymous.get("/sign-in")
    for username, password in (("alice", "not the password"), ("mallory", "correct horse battery")):
        response = anonymous.post("/sign-in", {"username": username, "password": password})
        assert response.status_code == 401
        assert "do not match a user" in response.text
        assert "booksync user create" in response.text
    assert anonymous.get("/clients").status_code == 303


def test_signing_out_ends_the_session(web: WebClient) -> None:
    assert web.get("/clients").status_code == 200
    response = web.post("/sign-out")
    assert response.headers["location"] == "/sign-in"
    assert web.get("/clients").status_code == 303


def test_a_deleted_user_is_signed_out(web: WebClient, store: Store) -> None:
    with store.session() as s:
        s.delete(s.scalars(select(User).where(User.username == "alice")).one())
    response = web.get("/clients")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


# -- CSRF ----------------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    web: WebClient, store: Store
) -> None:
    web.page("/clients/new")
    for token in (None, "", "forged-token"):
        response = web.post("/clients", {"name": "Forged Ltd"}, csrf=token)
        assert response.status_code == 403, token
        assert "security token" in response.text
    response = web.post("/integrations/ledger/enable", csrf=None)
    assert response.status_code == 403
    assert web.post("/sign-out", csrf=None).status_code == 403
    assert count(store, Client) == 0
    assert web.get("/clients").status_code == 200  # still signed in


def test_the_sign_in_form_needs_its_csrf_token_too(anonymous: WebClient) -> None:
    anonymous.get("/sign-in")
    response = anonymous.post(
        "/sign-in", {"username": "alice", "password": "correct horse battery"}, csrf=None
    )
    assert response.status_code == 403
    assert anonymous.get("/clients").status_code == 303


def test_htmx_requests_carry_the_token_in_a_header(web: WebClient, store: Store) -> None:
    html = web.page("/clients")
    assert f'"X-CSRF-Token": "{web.csrf}"' in html
    response = web.request(
        "POST",
        "/clients",
        data={"name": "Via htmx Ltd"},
        headers={"HX-Request": "true", "X-CSRF-Token": web.csrf},
    )
    assert response.status_code == 204
    assert re.fullmatch(r"/clients/\d+", response.headers["HX-Redirect"])
    assert count(store, Client) == 1


# -- every page ----------------------------------------------------------------------------------


def test_every_page_renders_with_labelled_controls_and_fix_links_that_land_on_their_field(
    web: WebClient, store: Store, tmp_path: Path
) -> None:
    """The sample books, connected: every list, record and new-record page renders, every control
    has a label, and each deliberate fault's record links to the page and field that fixes it."""
    faults = small_sample(store, tmp_path / "ledgers")

    for path in PAGES + ["/integrations/ledger", "/integrations/xero", "/integrations/quickbooks"]:
        html = web.page(path)
        page = parse(html)
        assert not page.unlabelled_controls(), (path, page.unlabelled_controls())
        assert not page.unnamed_buttons(), (path, page.unnamed_buttons())
        if path.lstrip("/") in SLUGS.values():
            rows = [
                link for link in page.links() if re.fullmatch(rf"{path}/\d+", link.attrs["href"])
            ]
            assert rows, path
            record = web.page(rows[0].attrs["href"])
            record_page = parse(record)
            assert not record_page.unlabelled_controls(), (
                rows[0].attrs["href"],
                record_page.unlabelled_controls(),
            )
            if path != "/tenants":
                new = parse(web.page(f"{path}/new"))
                assert not new.unlabelled_controls(), (path, new.unlabelled_controls())

    checked = 0
    for fault in faults:
        url = f"/{SLUGS[fault.record_type]}/{record_id(store, fault.record_type, fault.reference)}"
        if fault.cause_type == "integration":
            expected = f"/integrations/{fault.cause}"
        else:
            expected = (
                f"/{SLUGS[fault.cause_type]}/{record_id(store, fault.cause_type, fault.cause)}"
            )
        links = [
            urlsplit(link.attrs["href"])
            for link in parse(web.page(url)).links()
            if "fix-link" in link.attrs.get("class", "")
        ]
        assert (expected, fault.field) in [(u.path, u.fragment) for u in links], (fault, links)
        link = next(u for u in links if (u.path, u.fragment) == (expected, fault.field))
        assert parse_qs(link.query)["back"] == [url]
        target = parse(web.page(f"{link.path}?{link.query}"))
        assert target.by_id(fault.field) is not None, (fault, link)
        back = [a for a in target.links() if a.attrs["href"] == url]
        assert back and "Back to " in back[0].text, fault
        checked += 1
    assert checked == len(faults) >= 15


def test_the_health_page_groups_the_doctor_report_by_root_cause(
    web: WebClient, store: Store
) -> None:
    small_sample(store)
    with store.session() as s:
        report = health_report(s).to_json()
    page = parse(web.page("/health"))
    causes = page.with_class("cause", "li")
    assert len(causes) == len(report["blockers"]) + len(report["unknowns"]) > 5
    for cause, expected in zip(causes, report["blockers"] + report["unknowns"], strict=True):
        text = " ".join(cause.text.split())
        assert expected["detail"] in text
        assert text.startswith(f"{expected['records']} record")
        for entity, n in expected["by_type"].items():
            assert f"{n} {entity.replace('_', ' ')}" in text
    fix_links = {a.attrs["href"] for a in page.links() if "fix-link" in a.attrs.get("class", "")}
    expected_links = {c["fix_page"] for c in report["blockers"] + report["unknowns"]}
    assert fix_links == expected_links - {None}
    shown = {
        " ".join(e.text.split()).split(" ", 1)[1]: int(e.text.split()[0])
        for e in page.with_class("count", "li")
    }
    assert shown == {
        "synced": 0,  # nothing has synced yet: the doctor's readiness is every count
        "ready": report["ready"],
        "waiting": report["waiting"],
        "not yet known": report["unknown"],
        "blocked": report["blocked"],
        "failed": 0,
    }


def test_an_unknown_record_is_a_not_found_page(web: WebClient) -> None:
    for path in ("/clients/999", "/invoices/999", "/integrations/sage", "/clients/999/delete"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text


# -- forms ---------------------------------------------------------------------------------------


def test_a_client_is_created_edited_and_deleted_through_its_form(
    web: WebClient, store: Store
) -> None:
    small_books(store)
    tenant = record_id(store, "tenant", "Acme AU")
    web.page("/clients/new")
    response = web.post(
        "/clients",
        {"name": "Bravo Ltd", "email": "ap@bravo.example", "tenant": f"#{tenant}"},
    )
    assert response.status_code == 303
    url = response.headers["location"]
    html = web.page(url)
    assert "Client &#39;Bravo Ltd&#39; created. It syncs on the next pass." in html
    page = parse(html)
    assert page.by_id("name").attrs["value"] == "Bravo Ltd"
    assert page.by_id("remote_id").attrs["value"] == ""
    assert "checked" not in page.by_id("exclude_from_accounting").attrs
    with store.session() as s:
        client = CLIENTS.get(s, "Bravo Ltd")
        assert client.tenant is not None
        assert (client.tenant.name, client.currency, client.version) == ("Acme AU", "AUD", 1)

    form = {
        "name": "Bravo Ltd",
        "email": "ap@bravo.example",
        "currency": "NZD",
        "tenant": f"#{tenant}",
        "exclude_from_accounting": True,
        "remote_id": "C-77",
    }
    assert web.post(url, form).status_code == 303
    assert "saved" in web.page(url)
    with store.session() as s:
        client = CLIENTS.get(s, "Bravo Ltd")
        assert (client.currency, client.exclude_from_accounting, client.remote_id) == (
            "NZD",
            True,
            "C-77",
        )
        assert client.version == 2

    assert web.post(url, form).status_code == 303  # the same values again: nothing changes
    assert "No changes to save." in web.page(url)
    with store.session() as s:
        assert CLIENTS.get(s, "Bravo Ltd").version == 2

    assert "Delete client Bravo Ltd?" in web.page(f"{url}/delete")
    assert web.post(f"{url}/delete").headers["location"] == "/clients"
    assert "Client &#39;Bravo Ltd&#39; deleted." in web.page("/clients")
    assert count(store, Client) == 1


def test_a_record_still_in_use_is_not_deleted_and_says_why(web: WebClient, store: Store) -> None:
    small_books(store)
    rate = record_id(store, "tax_rate", "GST on Income")
    web.page(f"/tax-rates/{rate}")
    response = web.post(f"/tax-rates/{rate}/delete")
    assert response.headers["location"] == f"/tax-rates/{rate}"
    assert "is still used by 1 item groups" in web.page(f"/tax-rates/{rate}")


#: A rejected value per form: the form's url, what was typed, the field at fault, the message.
REJECTED: list[tuple[str, dict[str, str], str, str]] = [
    ("/clients", {"name": "", "email": "a@b.example"}, "name", "name: None is required"),
    ("/clients", {"name": "Charlie", "email": "not-an-email"}, "email", "not an email address"),
    ("/products", {"name": "Widget", "price": "12.3.4"}, "price", "not a number"),
    ("/products", {"name": "Widget", "cost": "-1"}, "cost", "negative amounts are not accepted"),
    ("/tax-rates", {"name": "Odd", "percent": "101"}, "percent", "is more than 100"),
    ("/account-codes", {"name": "Sales 2", "code": "200", "kind": "income"}, "code", "is already used"),
    ("/account-codes", {"name": "No kind"}, "kind", "is required"),
    ("/item-groups", {"name": "Services"}, "name", "is already used by another item group"),
]  # fmt: skip


def test_a_rejected_value_comes_back_on_its_field_and_writes_nothing(
    web: WebClient, store: Store
) -> None:
    small_books(store)
    before = count(store, SyncJob), count(store, Product)
    for url, form, field, message in REJECTED:
        web.page(f"{url}/new")
        response = web.post(url, form)
        assert response.status_code == 422, (url, form)
        page = parse(response.text)
        error = page.by_id(f"{field}-error")
        assert error is not None and message in error.text, (url, form, response.text)
        control = page.by_id(field)
        assert control is not None and control.attrs.get("aria-invalid") == "true"
        assert f"{field}-error" in control.attrs["aria-describedby"]
        summary = page.by_id("error-summary")
        assert summary is not None and "Not saved." in summary.text
        for name, value in form.items():  # what the person typed is kept
            if value and name in ("name", "email", "price", "cost", "percent"):
                typed = page.by_id(name)
                assert typed is not None and typed.attrs["value"] == value
    assert (count(store, SyncJob), count(store, Product)) == before


def test_an_invoice_is_written_with_its_lines_and_edited_line_by_line(
    web: WebClient, store: Store
) -> None:
    small_books(store)
    web.page("/invoices/new")
    rows = {
        "number": "INV-1",
        "client": "Acme Pty Ltd",
        "lines-1-product": "Hours",
        "lines-1-quantity": "2.5",
        "lines-2-product": "Hours",
        "lines-2-unit_price": "99.50",
        "lines-2-description": "After hours",
    }
    response = web.post("/invoices", rows | {"add_line": "1"})
    assert response.status_code == 200  # "Add line": shown again with one more row, not saved
    page = parse(response.text)
    assert page.by_id("lines-3-product") is not None
    assert page.by_id("lines-1-quantity").attrs["value"] == "2.5"
    assert count(store, Document) == 0

    response = web.post("/invoices", rows)
    assert response.status_code == 303
    url = response.headers["location"]
    with store.session() as s:
        invoice = DOCUMENTS[EntityType.INVOICE].get(s, "INV-1")
        lines = [
            (ln.product.name, ln.quantity, ln.unit_price, ln.description) for ln in invoice.lines
        ]
        version = invoice.version
    assert lines == [
        ("Hours", Decimal("2.5"), Decimal("120"), "Hours"),
        ("Hours", Decimal("1"), Decimal("99.5"), "After hours"),
    ]
    page = parse(web.page(url))
    assert page.by_id("client").attrs["value"] == "Acme Pty Ltd"
    assert page.by_id("lines-2-unit_price").attrs["value"] == "99.50"
    assert page.by_id("lines-3-product").attrs["value"] == ""  # a spare row

    form = {
        e.attrs["name"]: e.attrs.get("value", "")
        for e in page.elements
        if e.tag == "input" and e.attrs.get("type", "text") == "text" and "name" in e.attrs
    } | {
        "currency": "AUD",
        "status": "draft",
        "issue_date": page.by_id("issue_date").attrs["value"],
    }
    form["lines-1-quantity"] = "3"
    form["lines-2-remove"] = "1"
    assert web.post(url, form).status_code == 303
    with store.session() as s:
        invoice = DOCUMENTS[EntityType.INVOICE].get(s, "INV-1")
        assert [(ln.position, ln.quantity) for ln in invoice.lines] == [(1, Decimal(3))]
        assert invoice.version == version + 1

    form.pop("lines-2-remove")
    form["lines-2-product"] = "Nonexistent"
    response = web.post(url, form)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.by_id("lines-2-product-error") is not None
    assert "is not a known product" in page.by_id("lines-2-product-error").text
    with store.session() as s:
        assert len(DOCUMENTS[EntityType.INVOICE].get(s, "INV-1").lines) == 1


def test_a_document_names_its_client_or_supplier_by_name(web: WebClient, store: Store) -> None:
    small_books(store)
    web.page("/invoices/new")
    response = web.post(
        "/invoices", {"number": "INV-2", "client": "Nobody Ltd", "lines-1-product": "Hours"}
    )
    assert response.status_code == 422
    assert parse(response.text).by_id("client-error") is not None
    assert "is not a known client" in response.text
    page = parse(web.page("/purchase-orders/new"))
    assert page.by_id("supplier") is not None and page.by_id("client") is None


# -- integrations --------------------------------------------------------------------------------


def test_integration_tiles_show_plus_when_disabled_and_a_cross_when_enabled(
    web: WebClient, store: Store
) -> None:
    page = parse(web.page("/integrations"))
    assert [t.attrs["class"].split()[1] for t in page.with_class("tile", "li")] == [
        "tile-disabled"
    ] * 3
    toggles = {b.attrs["aria-label"]: b.text.strip() for b in page.with_class("toggle", "button")}
    assert toggles == {"Enable Ledger": "+", "Enable Xero": "+", "Enable QuickBooks Online": "+"}

    response = web.post("/integrations/xero/enable")
    assert response.headers["location"] == "/integrations/xero"
    page = parse(web.page("/integrations/xero"))
    assert page.notices("success") == ["✓ Success: Xero enabled."]
    toggle = page.by_id("enabled")  # where the doctor's /integrations/xero#enabled lands
    assert toggle is not None
    assert (toggle.attrs["aria-label"], toggle.text.strip()) == ("Disable Xero", "×")
    states = [t.attrs["class"] for t in page.with_class("tile", "li")]
    assert states == [
        "tile tile-disabled",
        "tile tile-enabled tile-selected",
        "tile tile-disabled",
    ]
    logos = [e.attrs["src"] for e in page.with_class("logo", "img")]
    assert logos == [f"/assets/logos/{kind}.svg" for kind in ("ledger", "xero", "quickbooks")]

    web.post("/integrations/xero/disable")
    assert parse(web.page("/integrations/xero")).notices("success") == ["✓ Success: Xero disabled."]
    with store.session() as s:
        assert integration_for(s, "xero").enabled is False


def test_entities_to_sync_and_success_messages_are_saved(web: WebClient, store: Store) -> None:
    web.page("/integrations/ledger")
    form = [
        ("entities_to_sync", "client"),
        ("entities_to_sync", "invoice"),
        ("show_success_messages", "1"),
    ]
    assert web.post("/integrations/ledger", form).status_code == 303
    page = parse(web.page("/integrations/ledger"))
    ticked = [
        e.attrs["value"]
        for e in page.elements
        if e.attrs.get("name") == "entities_to_sync" and "checked" in e.attrs
    ]
    assert ticked == ["client", "invoice"]
    assert "checked" in page.by_id("show_success_messages").attrs
    assert page.by_id("entities_to_sync").tag == "fieldset"

    assert web.post("/integrations/ledger", [("entities_to_sync", "client")]).status_code == 303
    page = parse(web.page("/integrations/ledger"))
    assert "checked" not in page.by_id("show_success_messages").attrs

    response = web.post("/integrations/ledger", [("entities_to_sync", "invoices_and_more")])
    assert response.status_code == 422
    assert "entities_to_sync" in response.text and "is not accepted" in response.text


def test_a_ledger_tenant_is_added_connected_imported_and_a_client_synced_with_its_message(
    web: WebClient, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKSYNC_LEDGER_DIR", str(tmp_path / "ledgers"))
    web.page("/integrations/ledger")
    web.post("/integrations/ledger/enable")
    web.post(
        "/integrations/ledger", [("entities_to_sync", "client"), ("show_success_messages", "1")]
    )
    web.page("/integrations/ledger")
    response = web.post("/integrations/ledger/tenants", {"name": ""})
    assert response.status_code == 422 and "tenant-name-error" in response.text
    response = web.post("/integrations/ledger/tenants", {"name": "Acme AU", "base_currency": "AUD"})
    assert response.headers["location"] == "/integrations/ledger#tenants"
    tenant = record_id(store, "tenant", "Acme AU")
    html = web.page("/integrations/ledger")
    assert "Tenant &#39;Acme AU&#39; added." in html
    assert "badge-never" in html

    web.post(f"/tenants/{tenant}/connect", {"back": "/integrations/ledger#tenants"})
    html = web.page("/integrations/ledger")
    assert "Tenant &#39;Acme AU&#39; connected." in html and "badge-connected" in html
    web.post(f"/tenants/{tenant}/import")
    html = web.page(f"/tenants/{tenant}")
    assert re.search(r"Imported from &#39;Acme AU&#39;: \d+ account codes, \d+ tax types", html)
    assert parse(html).by_id("connection") is not None

    web.page("/clients/new")
    url = web.post("/clients", {"name": "Delta Ltd", "tenant": f"#{tenant}"}).headers["location"]
    html = web.page(url)
    assert 'id="sync-status">pending' in html
    response = web.request(
        "POST", f"{url}/sync", headers={"HX-Request": "true", "X-CSRF-Token": web.csrf}
    )
    assert response.status_code == 200
    fragment = parse(response.text)
    assert fragment.by_id("sync") is not None and fragment.by_id("sync-status").text == "synced"
    with store.session() as s:
        remote = CLIENTS.get(s, "Delta Ltd").remote_id
    assert remote
    [success] = fragment.notices("success")
    assert "Delta Ltd" in success and success.endswith(f"→ Ledger 'Acme AU' as {remote}")

    # Success messages off: the pass still syncs the edit, and says nothing unless something fails.
    web.post("/integrations/ledger", [("entities_to_sync", "client")])
    page = parse(web.page(url))
    form = {"name": "Delta Ltd", "email": "ap@delta.example", "currency": "AUD"}
    form |= {"tenant": f"#{tenant}", "remote_id": remote}
    web.post(url, form)
    page = parse(web.page(url))
    assert page.notices("success") == [
        "✓ Success: Client 'Delta Ltd' saved. It syncs on the next pass."
    ]
    response = web.post(f"{url}/sync")
    assert response.headers["location"] == f"{url}#sync"
    page = parse(web.page(url))
    assert page.by_id("sync-status").text == "synced"
    assert page.notices("success") == [] and page.notices("error") == []
    with store.session() as s:
        client = CLIENTS.get(s, "Delta Ltd")
        assert (client.version, client.remote_id) == (2, remote)


def test_errors_are_shown_with_their_fix_even_with_success_messages_off(
    web: WebClient, store: Store, tmp_path: Path
) -> None:
    small_books(store)
    with store.session() as s:
        tenant = connect_tenant(s, "Acme AU", directory=tmp_path / "ledgers")
        import_from_tool(s, "Acme AU")
        ledger = tenant_connector(tenant).path(tenant.remote_tenant_id)  # type: ignore[attr-defined]
    # Someone archives the Sales account in the ledger itself after booksync imported the chart.
    with open(ledger, "a", encoding="utf-8") as file:
        file.write("\n2000-01-01 close Income:Sales\n")
    product = record_id(store, "product", "Hours")
    web.page(f"/products/{product}")
    response = web.request(
        "POST",
        f"/products/{product}/sync",
        headers={"HX-Request": "true", "X-CSRF-Token": web.csrf},
    )
    page = parse(response.text)
    assert page.notices("success") == []  # the client synced, silently
    [error] = page.notices("error")
    assert "Hours was rejected by 'Acme AU'" in error and "is archived in the ledger" in error
    assert "Fix: use an active account code" in error
    status = page.by_id("sync-status")
    assert status is not None and status.text == "failed"
    checks = page.with_class("check-blocked", "li")
    assert any("the tool rejected product 'Hours'" in " ".join(c.text.split()) for c in checks)
    with store.session() as s:
        assert CLIENTS.get(s, "Acme Pty Ltd").remote_id is not None
        assert PRODUCTS.get(s, "Hours").remote_id is None


def test_a_tax_rate_is_mapped_to_a_tenant_tax_type_and_unmapped(
    web: WebClient, store: Store
) -> None:
    small_books(store)
    rate, tenant = (
        record_id(store, "tax_rate", "GST on Income"),
        record_id(store, "tenant", "Acme AU"),
    )
    page = parse(web.page(f"/tax-rates/{rate}"))
    assert page.by_id("tax_types") is not None
    assert page.by_id(f"tax_types-{tenant}").attrs["value"] == "OUTPUT"
    web.post(f"/tax-rates/{rate}/tax-types", {"tenant": f"#{tenant}", "tax_type": "OUTPUT2"})
    html = web.page(f"/tax-rates/{rate}")
    assert "maps to OUTPUT2 in tenant &#39;Acme AU&#39;" in html
    web.post(f"/tax-rates/{rate}/tax-types", {"tenant": f"#{tenant}", "tax_type": " "})
    assert "tax_type: &#39;&#39; is not a tax type" in web.page(f"/tax-rates/{rate}")
    web.post(f"/tax-rates/{rate}/tax-types/{tenant}/delete")
    page = parse(web.page(f"/tax-rates/{rate}"))
    assert page.by_id(f"tax_types-{tenant}").attrs["value"] == ""
    with store.session() as s:
        assert TAX_RATES.get(s, "GST on Income").mappings == []


# -- lists ---------------------------------------------------------------------------------------


def test_lists_page_and_search_and_answer_htmx_with_the_results_only(
    web: WebClient, store: Store
) -> None:
    with store.session() as s:
        for i in range(30):
            CLIENTS.create(s, {"name": f"Client {i:02d}" if i % 3 else f"Zeta {i:02d}"})
    html = web.page("/clients")
    assert "30 clients" in html and "Page 1 of 2" in html
    assert len(re.findall(r'href="/clients/\d+"', html)) == 25
    page2 = web.page("/clients?page=2")
    assert len(re.findall(r'href="/clients/\d+"', page2)) == 5 and 'rel="prev"' in page2
    found = web.page("/clients?q=zeta")
    assert "10 clients matching “zeta”" in found and "Client 01" not in found
    partial = web.get("/clients?q=zeta", headers={"HX-Request": "true", "HX-Target": "results"})
    assert partial.text.lstrip().startswith('<div id="results">')
    assert "<nav" not in partial.text.split('<div id="results">')[0]


def test_assets_come_from_the_package_and_pages_name_no_other_host(web: WebClient) -> None:
    for path, kind in (
        ("/assets/htmx.min.js", "javascript"),
        ("/assets/app.js", "javascript"),
        ("/assets/app.css", "css"),
        ("/assets/logos/ledger.svg", "svg"),
        ("/assets/logos/xero.svg", "svg"),
        ("/assets/logos/quickbooks.svg", "svg"),
    ):
        response = web.get(path)
        assert response.status_code == 200 and kind in response.headers["content-type"], path
    licence = web.get("/assets/htmx.LICENSE.txt").text
    assert "htmx" in licence and "Zero-Clause BSD" in licence
    response = web.get("/health")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    for element in parse(response.text).elements:
        for attr in ("src", "href"):
            assert not element.attrs.get(attr, "").startswith(("http:", "https:", "//")), element
