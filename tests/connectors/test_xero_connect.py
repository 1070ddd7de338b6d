"""Connecting Xero tenants: the PKCE sign-in, tenants created or linked, tokens encrypted and shared."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from booksync.connectors.grant import Credentials
from booksync.connectors.http import HttpClient
from booksync.connectors.oauth import s256
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.connect import XeroSettings
from booksync.secrets import KEY_ENV, SecretBox
from booksync.services.connect import connect_tool, read_secret
from booksync.services.errors import BadInput, BooksyncError
from booksync.services.records import TENANTS
from booksync.services.tenants import connect_tenant, import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import AccountCode, Tenant
from booksync.sync.pacing import VirtualClock

ORGS = {
    "11111111-0000-4000-8000-000000000001": ("Acme AU", "AUD"),
    "22222222-0000-4000-8000-000000000002": ("Acme NZ", "NZD"),
}
SETTINGS = XeroSettings(
    client_id="app-1",
    redirect_uri="http://127.0.0.1:0/callback",
    api_url="https://xero.test/api.xro/2.0",
    identity_url="https://xero.test",
    login_url="https://xero.test",
)


def _credentials(tenant: Tenant) -> Credentials:
    secret = read_secret(tenant)
    assert secret is not None
    return Credentials.from_dict(secret)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


class FakeIdentity:
    """Xero's identity and API endpoints, just enough for a sign-in and an import."""

    def __init__(self) -> None:
        self.challenge: str | None = None
        self.issued = 0
        self.token_forms: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/connect/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.token_forms.append(form)
            if form["grant_type"] == "authorization_code" and (
                form.get("code") != "the-code" or s256(form["code_verifier"]) != self.challenge
            ):
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"AT-{self.issued}",
                    "refresh_token": f"RT-{self.issued}",
                    "expires_in": 1800,
                    "token_type": "Bearer",
                },
            )
        if path == "/connections":
            return httpx.Response(
                200,
                json=[
                    {"id": f"c{i}", "tenantId": k, "tenantType": "ORGANISATION", "tenantName": n}
                    for i, (k, (n, _)) in enumerate(ORGS.items())
                ],
            )
        tenant = request.headers.get("xero-tenant-id")
        if path.endswith("/Organisation"):
            name, currency = ORGS[tenant]
            return httpx.Response(
                200, json={"Organisations": [{"Name": name, "BaseCurrency": currency}]}
            )
        if path.endswith("/Accounts"):
            return httpx.Response(
                200,
                json={
                    "Accounts": [
                        {"Code": "200", "Name": "Sales", "Class": "REVENUE", "Status": "ACTIVE"}
                    ]
                },
            )
        if path.endswith(("/TaxRates", "/Contacts", "/Items")):
            key = path.rsplit("/", 1)[1]
            return httpx.Response(200, json={key: []})
        return httpx.Response(404, json={})


