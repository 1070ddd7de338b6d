"""Intuit's OAuth 2.0 service for QuickBooks Online, as a client meets it.

- Discovery (`GET /.well-known/openid_configuration`, and the `openid_sandbox_configuration`
  twin): the endpoint URLs, all pointing at this server (intuitlib's `AuthClient` takes this URL as
  its `environment`).
- Authorize (`GET /connect/oauth2`): no login page; the login user picks a company
  (`consent_realm`, by default the first) and consents at once, and the browser is sent back to
  `redirect_uri` with `code`, `state` and `realmId`. A grant reaches one company: connecting two
  companies makes two grants, each with its own tokens.
- Token (`POST /oauth2/v1/tokens/bearer`, the app authenticated by HTTP Basic or in the form):
  `authorization_code` and `refresh_token`. Access tokens live one hour (`expires_in: 3600`).
  Refresh tokens live 100 days from their last use (`x_refresh_token_expires_in`), never past the
  grant's five-year hard limit (`x_refresh_token_hard_expires_in`). A refresh within 24 hours of the
  refresh token being issued hands back the same value with its 100 days restarted; after that it
  hands back a new value and the old one stops working (Intuit: "always store the latest refresh
  token"). `TokenPolicy(rotate_after=timedelta(0))` rotates on every refresh.
- Revoke (`POST /v2/oauth2/tokens/revoke`, `{"token": ...}`): the grant ends; its access tokens
  answer 401 from then on.
Errors: 400 `invalid_grant` / `unsupported_grant_type` / `invalid_request`, 401 `invalid_client`.
Tokens are opaque strings; the server trusts its own table. No id_token is issued (Intuit signs
those with RS256 keys the emulator does not have), so `openid` scopes give no id_token.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Request, Response
from booksync_emulators.oauth import Client, client_credentials, new_client, oauth_error, redirect
from booksync_emulators.quickbooks import errors
from booksync_emulators.quickbooks.errors import GatewayError

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset(
    {
        ACCOUNTING_SCOPE,
        "com.intuit.quickbooks.payment",
        "openid",
        "profile",
        "email",
        "phone",
        "address",
    }
)

DISCOVERY_PATH = "/.well-known/openid_configuration"
SANDBOX_DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration"
AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/op/v1/jwks"
ISSUER_PATH = "/op/v1"

INVALID_REFRESH = "Incorrect or invalid refresh token"  # seen


@dataclass(frozen=True)
class TokenPolicy:
    """Token lives; the defaults are Intuit's."""

    access_ttl: timedelta = timedelta(hours=1)
    refresh_ttl: timedelta = timedelta(days=100)
    hard_ttl: timedelta = timedelta(days=5 * 365)
    rotate_after: timedelta = timedelta(hours=24)
    code_ttl: timedelta = timedelta(minutes=5)


@dataclass
class Grant:
    """One consent: an app's access to one company, until revoked or past its hard limit."""

    id: str
    client_id: str
    realm_id: str
    scope: str
    hard_expires_at: datetime
    revoked: bool = False

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: datetime


