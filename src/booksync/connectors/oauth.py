"""OAuth 2.0 as cloud accounting tools use it: authorization code with PKCE (S256), a one-shot
callback receiver on localhost, and tokens that refresh themselves before they expire.

Refresh tokens rotate: every refresh returns a new one and the old one soon stops working, so the
`TokenKeeper` hands each new `TokenSet` to a callback that persists it (encrypted) before it is used,
and re-reads the stored tokens first so that two workers sharing a grant do not refresh twice.
Token values never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from booksync.connectors.http import HttpClient, parse_json, problem_detail
from booksync.connectors.protocol import AuthError, ConnectorError
from booksync.sync.pacing import Clock

# --- tokens -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    """An access token, the refresh token that renews it, and when the access token expires (UTC)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""
    token_type: str = "Bearer"

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: datetime) -> TokenSet:
        """Read a token endpoint's answer (RFC 6749 §5.1)."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ConnectorError("the token endpoint answered without an access_token")
        expires_in = body.get("expires_in")
        try:
            seconds = float(expires_in) if expires_in is not None else 1800.0
        except (TypeError, ValueError):
            raise ConnectorError(
                f"the token endpoint answered expires_in={expires_in!r}; accepted: seconds"
            ) from None
        refresh = body.get("refresh_token")
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=now + timedelta(seconds=seconds),
            scope=str(body.get("scope") or ""),
            token_type=str(body.get("token_type") or "Bearer"),
        )

    def expires_within(self, seconds: float, now: datetime) -> bool:
        return self.expires_at - now <= timedelta(seconds=seconds)

    @property
    def header(self) -> str:
        return f"Bearer {self.access_token}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        expires = datetime.fromisoformat(str(data["expires_at"]))
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token") or None,
            expires_at=expires.astimezone(UTC),
            scope=str(data.get("scope") or ""),
            token_type=str(data.get("token_type") or "Bearer"),
        )


# --- the app and its endpoints ----------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthApp:
    """A registered app: its client id, the tool's endpoints, and the scopes it asks for.

    `client_secret` is None for PKCE-only (public) apps, which is what a CLI on a laptop should be.
    """

    client_id: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    client_secret: str | None = field(default=None, repr=False)

    def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        """Public apps send client_id in the form; confidential apps authenticate with Basic."""
        if self.client_secret is None:
            form["client_id"] = self.client_id
            return {}
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def pkce_pair() -> tuple[str, str]:
    """A fresh code verifier (RFC 7636: 43-128 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)[:96]
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the person opens in a browser, and what must come back with the code."""

    url: str
    state: str = field(repr=False)
    verifier: str = field(repr=False)
    redirect_uri: str


def authorization_request(app: OAuthApp, redirect_uri: str) -> AuthorizationRequest:
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(app.scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in app.authorize_url else "?"
    return AuthorizationRequest(
        f"{app.authorize_url}{separator}{urlencode(query)}", state, verifier, redirect_uri
    )


def _token_call(http: HttpClient, app: OAuthApp, form: dict[str, str], now: datetime) -> TokenSet:
    headers = app._client_auth(form)
    response = http.request("POST", app.token_url, form=form, headers=headers)
    if response.status_code in (400, 401):
        # invalid_grant: the code or refresh token was used, revoked or expired.
        raise AuthError(
            f"{http.tool} did not accept the authorisation ({problem_detail(response)}); "
            "connect the tenant again"
        )
    if response.status_code != 200:
        raise ConnectorError(
            f"{http.tool} token endpoint answered {response.status_code}: {problem_detail(response)}"
        )
    try:
        body = parse_json(response.content)
    except ValueError:
        raise ConnectorError(
            f"{http.tool} token endpoint answered something other than JSON"
        ) from None
    if not isinstance(body, dict):
        raise ConnectorError(f"{http.tool} token endpoint answered something other than an object")
    return TokenSet.from_response(body, now)


def exchange_code(
    http: HttpClient, app: OAuthApp, request: AuthorizationRequest, code: str, now: datetime
) -> TokenSet:
    """Trade the authorization code (and the PKCE verifier that proves we asked for it) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier,
    }
    return _token_call(http, app, form, now)


def refresh(http: HttpClient, app: OAuthApp, refresh_token: str, now: datetime) -> TokenSet:
    """New tokens for a refresh token; the answer's refresh token replaces the old one (rotation)."""
    tokens = _token_call(
        http, app, {"grant_type": "refresh_token", "refresh_token": refresh_token}, now
    )
    if tokens.refresh_token is None:  # tools that do not rotate keep the old one valid
        tokens = TokenSet(
            tokens.access_token, refresh_token, tokens.expires_at, tokens.scope, tokens.token_type
        )
    return tokens


# --- keeping tokens fresh ---------------------------------------------------------------------------


