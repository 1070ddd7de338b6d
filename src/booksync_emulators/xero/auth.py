"""Xero's OAuth 2.0 identity service and its connections, as a client meets them.

- Authorize (`GET /identity/connect/authorize`): no login page; the emulator's login user consents
  at once (to every organisation, or to `consent_tenants`) and the browser is redirected back to
  `redirect_uri` with `code` and `state`. PKCE S256 is checked at the token endpoint.
- Token (`POST /connect/token`): authorization_code (with the code_verifier, or the client secret)
  and refresh_token. Access tokens live 30 minutes (`expires_in: 1800`); refresh tokens are issued
  only with the `offline_access` scope, live 60 days unused and rotate on every use; for 30 minutes
  the token just replaced still works, answering a fresh access token and the same new refresh
  token, so a client that lost a refresh answer can retry.
- Connections are per user and app: `GET /connections` lists them, `DELETE /connections/{id}`
  revokes one, and from then on that tenant answers 403 to this user's tokens.
What it hands out and remembers (tokens, codes, connections) is in `grants`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Request, Response
from booksync_emulators.oauth import Client, new_client
from booksync_emulators.oauth import client_credentials as _client_credentials
from booksync_emulators.oauth import oauth_error as _oauth_error
from booksync_emulators.oauth import redirect as _redirect
from booksync_emulators.xero import errors
from booksync_emulators.xero.errors import XeroError
from booksync_emulators.xero.grants import (
    ACCESS_TTL,
    CODE_TTL,
    DEFAULT_SCOPE,
    REFRESH_GRACE,
    REFRESH_TTL,
    AccessToken,
    Code,
    Connection,
    RefreshToken,
    TokenSet,
    mint_jwt,
    token_response,
)

P = ParamSpec("P")
R = TypeVar("R")


def _serialised(
    method: Callable[Concatenate[OAuthServer, P], R],
) -> Callable[Concatenate[OAuthServer, P], R]:
    """One token rotation or consent at a time: concurrent refreshes must not both rotate."""

    @functools.wraps(method)
    def locked(self: OAuthServer, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


@dataclass
class OAuthServer:
    clock: VirtualClock
    tenant_name: Callable[[str], str | None]
    clients: dict[str, Client] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    #: (user_id, client_id) -> tenant_id -> Connection
    connections: dict[tuple[str, str], dict[str, Connection]] = field(default_factory=dict)
    login_user: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: tenants the login user ticks on the consent screen (None: every organisation)
    consent_tenants: list[str] | None = None
    all_tenants: Callable[[], Iterable[str]] = lambda: ()
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def register_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = "generate",
        redirect_uris: Iterable[str] = (),
    ) -> Client:
        """An app. `client_secret=None` makes a PKCE-only (public) app; any redirect URI is
        accepted when none are registered."""
        client = new_client(client_id, client_secret, redirect_uris)
        self.clients[client.client_id] = client
        return client

    # -- consent and tokens -------------------------------------------------------------------------

    @_serialised
    def connect(
        self,
        client_id: str,
        tenant_ids: Iterable[str],
        *,
        user_id: str | None = None,
        scope: str = DEFAULT_SCOPE,
    ) -> TokenSet:
        """What a user finishing the consent screen amounts to: connections plus a token set."""
        user = user_id or self.login_user
        event = self._consent(user, client_id, tenant_ids)
        return self._issue(user, client_id, scope, event)

    def _consent(self, user_id: str, client_id: str, tenant_ids: Iterable[str]) -> str:
        event = str(uuid.uuid4())
        now = self.clock.utcnow()
        mine = self.connections.setdefault((user_id, client_id), {})
        for tenant_id in tenant_ids:
            name = self.tenant_name(tenant_id)
            if name is None:
                raise ValueError(f"tenant '{tenant_id}' does not exist")
            old = mine.get(tenant_id)
            created = old.created if old else now
            mine[tenant_id] = Connection(str(uuid.uuid4()), tenant_id, name, event, created, now)
        return event

    def _issue(
        self, user_id: str, client_id: str, scope: str, event: str, *, refresh: str | None = None
    ) -> TokenSet:
        """A new access token, with a new refresh token (offline_access) unless `refresh` is the
        one to hand back again."""
        now = self.clock.utcnow()
        token = mint_jwt(self._secret, user_id, client_id, scope, event, now)
        self.access_tokens[token] = AccessToken(
            token, user_id, client_id, event, scope, now + ACCESS_TTL
        )
        if refresh is None and "offline_access" in scope.split():
            fresh = RefreshToken(
                secrets.token_urlsafe(32), user_id, client_id, event, scope, now + REFRESH_TTL
            )
            self.refresh_tokens[fresh.token] = fresh
            refresh = fresh.token
        id_token = (
            mint_jwt(self._secret, user_id, client_id, scope, event, now)
            if "openid" in scope.split()
            else None
        )
        return TokenSet(token, refresh, int(ACCESS_TTL.total_seconds()), event, user_id, id_token)

    # -- endpoints ------------------------------------------------------------------------------------

    @_serialised
    def authorize(self, request: Request) -> Response:
        """GET /identity/connect/authorize: consent at once and redirect back with a code."""
        client = self.clients.get(request.param("client_id") or "")
        redirect_uri = request.param("redirect_uri") or ""
        if client is None:
            return _oauth_error("invalid_client", "unknown client_id")
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return _oauth_error(
                "invalid_request", f"redirect_uri '{redirect_uri}' is not registered for this app"
            )
        if request.param("response_type") != "code":
            return _redirect(
                redirect_uri, error="unsupported_response_type", state=request.param("state")
            )
        challenge = request.param("code_challenge")
        method = request.param("code_challenge_method") or ("plain" if challenge else None)
        if challenge and method != "S256":
            return _redirect(redirect_uri, error="invalid_request", state=request.param("state"))
        scope = request.param("scope") or "openid"
        tenants = (
            self.consent_tenants if self.consent_tenants is not None else list(self.all_tenants())
        )
        event = self._consent(self.login_user, client.client_id, tenants)
        code = secrets.token_urlsafe(32)
        self.codes[code] = Code(
            client.client_id,
            redirect_uri,
            self.login_user,
            scope,
            challenge,
            event,
            self.clock.utcnow() + CODE_TTL,
        )
        return _redirect(
            redirect_uri, code=code, scope=scope, state=request.param("state"), session_state=event
        )

    @_serialised
    def token(self, request: Request) -> Response:
        """POST /connect/token."""
        form = request.form()
        client_id, secret = _client_credentials(request, form)
        client = self.clients.get(client_id or "")
        if client is None:
            return _oauth_error("invalid_client")
        if secret is not None and secret != client.client_secret:
            return _oauth_error("invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(client, form, secret is not None)
        if grant == "refresh_token":
            if client.client_secret is not None and secret is None:
                return _oauth_error("invalid_client")
            return self._refresh_grant(client, form.get("refresh_token", ""))
        return _oauth_error("unsupported_grant_type")

    def _code_grant(self, client: Client, form: dict[str, str], authenticated: bool) -> Response:
        code = self.codes.get(form.get("code", ""))
        now = self.clock.utcnow()
        if (
            code is None
            or code.used
            or code.expires_at <= now
            or code.client_id != client.client_id
        ):
            return _oauth_error("invalid_grant")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(
                "invalid_grant", "redirect_uri does not match the authorize request"
            )
        if code.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if not hmac.compare_digest(digest, code.challenge):
                return _oauth_error(
                    "invalid_grant", "code_verifier does not match the code_challenge"
                )
        elif not authenticated:
            return _oauth_error(
                "invalid_client", "a client secret or a PKCE code_verifier is required"
            )
        code.used = True
        issued = self._issue(code.user_id, client.client_id, code.scope, code.auth_event_id)
        return token_response(issued, code.scope)

    def _refresh_grant(self, client: Client, token: str) -> Response:
        refresh = self.refresh_tokens.get(token)
        now = self.clock.utcnow()
        if refresh is None or refresh.client_id != client.client_id or refresh.expires_at <= now:
            return _oauth_error("invalid_grant")
        if refresh.replaced_at is not None:
            if now - refresh.replaced_at > REFRESH_GRACE or refresh.replacement is None:
                return _oauth_error("invalid_grant")
            again = self._issue(
                refresh.user_id,
                client.client_id,
                refresh.scope,
                refresh.auth_event_id,
                refresh=refresh.replacement,
            )
            return token_response(again, refresh.scope)
        issued = self._issue(
            refresh.user_id, client.client_id, refresh.scope, refresh.auth_event_id
        )
        refresh.replaced_at, refresh.replacement = now, issued.refresh_token
        return token_response(issued, refresh.scope)

    @_serialised
    def revoke(self, request: Request) -> Response:
        """POST /connect/revocation: the refresh token and every connection it reached go."""
        form = request.form()
        client_id, secret = _client_credentials(request, form)
        client = self.clients.get(client_id or "")
        if client is None or (client.client_secret is not None and secret != client.client_secret):
            return _oauth_error("invalid_client")
        refresh = self.refresh_tokens.pop(form.get("token", ""), None)
        if refresh is not None:
            self.connections.pop((refresh.user_id, refresh.client_id), None)
            for token in [
                t
                for t, r in self.refresh_tokens.items()
                if (r.user_id, r.client_id) == (refresh.user_id, refresh.client_id)
            ]:
                del self.refresh_tokens[token]
        return Response(200)

    def authenticate(self, request: Request) -> AccessToken:
        """The access token of a call, or `XeroError` with Xero's 401."""
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        access = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if access is None:
            raise XeroError(errors.unauthenticated())
        if access.expires_at <= self.clock.utcnow():
            raise XeroError(errors.token_expired(access.expires_at))
        return access

    def connection_for(self, access: AccessToken, tenant_id: str) -> Connection | None:
        return self.connections.get((access.user_id, access.client_id), {}).get(tenant_id)

    @_serialised
    def list_connections(self, request: Request) -> Response:
        """GET /connections."""
        access = self.authenticate(request)
        event = request.param("authEventId")
        mine = self.connections.get((access.user_id, access.client_id), {}).values()
        body = [c.as_json() for c in mine if event is None or c.auth_event_id == event]
        return Response.json(200, json.dumps(body))

    @_serialised
    def delete_connection(self, request: Request, connection_id: str) -> Response:
        """DELETE /connections/{id}: 204, or 404 for a connection this user does not have."""
        access = self.authenticate(request)
        mine = self.connections.get((access.user_id, access.client_id), {})
        for tenant_id, connection in list(mine.items()):
            if connection.id == connection_id:
                del mine[tenant_id]
                return Response(204)
        return errors.not_found()
