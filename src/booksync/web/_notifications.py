"""The Notifications page: where a pass's digest of failures goes, a test-send per channel, and
the forms that add e-mail, signed-webhook and Slack/Teams channels (`services.notifications`).

Secrets typed here (an SMTP password, a signing key, a Slack URL) go straight to the service, which
seals them; the page never shows them again. A signing key booksync makes is shown once, on the
page that answers the form (not in a flash: flashes travel in the session cookie).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from booksync.services import notifications
from booksync.services.errors import BadInput, BooksyncError
from booksync.web._context import flash, redirect, web_of
from booksync.web._security import Form, User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PATH = "/notifications"
#: Fields each form gives back after an error (never a secret).
KEPT = ("name", "host", "port", "security", "username", "from", "to", "url")


def _page(
    request: Request,
    *,
    status_code: int = 200,
    error: str | None = None,
    kind: str | None = None,
    form: FormData | None = None,
    made_key: str | None = None,
) -> HTMLResponse:
    web = web_of(request)
    with web.store.session() as session:
        channels = notifications.list_channels(session)
    kept: dict[str, Any] = {k: str(form.get(k, "")) for k in KEPT} if form is not None else {}
    if kind == "slack":
        kept.pop("url", None)  # a Slack URL is a secret: typed again, never echoed
    return web.page(
        request,
        "notifications.html",
        status_code=status_code,
        title="Notifications",
        channels=channels,
        kinds=notifications.KINDS,
        security=notifications.SECURITY,
        ports=notifications.DEFAULT_PORTS,
        signature_header=notifications.SIGNATURE_HEADER,
        error=error,
        error_kind=kind,
        kept=kept,
        made_key=made_key,
    )


@router.get(PATH, response_class=HTMLResponse)
def notifications_page(request: Request, user: User) -> Response:
    return _page(request)


def _text(form: FormData, key: str) -> str:
    return str(form.get(key, "") or "")


def _port(form: FormData) -> int | None:
    raw = _text(form, "port").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadInput("port", raw, "is not a port", "1-65535 (587 STARTTLS, 465 TLS, 25)")
    return int(raw)


@router.post(PATH + "/add/{kind}")
def add_channel(request: Request, user: User, form: Form, kind: str) -> Response:
    if kind not in notifications.KINDS:
        accepted = ", ".join(notifications.KINDS)
        flash(request, "error", f"kind: '{kind}' is not a channel kind; accepted: {accepted}")
        return redirect(request, PATH)
    name = _text(form, "name")
    made = None
    try:
        with web_of(request).store.session() as session:
            if kind == "email":
                added = notifications.add_email(
                    session,
                    name,
                    host=_text(form, "host"),
                    port=_port(form),
                    security=_text(form, "security") or "starttls",
                    username=_text(form, "username"),
                    password=_text(form, "password") or None,
                    sender=_text(form, "from"),
                    to=_text(form, "to"),
                )
            elif kind == "webhook":
                added, made = notifications.add_webhook(
                    session, name, url=_text(form, "url"), signing_key=_text(form, "signing_key")
                )
            else:
                added = notifications.add_slack(session, name, url=_text(form, "url"))
    except BooksyncError as exc:
        return _page(request, status_code=422, error=str(exc), kind=kind, form=form)
    text = f"Channel '{added.name}' added ({added.label}): failures are sent there after each pass."
    flash(request, "success", text)
    if made is not None:
        # Shown once, on this answer only: the store keeps it sealed and never gives it back.
        return _page(request, made_key=made)
    return redirect(request, PATH)


@router.post(PATH + "/test")
def test_channel(request: Request, user: User, form: Form) -> Response:
    name = _text(form, "channel")
    try:
        sent = notifications.send_test(web_of(request).store, name)
    except BooksyncError as exc:
        flash(request, "error", str(exc))
        return redirect(request, PATH)
    if sent.ok:
        flash(request, "success", f"Test notification sent to '{sent.channel}'.")
    else:
        flash(request, "error", f"Test notification to '{sent.channel}' failed: {sent.error}")
    return redirect(request, PATH)


@router.post(PATH + "/delete")
def remove_channel(request: Request, user: User, form: Form) -> Response:
    try:
        with web_of(request).store.session() as session:
            removed = notifications.remove_channel(session, _text(form, "channel"))
        flash(request, "success", f"Channel '{removed.name}' removed.")
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, PATH)


@router.post(PATH + "/enabled")
def enable_channel(request: Request, user: User, form: Form) -> Response:
    on = _text(form, "enabled") == "1"
    try:
        with web_of(request).store.session() as session:
            changed = notifications.set_enabled(session, _text(form, "channel"), on)
        state = "on: digests are sent there" if on else "paused: nothing is sent there"
        flash(request, "success", f"Channel '{changed.name}' {state}.")
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, PATH)
