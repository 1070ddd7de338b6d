"""Connecting Xero organisations: the sign-in flow, and the tenants' encrypted credentials.

`booksync tenant connect NAME` (for a Xero tenant) and `booksync xero connect` run the OAuth 2.0
authorization-code flow with PKCE: print the URL, receive the callback on localhost, trade the code
for tokens, list the organisations the person authorised (GET /connections) and create or link one
booksync tenant for each, storing the tokens encrypted (`booksync.secrets`). Every organisation of
one sign-in shares one grant, so a refresh made for one tenant is written to all of them.

Settings come from the environment: BOOKSYNC_XERO_CLIENT_ID (required to connect),
BOOKSYNC_XERO_CLIENT_SECRET (only for confidential apps; PKCE apps have none),
BOOKSYNC_XERO_REDIRECT_URI (default http://localhost:8765/callback, registered with the app),
BOOKSYNC_XERO_SCOPES, and the base URLs BOOKSYNC_XERO_API_URL / _IDENTITY_URL / _LOGIN_URL, or
BOOKSYNC_XERO_URL to point all three at one host (the emulator).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.http import HttpClient
from booksync.connectors.oauth import (
    AuthorizationRequest,
    CallbackReceiver,
    TokenSet,
    authorization_request,
    check_callback,
    exchange_code,
)
from booksync.connectors.protocol import ConnectorError, RemoteTenant
from booksync.connectors.xero import (
    API_URL,
    IDENTITY_URL,
    LOGIN_URL,
    SCOPES,
    XeroConnector,
    xero_app,
)
from booksync.domain.types import ConnectionState, IntegrationKind
from booksync.secrets import SecretBox
from booksync.services.errors import BadInput, BooksyncError, one_of
from booksync.services.oauth_connect import (
    Announce,
    Credentials,
    CredentialStore,
    announce_on_stderr,
    free_name,
    read_credentials,
)
from booksync.services.records import TENANTS, integration_for
from booksync.store.models import Tenant
from booksync.store.types import utcnow
from booksync.sync.pacing import Clock

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


# --- credentials at rest (shared with QuickBooks: `oauth_connect`) -----------------------------------


def xero_connector_for(tenant: Tenant, **settings: Any) -> XeroConnector:
    """The connector for a connected Xero tenant, refreshing (and persisting) its tokens itself."""
    box: SecretBox = settings.pop("box", None) or SecretBox()
    credentials = read_credentials(tenant, box)
    store = CredentialStore(tenant, credentials, box)
    env = XeroSettings.from_env()
    identity = credentials.token_url.removesuffix("/connect/token")
    settings.setdefault("base_url", tenant.connection_detail or env.api_url)
    settings.setdefault("identity_url", identity)
    settings.setdefault("client_id", credentials.client_id)
    settings.setdefault("client_secret", env.client_secret)
    settings.setdefault("tenant_names", {tenant.remote_tenant_id: tenant.name})
    return XeroConnector(
        credentials.tokens,
        on_tokens_refreshed=store.save,
        reload_tokens=store.load,
        **settings,
    )


# --- the sign-in flow ---------------------------------------------------------------------------------


@dataclass
class SignIn:
    """A finished sign-in: the tokens, and the organisations they reach."""

    grant: str
    client_id: str
    token_url: str
    tokens: TokenSet
    organisations: list[RemoteTenant]


def sign_in(
    settings: XeroSettings,
    *,
    announce: Announce,
    timeout: float = 300.0,
    http: HttpClient | None = None,
    clock: Clock | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> SignIn:
    """Run the PKCE flow: `announce` the URL, wait for the browser's callback, exchange the code, and
    list the organisations the person chose."""
    if not settings.client_id:
        raise BadInput(
            f"{ENV}CLIENT_ID",
            "",
            "is not set",
            "the client id of your Xero app (developer.xero.com → My Apps)",
        )
    clock = clock or Clock()
    app = xero_app(
        settings.client_id,
        identity_url=settings.identity_url,
        login_url=settings.login_url,
        client_secret=settings.client_secret,
        scopes=settings.scopes,
    )
    client = http or HttpClient(tool="Xero", clock=clock)
    try:
        with CallbackReceiver(settings.redirect_uri) as receiver:
            request: AuthorizationRequest = authorization_request(app, receiver.redirect_uri)
            announce(request.url)
            if open_browser is not None:
                open_browser(request.url)
            code = check_callback(receiver.wait(timeout), request)
        tokens = exchange_code(client, app, request, code, clock.utcnow())
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
    except ConnectorError as exc:
        raise BooksyncError(f"Xero sign-in failed: {exc}") from exc
    finally:
        if http is None:
            client.close()
    if not organisations:
        raise BooksyncError(
            "the Xero sign-in authorised no organisation; sign in again and tick at least one"
        )
    return SignIn(str(uuid.uuid4()), settings.client_id, app.token_url, tokens, organisations)


def link_tenants(
    session: Session,
    signed_in: SignIn,
    settings: XeroSettings,
    *,
    wanted: Tenant | None = None,
    box: SecretBox | None = None,
) -> list[Tenant]:
    """Create or link one booksync tenant per organisation and store the grant, encrypted, on each.

    An existing Xero tenant is matched by its remote id, or (one never connected, whose remote id is
    still its name) by the organisation's name. `wanted` must be among them.
    """
    box = box or SecretBox()
    blob = box.seal(
        Credentials(
            signed_in.grant, signed_in.client_id, signed_in.token_url, signed_in.tokens
        ).to_dict()
    )
    integration = integration_for(session, IntegrationKind.XERO.value, create=True)
    existing = list(session.scalars(select(Tenant).where(Tenant.integration_id == integration.id)))
    linked: list[Tenant] = []
    for organisation in signed_in.organisations:
        tenant = next((t for t in existing if t.remote_tenant_id == organisation.remote_id), None)
        if tenant is None:
            tenant = next(
                (
                    t
                    for t in existing
                    if t.remote_tenant_id == t.name
                    and t.name.casefold() == organisation.name.casefold()
                ),
                None,
            )
        if tenant is None and wanted is not None and wanted.remote_tenant_id == wanted.name:
            tenant = wanted if len(signed_in.organisations) == 1 else None
        if tenant is None:
            tenant = TENANTS.create_for(
                session,
                IntegrationKind.XERO.value,
                {
                    "name": free_name(session, organisation.name, "Xero"),
                    "remote_tenant_id": organisation.remote_id,
                    "base_currency": organisation.base_currency or None,
                },
            )
            existing.append(tenant)
        tenant.remote_tenant_id = organisation.remote_id
        if organisation.base_currency:
            tenant.base_currency = organisation.base_currency
        tenant.connection_state = ConnectionState.CONNECTED.value
        tenant.connection_detail = settings.api_url
        tenant.credentials = blob
        tenant.connected_at = utcnow()
        linked.append(tenant)
    if wanted is not None and wanted not in linked:
        raise BadInput(
            "tenant",
            wanted.name,
            "is not among the organisations this Xero sign-in authorised",
            one_of(o.name for o in signed_in.organisations)
            + " (sign in again and choose it, or connect those)",
        )
    session.flush()
    return linked


def connect_xero(
    session: Session,
    *,
    wanted: Tenant | None = None,
    announce: Announce = announce_on_stderr,
    settings: XeroSettings | None = None,
    timeout: float = 300.0,
    http: HttpClient | None = None,
    clock: Clock | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> list[Tenant]:
    """Sign in to Xero and create/link a tenant per organisation authorised (see `link_tenants`)."""
    settings = settings or XeroSettings.from_env()
    signed_in = sign_in(
        settings,
        announce=announce,
        timeout=timeout,
        http=http,
        clock=clock,
        open_browser=open_browser,
    )
    return link_tenants(session, signed_in, settings, wanted=wanted)
