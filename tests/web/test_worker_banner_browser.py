"""In Chromium, against `booksync serve` run as people run it: with its worker (the default on a
SQLite file) no page says a worker is missing; with `--no-worker` every page says so and how to
start one; and signing out says so."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from booksync.services.auth import create_user
from booksync.store.db import Store
from support.serving import serving
from web.test_browser import CHROMIUM, CHROMIUM_ARGS
from web.web_support import PASSWORD, USERNAME

pytestmark = pytest.mark.slow
BANNER = "No worker is running: records sync only when you click Sync now."


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}")
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'booksync.db'}"
    store = Store(url)
    with store.session() as s:
        create_user(s, USERNAME, PASSWORD)
    store.dispose()
    return url


def _signed_in(browser: Browser, url: str) -> Page:
    page = browser.new_context(base_url=url).new_page()
    page.set_default_timeout(10_000)
    page.goto("/health")
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Health")).to_be_visible()
    return page


def test_with_its_worker_no_page_says_a_worker_is_missing(
    browser: Browser, db_file: str, tmp_path: Path
) -> None:
    with serving(db_file, cwd=tmp_path) as served:
        page = _signed_in(browser, served.url)
        for path in ("/health", "/clients", "/notifications"):
            page.goto(path)
            expect(page.locator("#worker-banner")).to_have_count(0)
        page.context.close()


def test_without_a_worker_every_page_says_so_and_signing_out_says_so(
    browser: Browser, db_file: str, tmp_path: Path
) -> None:
    with serving(db_file, "--no-worker", cwd=tmp_path) as served:
        page = _signed_in(browser, served.url)
        for path in ("/health", "/invoices", "/notifications"):
            page.goto(path)
            banner = page.get_by_role("status").filter(has_text=BANNER)
            expect(banner).to_be_visible()
            expect(banner).to_contain_text("booksync serve --worker")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status").filter(has_text="You have signed out.")).to_be_visible()
        expect(page.locator("#worker-banner")).to_have_count(0)
        page.context.close()
