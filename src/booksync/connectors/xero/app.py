"""Where Xero is and what booksync asks of it: the base URLs, the OAuth app and its scopes, the
rate-limit headers Xero sends, and the batch and page sizes its guidance sets."""

from __future__ import annotations

from collections.abc import Sequence

from booksync.connectors.budget import RateHeaders
from booksync.connectors.oauth_flow import OAuthApp

API_URL = "https://api.xero.com/api.xro/2.0"
IDENTITY_URL = "https://identity.xero.com"
LOGIN_URL = "https://login.xero.com"
TOKEN_PATH = "/connect/token"
AUTHORIZE_PATH = "/identity/connect/authorize"
#: What booksync reads and writes; offline_access is what yields a refresh token.
SCOPES = (
    "offline_access",
    "accounting.settings",
    "accounting.contacts",
    "accounting.transactions",
)
XERO_RATE_HEADERS = RateHeaders(
    minute="X-MinLimit-Remaining",
    day="X-DayLimit-Remaining",
    app_minute="X-AppMinLimit-Remaining",
    problem="X-Rate-Limit-Problem",
)
#: Elements per write request: Xero's guidance is about 50 (and 3.5 MB) per request. Items are said
#: to allow more, but only by a secondary source, so they stay at 50 too.
BATCH = 50
PAGE_SIZE = 100


def connections_url_for(base_url: str) -> str:
    """Xero serves /connections beside /api.xro/2.0 on the same host (api.xero.com, or an emulator)."""
    root = base_url.rstrip("/")
    if root.endswith("/api.xro/2.0"):
        root = root[: -len("/api.xro/2.0")]
    return f"{root}/connections"


def xero_app(
    client_id: str,
    *,
    identity_url: str = IDENTITY_URL,
    login_url: str = LOGIN_URL,
    client_secret: str | None = None,
    scopes: Sequence[str] = SCOPES,
) -> OAuthApp:
    return OAuthApp(
        client_id=client_id,
        authorize_url=login_url.rstrip("/") + AUTHORIZE_PATH,
        token_url=identity_url.rstrip("/") + TOKEN_PATH,
        scopes=tuple(scopes),
        client_secret=client_secret,
    )
