"""Sign-in, sign-out and CSRF: who may use the admin, and that every change comes from its own forms.

The session is a signed cookie (Starlette's SessionMiddleware, itsdangerous underneath) holding the
signed-in user's name and a per-session CSRF token. Every POST must carry that token, as the
`csrf_token` form field or, for htmx, the `X-CSRF-Token` header; without it nothing is written.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from booksync.services import auth as auth_service
from booksync.web._context import local_path, redirect, web_of

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def require_user(request: Request) -> str:
    """The signed-in user's name; anyone else (or a user deleted since) goes to the sign-in page."""
    csrf_token(request)
    user_id = request.session.get("user_id")
    name = None
    if isinstance(user_id, int):
        with web_of(request).store.session() as session:
            user = auth_service.user_by_id(session, user_id)
            name = user.username if user is not None else None
    if name is None:
        request.session.pop("user_id", None)
        request.session.pop("user", None)
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
    if request.session.get("user"):
        return redirect(request, local_path(next))
    return web_of(request).page(
        request, "sign_in.html", title="Sign in", next=local_path(next), error=None, username=""
    )


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, form: Form) -> Response:
    web = web_of(request)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = local_path(str(form.get("next", "/")))
    signed_in: tuple[int, str] | None = None
    if username and password:
        with web.store.session() as session:
            user = auth_service.authenticate(session, username, password)
            if user is not None:
                signed_in = (user.id, user.username)
    if signed_in is None:
        return web.page(
            request,
            "sign_in.html",
            status_code=401,
            title="Sign in",
            next=target,
            username=username,
            error="That user name and password do not match a user. "
            "Users are created with `booksync user create`.",
        )
    request.session.clear()  # a fresh session on sign-in: no fixation of an earlier one
    request.session["user_id"], request.session["user"] = signed_in
    request.session["csrf"] = secrets.token_urlsafe(32)
    return redirect(request, target)


@router.post("/sign-out")
def sign_out(request: Request, form: Form) -> Response:
    request.session.clear()
    return redirect(request, "/sign-in")
