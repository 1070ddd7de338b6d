"""A record's sync panel (its job, timeline and the doctor's checklist) and the "Sync now" button.

Everything here comes from the services: `sync.timeline` for the job and its events,
`doctor.diagnose` + `evaluation_json` for the checklist, `sync.run_pass` for a pass. The web only
arranges it, adding a `back` link to each fix so the person can return to the record they fixed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from booksync.services import sync as sync_service
from booksync.services.doctor import diagnose, evaluation_json
from booksync.services.errors import BooksyncError
from booksync.sync.engine import Notice
from booksync.web._context import flash, is_htmx, local_path, redirect, web_of
from booksync.web._pages import PAGES, Page
from booksync.web._security import Form, User, csrf_protect

#: Seconds a "Sync now" pass may wait for retries and Retry-After pauses before it answers.
SYNC_WAIT = 2.0
TIMELINE_LIMIT = 50
#: Job states during which the panel refreshes itself, so a worker's progress shows up.
MOVING = ("pending", "in_flight")

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def with_back(fix_page: str | None, back: str) -> str | None:
    """`/account-codes/7#code` -> `/account-codes/7?back=/invoices/5#code`."""
    if not fix_page:
        return None
    path, _, anchor = fix_page.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}back={quote(back, safe='/')}" + (f"#{anchor}" if anchor else "")


def sync_context(session: Session, page: Page, record_id: int) -> dict[str, Any]:
    """The job, its timeline and the doctor's answer for one record, ready for `_sync.html`."""
    assert page.entity is not None
    ref = f"#{record_id}"
    line = sync_service.timeline(session, page.entity, ref, limit=TIMELINE_LIMIT)
    doctor = evaluation_json(diagnose(session, page.entity, ref))
    back = page.url(record_id)
    for check in doctor["checks"]:
        check["fix_link"] = with_back(check["fix_page"], back)
    return {
        "sync_url": page.url(record_id),
        "job": line["job"],
        "events": line["events"],
        "doctor": doctor,
        "moving": line["job"] is not None and line["job"]["status"] in MOVING,
    }


def run_sync_pass(request: Request) -> list[Notice]:
    """One pass over everything due; its notices (successes only where the integration asks)."""
    try:
        result = sync_service.run_pass(web_of(request).store, max_wait=SYNC_WAIT, trigger="web")
    except BooksyncError as exc:
        return [Notice("error", str(exc))]
    notices = list(result.notices)
    if not result.handled and not notices:
        notices.append(Notice("info", "Nothing was due to sync."))
    return notices


def _panel(
    request: Request, page: Page, record_id: int, template: str = "_sync.html", **extra: Any
) -> Response:
    web = web_of(request)
    with web.store.session() as session:
        context = sync_context(session, page, record_id)
    extra.setdefault("notices", [])
    return web.page(request, template, page=page, record_id=record_id, sync=context, **extra)


def _register(page: Page) -> None:
    base = f"/{page.slug}/{{record_id:int}}"

    def sync_now(request: Request, user: User, form: Form, record_id: int) -> Response:
        notices = run_sync_pass(request)
        if is_htmx(request):
            return _panel(request, page, record_id, notices=notices)
        for notice in notices:
            flash(request, notice.level, notice.text, notice.fix)
        return redirect(request, page.url(record_id) + "#sync")

    def retry(request: Request, user: User, form: Form, record_id: int) -> Response:
        assert page.entity is not None
        try:
            with web_of(request).store.session() as session:
                sync_service.retry(session, page.entity, f"#{record_id}")
            notice = Notice("info", "Queued again: the next pass tries it afresh.")
        except BooksyncError as exc:
            notice = Notice("error", str(exc))
        if is_htmx(request):
            return _panel(request, page, record_id, notices=[notice])
        flash(request, notice.level, notice.text)
        return redirect(request, page.url(record_id) + "#sync")

    def panel(request: Request, user: User, record_id: int) -> Response:
        return _panel(request, page, record_id, "_sync_panel.html")

    router.add_api_route(f"{base}/sync", sync_now, methods=["POST"])
    router.add_api_route(f"{base}/retry", retry, methods=["POST"])
    router.add_api_route(f"{base}/sync-panel", panel, methods=["GET"])


for _page in PAGES.values():
    if _page.entity is not None:
        _register(_page)


@router.post("/sync")
def sync_everything(request: Request, user: User, form: Form) -> Response:
    """The health page's "Sync now": one pass, its notices shown on the page it came from."""
    for notice in run_sync_pass(request):
        flash(request, notice.level, notice.text, notice.fix)
    return redirect(request, local_path(str(form.get("back", "")), "/health"))
