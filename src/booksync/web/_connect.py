"""Connecting Xero and QuickBooks from the web admin: the Connect (and Reconnect) button sends the
browser to the tool's sign-in, the tool redirects back to `/connect/{kind}/callback`, and the page
lists the organisations linked and what was imported from each (`services.web_sign_in`).

Register `https://YOUR-ADMIN/connect/xero/callback` (or `/quickbooks/`) as a redirect URI of your
app. The address is the one the browser used, or `BOOKSYNC_WEB_URL` when set (behind a proxy).
The sign-in is bound to the browser that started it: its OAuth state is kept in the session and
the callback must carry it.

Also the tenant's connection page: its state, token expiry, last successful call, calls left today
and a Reconnect button (`services.connection_health`).
"""

from __future__ import annotations

import hmac
import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from booksync.connectors.registry import tool_for
from booksync.services import web_sign_in
from booksync.services.connection_health import connection_health
from booksync.services.errors import BooksyncError
from booksync.web._context import flash, redirect, web_of
from booksync.web._security import User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
#: The admin's public address (https://admin.example.com), when the request's own is not it.
WEB_URL_ENV = "BOOKSYNC_WEB_URL"
SESSION_KEY = "sign_in"


def callback_uri(request: Request, kind: str) -> str:
    base = os.environ.get(WEB_URL_ENV, "").rstrip("/")
    if base:
        return f"{base}/connect/{kind}/callback"
    return str(request.url_for("connect_callback", kind=kind))


@router.get("/connect/{kind}", name="connect_start")
def connect_start(request: Request, user: User, kind: str, tenant: int | None = None) -> Response:
    """Start the sign-in (to reconnect `tenant`, if given) and send the browser to the tool."""
    back = f"/connect/tenants/{tenant}" if tenant else f"/integrations/{kind}"
    try:
        sign_in = web_sign_in.start(
            web_of(request).store,
            kind,
            callback_uri(request, kind),
            tenant=f"#{tenant}" if tenant else None,
        )
    except BooksyncError as exc:
        flash(request, "error", str(exc))
        return redirect(request, back if tenant else "/integrations")
    assert sign_in.url is not None
    request.session[SESSION_KEY] = {"kind": sign_in.kind, "state": sign_in.state, "back": back}
    return redirect(request, sign_in.url)


@router.get("/connect/{kind}/callback", name="connect_callback", response_class=HTMLResponse)
def connect_callback(request: Request, user: User, kind: str) -> Response:
    """The tool sent the browser back: link what the sign-in authorised and import from it."""
    started = request.session.pop(SESSION_KEY, None) or {}
    state = request.query_params.get("state") or ""
    if not (
        started.get("kind") == kind
        and isinstance(started.get("state"), str)
        and hmac.compare_digest(started["state"].encode(), state.encode())
    ):
        flash(
            request,
            "error",
            "This sign-in was not started from this browser, or it was already used; "
            "start it again with the Connect button.",
        )
        return redirect(request, f"/integrations/{kind}")
    try:
        linked = web_sign_in.finish(web_of(request).store, kind, dict(request.query_params))
    except BooksyncError as exc:
        flash(request, "error", str(exc))
        return redirect(request, str(started.get("back") or f"/integrations/{kind}"))
    tool = tool_for(kind)
    return web_of(request).page(
        request, "connect.html", title=f"{tool.label} connected", tool=tool, linked=linked
    )


@router.get("/connect/tenants/{tenant_id:int}", response_class=HTMLResponse)
def tenant_connection(request: Request, user: User, tenant_id: int) -> Response:
    """A tenant's connection health, with a Reconnect button for tools that sign in."""
    web = web_of(request)
    try:
        with web.store.session() as session:
            health = connection_health(session, f"#{tenant_id}")
    except BooksyncError as exc:
        flash(request, "error", str(exc))
        return redirect(request, "/integrations")
    return web.page(request, "connection.html", title=f"{health.name}: connection", health=health)
