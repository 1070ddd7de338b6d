"""Connecting QuickBooks Online companies: the sign-in flow, and the tenant's encrypted credentials.

`booksync tenant connect NAME` (for a QuickBooks tenant) and `booksync quickbooks connect` read
Intuit's discovery document for its endpoints, run the OAuth 2.0 authorization-code flow (the
browser comes back with the code and the `realmId` of the company the person chose), trade the code
for tokens, read the company's name and home currency, and create or link the booksync tenant for
that realm with the tokens stored encrypted (`booksync.secrets`). A sign-in reaches one company:
each company is its own grant, with its own tokens.

Settings come from the environment: BOOKSYNC_QUICKBOOKS_CLIENT_ID and _CLIENT_SECRET (Intuit apps
are confidential: the secret is needed to sign in and for every refresh), _REDIRECT_URI (default
http://localhost:8765/callback, registered with the app), _ENVIRONMENT (production or sandbox),
_SCOPES, and the URLs _DISCOVERY_URL / _API_URL, or _URL to point both at one host (the emulator).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.http import HttpClient
from booksync.connectors.oauth import (
    CallbackReceiver,
    TokenSet,
    authorization_request,
    check_callback,
    exchange_code,
)
from booksync.connectors.protocol import ConnectorError, RemoteTenant
from booksync.connectors.quickbooks import (
    API_URL,
    DISCOVERY_URL,
    SANDBOX_API_URL,
    SANDBOX_DISCOVERY_URL,
    SCOPES,
    QuickBooksConnector,
    discover,
    quickbooks_app,
)
from booksync.domain.types import ConnectionState, IntegrationKind
from booksync.secrets import SecretBox
from booksync.services.errors import BadInput, BooksyncError
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


def quickbooks_connector_for(tenant: Tenant, **settings: Any) -> QuickBooksConnector:
    """The connector for a connected QuickBooks tenant, refreshing (and persisting) its tokens."""
    box: SecretBox = settings.pop("box", None) or SecretBox()
    credentials = read_credentials(tenant, box)
    store = CredentialStore(tenant, credentials, box)
    env = QuickBooksSettings.from_env()
    settings.setdefault("base_url", tenant.connection_detail or env.api_url)
    settings.setdefault("token_url", credentials.token_url)
    settings.setdefault("client_id", credentials.client_id)
    settings.setdefault("client_secret", env.client_secret)
    settings.setdefault("tenant_names", {tenant.remote_tenant_id: tenant.name})
    if not settings["client_secret"]:
        raise BadInput(
            f"{ENV}CLIENT_SECRET",
            "",
            "is not set",
            "the client secret of your Intuit app (QuickBooks tokens are refreshed with it)",
        )
    return QuickBooksConnector(
        credentials.tokens,
        realm=tenant.remote_tenant_id,
        on_tokens_refreshed=store.save,
        reload_tokens=store.load,
        **settings,
    )


# --- the sign-in flow ------------------------------------------------------------------------------


@dataclass
class SignIn:
    """A finished sign-in: the tokens, and the company (realm) they reach."""

    grant: str
    client_id: str
    token_url: str
    tokens: TokenSet
    company: RemoteTenant


def sign_in(
    settings: QuickBooksSettings,
    *,
    announce: Announce,
    timeout: float = 300.0,
    http: HttpClient | None = None,
    clock: Clock | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> SignIn:
    """Discover Intuit's endpoints, `announce` the authorize URL, wait for the browser's callback
    (code and realmId), exchange the code, and read the company the person chose."""
    client_id, client_secret = settings.require_app()
    clock = clock or Clock()
    client = http or HttpClient(tool=TOOL, clock=clock)
    try:
        endpoints = discover(client, settings.discovery_url)
        app = quickbooks_app(
            client_id,
            client_secret,
            authorize_url=endpoints.authorization_endpoint,
            token_url=endpoints.token_endpoint,
            scopes=settings.scopes,
        )
        with CallbackReceiver(settings.redirect_uri) as receiver:
            request = authorization_request(app, receiver.redirect_uri)
            announce(request.url)
            if open_browser is not None:
                open_browser(request.url)
            callback = receiver.wait(timeout)
            code = check_callback(callback, request)
        realm = callback.params.get("realmId", "").strip()
        if not realm:
            raise BooksyncError(
                "the QuickBooks sign-in came back without a realmId (the company chosen); sign in "
                "again from the start"
            )
        tokens = exchange_code(client, app, request, code, clock.utcnow())
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
    except ConnectorError as exc:
        raise BooksyncError(f"QuickBooks sign-in failed: {exc}") from exc
    finally:
        if http is None:
            client.close()
    return SignIn(str(uuid.uuid4()), client_id, app.token_url, tokens, company)


def link_tenant(
    session: Session,
    signed_in: SignIn,
    settings: QuickBooksSettings,
    *,
    wanted: Tenant | None = None,
    box: SecretBox | None = None,
) -> Tenant:
    """Create or link the booksync tenant of the signed-in company and store its grant, encrypted.

    An existing QuickBooks tenant is matched by its realm id, or (one never connected, whose remote
    id is still its name) by the company's name. `wanted`, when given, must be that tenant.
    """
    company = signed_in.company
    integration = integration_for(session, IntegrationKind.QUICKBOOKS.value, create=True)
    existing = list(session.scalars(select(Tenant).where(Tenant.integration_id == integration.id)))
    tenant = next((t for t in existing if t.remote_tenant_id == company.remote_id), None)
    never_connected = [t for t in existing if t.remote_tenant_id == t.name]
    if wanted is not None:
        if tenant is None and wanted.remote_tenant_id == wanted.name:
            tenant = wanted
        if tenant is not wanted:
            chosen = f"'{company.name}' (realm {company.remote_id})"
            problem = (
                f"cannot be linked: the sign-in chose {chosen}, which is already tenant "
                f"'{tenant.name}'"
                if tenant is not None
                else f"is realm {wanted.remote_tenant_id}, but the sign-in chose {chosen}"
            )
            raise BadInput(
                "tenant", wanted.name, problem, "sign in again and choose this tenant's company"
            )
    if tenant is None:
        tenant = next(
            (t for t in never_connected if t.name.casefold() == company.name.casefold()), None
        )
    if tenant is None:
        tenant = TENANTS.create_for(
            session,
            IntegrationKind.QUICKBOOKS.value,
            {
                "name": free_name(session, company.name, TOOL),
                "remote_tenant_id": company.remote_id,
                "base_currency": company.base_currency or None,
            },
        )
    credentials = Credentials(
        signed_in.grant, signed_in.client_id, signed_in.token_url, signed_in.tokens
    )
    tenant.remote_tenant_id = company.remote_id
    if company.base_currency:
        tenant.base_currency = company.base_currency
    tenant.connection_state = ConnectionState.CONNECTED.value
    tenant.connection_detail = settings.api_url
    tenant.credentials = (box or SecretBox()).seal(credentials.to_dict())
    tenant.connected_at = utcnow()
    session.flush()
    return tenant


def connect_quickbooks(
    session: Session,
    *,
    wanted: Tenant | None = None,
    announce: Announce = partial(announce_on_stderr, tool=TOOL),
    settings: QuickBooksSettings | None = None,
    timeout: float = 300.0,
    http: HttpClient | None = None,
    clock: Clock | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> Tenant:
    """Sign in to QuickBooks and create or link the tenant of the company chosen (`link_tenant`)."""
    settings = settings or QuickBooksSettings.from_env()
    signed_in = sign_in(
        settings,
        announce=announce,
        timeout=timeout,
        http=http,
        clock=clock,
        open_browser=open_browser,
    )
    return link_tenant(session, signed_in, settings, wanted=wanted)
