"""The Sync activity page: the chart's bars and blocked line, the same figures as a table, the last
pass per tenant, the pass log with pages, a tenant filter, and bad input said on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booksync.services.activity_recording import record_pass
from booksync.store.db import Store
from booksync.store.types import utcnow
from booksync.sync.report import PassResult
from booksync.web._activity import COLOURS, nice_ceiling
from web.html_support import parse
from web.test_contrast import contrast
from web.web_support import WebClient


def _recorded(store: Store, tenant: str, synced: int, failed: int, ago: timedelta) -> None:
    result = PassResult()
    result.tally[tenant]["synced"] += synced
    result.tally[tenant]["failed"] += failed
    at = utcnow() - ago
    record_pass(store, result, started_at=at, finished_at=at, worker="w1", trigger="web")


def test_the_page_charts_tabulates_and_logs_the_passes(web: WebClient, store: Store) -> None:
    _recorded(store, "Acme AU", 4, 1, timedelta(hours=3))
    _recorded(store, "Acme NZ", 2, 0, timedelta(0))
    html = web.page("/activity")
    page = parse(html)
    assert page.unlabelled_controls() == [] and page.unnamed_buttons() == []
    assert '<a href="/activity" aria-current="page">Sync activity</a>' in html
    assert len(page.with_class("series-pushed", "g")) == 1
    assert html.count("pushed</title></rect>") == 2 and html.count("failed</title></rect>") == 1
    assert "4 pushed</title>" in html and "Hour (UTC)" in html
    summary = page.by_id("chart-summary")
    assert summary is not None and summary.text.strip() == "6 pushed, 1 failed; 0 blocked now."
    table = page.by_id("activity-table")
    assert table is not None and len(table.text.split("\n")) > 24
    last = page.by_id("last-passes")
    assert last is not None and "Acme AU" in last.text and "Acme NZ" in last.text
    log = page.by_id("pass-log")
    assert log is not None and log.text.count("web") == 2


def test_a_tenant_filter_and_the_7_day_range(web: WebClient, store: Store) -> None:
    _recorded(store, "Acme AU", 4, 0, timedelta(days=3))
    _recorded(store, "Acme NZ", 2, 0, timedelta(0))
    html = web.page("/activity?range=7d&tenant=Acme+AU")
    summary = parse(html).by_id("chart-summary")
    assert summary is not None and summary.text.startswith("4 pushed")
    assert "Per hour, last 7 days (Acme AU)" in html
    assert '<option value="Acme AU" selected>' in html


def test_the_log_pages(web: WebClient, store: Store) -> None:
    for i in range(25):
        _recorded(store, "Acme AU", 1, 0, timedelta(minutes=i))
    first = web.page("/activity")
    assert "Page 1 of 2" in first and 'href="/activity?range=24h&amp;page=2"' in first
    second = web.page("/activity?range=24h&page=2")
    log = parse(second).by_id("pass-log")
    assert log is not None and log.text.count("web") == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=1y", "range: '1y' is not a range the chart shows"),
        ("tenant=Nope", "tenant: 'Nope' is not a tenant"),
        ("page=x", "page: 'x' is not a page number; accepted: 1 or more"),
    ],
)
def test_bad_input_is_said_on_the_page(web: WebClient, query: str, message: str) -> None:
    answer = web.get(f"/activity?{query}")
    assert answer.status_code == 422
    error = parse(answer.text).by_id("activity-error")
    assert error is not None and message in error.text


def test_the_series_colours_are_readable_on_white() -> None:
    assert all(contrast(colour, "#ffffff") >= 4.5 for colour in COLOURS.values())


def test_the_axis_top_is_a_round_number() -> None:
    assert [nice_ceiling(v) for v in (1, 2, 3, 7, 12, 49, 51, 180)] == [
        2,
        2,
        5,
        10,
        20,
        50,
        100,
        200,
    ]
