"""The web admin: server-rendered pages (Jinja2 + htmx) over the same services as the CLI and API.

`mount(app, store)` adds the pages, the signed session cookie, the sign-in and the package's
static assets to a FastAPI app (the REST API's, so both run in one process). Every page needs a
signed-in user (`booksync user create`); every form carries a CSRF token.

The session cookie is Secure (sent over HTTPS only) unless the request came over plain HTTP to or
from this machine's loopback address (`booksync serve` on 127.0.0.1, a browser on the same
machine), where no network can read it. BOOKSYNC_WEB_INSECURE_COOKIE=1 drops the flag everywhere
(plain HTTP on a trusted network); BOOKSYNC_WEB_SECURE_COOKIE=1 keeps it even on loopback. Behind a
TLS-terminating proxy on the same machine, let uvicorn read its X-Forwarded-Proto (it trusts
127.0.0.1 by default) so the request counts as HTTPS.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import os
import secrets
from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booksync.store.db import Store
from booksync.web._context import STATE_KEY, STATIC_DIR, STATIC_URL, Web

#: Signs the session cookie. Unset, a random key is made per process (everyone signs in again
#: after a restart, and every process of a scaled-out admin needs the same key, so set it there).
SESSION_KEY_ENV = "BOOKSYNC_WEB_SESSION_KEY"
#: "1": the cookie is Secure even over plain HTTP on loopback.
SECURE_COOKIE_ENV = "BOOKSYNC_WEB_SECURE_COOKIE"
#: "1": the cookie is never Secure (an admin served over plain HTTP on a trusted network).
INSECURE_COOKIE_ENV = "BOOKSYNC_WEB_INSECURE_COOKIE"
SESSION_COOKIE = "booksync_session"
SESSION_HOURS = 12


def _loopback(endpoint: object) -> bool:
    if not isinstance(endpoint, list | tuple) or not endpoint:
        return False
    host = str(endpoint[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SecureSessionCookie:
    """Add `Secure` to the session cookie unless the request is plain HTTP over loopback (or
    `always` says so either way); Starlette's SessionMiddleware can only decide once per app."""

    def __init__(self, app: ASGIApp, always: bool | None) -> None:
        self.app = app
        self.always = always

    def secure(self, scope: Scope) -> bool:
        if self.always is not None:
            return self.always
        local = _loopback(scope.get("client")) or _loopback(scope.get("server"))
        return not (scope.get("scheme") == "http" and local)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.secure(scope):
            await self.app(scope, receive, send)
            return
        prefix = f"{SESSION_COOKIE}=".encode()

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (name, value + b"; secure")
                        if name.lower() == b"set-cookie"
                        and value.startswith(prefix)
                        and b"secure" not in (a.strip().lower() for a in value.split(b";"))
                        else (name, value)
                        for name, value in message.get("headers", [])
                    ],
                }
            await send(message)

        await self.app(scope, receive, marked)


def _cookie_policy() -> bool | None:
    """True: always Secure; False: never; None: Secure unless plain HTTP over loopback."""
    if os.environ.get(INSECURE_COOKIE_ENV) == "1":
        return False
    if os.environ.get(SECURE_COOKIE_ENV) == "1":
        return True
    return None


#: The REST API's paths, which answer in JSON whoever asks.
API_PREFIX = "/api/"


def _pages_for_missing_addresses(app: FastAPI, web: Web) -> None:
    """An address nothing serves, asked for by a browser, gets the admin's own "Not found"
    page, not the API's JSON; the API's paths and every other refusal keep their handler."""
    previous = app.exception_handlers.get(HTTPException)

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        browser = "text/html" in request.headers.get("accept", "")
        if exc.status_code == 404 and browser and not request.url.path.startswith(API_PREFIX):
            return web.page(request, "not_found.html", status_code=404, title="Not found")
        if previous is None:
            return await http_exception_handler(request, exc)
        answer = previous(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(HTTPException, handle)


@functools.cache
def _routes(unique_id: Callable[[APIRoute], str]) -> tuple[BaseRoute, ...]:
    """The pages and the package's static assets, made once per process (per way of naming
    operations) and shared by every app `mount` serves them from: FastAPI works out each included
    route when an app first serves a request, again for each app unless the routes are the same
    objects. They hold nothing of an app's: a handler finds its `Web` in `request.app.state`."""
    from booksync.web import (
        _activity,
        _connect,
        _drift,
        _health,
        _integrations,
        _notifications,
        _plan,
        _records,
        _rules,
        _security,
        _sync,
        _tax_types,
    )

    table = APIRouter(generate_unique_id_function=unique_id)
    for module in (
        _security,
        _health,
        _integrations,
        _sync,
        _tax_types,
        _rules,
        _plan,
        _drift,
        _notifications,
        _activity,
        _connect,
        _records,
    ):
        table.include_router(module.router)
    table.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="booksync-web-assets")
    return tuple(table.routes)


def mount(app: FastAPI, store: Store, *, session_key: str | None = None) -> None:
    """Serve the web admin from `app`, reading and writing `store`."""
    from booksync.web import _presence, _security

    web = Web.create(store)
    _presence.install(web)
    setattr(app.state, STATE_KEY, web)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key or os.environ.get(SESSION_KEY_ENV) or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=False,  # `SecureSessionCookie` decides per request
    )
    app.add_middleware(SecureSessionCookie, always=_cookie_policy())
    _pages_for_missing_addresses(app, web)
    app.add_exception_handler(_security.SignInRequired, _security.sign_in_redirect)
    app.add_exception_handler(_security.CsrfRejected, _security.csrf_rejected)
    naming = app.router.generate_unique_id_function  # FastAPI's default comes wrapped, unhashable
    app.router.routes.extend(_routes(getattr(naming, "value", naming)))


__all__ = ["mount"]
