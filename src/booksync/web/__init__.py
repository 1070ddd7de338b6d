"""The web admin: server-rendered pages (Jinja2 + htmx) over the same services as the CLI and API.

`mount(app, store)` adds the pages, the signed session cookie, the sign-in and the package's
static assets to a FastAPI app (the REST API's, so both run in one process). Every page needs a
signed-in user (`booksync user create`); every form carries a CSRF token.
"""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from booksync.store.db import Store
from booksync.web._context import STATE_KEY, STATIC_DIR, STATIC_URL, Web

#: Signs the session cookie. Unset, a random key is made per process (everyone signs in again
#: after a restart, and every process of a scaled-out admin needs the same key, so set it there).
SESSION_KEY_ENV = "BOOKSYNC_WEB_SESSION_KEY"
#: "1" marks the cookie Secure (sent over HTTPS only); set it when the admin is served over HTTPS.
SECURE_COOKIE_ENV = "BOOKSYNC_WEB_SECURE_COOKIE"
SESSION_COOKIE = "booksync_session"
SESSION_HOURS = 12


def mount(app: FastAPI, store: Store, *, session_key: str | None = None) -> None:
    """Serve the web admin from `app`, reading and writing `store`."""
    from booksync.web import _health, _integrations, _records, _security, _sync, _tax_types

    setattr(app.state, STATE_KEY, Web.create(store))
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key or os.environ.get(SESSION_KEY_ENV) or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=os.environ.get(SECURE_COOKIE_ENV) == "1",
    )
    app.add_exception_handler(_security.SignInRequired, _security.sign_in_redirect)
    app.add_exception_handler(_security.CsrfRejected, _security.csrf_rejected)
    for module in (_security, _health, _integrations, _sync, _tax_types, _records):
        app.include_router(module.router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="booksync-web-assets")


__all__ = ["mount"]
