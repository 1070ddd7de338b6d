"""List, create, show, edit and delete pages for every record type (see `_pages.PAGES`).

A record's page is its form: the fields where the seed's screens put them, each control's id equal
to its field name so the doctor's `#field` links land on it. Saving sends the services only what
changed; a rejected value comes back as a message on its field, with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from booksync.services.errors import BadInput, BooksyncError, NotFound
from booksync.services.serialize import to_dict
from booksync.web._context import flash, local_path, redirect, web_of
from booksync.web._forms import (
    CHOICES,
    changes,
    choices_for,
    current_values,
    error_id,
    submitted_values,
)
from booksync.web._integrations import tenant_context
from booksync.web._lines import (
    NEW_ROWS,
    Line,
    blank_line,
    current_lines,
    line_input,
    submitted_lines,
)
from booksync.web._pages import PAGE_SIZE, PAGES, Page, back_link, cell
from booksync.web._security import Form, User, csrf_protect
from booksync.web._sync import sync_context
from booksync.web._tax_types import tax_type_rows

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PageNumber = Annotated[int, Query(alias="page", ge=1)]

#: Sections some record pages add below their fields, by page slug.
EXTRAS: dict[str, Callable[[Session, Any], dict[str, Any]]] = {
    "tenants": tenant_context,
    "tax-rates": lambda session, rate: {"tax_types": tax_type_rows(session, rate)},
}


def _ref(record_id: int) -> str:
    return f"#{record_id}"


def _not_found(request: Request, page: Page, record_id: int) -> Response:
    return web_of(request).page(
        request,
        "not_found.html",
        status_code=404,
        title="Not found",
        message=f"There is no {page.singular} #{record_id}.",
        back=page.url(),
    )


def _render_form(
    request: Request,
    page: Page,
    record_id: int | None,
    *,
    values: dict[str, Any] | None = None,
    lines: list[Line] | None = None,
    errors: dict[str, str] | None = None,
    summary: str | None = None,
    status_code: int = 200,
) -> Response:
    """The record page (or the new-record form), with typed values and field errors if given."""
    web = web_of(request)
    back_param = request.query_params.get("back")
    with web.store.session() as session:
        obj = None
        if record_id is not None:
            try:
                obj = page.service.get(session, _ref(record_id))
            except NotFound:
                return _not_found(request, page, record_id)
        context: dict[str, Any] = {
            "record": to_dict(obj) if obj is not None else None,
            "reference": obj.reference if obj is not None else None,
            "choices": choices_for(session, page.fields),
            "back": back_link(session, back_param),
        }
        if values is None:
            values = current_values(page.fields, obj)
        if page.is_document:
            if lines is None:
                lines = current_lines(obj) + [blank_line()]
            context["line_choices"] = {
                name: CHOICES[name](session) for name in ("products", "tax_rates")
            }
        if obj is not None and page.slug in EXTRAS:
            context.update(EXTRAS[page.slug](session, obj))
        if obj is not None and page.entity is not None:
            context["sync"] = sync_context(session, page, obj.id)
    if page.is_document and not lines:
        lines = [blank_line() for _ in range(NEW_ROWS)]
    title = (
        f"{page.singular.capitalize()} {context['reference']}"
        if obj is not None
        else f"New {page.singular}"
    )
    return web.page(
        request,
        "record.html",
        status_code=status_code,
        title=title,
        page=page,
        record_id=record_id,
        values=values,
        lines=lines or [],
        errors=errors or {},
        summary=summary,
        back_param=local_path(back_param, ""),
        **context,
    )


def _line_changes(form: FormData, current: list[Line] | None) -> tuple[list[Line], Any]:
    sent = submitted_lines(form)
    if current is not None and sent == current:
        return sent, None
    return sent, [line_input(row) for row in sent]


def _save(request: Request, page: Page, form: FormData, record_id: int | None) -> Response:
    web = web_of(request)
    sent = submitted_values(page.fields, form)
    sent_lines: list[Line] = []
    back = local_path(str(form.get("back", "")), "")
    try:
        with web.store.session() as session:
            obj = None
            if record_id is not None:
                try:
                    obj = page.service.get(session, _ref(record_id))
                except NotFound:
                    return _not_found(request, page, record_id)
            current = current_values(page.fields, obj) if obj is not None else None
            data = changes(page.fields, sent, current)
            if page.is_document:
                old = current_lines(obj) if obj is not None else None
                sent_lines, new_lines = _line_changes(form, old)
                if "add_line" in form:
                    raise _AddLine()
                if new_lines is not None:
                    data["lines"] = new_lines
            if obj is not None and not data:
                saved_id, message = obj.id, ("info", "No changes to save.")
            elif obj is None:
                created = page.service.create(session, data)
                saved_id, message = created.id, ("success", _saved(page, created.reference, True))
            else:
                updated = page.service.update(session, _ref(obj.id), data)
                saved_id, message = updated.id, ("success", _saved(page, updated.reference, False))
    except _AddLine:
        return _render_form(
            request, page, record_id, values=sent, lines=sent_lines + [blank_line()]
        )
    except BadInput as exc:
        return _invalid(request, page, record_id, sent, sent_lines, exc)
    flash(request, *message)
    target = page.url(saved_id) + (f"?back={quote(back, safe='/')}" if back else "")
    return redirect(request, target)


class _AddLine(Exception):
    """Raised when "Add line" is pressed: the form comes back with one more row, nothing saved."""


def _saved(page: Page, reference: str, new: bool) -> str:
    verb = "created" if new else "saved"
    then = " It syncs on the next pass." if page.entity is not None else ""
    return f"{page.singular.capitalize()} '{reference}' {verb}.{then}"


def _invalid(
    request: Request,
    page: Page,
    record_id: int | None,
    sent: dict[str, Any],
    lines: list[Line],
    exc: BadInput,
) -> Response:
    by_key = {f.input_key: f.name for f in page.fields}
    # A part of a structured field (`address.city`, `address.lines[2]`) is shown on its own control.
    field = by_key.get(exc.field.split("[")[0]) or error_id(exc.field)
    field = by_key.get(field, field)
    return _render_form(
        request,
        page,
        record_id,
        values=sent,
        lines=lines + [blank_line()] if page.is_document else None,
        errors={field: str(exc)},
        summary=str(exc),
        status_code=422,
    )


def _register(page: Page) -> None:
    base = f"/{page.slug}"
    one = f"{base}/{{record_id:int}}"

    def list_page(request: Request, user: User, q: str = "", page_no: PageNumber = 1) -> Response:
        web = web_of(request)
        number = max(page_no, 1)
        with web.store.session() as session:
            total = page.service.count(session, search=q or None)
            rows = page.service.list(
                session, search=q or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
            )
            items = [to_dict(row) for row in rows]
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        template = (
            "_list_results.html" if request.headers.get("hx-target") == "results" else "list.html"
        )
        return web.page(
            request,
            template,
            title=page.plural,
            page=page,
            items=items,
            cell=cell,
            q=q,
            total=total,
            page_no=min(number, pages),
            pages=pages,
        )

    def new_page(request: Request, user: User) -> Response:
        if not page.creatable:
            return redirect(request, "/integrations")
        return _render_form(request, page, None)

    def create(request: Request, user: User, form: Form) -> Response:
        if not page.creatable:
            return redirect(request, "/integrations")
        return _save(request, page, form, None)

    def show(request: Request, user: User, record_id: int) -> Response:
        return _render_form(request, page, record_id)

    def update(request: Request, user: User, form: Form, record_id: int) -> Response:
        return _save(request, page, form, record_id)

    def confirm_delete(request: Request, user: User, record_id: int) -> Response:
        web = web_of(request)
        with web.store.session() as session:
            try:
                reference = page.service.get(session, _ref(record_id)).reference
            except NotFound:
                return _not_found(request, page, record_id)
        return web.page(
            request,
            "delete.html",
            title=f"Delete {page.singular} {reference}",
            page=page,
            record_id=record_id,
            reference=reference,
        )

    def delete(request: Request, user: User, form: Form, record_id: int) -> Response:
        web = web_of(request)
        try:
            with web.store.session() as session:
                reference = page.service.delete(session, _ref(record_id)).reference
        except NotFound:
            return _not_found(request, page, record_id)
        except BooksyncError as exc:
            flash(request, "error", str(exc))
            return redirect(request, page.url(record_id))
        flash(request, "success", f"{page.singular.capitalize()} '{reference}' deleted.")
        return redirect(request, page.url())

    router.add_api_route(base, list_page, methods=["GET"])
    router.add_api_route(base, create, methods=["POST"])
    router.add_api_route(f"{base}/new", new_page, methods=["GET"])
    router.add_api_route(one, show, methods=["GET"])
    router.add_api_route(one, update, methods=["POST"])
    router.add_api_route(f"{one}/delete", confirm_delete, methods=["GET"])
    router.add_api_route(f"{one}/delete", delete, methods=["POST"])


for _page in PAGES.values():
    _register(_page)
