"""The list pages: search, sync-state and in-the-tool filters, sortable columns, page size, and the
bulk "Retry selected" / "Sync selected" buttons. The query itself is `services.record_lists`; this arranges it.

Every parameter comes from a URL a person may have typed, so a bad one never answers with an error:
an unknown state or sort is ignored, a page number that is not one shows the first page, and one
past the end shows the last.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from booksync.services.errors import BooksyncError
from booksync.services.record_bulk import queue_records
from booksync.services.record_list_query import (
    PAGE_SIZES,
    ListQuery,
    parse_list_query,
    sort_keys,
)
from booksync.services.record_lists import list_records
from booksync.services.record_states import STATES
from booksync.services.record_tool_states import ToolState, tool_states_for
from booksync.services.serialize import to_dict
from booksync.web._context import flash, local_path, redirect, web_of
from booksync.web._pages import PAGE_SIZE, Page, cell

#: The query parameters a list keeps from one link to the next, in URL order.
PARAMS = ("q", "sync_state", "tool_state", "cause", "sort", "page_size", "page")
#: A fact in the tool -> the badge colour it borrows (paid is done; the others want a look).
TOOL_BADGES = {
    ToolState.PAID: "synced",
    ToolState.PART_PAID: "pending",
    ToolState.VOIDED: "none",
    ToolState.DRIFTED: "waiting",
}


def list_url(list_page: Page, query: ListQuery, **changes: Any) -> str:
    """The list's URL for `query` with `changes` (page numbers reset unless given)."""
    values: dict[str, Any] = {
        "q": query.search,
        "sync_state": query.sync_state.value if query.sync_state else "",
        "tool_state": query.tool_state.value if query.tool_state else "",
        "cause": query.cause or "",
        "sort": query.sort,
        "page_size": query.page_size if query.page_size != PAGE_SIZE else "",
        "page": "",
    }
    values.update(changes)
    kept = [(k, values[k]) for k in PARAMS if values[k] not in ("", None, 1)]
    return list_page.url() + (f"?{urlencode(kept)}" if kept else "")


def _sort_links(page: Page, query: ListQuery) -> dict[str, tuple[str, str]]:
    """Column key -> (its link, its `aria-sort`): a click sorts by it, a second click reverses."""
    links = {}
    for key in sort_keys(page.entity) if page.entity is not None else ():
        current = query.sort_key == key
        order = "descending" if current and query.descending else "ascending"
        target = f"-{key}" if current and not query.descending else key
        links[key] = (list_url(page, query, sort=target), order if current else "none")
    return links


def _plain_page(request: Request, page: Page) -> dict[str, Any]:
    """A list of records that do not sync (tax rates, account codes, ...): search and pages."""
    params = request.query_params
    query = parse_list_query(
        None,
        search=params.get("q"),
        page=params.get("page"),
        page_size=params.get("page_size"),
        strict=False,
    )
    with web_of(request).store.session() as session:
        total = page.service.count(session, search=query.search or None)
        pages = max(math.ceil(total / query.page_size), 1)
        number = min(query.page, pages)
        rows = page.service.list(
            session,
            search=query.search or None,
            limit=query.page_size,
            offset=(number - 1) * query.page_size,
        )
        items = [to_dict(row) for row in rows]
    return {"items": items, "total": total, "page_no": number, "pages": pages, "query": query}


def _sync_page(request: Request, page: Page) -> dict[str, Any]:
    assert page.entity is not None
    params = request.query_params
    query = parse_list_query(
        page.entity,
        search=params.get("q"),
        sync_state=params.get("sync_state"),
        tool_state=params.get("tool_state"),
        cause=params.get("cause"),
        sort=params.get("sort"),
        page=params.get("page"),
        page_size=params.get("page_size"),
        strict=False,
    )
    with web_of(request).store.session() as session:
        found = list_records(session, page.entity, query)
        items = []
        for obj, state in found.rows:
            item = to_dict(obj)
            item["sync_state"] = state.state.value if state else ""
            item["sync_state_label"] = state.state.label if state else "not queued"
            item["tool_badges"] = [(TOOL_BADGES[s], s.label) for s in found.tool_of(obj.id)]
            items.append(item)
    return {
        "items": items,
        "total": found.total,
        "page_no": found.page,
        "pages": found.pages,
        "query": query,
    }


def render_list(request: Request, page: Page) -> Response:
    context = _sync_page(request, page) if page.entity is not None else _plain_page(request, page)
    query: ListQuery = context["query"]
    template = (
        "_list_results.html" if request.headers.get("hx-target") == "results" else "list.html"
    )
    response = web_of(request).page(
        request,
        template,
        title=page.plural,
        page=page,
        cell=cell,
        q=query.search,
        states=STATES,
        tool_states=tool_states_for(page.entity) if page.entity is not None else (),
        page_sizes=PAGE_SIZES,
        sort_links=_sort_links(page, query),
        url=lambda **changes: list_url(page, query, **changes),
        here=list_url(page, query, page=context["page_no"]),
        **context,
    )
    # The address bar shows the list as a link would name it, without the form's default values.
    response.headers["HX-Push-Url"] = list_url(page, query, page=context["page_no"])
    return response


def _chosen(form: FormData) -> list[int]:
    return [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()]


def bulk_action(request: Request, page: Page, form: FormData, *, sync: bool) -> Response:
    """Queue the ticked records again (a fresh count of attempts); "Sync selected" then runs a
    pass, which also pushes whatever else is due."""
    from booksync.web._sync import run_sync_pass

    assert page.entity is not None
    back = local_path(str(form.get("back", "")), page.url())
    ids = _chosen(form)
    if not ids:
        flash(request, "info", f"No {page.plural.lower()} were selected.")
        return redirect(request, back)
    try:
        with web_of(request).store.session() as session:
            done = queue_records(session, page.entity, ids, skip_synced=sync)
    except BooksyncError as exc:
        flash(request, "error", str(exc))
        return redirect(request, back)
    noun = page.singular if len(done.queued) == 1 else page.plural.lower()
    text = f"Queued {len(done.queued)} {noun} again."
    if done.skipped:
        shown = "; ".join(done.skipped[:3]) + ("; …" if len(done.skipped) > 3 else "")
        text += f" Left {len(done.skipped)} alone ({shown})."
    flash(request, "info", text)
    if sync and done.queued:
        for notice in run_sync_pass(request):
            flash(request, notice.level, notice.text, notice.fix)
    return redirect(request, back)
