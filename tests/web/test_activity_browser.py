"""In Chromium: the Sync activity page from the navigation, its chart named for screen readers
with its figures a click away as a table, the tenant filter, and no sideways scroll on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from booksync.services.activity_recording import record_pass
from booksync.store.db import Store
from booksync.store.types import utcnow
from booksync.sync.report import PassResult
from web.test_browser import base_url, browser, page, shot, sign_in, store  # noqa: F401

pytestmark = pytest.mark.slow


def _recorded(db: Store, tenant: str, synced: int, failed: int, ago: timedelta) -> None:
    result = PassResult()
    result.tally[tenant]["synced"] += synced
    result.tally[tenant]["failed"] += failed
    at = utcnow() - ago
    record_pass(db, result, started_at=at, finished_at=at, worker="host:1", trigger="worker")


def test_the_activity_page_in_a_browser(page: Page, store: Store) -> None:  # noqa: F811
    _recorded(store, "Acme AU", 5, 2, timedelta(hours=2))
    _recorded(store, "Acme NZ", 3, 0, timedelta(0))
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sync activity").click()
    expect(page.get_by_role("heading", name="Sync activity", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Sync activity per hour, last 24 hours, all tenants")
    expect(chart).to_be_visible()
    expect(page.locator("#chart-summary")).to_have_text("8 pushed, 2 failed; 0 blocked now.")
    table = page.locator("#activity-table")
    expect(table).to_be_hidden()
    page.get_by_text("The chart's figures as a table").click()
    expect(table.get_by_role("row")).to_have_count(25)  # a heading row and 24 hours
    expect(page.locator("#last-passes").get_by_role("row", name="Acme AU")).to_contain_text("5")
    shot(page, "activity")
    page.get_by_label("Tenant", exact=True).select_option("Acme NZ")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/activity\?range=24h&tenant=Acme\+NZ$"))
    expect(page.locator("#chart-summary")).to_have_text("3 pushed, 0 failed; 0 blocked now.")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(
        page.get_by_role("img", name="Sync activity per hour, last 24 hours, Acme NZ")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
