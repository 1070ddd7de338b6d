"""OAuth 2.0 as cloud accounting tools use it: authorization code with PKCE (S256), a one-shot
callback receiver on localhost, and tokens that refresh themselves before they expire.

Refresh tokens rotate: every refresh returns a new one and the old one soon stops working, so the
`TokenKeeper` hands each new `TokenSet` to a callback that persists it (encrypted, by the caller)
before it is used, and re-reads the stored tokens first so that two workers sharing a grant do not
refresh twice. Token values never appear in a repr, a log line or an error message.

The protocol itself is Authlib's (oauth_flow.py); this module keeps what is booksync's own: when to
refresh (on the injectable clock), the cross-worker reload, and the 401 → refresh → retry flow.
Every name other modules import from here stays importable from here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from booksync.clock import Clock
from booksync.connectors.bearer import BearerAuth
from booksync.connectors.callback import Callback, CallbackReceiver, check_callback
from booksync.connectors.http import HttpClient
from booksync.connectors.oauth_flow import (
    AuthorizationRequest,
    OAuthApp,
    authorization_request,
    exchange_code,
    oauth_client,
    pkce_pair,
    refresh,
    s256,
    token_set,
    unreadable_as_connector_error,
)
from booksync.connectors.protocol import AuthError
from booksync.connectors.tokens import TokenSet

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client

__all__ = [
    "AuthorizationRequest",
    "Callback",
    "CallbackReceiver",
    "OAuthApp",
    "TokenKeeper",
    "TokenSet",
    "authorization_request",
    "check_callback",
    "exchange_code",
    "pkce_pair",
    "refresh",
    "s256",
]


class TokenKeeper(BearerAuth):
    """The current tokens of one grant, refreshed `margin` seconds before they expire or after a 401.

    `on_refreshed` persists each new set (it must not fail silently: a rotated refresh token that is
    not stored cannot be used again); `reload` returns the stored set, so a keeper in one worker picks
    up a refresh another worker already made instead of spending the old refresh token. Thread-safe.
    An `httpx.Auth` (and an `http.Authorizer`): 401 → refresh → retry happens in its flow.
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
        self._client: OAuth2Client | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"<TokenKeeper {self.http.tool} client_id={self.app.client_id!r}>"

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
        if self._client is None:
            self._client = oauth_client(self.http, self.app, update_token=self._rotated)
        with unreadable_as_connector_error(self.http.tool):
            self._client.refresh_token(self.app.token_url, refresh_token=self._tokens.refresh_token)

    def _rotated(self, token: dict[str, Any], refresh_token: str | None = None, **_: Any) -> None:
        """Authlib's `update_token` hook: persist the new set, then use it."""
        fresh = token_set(dict(token), self.clock.utcnow(), refresh_token)
        if self.on_refreshed is not None:
            self.on_refreshed(fresh)
        self._tokens = fresh
        self.refreshes += 1