@dataclass
class RefreshToken:
    token: str
    grant: Grant
    issued_at: datetime
    expires_at: datetime
    retired: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    realm_id: str
    scope: str
    expires_at: datetime
    used: bool = False


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answers, for tests and the command line."""

    realm_id: str
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    hard_expires_in: int

    def as_json(self) -> dict[str, object]:
        return {
            "token_type": "bearer",
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "x_refresh_token_expires_in": self.refresh_expires_in,
            "x_refresh_token_hard_expires_in": self.hard_expires_in,
        }


@dataclass
class IntuitOAuth:
    clock: VirtualClock
    #: the companies that exist, in the order the consent screen lists them
    realms: Callable[[], list[str]]
    policy: TokenPolicy = field(default_factory=TokenPolicy)
    clients: dict[str, Client] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    #: the company the login user picks on the consent screen (None: the first)
    consent_realm: str | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def register_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = "generate",
        redirect_uris: Iterable[str] = (),
    ) -> Client:
        """An app; any redirect URI is accepted when none are registered."""
        client = new_client(client_id, client_secret, redirect_uris)
        self.clients[client.client_id] = client
        return client

    def connect(self, client_id: str, realm_id: str, scope: str = ACCOUNTING_SCOPE) -> TokenSet:
        """What a user finishing the consent screen for `realm_id` amounts to: a grant and tokens."""
        if realm_id not in self.realms():
            raise ValueError(f"company '{realm_id}' does not exist")
        with self._lock:
            now = self.clock.utcnow()
            grant = Grant(str(uuid.uuid4()), client_id, realm_id, scope, now + self.policy.hard_ttl)
            return self._issue(grant, self._new_refresh(grant, now), now)

    # -- endpoints ------------------------------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        base = request.base_url
        document = {
            "issuer": base + ISSUER_PATH,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "jwks_uri": base + JWKS_PATH,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
        return Response.json(200, json.dumps(document))

    def authorize(self, request: Request) -> Response:
        """GET /connect/oauth2: consent at once and redirect back with a code and the realmId."""
        client = self.clients.get(request.param("client_id") or "")
        redirect_uri = request.param("redirect_uri") or ""
        state = request.param("state")
        if client is None:
            return oauth_error("invalid_client", "unknown client_id", 401)
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return oauth_error(
                "invalid_request", f"redirect_uri '{redirect_uri}' is not registered for this app"
            )
        if request.param("response_type") != "code":
            return redirect(redirect_uri, error="unsupported_response_type", state=state)
        scope = " ".join((request.param("scope") or "").split())
        if not scope or not set(scope.split()) <= KNOWN_SCOPES:
            return redirect(redirect_uri, error="invalid_scope", state=state)
        realms = self.realms()
        realm_id = self.consent_realm or (realms[0] if realms else None)
        if realm_id is None or realm_id not in realms:
            return redirect(redirect_uri, error="access_denied", state=state)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = _Code(
                client.client_id,
                redirect_uri,
                realm_id,
                scope,
                self.clock.utcnow() + self.policy.code_ttl,
            )
        return redirect(redirect_uri, code=code, state=state, realmId=realm_id)

    def token(self, request: Request) -> Response:
        """POST /oauth2/v1/tokens/bearer."""
        form = request.form()
        client_id, secret = client_credentials(request, form)
        client = self.clients.get(client_id or "")
        if client is None or secret is None or secret != client.client_secret:
            return oauth_error("invalid_client", None, 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                return self._code_grant(client, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(client, form.get("refresh_token", ""))
        return oauth_error("unsupported_grant_type")

    def _code_grant(self, client: Client, form: dict[str, str]) -> Response:
        code = self.codes.get(form.get("code", ""))
        now = self.clock.utcnow()
        if (
            code is None
            or code.used
            or code.expires_at <= now
            or code.client_id != client.client_id
        ):
            return oauth_error("invalid_grant")
        if form.get("redirect_uri") != code.redirect_uri:
            return oauth_error("invalid_grant", "redirect_uri does not match the authorize request")
        code.used = True
        grant = Grant(
            str(uuid.uuid4()),
            client.client_id,
            code.realm_id,
            code.scope,
            now + self.policy.hard_ttl,
        )
        return _token_response(self._issue(grant, self._new_refresh(grant, now), now))

    def _refresh_grant(self, client: Client, token: str) -> Response:
        refresh = self.refresh_tokens.get(token)
        now = self.clock.utcnow()
        if (
            refresh is None
            or refresh.retired
            or refresh.grant.client_id != client.client_id
            or refresh.grant.revoked
            or refresh.expires_at <= now
            or refresh.grant.hard_expires_at <= now
        ):
            return oauth_error("invalid_grant", INVALID_REFRESH)
        if now - refresh.issued_at >= self.policy.rotate_after:
            refresh.retired = True
            refresh = self._new_refresh(refresh.grant, now)
        else:
            refresh.expires_at = min(now + self.policy.refresh_ttl, refresh.grant.hard_expires_at)
        return _token_response(self._issue(refresh.grant, refresh, now))

    def revoke(self, request: Request) -> Response:
        """POST /v2/oauth2/tokens/revoke: the grant behind the access or refresh token ends."""
        try:
            token = str(request.json().get("token") or "")
        except (ValueError, AttributeError, UnicodeDecodeError):
            token = request.form().get("token", "")
        client_id, secret = client_credentials(request, {})
        client = self.clients.get(client_id or "")
        if client is None or secret != client.client_secret:
            return oauth_error("invalid_client", None, 401)
        if not token:
            return oauth_error("invalid_request", "token is required")
        with self._lock:
            found = self.refresh_tokens.get(token) or self.access_tokens.get(token)
            if found is not None and found.grant.client_id == client.client_id:
                found.grant.revoked = True
        return Response(200)

    def userinfo(self, request: Request) -> Response:
        access = self.authenticate(request)
        if "openid" not in access.grant.scopes:
            return errors.insufficient_scope(self.clock.utcnow())
        body = {"sub": access.grant.id, "email": "owner@example.com", "emailVerified": True}
        return Response.json(200, json.dumps(body))

    def jwks(self, request: Request) -> Response:
        return Response.json(200, json.dumps({"keys": []}))

    # -- for the API ----------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> AccessToken:
        """The access token of a call, or `GatewayError` with QBO's 401."""
        now = self.clock.utcnow()
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(
                errors.authentication_failed("Authorization header is missing or not Bearer", now)
            )
        access = self.access_tokens.get(token.strip())
        if access is None:
            raise GatewayError(errors.authentication_failed("Token invalid", now))
        if access.grant.revoked:
            raise GatewayError(errors.authentication_failed("Token revoked", now))
        if access.expires_at <= now:
            stamp = access.expires_at.isoformat()
            raise GatewayError(errors.authentication_failed(f"Token expired: {stamp}", now))
        return access

    # -- issuing ------------------------------------------------------------------------------------

    def _new_refresh(self, grant: Grant, now: datetime) -> RefreshToken:
        expires = min(now + self.policy.refresh_ttl, grant.hard_expires_at)
        refresh = RefreshToken("RT1-" + secrets.token_urlsafe(32), grant, now, expires)
        self.refresh_tokens[refresh.token] = refresh
        return refresh

    def _issue(self, grant: Grant, refresh: RefreshToken, now: datetime) -> TokenSet:
        access = AccessToken("eyJ" + secrets.token_urlsafe(96), grant, now + self.policy.access_ttl)
        self.access_tokens[access.token] = access
        return TokenSet(
            grant.realm_id,
            access.token,
            refresh.token,
            int(self.policy.access_ttl.total_seconds()),
            int((refresh.expires_at - now).total_seconds()),
            int((grant.hard_expires_at - now).total_seconds()),
        )


def _token_response(tokens: TokenSet) -> Response:
    return Response.json(
        200, json.dumps(tokens.as_json()), {"Cache-Control": "no-store", "Pragma": "no-cache"}
    )
