"""The health page: the doctor's report over every record, grouped by root cause, with counts and
links to the page and field that fixes each cause; and where records stand per tenant.

Every count links to exactly the records it counts: the list of that type filtered by sync state,
or by the root cause (`services.record_lists`), so "Blocks: 1 invoice" opens that one invoice; and
"Drifted in the tool" opens the drift page, where each of those records is settled.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.domain.types import EntityType
from booksync.services.doctor import health_report
from booksync.services.record_states import STATES, SyncState, cause_key, state_counts
from booksync.services.record_tool_states import ToolState, tool_state_counts
from booksync.services.sync import sync_status
from booksync.web._context import redirect, web_of
from booksync.web._pages import PAGES
from booksync.web._security import User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _subject_link(subject: dict[str, Any], record_id: int | None) -> str | None:
    slug = subject["type"].replace("_", "-") + "s"
    if subject["type"] == "integration":
        return f"/integrations/{subject['ref']}"
    return f"/{slug}/{record_id}" if record_id is not None and slug in PAGES else None


def list_link(entity: str, **query: str) -> str:
    """`/invoices?sync_state=blocked`: the list of `entity` records narrowed by `query`."""
    base = "/" + EntityType(entity).value.replace("_", "-") + "s"
    return base + (f"?{urlencode(query)}" if query else "")


def _card_link(state: SyncState, by_type: dict[str, dict[str, int]]) -> str | None:
    """A card's link: the one list holding its records, or the table by type when several do."""
    holding = [entity for entity, counts in by_type.items() if counts[state.value]]
    if not holding:
        return None
    if len(holding) == 1:
        return list_link(holding[0], sync_state=state.value)
    return "#types-title"


@router.get("/")
def home(request: Request, user: User) -> Response:
    return redirect(request, "/integrations")


@router.get("/health")
def health(request: Request, user: User) -> Response:
    web = web_of(request)
    with web.store.session() as session:
        report = health_report(session)
        causes = report.to_json()
        counts = state_counts(session)
        drifted = sum(c[ToolState.DRIFTED] for c in tool_state_counts(session).values())
        status = sync_status(session).to_json()
    for group in ("blockers", "unknowns"):
        for cause, finding in zip(causes[group], getattr(report, group), strict=True):
            key = cause_key(finding.finding)
            cause["subject_link"] = _subject_link(cause["subject"], finding.finding.subject.id)
            cause["by_type_links"] = [
                (f"{n} {EntityType(e).label}{'s' if n != 1 else ''}", list_link(e, cause=key))
                for e, n in cause["by_type"].items()
            ]
    by_type = {
        e.value: {s.value: counts.by_type[e][s] for s in STATES}
        for e in EntityType
        if e in counts.by_type
    }
    totals = counts.totals
    return web.page(
        request,
        "health.html",
        title="Health",
        report=causes,
        states=STATES,
        total=sum(totals.values()),
        cards=[(s, totals[s], _card_link(s, by_type)) for s in STATES],
        by_type=by_type,
        by_tenant={t: {s.value: c[s] for s in STATES} for t, c in counts.by_tenant.items()},
        errors=status["errors"],
        labels={e.value: e.label.capitalize() + "s" for e in EntityType},
        list_link=list_link,
        drifted=drifted,
    )
