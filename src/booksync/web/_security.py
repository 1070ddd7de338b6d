"""Sign-in, sign-out and CSRF: who may use the admin, and that every change comes from its own forms.

The session is a signed cookie (Starlette's SessionMiddleware, itsdangerous underneath) holding the
signed-in user's id and name, the user's session generation when it was issued, and a per-session
CSRF token. Every request checks the generation against the store, so signing out (or the user
being disabled, or given a new password) ends the session even in a copy of the cookie. Every POST
must carry the CSRF token, as the `csrf_token` form field or, for htmx, the `X-CSRF-Token` header;
without it nothing is written.

Sign-in waits its turn for a hashing slot on the event loop, not in a worker thread, so a flood of
sign-ins leaves the threads free for everyone else; past the wait it answers 503, and past the
failed-attempt limit 429, both with Retry-After.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import partial
from typing import Annotated, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from booksync.services import auth as auth_service
from booksync.services import sign_in_limits as limits
from booksync.web._context import flash, local_path, redirect, web_of

T = TypeVar("T")
#: What the session cookie holds about its user.
SESSION_USER_KEYS = ("user_id", "user", "gen")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNED_OUT = "You have signed out."


class CsrfRejected(Exception):
    """A POST without this session's CSRF token: refused with 403, nothing written."""


class SignInRequired(Exception):
    """Raised by `require_user`; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token: str | None = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token has been checked (403 without a valid one)."""
    form = await request.form()
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if (
        not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise CsrfRejected()
    return form


async def csrf_protect(request: Request) -> None:
    """Router-wide guard: no unsafe method reaches a handler without a valid CSRF token."""
    if request.method not in SAFE_METHODS:
        await checked_form(request)


def current_user(request: Request) -> str | None:
    """The signed-in user's name while the session stands; a session that no longer does (signed
    out elsewhere, user disabled or deleted, password changed) is emptied of its user."""
    user_id = request.session.get("user_id")
    name = None
    if isinstance(user_id, int):
        with web_of(request).store.session() as session:
            user = auth_service.session_user(session, user_id, request.session.get("gen"))
            name = user.username if user is not None else None
    if name is None:
        for key in SESSION_USER_KEYS:
            request.session.pop(key, None)
    return name


def require_user(request: Request) -> str:
    """The signed-in user's name; anyone else goes to the sign-in page."""
    csrf_token(request)
    name = current_user(request)
    if name is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return name


def sign_in_redirect(request: Request, exc: Exception) -> Response:
    """Where `SignInRequired` leads: the sign-in page, coming back here afterwards (GETs only)."""
    assert isinstance(exc, SignInRequired)
    target = "/sign-in"
    if exc.next_path not in ("", "/") and request.method in SAFE_METHODS:
        target += "?next=" + quote(exc.next_path, safe="/")
    return redirect(request, target)


def csrf_rejected(request: Request, exc: Exception) -> Response:
    return web_of(request).page(
        request,
        "forbidden.html",
        status_code=403,
        title="Form expired",
        message="The form's security token is missing or out of date. "
        "Go back, reload the page and try again.",
    )


User = Annotated[str, Depends(require_user)]
Form = Annotated[FormData, Depends(checked_form)]

router = APIRouter(include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> Response:
    csrf_token(request)
    if current_user(request) is not None:
        return redirect(request, local_path(next))
    return web_of(request).page(
        request, "sign_in.html", title="Sign in", next=local_path(next), error=None, username=""
    )


async def _in_turn(request: Request, work: Callable[[], T]) -> T:
    """Run `work` (which hashes) in a thread once one of this app's hashing turns is free;
    `limits.Busy` if none frees up within `limits.HASH_WAIT` seconds."""
    web = web_of(request)
    if web.hashing_turns is None:
        web.hashing_turns = anyio.Semaphore(limits.HASH_SLOTS)
    turns: anyio.Semaphore = web.hashing_turns
    acquired = False
    with anyio.move_on_after(limits.HASH_WAIT):
        await turns.acquire()
        acquired = True
    if not acquired:
        raise limits.Busy()
    try:
        return await anyio.to_thread.run_sync(work)
    finally:
        turns.release()


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, form: Form) -> Response:
    web = web_of(request)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = local_path(str(form.get("next", "/")))
    address = request.client.host if request.client else None
    signed_in: auth_service.SignedIn | None = None
    page = partial(web.page, request, "sign_in.html", title="Sign in", next=target)
    if username and password:
        try:
            signed_in = await _in_turn(
                request, partial(auth_service.sign_in, web.store, username, password, address)
            )
        except (limits.TooManyAttempts, limits.Busy) as exc:
            status = 429 if isinstance(exc, limits.TooManyAttempts) else 503
            message = str(exc)
            refused = page(
                status_code=status, username=username, error=message[:1].upper() + message[1:] + "."
            )
            refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
    if signed_in is None:
        return page(
            status_code=401,
            username=username,
            error="That user name and password do not match a user. "
            "Users are created with `booksync user create`.",
        )
    request.session.clear()  # a fresh session on sign-in: no fixation of an earlier one
    request.session["user_id"] = signed_in.user_id
    request.session["user"] = signed_in.username
    request.session["gen"] = signed_in.generation
    request.session["csrf"] = secrets.token_urlsafe(32)
    return redirect(request, target)


@router.post("/sign-out")
def sign_out(request: Request, form: Form) -> Response:
    """End this session and every other of the same user: a copy of the cookie stops working."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        with web_of(request).store.session() as session:
            if auth_service.session_user(session, user_id, request.session.get("gen")):
                auth_service.end_sessions(session, user_id)
    request.session.clear()
    flash(request, "info", SIGNED_OUT)  # carried by the emptied session to the sign-in page
    return redirect(request, "/sign-in")
