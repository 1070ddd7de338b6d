"""Intuit's OAuth 2.0: where its endpoints are (the discovery document) and the app booksync signs
in as.

Intuit publishes its authorize, token and revocation endpoints in an OpenID discovery document and
asks apps to read it rather than hard-code them. booksync reads it once, when a person signs in, and
keeps the token endpoint with the tenant's credentials; refreshing never needs it again. Access
tokens last an hour; the refresh token rolls over 100 days and the answer to every refresh may carry
a new one, which replaces the old (see `oauth.TokenKeeper`). Intuit apps are confidential: the token
endpoint wants the client secret (HTTP Basic); the PKCE challenge is sent as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from booksync.connectors.http import HttpClient, parse_json, problem_detail
from booksync.connectors.oauth import OAuthApp
from booksync.connectors.protocol import ConnectorError

DISCOVERY_URL = "https://developer.intuit.com/.well-known/openid_configuration/"
SANDBOX_DISCOVERY_URL = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
API_URL = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API_URL = "https://sandbox-quickbooks.api.intuit.com/v3"
#: Used to refresh a token when no stored credentials say otherwise (what discovery answers today).
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
SCOPES = ("com.intuit.quickbooks.accounting",)


@dataclass(frozen=True)
class Discovery:
    """The endpoints Intuit's discovery document names."""

    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None = None
    issuer: str | None = None


def discover(http: HttpClient, url: str = DISCOVERY_URL) -> Discovery:
    """Read the discovery document; ConnectorError names what is missing from it."""
    response = http.request("GET", url)
    if response.status_code != 200:
        raise ConnectorError(
            f"Intuit's discovery document at {url} answered {response.status_code}: "
            f"{problem_detail(response)}"
        )
    try:
        body = parse_json(response.content)
    except ValueError:
        raise ConnectorError(f"Intuit's discovery document at {url} is not JSON") from None
    if not isinstance(body, dict):
        raise ConnectorError(f"Intuit's discovery document at {url} is not a JSON object")
    missing = [
        key
        for key in ("authorization_endpoint", "token_endpoint")
        if not isinstance(body.get(key), str) or not body[key]
    ]
    if missing:
        raise ConnectorError(
            f"Intuit's discovery document at {url} has no {' or '.join(missing)}; accepted: an "
            "OpenID configuration naming both"
        )
    return Discovery(
        body["authorization_endpoint"],
        body["token_endpoint"],
        body.get("revocation_endpoint") or None,
        body.get("issuer") or None,
    )


def quickbooks_app(
    client_id: str,
    client_secret: str | None,
    *,
    authorize_url: str = "",
    token_url: str = TOKEN_URL,
    scopes: Sequence[str] = SCOPES,
) -> OAuthApp:
    return OAuthApp(
        client_id=client_id,
        authorize_url=authorize_url,
        token_url=token_url,
        scopes=tuple(scopes),
        client_secret=client_secret,
    )
