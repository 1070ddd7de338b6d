"""List, create, show, edit and delete pages for every record type (see `_pages.PAGES`).

A record's page is its form: the fields where the seed's screens put them, each control's id equal
to its field name so the doctor's `#field` links land on it. Saving sends the services only what
changed; a rejected value comes back as a message on its field, with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
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
from booksync.web._pages import PAGES, Page, back_link
from booksync.web._payments import PAYMENT_PAGES
from booksync.web._record_lists import bulk_action, render_list
from booksync.web._security import Form, User, csrf_protect
from booksync.web._sync import sync_context
from booksync.web._tax_types import tax_type_rows

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

#: Sections some record pages add below their fields, by page slug.
EXTRAS: dict[str, Callable[[Session, Any], dict[str, Any]]] = {
    "tenants": tenant_context,
    "tax-rates": lambda session, rate: {"tax_types": tax_type_rows(session, rate)},
}
EXTRAS.update(PAYMENT_PAGES)  # invoices and credit notes: status, paid and due in the tool


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


def _exists(request: Request, page: Page, record_id: int | None) -> bool:
    """Looked up before a page's own session opens, so a "not found" page (whose layout may read
    the store itself) is never rendered while a session holds SQLite's write lock."""
    if record_id is None:
        return True
    with web_of(request).store.session() as session:
        try:
            page.service.get(session, _ref(record_id))
        except NotFound:
            return False
    return True


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
    back: str | None = None,
) -> Response:
    """The record page (or the new-record form), with typed values and field errors if given.
    `back` is where the person came from when the form was sent (else the page's `?back=`)."""
    web = web_of(request)
    back_param = back if back is not None else request.query_params.get("back")
    if not _exists(request, page, record_id):
        return _not_found(request, page, record_id)  # type: ignore[arg-type]
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
            "choices": choices_for(session, page.fields, obj),
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
    data: dict[str, Any] = {}
    if not _exists(request, page, record_id):
        return _not_found(request, page, record_id)  # type: ignore[arg-type]
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
            request, page, record_id, values=sent, lines=sent_lines + [blank_line()], back=back
        )
    except BadInput as exc:
        found = _more_errors(request, page, record_id, data, exc)
        return _invalid(request, page, record_id, sent, sent_lines, found, back)
    flash(request, *message)
    target = page.url(saved_id) + (f"?back={quote(back, safe='/')}" if back else "")
    return redirect(request, target)


class _AddLine(Exception):
    """Raised when "Add line" is pressed: the form comes back with one more row, nothing saved."""


def _saved(page: Page, reference: str, new: bool) -> str:
    verb = "created" if new else "saved"
    then = " It syncs on the next pass." if page.entity is not None else ""
    return f"{page.singular.capitalize()} '{reference}' {verb}.{then}"


#: At most this many problems are looked for in one form.
MAX_ERRORS = 8


class _Probe(Exception):
    """Ends a trial save without writing anything."""


def _top_key(field: str) -> str:
    """The service input a field path belongs to: `lines[2].product` -> `lines`."""
    return field.split("[")[0].split(".")[0]


def _more_errors(
    request: Request, page: Page, record_id: int | None, data: dict[str, Any], first: BadInput
) -> list[BadInput]:
    """Every problem in the form, not just the first: the services stop at the first, so the
    save is tried again without the inputs already found wrong, each time rolled back."""
    found = [first]
    left = dict(data)
    removed: set[str] = set()
    while len(found) < MAX_ERRORS:
        key = _top_key(found[-1].field)
        if key not in left:
            break
        del left[key]
        removed.add(key)
        if not left:
            break
        try:
            with web_of(request).store.session() as session:
                if record_id is None:
                    page.service.create(session, left)
                else:
                    page.service.update(session, _ref(record_id), left)
                raise _Probe()
        except _Probe:
            break
        except BadInput as exc:
            if _top_key(exc.field) in removed:  # an input left out here, not by the person
                break
            found.append(exc)
    return found


def _invalid(
    request: Request,
    page: Page,
    record_id: int | None,
    sent: dict[str, Any],
    lines: list[Line],
    found: list[BadInput],
    back: str,
) -> Response:
    by_key = {f.input_key: f.name for f in page.fields}
    errors: dict[str, str] = {}
    for exc in found:
        # A part of a structured field (`address.city`, `address.lines[2]`) is shown on its own
        # control.
        field = by_key.get(exc.field.split("[")[0]) or error_id(exc.field)
        errors.setdefault(by_key.get(field, field), str(exc))
    summary = (
        str(found[0])
        if len(errors) == 1
        else f"{len(errors)} fields need a change: " + "; ".join(errors.values())
    )
    return _render_form(
        request,
        page,
        record_id,
        values=sent,
        lines=lines + [blank_line()] if page.is_document else None,
        errors=errors,
        summary=summary,
        status_code=422,
        back=back,
    )


def _register(page: Page) -> None:
    base = f"/{page.slug}"
    one = f"{base}/{{record_id:int}}"

    def list_page(request: Request, user: User) -> Response:
        return render_list(request, page)

    def bulk_retry(request: Request, user: User, form: Form) -> Response:
        return bulk_action(request, page, form, sync=False)

    def bulk_sync(request: Request, user: User, form: Form) -> Response:
        return bulk_action(request, page, form, sync=True)

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
        if not _exists(request, page, record_id):
            return _not_found(request, page, record_id)
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
    if page.entity is not None:
        router.add_api_route(f"{base}/retry-selected", bulk_retry, methods=["POST"])
        router.add_api_route(f"{base}/sync-selected", bulk_sync, methods=["POST"])
    router.add_api_route(base, create, methods=["POST"])
    router.add_api_route(f"{base}/new", new_page, methods=["GET"])
    router.add_api_route(one, show, methods=["GET"])
    router.add_api_route(one, update, methods=["POST"])
    router.add_api_route(f"{one}/delete", confirm_delete, methods=["GET"])
    router.add_api_route(f"{one}/delete", delete, methods=["POST"])


for _page in PAGES.values():
    _register(_page)
