"""The drift page (each record changed in the tool after booksync pushed it, field by field, with
accept / push / leave) and the "Reissue" button of an invoice the tool will not let booksync edit.
Both call the services (`services.drift`, `services.reissue`) and show their message."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.services.drift import CHOICES, list_drift, settle_drift
from booksync.services.errors import BooksyncError
from booksync.services.reissue import reissue
from booksync.web._context import flash, redirect, web_of
from booksync.web._security import Form, User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


@router.get("/drift")
def drift(request: Request, user: User) -> Response:
    web = web_of(request)
    with web.store.session() as session:
        found = [d.to_json() for d in list_drift(session)]
    return web.page(request, "drift.html", title="Drift", drift=found, choices=CHOICES)


@router.post("/drift/{type}/{record_id:int}/{choice}")
def settle(
    request: Request, user: User, form: Form, type: str, record_id: int, choice: str
) -> Response:
    try:
        with web_of(request).store.session() as session:
            done = settle_drift(session, type, f"#{record_id}", choice)
        flash(request, "success", done.message)
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, "/drift")


@router.post("/invoices/{record_id:int}/reissue")
def reissue_invoice(request: Request, user: User, form: Form, record_id: int) -> Response:
    try:
        with web_of(request).store.session() as session:
            done = reissue(session, f"#{record_id}")
        flash(request, "success", done.message)
    except BooksyncError as exc:
        flash(request, "error", str(exc))
    return redirect(request, f"/invoices/{record_id}")
