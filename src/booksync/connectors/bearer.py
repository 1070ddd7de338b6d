"""Bearer credentials as an `httpx.Auth` flow: the 401 → repair → retry step lives here only.

A credential source (`Authorizer`) supplies the Authorization header and, once per request, gets a
chance to repair it after the tool answers 401 (an OAuth token keeper refreshes; someone else's
refresh may already have replaced it). `BearerAuth` is that flow; `HttpClient` drives it for every
exchange so each request it sends is paced and recorded on its own.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import httpx


class Authorizer(Protocol):
    """Supplies the Authorization header and gets one chance to repair it after a 401."""

    def authorization(self) -> str: ...

    def unauthorized(self, used: str) -> bool:
        """The tool refused `used`; return True when a fresh credential is worth one more try."""
        ...


class BearerAuth(httpx.Auth):
    """Sign with the current credential; after a 401, repair it once and send the request again.

    Subclasses supply `authorization` and `unauthorized` (the `Authorizer` protocol)."""

    def authorization(self) -> str:
        raise NotImplementedError

    def unauthorized(self, used: str) -> bool:
        raise NotImplementedError

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        used = self.authorization()
        request.headers["Authorization"] = used
        response = yield request
        if response.status_code == 401 and self.unauthorized(used):
            request.headers["Authorization"] = self.authorization()
            yield request


class _Delegated(BearerAuth):
    def __init__(self, source: Authorizer) -> None:
        self.source = source

    def authorization(self) -> str:
        return self.source.authorization()

    def unauthorized(self, used: str) -> bool:
        return self.source.unauthorized(used)


def as_auth(auth: httpx.Auth | Authorizer | None) -> httpx.Auth | None:
    """An httpx.Auth for any credential source: itself when it already is one."""
    if auth is None or isinstance(auth, httpx.Auth):
        return auth
    return _Delegated(auth)
