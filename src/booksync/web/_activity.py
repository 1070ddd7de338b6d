"""The Sync activity page: a server-rendered SVG chart of pushes, failures and blocked records per
hour (the last 24 hours or 7 days, all tenants or one), the same figures as a table, each tenant's
last pass and the log of passes (`services.activity`).

The chart is drawn here as plain coordinates; the template only writes them out. No script runs
it and no style attribute colours it (the page's Content-Security-Policy allows neither inline):
SVG presentation attributes do, in colours of at least 4.5:1 on white.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.services import activity as activity_service
from booksync.services.errors import BadInput
from booksync.web._context import web_of
from booksync.web._security import User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PATH = "/activity"

#: Series colours with their contrast on white (WCAG AA asks 4.5:1 of text; the legend names them).
COLOURS = {
    "pushed": "#1e3a8a",  # 10.4:1
    "failed": "#b42318",  # 6.4:1
    "blocked": "#8a5a00",  # 5.9:1
}
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 44


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """The SVG's shapes, in the viewBox's units."""

    pushed: list[Bar]
    failed: list[Bar]
    blocked: str  # the polyline's points
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    width: int = WIDTH
    height: int = HEIGHT


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k (at least 2, so the middle tick is whole) ≥ `value`."""
    step = 1
    while True:
        for factor in (2, 5, 10):
            if factor * step >= value:
                return factor * step
        step *= 10


def _hour_label(hour: datetime, hours: int) -> str | None:
    if hours <= 24:
        return hour.strftime("%H:00") if hour.hour % 3 == 0 else None
    return hour.strftime("%a %d") if hour.hour == 0 else None


def chart(points: list[activity_service.HourPoint]) -> Chart:
    """Bars for pushes and failures side by side in each hour's slot; a line for blocked."""
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    top_value = nice_ceiling(max([1, *(max(p.pushed, p.failed, p.blocked) for p in points)]))
    slot = (right - left) / max(1, len(points))
    bar = max(0.8, slot * 0.38)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / top_value, 2)

    pushed, failed, line, x_ticks = [], [], [], []
    for i, p in enumerate(points):
        x0 = left + i * slot
        when = p.hour.strftime("%Y-%m-%d %H:00 UTC")
        if p.pushed:
            pushed.append(
                Bar(
                    round(x0 + slot * 0.1, 2),
                    y(p.pushed),
                    round(bar, 2),
                    round(bottom - y(p.pushed), 2),
                    f"{when}: {p.pushed} pushed",
                )
            )
        if p.failed:
            failed.append(
                Bar(
                    round(x0 + slot * 0.1 + bar, 2),
                    y(p.failed),
                    round(bar, 2),
                    round(bottom - y(p.failed), 2),
                    f"{when}: {p.failed} failed",
                )
            )
        line.append(f"{round(x0 + slot / 2, 2)},{y(p.blocked)}")
        label = _hour_label(p.hour, len(points))
        if label:
            x_ticks.append(Tick(round(x0, 2), label))
    y_ticks = [Tick(y(v), str(v)) for v in (0, top_value // 2, top_value)]
    return Chart(pushed, failed, " ".join(line), y_ticks, x_ticks, (left, top, right, bottom))


def _url(range_: str, tenant: str | None, page: int | None = None) -> str:
    query = {"range": range_, **({"tenant": tenant} if tenant else {})}
    if page and page > 1:
        query["page"] = str(page)
    return f"{PATH}?{urlencode(query)}"


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise BadInput("page", raw, "is not a page number", "1 or more")
    return int(raw)


@router.get(PATH)
def activity_page(request: Request, user: User) -> Response:
    web = web_of(request)
    params = request.query_params
    range_ = params.get("range") or "24h"
    tenant = params.get("tenant") or None
    error = None
    with web.store.session() as session:
        try:
            report = activity_service.activity(
                session, range=range_, tenant=tenant, page=_page_number(params.get("page"))
            )
        except BadInput as exc:  # said on the page, which shows the default view instead
            error = str(exc)
            report = activity_service.activity(session)
    context: dict[str, Any] = {
        "title": "Sync activity",
        "report": report,
        "chart": chart(list(report.series)),
        "colours": COLOURS,
        "ranges": list(activity_service.RANGES),
        "error": error,
        "totals": {
            "pushed": sum(p.pushed for p in report.series),
            "failed": sum(p.failed for p in report.series),
            "blocked": report.series[-1].blocked if report.series else 0,
        },
        "prev_url": _url(report.range, report.tenant, report.log.page - 1)
        if report.log.page > 1
        else None,
        "next_url": _url(report.range, report.tenant, report.log.page + 1)
        if report.log.page < report.log.pages
        else None,
    }
    return web.page(request, "activity.html", status_code=422 if error else 200, **context)


__all__ = ["COLOURS", "Chart", "chart", "nice_ceiling", "router"]
