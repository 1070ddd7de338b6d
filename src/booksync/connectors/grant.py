"""An OAuth tool's credentials document, and the sign-in steps every OAuth tool shares.

A sign-in yields one grant; each tenant it reaches stores the same `Credentials` (encrypted by the
service layer), so a refresh made for one tenant can be written to every tenant of that grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from booksync.connectors.oauth import (
    AuthorizationRequest,
    Callback,
    CallbackReceiver,
    OAuthApp,
    TokenSet,
    authorization_request,
    check_callback,
)
from booksync.connectors.protocol import AuthError
from booksync.connectors.tool import ConnectRequest, TenantLink


@dataclass(frozen=True)
class Credentials:
    """One grant's app, token endpoint and current tokens."""

    grant: str
    client_id: str
    token_url: str
    tokens: TokenSet

    def to_dict(self) -> dict[str, Any]:
        return {
            "grant": self.grant,
            "client_id": self.client_id,
            "token_url": self.token_url,
            "tokens": self.tokens.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Credentials:
        return cls(
            str(data["grant"]),
            str(data["client_id"]),
            str(data["token_url"]),
            TokenSet.from_dict(data["tokens"]),
        )

    @classmethod
    def new(cls, client_id: str, token_url: str, tokens: TokenSet) -> Credentials:
        return cls(str(uuid.uuid4()), client_id, token_url, tokens)


def credentials_of(link: TenantLink, tool: str) -> Credentials:
    """The tenant's credentials, or AuthError saying it must be connected (again)."""
    if not link.secret:
        raise AuthError(f"tenant '{link.name}' has no {tool} credentials; connect it")
    try:
        return Credentials.from_dict(link.secret)
    except (KeyError, TypeError, ValueError):
        raise AuthError(
            f"tenant '{link.name}' has unreadable {tool} credentials; connect it again"
        ) from None


def token_callbacks(
    link: TenantLink, credentials: Credentials
) -> tuple[Callable[[TokenSet], None], Callable[[], TokenSet | None]]:
    """`on_tokens_refreshed` and `reload_tokens` for a connector, persisting through the link."""
    current = [credentials]

    def save(tokens: TokenSet) -> None:
        base = current[0]
        current[0] = Credentials(base.grant, base.client_id, base.token_url, tokens)
        if link.save_secret is not None:
            link.save_secret(current[0].to_dict())

    def load() -> TokenSet | None:
        if link.load_secret is None:
            return None
        stored = link.load_secret()
        if not stored:
            return None
        try:
            found = Credentials.from_dict(stored)
        except (KeyError, TypeError, ValueError):
            return None
        return found.tokens if found.grant == current[0].grant else None

    return save, load


def browser_sign_in(
    app: OAuthApp, redirect_uri: str, request: ConnectRequest
) -> tuple[AuthorizationRequest, Callback, str]:
    """Announce the authorize URL, wait for the browser's callback on localhost, check its state:
    the authorization request, the callback, and the code to exchange. A face that receives the
    callback on a route of its own (the web admin) passes its receiver as
    `request.options["callbacks"]`: a context manager with `redirect_uri` and `wait(timeout)`."""
    given = request.options.get("callbacks")
    with given if given is not None else CallbackReceiver(redirect_uri) as receiver:
        authorization = authorization_request(app, receiver.redirect_uri)
        if request.announce is not None:
            request.announce(authorization.url)
        if request.open_browser is not None:
            request.open_browser(authorization.url)
        callback = receiver.wait(request.timeout)
        code = check_callback(callback, authorization)
    return authorization, callback, code
