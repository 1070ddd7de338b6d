"""The health page: the doctor's report over every record, grouped by root cause, with counts and
links to the page and field that fixes each cause; and where the sync jobs stand per tenant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.domain.types import EntityType
from booksync.services.doctor import health_report
from booksync.services.sync import STATUSES, sync_status
from booksync.web._context import redirect, web_of
from booksync.web._pages import PAGES
from booksync.web._security import User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

READINESS = ("ready", "waiting", "unknown", "blocked")


def _subject_link(subject: dict[str, Any], record_id: int | None) -> str | None:
    slug = subject["type"].replace("_", "-") + "s"
    if subject["type"] == "integration":
        return f"/integrations/{subject['ref']}"
    return f"/{slug}/{record_id}" if record_id is not None and slug in PAGES else None


def _list_link(entity: str) -> str:
    return "/" + EntityType(entity).value.replace("_", "-") + "s"


@router.get("/")
def home(request: Request, user: User) -> Response:
    return redirect(request, "/integrations")


@router.get("/health")
def health(request: Request, user: User) -> Response:
    web = web_of(request)
    with web.store.session() as session:
        report = health_report(session)
        causes = report.to_json()
        status = sync_status(session).to_json()
    for group in ("blockers", "unknowns"):
        for cause, finding in zip(causes[group], getattr(report, group), strict=True):
            cause["subject_link"] = _subject_link(cause["subject"], finding.finding.subject.id)
            cause["by_type_links"] = [
                (f"{n} {EntityType(e).label}{'s' if n != 1 else ''}", _list_link(e))
                for e, n in cause["by_type"].items()
            ]
    return web.page(
        request,
        "health.html",
        title="Health",
        report=causes,
        readiness=READINESS,
        status=status,
        statuses=STATUSES,
        labels={e.value: e.label.capitalize() + "s" for e in EntityType},
        list_link=_list_link,
    )
