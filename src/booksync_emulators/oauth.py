"""OAuth 2.0 pieces every emulated identity service shares (RFC 6749): the registered app, how a
token request names its client, and the redirect and error answers.

Each tool's own rules (token lives, rotation, consent) stay in its package (`xero.auth`,
`quickbooks.auth`); only what the RFC fixes lives here.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from booksync_emulators.exchange import Request, Response


@dataclass
class Client:
    """A registered app. `client_secret=None` is a public (PKCE-only) app; an empty
    `redirect_uris` accepts any redirect URI."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...] = ()


def new_client(
    client_id: str | None = None,
    client_secret: str | None = "generate",
    redirect_uris: Iterable[str] = (),
) -> Client:
    """An app with generated credentials unless given (`client_secret="generate"` makes one)."""
    secret = secrets.token_urlsafe(36) if client_secret == "generate" else client_secret
    return Client(client_id or secrets.token_hex(16).upper(), secret, tuple(redirect_uris))


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from HTTP Basic auth, else from the form body."""
    header = request.header("authorization") or ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    """`{"error": ..., "error_description": ...}` with the given status (400 unless the tool says
    otherwise, e.g. 401 for invalid_client)."""
    body = {"error": error, **({"error_description": description} if description else {})}
    return Response.json(status, json.dumps(body))


def redirect(uri: str, **params: str | None) -> Response:
    """302 back to the client's redirect URI with the given query parameters (None ones left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return Response(302, headers={"Location": f"{uri}{'&' if '?' in uri else '?'}{query}"})
