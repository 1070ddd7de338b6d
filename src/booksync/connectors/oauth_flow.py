"""OAuth 2.0 as cloud accounting tools use it, spoken through Authlib: the authorization-code flow
with PKCE (S256), the code exchange, and refresh with the app's client authentication.

Authlib's httpx `OAuth2Client` builds the requests and reads the answers; it sends them through
booksync's `HttpClient` (`ThroughClient`), so a token call is recorded redacted and its failures
become the protocol's errors like any other call. Its answers are checked by a compliance hook
before Authlib reads them: a refused grant is `AuthError` ("connect the tenant again"), anything
unreadable is `ConnectorError`. Expiry is reckoned on booksync's clock (`TokenSet`), not Authlib's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.client import OAuth2Client as _OAuth2Protocol
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from booksync.connectors.http import HttpClient, ThroughClient
from booksync.connectors.protocol import AuthError, ConnectorError
from booksync.connectors.tokens import TokenSet
from booksync.connectors.wire import parse_json, problem_detail

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client

#: Authlib's `update_token` hook: the new token, and the refresh token it replaced.
TokenHook = Callable[..., None]


@dataclass(frozen=True)
class OAuthApp:
    """A registered app: its client id, the tool's endpoints, and the scopes it asks for.

    `client_secret` is None for PKCE-only (public) apps, which is what a CLI on a laptop should be:
    they send their client_id in the form; confidential apps authenticate with HTTP Basic.
    """

    client_id: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    client_secret: str | None = field(default=None, repr=False)

    @property
    def auth_method(self) -> str:
        """How the app authenticates at the token endpoint (RFC 7591 names, as Authlib takes them)."""
        return "none" if self.client_secret is None else "client_secret_basic"


def pkce_pair() -> tuple[str, str]:
    """A fresh code verifier (RFC 7636: 43-128 unreserved characters) and its S256 challenge."""
    verifier = generate_token(96)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    return str(create_s256_code_challenge(verifier))


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the person opens in a browser, and what must come back with the code."""

    url: str
    state: str = field(repr=False)
    verifier: str = field(repr=False)
    redirect_uri: str


def authorization_request(app: OAuthApp, redirect_uri: str) -> AuthorizationRequest:
    """The authorize URL with a fresh state and PKCE challenge (no network: Authlib's protocol
    client builds it)."""
    verifier, _ = pkce_pair()
    protocol = _OAuth2Protocol(
        None, client_id=app.client_id, redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    url, state = protocol.create_authorization_url(
        app.authorize_url,
        state=generate_token(32),
        code_verifier=verifier,
        scope=" ".join(app.scopes),
    )
    return AuthorizationRequest(url, state, verifier, redirect_uri)


def oauth_client(
    http: HttpClient, app: OAuthApp, update_token: TokenHook | None = None
) -> OAuth2Client:
    """Authlib's httpx client for `app`, sending through `http`; `update_token` sees every refresh.

    No scope is set on it: a refresh keeps the grant's scopes without naming them."""
    # Imported here: Authlib's httpx integration is only needed to sign in or refresh.
    from authlib.integrations.httpx_client import OAuth2Client

    client = OAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method=app.auth_method,
        code_challenge_method="S256",
        update_token=update_token,
        token_endpoint=app.token_url,
        transport=ThroughClient(http),
        trust_env=False,  # proxies are the HttpClient's business; nothing may bypass ThroughClient
        timeout=http.timeout,
        headers={"User-Agent": http.user_agent},
    )
    checked = _token_answer_check(http.tool)
    client.register_compliance_hook("access_token_response", checked)
    client.register_compliance_hook("refresh_token_response", checked)
    return client


def _token_answer_check(tool: str) -> Callable[[httpx.Response], httpx.Response]:
    def checked(response: httpx.Response) -> httpx.Response:
        if response.status_code in (400, 401):
            # invalid_grant: the code or refresh token was used, revoked or expired.
            raise AuthError(
                f"{tool} did not accept the authorisation ({problem_detail(response)}); "
                "connect the tenant again"
            )
        if response.status_code != 200:
            raise ConnectorError(
                f"{tool} token endpoint answered {response.status_code}: {problem_detail(response)}"
            )
        try:
            body = parse_json(response.content)
        except ValueError:
            raise ConnectorError(
                f"{tool} token endpoint answered something other than JSON"
            ) from None
        if not isinstance(body, dict):
            raise ConnectorError(f"{tool} token endpoint answered something other than an object")
        TokenSet.from_response(body, datetime.now(UTC))  # only to name what is missing
        return response

    return checked


def token_set(token: dict[str, Any], now: datetime, previous_refresh: str | None) -> TokenSet:
    """Authlib's token as a TokenSet on booksync's clock; a tool that does not rotate its refresh
    token keeps the old one valid."""
    tokens = TokenSet.from_response(token, now)
    if tokens.refresh_token is None and previous_refresh:
        tokens = replace(tokens, refresh_token=previous_refresh)
    return tokens


@contextmanager
def unreadable_as_connector_error(tool: str) -> Iterator[None]:
    """What Authlib raises on an answer it cannot read (the check above lets through only answers
    it can), as the protocol's error; no token value is in the message."""
    try:
        yield
    except (ValueError, TypeError, KeyError) as exc:
        raise ConnectorError(
            f"{tool} token endpoint answered a token that could not be read ({type(exc).__name__})"
        ) from None


def exchange_code(
    http: HttpClient, app: OAuthApp, request: AuthorizationRequest, code: str, now: datetime
) -> TokenSet:
    """Trade the authorization code (and the PKCE verifier that proves we asked for it) for tokens."""
    with oauth_client(http, app) as client, unreadable_as_connector_error(http.tool):
        token = client.fetch_token(
            app.token_url,
            grant_type="authorization_code",
            code=code,
            redirect_uri=request.redirect_uri,
            code_verifier=request.verifier,
        )
    return token_set(dict(token), now, None)


def refresh(http: HttpClient, app: OAuthApp, refresh_token: str, now: datetime) -> TokenSet:
    """New tokens for a refresh token; the answer's refresh token replaces the old one (rotation)."""
    with oauth_client(http, app) as client, unreadable_as_connector_error(http.tool):
        token = client.refresh_token(app.token_url, refresh_token=refresh_token)
    return token_set(dict(token), now, refresh_token)