def browser(*, state: str | None = None, code: str = "the-code", fake: FakeIdentity):
    """What a person's browser does with the printed URL: sign in, and follow the redirect home."""

    def open_url(url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert "offline_access" in query["scope"].split()
        fake.challenge = query["code_challenge"]
        back = {"code": code, "state": state or query["state"]}
        httpx.get(query["redirect_uri"], params=back, timeout=5)

    return open_url


def sign_in_options(fake: FakeIdentity, **kwargs: Any) -> dict[str, Any]:
    clock = VirtualClock()
    return {
        "settings": SETTINGS,
        "announce": browser(fake=fake, **kwargs),
        "timeout": 5,
        "http": HttpClient(tool="Xero", transport=httpx.MockTransport(fake), clock=clock),
        "clock": clock,
    }


def test_tenant_connect_signs_in_links_the_named_tenant_and_creates_the_others(
    store: Store,
) -> None:
    fake = FakeIdentity()
    with store.session() as s:
        TENANTS.create_for(s, "xero", {"name": "Acme AU"})
    with store.session() as s:
        tenant = connect_tenant(s, "Acme AU", **sign_in_options(fake))
        assert tenant.remote_tenant_id == "11111111-0000-4000-8000-000000000001"
    with store.session() as s:
        tenants = {t.name: t for t in s.scalars(select(Tenant))}
        assert set(tenants) == {"Acme AU", "Acme NZ"}
        for t in tenants.values():
            assert t.connection_state == "connected"
            assert t.connection_detail == SETTINGS.api_url
            assert t.credentials is not None and b"AT-1" not in t.credentials
            assert b"RT-1" not in t.credentials
        assert tenants["Acme NZ"].base_currency == "NZD"
        credentials = _credentials(tenants["Acme AU"])
        assert credentials.tokens.refresh_token == "RT-1"
        assert credentials.grant == _credentials(tenants["Acme NZ"]).grant
    assert fake.token_forms[0]["client_id"] == "app-1"
    assert "client_secret" not in fake.token_forms[0]  # a PKCE app has no secret


def test_a_tenant_not_among_the_authorised_organisations_is_refused_and_nothing_written(
    store: Store,
) -> None:
    with store.session() as s:
        TENANTS.create_for(s, "xero", {"name": "Other Org", "remote_tenant_id": "not-authorised"})
    with (
        pytest.raises(BadInput, match="not among the organisations") as caught,
        store.session() as s,
    ):
        connect_tenant(s, "Other Org", **sign_in_options(FakeIdentity()))
    assert "'Acme AU', 'Acme NZ'" in str(caught.value)
    with store.session() as s:
        assert [t.name for t in s.scalars(select(Tenant))] == ["Other Org"]
        assert s.scalars(select(Tenant)).one().credentials is None


def test_a_callback_for_someone_elses_request_is_refused(store: Store) -> None:
    fake = FakeIdentity()
    with pytest.raises(BooksyncError, match="state does not match"), store.session() as s:
        connect_tool(s, "xero", **sign_in_options(fake, state="forged"))
    assert fake.token_forms == []  # no code was exchanged


def test_connect_without_a_client_id_names_the_setting(store: Store) -> None:
    with pytest.raises(BadInput, match="BOOKSYNC_XERO_CLIENT_ID"), store.session() as s:
        connect_tool(s, "xero", settings=XeroSettings(), announce=print)


def test_connected_tenant_imports_and_a_refresh_is_saved_for_every_tenant_of_the_grant(
    store: Store,
) -> None:
    fake = FakeIdentity()
    with store.session() as s:
        connect_tool(s, "xero", **sign_in_options(fake))
    clock = VirtualClock()
    with store.session() as s:
        tenant = s.scalars(select(Tenant).where(Tenant.name == "Acme AU")).one()
        connector = tenant_connector(tenant, transport=httpx.MockTransport(fake), clock=clock)
        assert isinstance(connector, XeroConnector)
        summary = import_from_tool(s, "Acme AU", connector=connector)
        assert summary.account_codes == 1
    # Half an hour later (outside any session, as in the engine) the tokens are refreshed...
    clock.sleep(timedelta(minutes=29).total_seconds())
    connector.items("11111111-0000-4000-8000-000000000001")
    connector.close()
    with store.session() as s:
        for t in s.scalars(select(Tenant)):
            # ...and the rotated refresh token is on record for both organisations of the sign-in.
            assert _credentials(t).tokens.refresh_token == "RT-2"
        codes = s.scalars(select(AccountCode.code).where(AccountCode.imported_from_tool)).all()
        assert codes == ["200"]


def test_settings_point_every_url_at_one_host_for_the_emulator() -> None:
    settings = XeroSettings.from_env(
        {"BOOKSYNC_XERO_URL": "http://127.0.0.1:9999/", "BOOKSYNC_XERO_CLIENT_ID": "c"}
    )
    assert settings.api_url == "http://127.0.0.1:9999/api.xro/2.0"
    assert settings.identity_url == settings.login_url == "http://127.0.0.1:9999"
    assert XeroSettings.from_env({}).api_url == "https://api.xero.com/api.xro/2.0"


def test_stored_credentials_decrypt_only_with_the_key(store: Store) -> None:
    with store.session() as s:
        connect_tool(s, "xero", **sign_in_options(FakeIdentity()))
    with store.session() as s:
        blob = s.scalars(select(Tenant.credentials)).first()
    assert blob is not None
    assert json.dumps(SecretBox().open(blob)).count("AT-1") == 1
