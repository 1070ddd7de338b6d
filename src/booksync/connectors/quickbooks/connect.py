"""Connecting QuickBooks Online companies: the app's settings, the sign-in, connectors for tenants.

The sign-in discovers Intuit's endpoints, runs the OAuth 2.0 authorization-code flow (Intuit's
token endpoint needs the client secret), and reads the one company (realm) the person chose; the
callback carries it as `realmId`.

Settings come from the environment: BOOKSYNC_QUICKBOOKS_CLIENT_ID and _CLIENT_SECRET (required),
_REDIRECT_URI (default http://localhost:8765/callback), _ENVIRONMENT (production or sandbox),
_SCOPES, _DISCOVERY_URL and _API_URL, or _URL to point both at one host (the emulator).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from booksync.clock import Clock
from booksync.connectors.grant import Credentials, browser_sign_in, credentials_of, token_callbacks
from booksync.connectors.http import HttpClient
from booksync.connectors.oauth import exchange_code
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.quickbooks.auth import (
    API_URL,
    DISCOVERY_URL,
    SANDBOX_API_URL,
    SANDBOX_DISCOVERY_URL,
    SCOPES,
    discover,
    quickbooks_app,
)
from booksync.connectors.quickbooks.connector import QuickBooksConnector
from booksync.connectors.tool import Connected, ConnectRequest, TenantLink
from booksync.errors import BadInput

ENV = "BOOKSYNC_QUICKBOOKS_"
DEFAULT_REDIRECT = "http://localhost:8765/callback"
ENVIRONMENTS = {
    "production": (DISCOVERY_URL, API_URL),
    "sandbox": (SANDBOX_DISCOVERY_URL, SANDBOX_API_URL),
}
#: Where the emulator (and anything posing as Intuit on one host) serves each part.
DISCOVERY_PATHS = {
    "production": "/.well-known/openid_configuration",
    "sandbox": "/.well-known/openid_sandbox_configuration",
}
TOOL = "QuickBooks"


@dataclass(frozen=True)
class QuickBooksSettings:
    """Where Intuit is and which app signs in; every URL can point at the emulator."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str = DEFAULT_REDIRECT
    environment: str = "production"
    discovery_url: str = DISCOVERY_URL
    api_url: str = API_URL
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> QuickBooksSettings:
        env = os.environ if environ is None else environ
        environment = (env.get(f"{ENV}ENVIRONMENT") or "production").strip().lower()
        if environment not in ENVIRONMENTS:
            raise BadInput(
                f"{ENV}ENVIRONMENT",
                environment,
                "is not an Intuit environment",
                "production, sandbox",
            )
        discovery, api = ENVIRONMENTS[environment]
        root = env.get(f"{ENV}URL", "").rstrip("/")
        if root:
            discovery, api = root + DISCOVERY_PATHS[environment], root + "/v3"
        return cls(
            client_id=env.get(f"{ENV}CLIENT_ID") or None,
            client_secret=env.get(f"{ENV}CLIENT_SECRET") or None,
            redirect_uri=env.get(f"{ENV}REDIRECT_URI") or DEFAULT_REDIRECT,
            environment=environment,
            discovery_url=env.get(f"{ENV}DISCOVERY_URL") or discovery,
            api_url=env.get(f"{ENV}API_URL") or api,
            scopes=tuple(env.get(f"{ENV}SCOPES", "").split()) or SCOPES,
        )

    def require_app(self) -> tuple[str, str]:
        """The client id and secret, or BadInput naming the one that is missing."""
        if not self.client_id:
            raise BadInput(
                f"{ENV}CLIENT_ID",
                "",
                "is not set",
                "the client id of your Intuit app (developer.intuit.com → Keys & credentials)",
            )
        if not self.client_secret:
            raise BadInput(
                f"{ENV}CLIENT_SECRET",
                "",
                "is not set",
                "the client secret of your Intuit app (Intuit's token endpoint requires it)",
            )
        return self.client_id, self.client_secret


def connector_for_link(link: TenantLink | None, **settings: Any) -> QuickBooksConnector:
    """The connector for a connected QuickBooks tenant, refreshing (and persisting) its tokens;
    without a link, one built from `settings` alone (tests pass `tokens=` and `realm=`)."""
    if link is None:
        return QuickBooksConnector(**settings)
    credentials = credentials_of(link, TOOL)
    save, load = token_callbacks(link, credentials)
    env = QuickBooksSettings.from_env()
    settings.setdefault("base_url", link.detail or env.api_url)
    settings.setdefault("token_url", credentials.token_url)
    settings.setdefault("client_id", credentials.client_id)
    settings.setdefault("client_secret", env.client_secret)
    settings.setdefault("tenant_names", {link.remote_id: link.name})
    if not settings["client_secret"]:
        raise BadInput(
            f"{ENV}CLIENT_SECRET",
            "",
            "is not set",
            "the client secret of your Intuit app (QuickBooks tokens are refreshed with it)",
        )
    return QuickBooksConnector(
        credentials.tokens,
        realm=link.remote_id,
        on_tokens_refreshed=save,
        reload_tokens=load,
        **settings,
    )


def connect(request: ConnectRequest) -> list[Connected]:
    """Discover Intuit's endpoints, sign in, and return the one company the person chose."""
    settings: QuickBooksSettings = request.options.get("settings") or QuickBooksSettings.from_env()
    client_id, client_secret = settings.require_app()
    clock: Clock = request.options.get("clock") or Clock()
    given: HttpClient | None = request.options.get("http")
    client = given or HttpClient(tool=TOOL, clock=clock)
    try:
        endpoints = discover(client, settings.discovery_url)
        app = quickbooks_app(
            client_id,
            client_secret,
            authorize_url=endpoints.authorization_endpoint,
            token_url=endpoints.token_endpoint,
            scopes=settings.scopes,
        )
        authorization, callback, code = browser_sign_in(app, settings.redirect_uri, request)
        realm = callback.params.get("realmId", "").strip()
        if not realm:
            raise ConnectorError(
                "the sign-in came back without a realmId (the company chosen); sign in again "
                "from the start"
            )
        tokens = exchange_code(client, app, authorization, code, clock.utcnow())
        connector = QuickBooksConnector(
            tokens,
            realm=realm,
            base_url=settings.api_url,
            token_url=app.token_url,
            client_id=client_id,
            client_secret=client_secret,
            http=client,
            clock=clock,
        )
        company = connector.list_tenants()[0]
        tokens = connector.tokens.tokens  # reading the company may have refreshed them
    finally:
        if given is None:
            client.close()
    secret = Credentials.new(client_id, app.token_url, tokens).to_dict()
    return [Connected(company, settings.api_url, secret)]
