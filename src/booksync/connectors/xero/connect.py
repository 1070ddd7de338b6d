"""Connecting Xero organisations: the app's settings, the PKCE sign-in, and connectors for tenants.

The sign-in runs the OAuth 2.0 authorization-code flow with PKCE: announce the URL, receive the
callback on localhost, trade the code for tokens, and list the organisations the person authorised
(GET /connections). Every organisation of one sign-in shares one grant.

Settings come from the environment: BOOKSYNC_XERO_CLIENT_ID (required to connect),
BOOKSYNC_XERO_CLIENT_SECRET (only for confidential apps; PKCE apps have none),
BOOKSYNC_XERO_REDIRECT_URI (default http://localhost:8765/callback, registered with the app),
BOOKSYNC_XERO_SCOPES, and the base URLs BOOKSYNC_XERO_API_URL / _IDENTITY_URL / _LOGIN_URL, or
BOOKSYNC_XERO_URL to point all three at one host (the emulator).
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
from booksync.connectors.tool import Connected, ConnectRequest, TenantLink
from booksync.connectors.xero.connector import (
    API_URL,
    IDENTITY_URL,
    LOGIN_URL,
    SCOPES,
    XeroConnector,
    xero_app,
)
from booksync.errors import BadInput

ENV = "BOOKSYNC_XERO_"
DEFAULT_REDIRECT = "http://localhost:8765/callback"


@dataclass(frozen=True)
class XeroSettings:
    """Where Xero is and which app signs in; every URL can point at the emulator."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str = DEFAULT_REDIRECT
    api_url: str = API_URL
    identity_url: str = IDENTITY_URL
    login_url: str = LOGIN_URL
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> XeroSettings:
        env = os.environ if environ is None else environ
        root = env.get(f"{ENV}URL", "").rstrip("/")
        scopes = env.get(f"{ENV}SCOPES", "").split()
        return cls(
            client_id=env.get(f"{ENV}CLIENT_ID") or None,
            client_secret=env.get(f"{ENV}CLIENT_SECRET") or None,
            redirect_uri=env.get(f"{ENV}REDIRECT_URI") or DEFAULT_REDIRECT,
            api_url=env.get(f"{ENV}API_URL") or (f"{root}/api.xro/2.0" if root else API_URL),
            identity_url=env.get(f"{ENV}IDENTITY_URL") or root or IDENTITY_URL,
            login_url=env.get(f"{ENV}LOGIN_URL") or root or LOGIN_URL,
            scopes=tuple(scopes) or SCOPES,
        )


def connector_for_link(link: TenantLink | None, **settings: Any) -> XeroConnector:
    """The connector for a connected Xero tenant, refreshing (and persisting) its tokens itself;
    without a link, one built from `settings` alone (tests pass `tokens=`)."""
    if link is None:
        return XeroConnector(**settings)
    credentials = credentials_of(link, "Xero")
    save, load = token_callbacks(link, credentials)
    env = XeroSettings.from_env()
    settings.setdefault("base_url", link.detail or env.api_url)
    settings.setdefault("identity_url", credentials.token_url.removesuffix("/connect/token"))
    settings.setdefault("client_id", credentials.client_id)
    settings.setdefault("client_secret", env.client_secret)
    settings.setdefault("tenant_names", {link.remote_id: link.name})
    return XeroConnector(
        credentials.tokens, on_tokens_refreshed=save, reload_tokens=load, **settings
    )


def connect(request: ConnectRequest) -> list[Connected]:
    """Sign in and return every organisation the person authorised, each with the one grant."""
    settings: XeroSettings = request.options.get("settings") or XeroSettings.from_env()
    if not settings.client_id:
        raise BadInput(
            f"{ENV}CLIENT_ID",
            "",
            "is not set",
            "the client id of your Xero app (developer.xero.com → My Apps)",
        )
    clock: Clock = request.options.get("clock") or Clock()
    given: HttpClient | None = request.options.get("http")
    app = xero_app(
        settings.client_id,
        identity_url=settings.identity_url,
        login_url=settings.login_url,
        client_secret=settings.client_secret,
        scopes=settings.scopes,
    )
    client = given or HttpClient(tool="Xero", clock=clock)
    try:
        authorization, _, code = browser_sign_in(app, settings.redirect_uri, request)
        tokens = exchange_code(client, app, authorization, code, clock.utcnow())
        connector = XeroConnector(
            tokens,
            base_url=settings.api_url,
            identity_url=settings.identity_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            http=client,
            clock=clock,
        )
        organisations = connector.list_tenants()
        tokens = connector.tokens.tokens  # listing may have refreshed them
    finally:
        if given is None:
            client.close()
    if not organisations:
        raise ConnectorError(
            "the sign-in authorised no organisation; sign in again and tick at least one"
        )
    secret = Credentials.new(settings.client_id, app.token_url, tokens).to_dict()
    return [Connected(org, settings.api_url, secret) for org in organisations]
