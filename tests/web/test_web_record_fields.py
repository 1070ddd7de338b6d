"""The fields that make documents book correctly, in the web admin: payment terms, address and
tracking on a client's form, a credit note's credited invoice, purchase tax types and the tool's
tax types, and the tool's settings on a tenant's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from booksync.connectors.protocol import PaymentTerms, RemoteSettings
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, TAX_RATES
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.db import Store
from booksync.store.models import Client
from booksync_emulators.recording import RecordingTool
from web.html_support import parse
from web.test_web_pages import count, record_id, small_books
from web.web_support import WebClient


class SettingsTool(RecordingTool):
    def settings(self, tenant: str) -> RemoteSettings:
        return RemoteSettings(
            currencies=frozenset({"AUD", "USD"}),
            lock_date=date(2025, 6, 30),
            payment_terms=PaymentTerms(20, "OFFOLLOWINGMONTH"),
            tracking_categories={"Region": ("North", "South")},
        )


def imported(store: Store) -> None:
    tool = SettingsTool()
    with store.session() as s:
        connect_tenant(s, "Acme AU", connector=tool)
    with store.session() as s:
        import_from_tool(s, "Acme AU", connector=tool)


def value(html: str, field: str) -> str:
    element = parse(html).by_id(field)
    assert element is not None, field
    return element.attrs.get("value") or element.text


def test_a_clients_terms_address_and_tracking_are_set_in_its_form(
    web: WebClient, store: Store
) -> None:
    small_books(store)
    web.page("/clients/new")
    form: dict[str, Any] = {
        "name": "Bravo Ltd",
        "currency": "AUD",
        "payment_terms": "20th of next month",
        "address_lines": "Level 2\r\n1 Main St",
        "city": "Sydney",
        "country": "AU",
        "tracking": "Region=North; Team=Ops",
    }
    response = web.post("/clients", form)
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    html = web.page(url)
    assert value(html, "payment_terms") == "20th of next month"
    assert value(html, "address_lines").strip() == "Level 2\n1 Main St"
    assert (value(html, "city"), value(html, "tracking")) == ("Sydney", "Region=North; Team=Ops")
    with store.session() as s:
        client = CLIENTS.get(s, "Bravo Ltd")
        assert client.payment_terms == {"days": 20, "type": "OFFOLLOWINGMONTH"}
        assert client.address == {
            "lines": ["Level 2", "1 Main St"],
            "city": "Sydney",
            "country": "AU",
        }
        assert client.tracking == {"Region": "North", "Team": "Ops"}
        version = client.version
    # The same form again changes nothing; a changed city changes the city only.
    assert web.post(url, form).status_code == 303
    assert "No changes to save." in web.page(url)
    assert web.post(url, form | {"city": "Parramatta", "country": ""}).status_code == 303
    with store.session() as s:
        client = CLIENTS.get(s, "Bravo Ltd")
        assert client.address == {"lines": ["Level 2", "1 Main St"], "city": "Parramatta"}
        assert client.version == version + 1


#: A rejected value on a client's form: what was typed, the field at fault, the message.
REJECTED = [
    ({"payment_terms": "fortnightly"}, "payment_terms", "is not payment terms"),
    ({"tracking": "Region"}, "tracking", "is not CATEGORY=OPTION"),
    ({"country": "4000"}, "country", "is not a country name"),
    ({"address_lines": "a\nb\nc\nd\ne"}, "address_lines", "at most 4 street lines"),
]


def test_a_rejected_part_comes_back_on_its_own_field(web: WebClient, store: Store) -> None:
    small_books(store)
    before = count(store, Client)
    for typed, field, message in REJECTED:
        web.page("/clients/new")
        response = web.post("/clients", {"name": "Charlie"} | typed)
        assert response.status_code == 422, (typed, response.text)
        page = parse(response.text)
        error = page.by_id(f"{field}-error")
        assert error is not None and message in error.text, (typed, response.text)
        control = page.by_id(field)
        assert control is not None and control.attrs.get("aria-invalid") == "true"
    assert count(store, Client) == before


def test_a_credit_note_names_the_invoice_it_credits(web: WebClient, store: Store) -> None:
    small_books(store)
    with store.session() as s:
        line = {"product": "Hours", "quantity": "1"}
        DOCUMENTS[EntityType.INVOICE].create(
            s, {"number": "INV-1", "party": "Acme Pty Ltd", "lines": [line]}
        )
        DOCUMENTS[EntityType.CREDIT_NOTE].create(
            s, {"number": "CN-1", "party": "Acme Pty Ltd", "lines": [line]}
        )
    note = record_id(store, "credit_note", "CN-1")
    invoice = record_id(store, "invoice", "INV-1")
    assert parse(web.page(f"/invoices/{invoice}")).by_id("credits") is None
    html = web.page(f"/credit-notes/{note}")
    assert value(html, "credits") == ""
    form = {
        "number": "CN-1",
        "client": "Acme Pty Ltd",
        "issue_date": value(html, "issue_date"),
        "currency": "AUD",
        "status": "draft",
        "credits": "INV-1",
        "exchange_rate": "1.1",
        "lines-1-product": "Hours",
        "lines-1-quantity": "1",
    }
    response = web.post(f"/credit-notes/{note}", form)
    assert response.status_code == 303, response.text
    html = web.page(f"/credit-notes/{note}")
    assert (value(html, "credits"), value(html, "exchange_rate")) == ("INV-1", "1.1")
    refused = web.post(f"/credit-notes/{note}", form | {"credits": "INV-404"})
    assert refused.status_code == 422
    error = parse(refused.text).by_id("credits-error")
    assert error is not None and "is not a known invoice" in error.text


def test_purchase_tax_types_and_the_tools_tax_types(web: WebClient, store: Store) -> None:
    small_books(store)
    imported(store)
    rate, tenant = (
        record_id(store, "tax_rate", "GST on Income"),
        record_id(store, "tenant", "Acme AU"),
    )
    page = parse(web.page(f"/tax-rates/{rate}"))
    assert page.by_id(f"tax_types-{tenant}-purchase") is not None
    form = {"tenant": f"#{tenant}", "tax_type": "output", "purchase_tax_type": "INPUT"}
    web.post(f"/tax-rates/{rate}/tax-types", form)
    html = web.page(f"/tax-rates/{rate}")
    assert "did you mean OUTPUT?" in html
    web.post(f"/tax-rates/{rate}/tax-types", form | {"tax_type": "OUTPUT"})
    html = web.page(f"/tax-rates/{rate}")
    assert "maps to OUTPUT (purchases: INPUT) in tenant &#39;Acme AU&#39;" in html
    assert value(html, f"tax_types-{tenant}-purchase") == "INPUT"
    with store.session() as s:
        mapping = TAX_RATES.get(s, "GST on Income").mappings[0]
        assert (mapping.tax_type, mapping.purchase_tax_type) == ("OUTPUT", "INPUT")


def test_a_tenants_page_shows_the_tools_settings(web: WebClient, store: Store) -> None:
    small_books(store)
    tenant = record_id(store, "tenant", "Acme AU")
    settings = parse(web.page(f"/tenants/{tenant}")).by_id("tool-settings")
    assert settings is not None and "Not imported" in settings.text
    imported(store)
    settings = parse(web.page(f"/tenants/{tenant}")).by_id("tool-settings")
    assert settings is not None
    for shown in ("AUD, USD", "2025-06-30", "20th of next month", "Region (North, South)"):
        assert shown in settings.text, settings.text