class TokenKeeper:
    """The current tokens of one grant, refreshed `margin` seconds before they expire or after a 401.

    `on_refreshed` persists each new set (it must not fail silently: a rotated refresh token that is
    not stored cannot be used again); `reload` returns the stored set, so a keeper in one worker picks
    up a refresh another worker already made instead of spending the old refresh token. Thread-safe.
    Implements `http.Authorizer`.
    """

    def __init__(
        self,
        tokens: TokenSet,
        app: OAuthApp,
        http: HttpClient,
        *,
        clock: Clock | None = None,
        on_refreshed: Callable[[TokenSet], None] | None = None,
        reload: Callable[[], TokenSet | None] | None = None,
        margin: float = 120.0,
    ) -> None:
        self._tokens = tokens
        self.app = app
        self.http = http
        self.clock = clock or Clock()
        self.on_refreshed = on_refreshed
        self.reload = reload
        self.margin = margin
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def tokens(self) -> TokenSet:
        return self._tokens

    def authorization(self) -> str:
        with self._lock:
            if self._tokens.expires_within(self.margin, self.clock.utcnow()):
                self._refresh(stale=self._tokens.access_token)
            return self._tokens.header

    def unauthorized(self, used: str) -> bool:
        with self._lock:
            if self._tokens.header != used:
                return True  # someone refreshed while that call was in flight: just retry
            if self._tokens.refresh_token is None:
                return False
            self._refresh(stale=self._tokens.access_token)
            return True

    def _refresh(self, stale: str) -> None:
        if self.reload is not None:
            stored = self.reload()
            if (
                stored is not None
                and stored.access_token != stale
                and not stored.expires_within(self.margin, self.clock.utcnow())
            ):
                self._tokens = stored
                return
            if stored is not None and stored.refresh_token:
                self._tokens = stored
        if not self._tokens.refresh_token:
            raise AuthError(
                f"the {self.http.tool} access token expired and there is no refresh token"
            )
        fresh = refresh(self.http, self.app, self._tokens.refresh_token, self.clock.utcnow())
        if self.on_refreshed is not None:
            self.on_refreshed(fresh)
        self._tokens = fresh
        self.refreshes += 1


# --- the one-shot callback receiver -----------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """What the browser brought back: a code, or the tool's error."""

    code: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    error: str | None = None
    #: Every query parameter of the redirect (QuickBooks adds `realmId`, the company signed in to).
    params: Mapping[str, str] = field(default_factory=dict, repr=False)


_PAGE = (
    "<!doctype html><meta charset=utf-8><title>booksync</title>"
    "<p style='font-family:sans-serif'>{}</p>"
)


class CallbackReceiver:
    """A loopback HTTP server that waits for exactly one redirect to `redirect_uri`'s path.

    Binds the host and port of the redirect URI (register that exact URI with the tool; port 0 picks a
    free port, then `redirect_uri` reports the real one). Other paths get 404 and are ignored.
    """

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
            raise ConnectorError(
                f"redirect URI {redirect_uri!r} is not accepted; accepted: "
                "http://localhost:PORT/PATH or http://127.0.0.1:PORT/PATH"
            )
        self._host_name = parts.hostname
        self._path = parts.path or "/"
        self._result: Callback | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                if url.path != receiver._path:
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if receiver._done.is_set():
                    self._answer(409, "This sign-in was already handled; you can close this tab.")
                    return
                error = query.get("error")
                receiver._result = Callback(
                    query.get("code"),
                    query.get("state"),
                    (query.get("error_description") or error) if error else None,
                    query,
                )
                receiver._done.set()
                text = (
                    "booksync could not connect: " + receiver._result.error
                    if receiver._result.error
                    else "booksync is connected. You can close this tab."
                )
                self._answer(200, text)

            def _answer(self, status: int, text: str) -> None:
                body = _PAGE.format(
                    text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the query string carries the authorization code."""

        bind = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
        try:
            self._server = HTTPServer((bind, 80 if parts.port is None else parts.port), Handler)
        except OSError as exc:
            raise ConnectorError(
                f"cannot listen on {bind}:{parts.port} for the sign-in callback ({exc.strerror}); "
                "accepted: a free local port in the registered redirect URI"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        port = self._server.server_address[1]
        return f"http://{self._host_name}:{port}{self._path}"

    def wait(self, timeout: float) -> Callback:
        """The callback, or ConnectorError when none came within `timeout` seconds."""
        if not self._done.wait(timeout):
            raise ConnectorError(
                f"no sign-in callback arrived within {timeout:.0f} s; run the command again"
            )
        assert self._result is not None
        return self._result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CallbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_callback(callback: Callback, request: AuthorizationRequest) -> str:
    """The authorization code, once the callback is shown to answer *our* request."""
    if callback.error:
        raise AuthError(f"the sign-in was not completed: {callback.error}")
    if not callback.state or not secrets.compare_digest(callback.state, request.state):
        raise AuthError("the sign-in callback's state does not match this request; start again")
    if not callback.code:
        raise AuthError("the sign-in callback carried no authorization code; start again")
    return callback.code
