"""Connecting Xero from the web admin, against the Xero emulator's OAuth server over loopback: the
Connect button sends the browser to the sign-in, the emulator redirects back to the admin's own
callback route, and the page lists the organisations linked, each imported; the tenant's
connection page shows its health and a Reconnect button that signs in again."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from booksync.secrets import KEY_ENV
from booksync.store.db import Store
from booksync.store.models import AccountCode, Tenant
from emulators.conftest import (  # noqa: F401 - the fixtures
    quickbooks_emulator,
    quickbooks_emulator_factory,
    xero_emulator_factory,
)
from web.html_support import parse
from web.web_support import WebClient


@pytest.fixture
def xero(xero_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    handle = xero_emulator_factory(tenants=2)
    app = handle.emulator.auth.register_client("booksync-web", None)  # PKCE, any redirect URI
    monkeypatch.setenv("BOOKSYNC_XERO_URL", handle.base_url)
    monkeypatch.setenv("BOOKSYNC_XERO_CLIENT_ID", app.client_id)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    return handle


def _sign_in_at_tool(web: WebClient, start: str, kind: str = "xero") -> httpx.Response:
    """Follow the Connect button to the emulator's authorize endpoint (a real server: the person's
    browser), which consents and redirects back to the admin's callback."""
    sent = web.get(start)
    assert sent.status_code == 303, sent.text
    authorize = sent.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == [f"http://booksync.test/connect/{kind}/callback"]
    consented = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert consented.status_code in (302, 303), consented.text
    back = urlsplit(consented.headers["location"])
    assert back.path == f"/connect/{kind}/callback"
    return web.get(f"{back.path}?{back.query}")


def test_connect_from_the_web_links_every_organisation_and_imports_each(
    web: WebClient, store: Store, xero: Any
) -> None:
    page = parse(web.page("/integrations/xero"))
    button = page.by_id("connect-tool")
    assert button is not None and button.attrs["href"] == "/connect/xero"
    done = _sign_in_at_tool(web, "/connect/xero")
    assert done.status_code == 200, done.text
    shown = parse(done.text)
    rows = [" ".join(e.text.split()) for e in shown.elements if e.tag == "tr"][1:]
    assert len(rows) == 2 and all("account codes" in row for row in rows)
    with store.session() as s:
        tenants = s.scalars(select(Tenant).order_by(Tenant.name)).all()
        assert [t.connection_state for t in tenants] == ["connected", "connected"]
        assert all(t.credentials and b"access_token" not in t.credentials for t in tenants)
        codes = s.scalars(select(AccountCode)).all()
        assert codes  # the chart came in with the connection, as on the command line
        first = tenants[0].id
    health = parse(web.page(f"/connect/tenants/{first}"))
    state = health.by_id("health-state")
    assert state is not None and state.text.startswith(f"connected ({xero.base_url}")
    token = health.by_id("health-token")
    assert token is not None and "renewed automatically" in token.text
    last = health.by_id("health-last-call")
    assert last is not None and "never" not in last.text  # the import reached Xero
    reconnect = [e for e in health.links() if e.text.startswith("Reconnect")]
    assert reconnect and reconnect[0].attrs["href"] == f"/connect/xero?tenant={first}"
    again = _sign_in_at_tool(web, reconnect[0].attrs["href"])
    assert again.status_code == 200
    with store.session() as s:
        assert len(s.scalars(select(Tenant)).all()) == 2  # reconnected, not duplicated


def test_a_callback_not_started_by_this_browser_links_nothing(
    web: WebClient, store: Store, xero: Any
) -> None:
    forged = web.get("/connect/xero/callback?code=stolen&state=guessed")
    assert forged.status_code == 303
    assert parse(web.page("/integrations/xero")).notices("error") == [
        "✗ Error: This sign-in was not started from this browser, or it was already used; "
        "start it again with the Connect button."
    ]
    with store.session() as s:
        assert s.scalars(select(Tenant)).all() == []


def test_a_sign_in_refused_at_the_tool_says_so(web: WebClient, store: Store, xero: Any) -> None:
    sent = web.get("/connect/xero")
    state = parse_qs(urlsplit(sent.headers["location"]).query)["state"][0]
    refused = web.get(f"/connect/xero/callback?error=access_denied&state={state}")
    assert refused.status_code == 303
    [error] = parse(web.page("/integrations/xero")).notices("error")
    assert "Xero sign-in failed" in error and "access_denied" in error
    with store.session() as s:
        assert s.scalars(select(Tenant)).all() == []


def test_connect_quickbooks_from_the_web_links_the_company_chosen(
    web: WebClient,
    store: Store,
    quickbooks_emulator: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle = quickbooks_emulator
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_URL", handle.base_url)
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_ID", handle.client_id)
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", handle.client_secret or "")
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    assert parse(web.page("/integrations/quickbooks")).by_id("connect-tool") is not None
    done = _sign_in_at_tool(web, "/connect/quickbooks", "quickbooks")
    assert done.status_code == 200, done.text
    with store.session() as s:
        [tenant] = s.scalars(select(Tenant)).all()
        assert tenant.connection_state == "connected" and tenant.accounts_imported_at is not None
