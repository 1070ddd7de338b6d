"""Issue 14 in a real browser (Chromium via Playwright, as `test_browser.py`): finding what is stuck
from the lists and the health page (paid and drifted records too), messages after a large pass, fixing an account code, disabling
an integration, the health counts, and a phone-sized window.

The books come from `services.record_lists_support` (a ledger tenant, three clients, two products,
three invoices with something in every state), written through the services to keep each test fast;
one Chromium serves the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from booksync.services.records import ACCOUNT_CODES, CLIENTS
from booksync.services.sync import run_pass
from booksync.store.db import Store
from services.record_lists_support import INVOICES, TENANT, ledger_tenant, stuck_books, tool_facts
from web.test_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    base_url,
    sign_in,
    store,
)

PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser: Browser, url: str, viewport: ViewportSize) -> Iterator[Page]:
    context = browser.new_context(base_url=url, viewport=viewport, locale="en-AU")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    # A form sent back with its errors answers 422 on purpose; Chromium logs any 4xx.
    opened.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 422" not in msg.text
            else None
        ),
    )
    yield opened
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    yield from _open(browser, base_url, VIEWPORT)


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    yield from _open(browser, base_url, PHONE)


def _rows(page: Page) -> list[str]:
    return page.locator("#results tbody th[scope=row]").all_inner_texts()


def test_health_counts_open_exactly_the_stuck_records_and_bulk_sync_them(
    page: Page,
    store: Store,  # noqa: F811
) -> None:
    stuck_books(store)
    sign_in(page)
    page.goto("/health")
    # Point 7: before the first pass the cards and the tenant table say the same.
    expect(page.locator(".count-blocked strong")).to_have_text("3")
    expect(page.locator(".count-synced strong")).to_have_text("0")
    tenants = page.locator("#tenant-states")
    blocked_column = 1 + ["synced", "ready", "waiting", "unknown", "blocked", "failed"].index(
        "blocked"
    )
    expect(
        tenants.locator("tr", has_text=TENANT).locator("td").nth(blocked_column - 1)
    ).to_have_text("2")
    expect(
        tenants.locator("tr", has_text="(no tenant)").locator("td").nth(blocked_column - 1)
    ).to_have_text("1")

    # Point 1: "Blocks: 1 invoice" opens that invoice, not all of them.
    cause = page.locator(".cause", has_text="2000")
    cause.get_by_role("link", name="1 invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices\?cause=account_code\.matches_tool"))
    assert _rows(page) == ["INV-1001"]
    expect(page.locator("#results tbody .badge")).to_have_text("blocked")
    page.get_by_role("link", name="show all").click()
    assert _rows(page) == ["INV-1001", "INV-1002", "INV-1003"]

    page.get_by_label("Sync state").select_option(label="Waiting")
    expect(page.locator("#results .count")).to_have_text("2 invoices waiting")
    expect(page).to_have_url(re.compile(r"/invoices\?sync_state=waiting$"))
    page.get_by_label("Search invoices").fill("beta")  # the client's name
    expect(page.locator("#results .count")).to_have_text("1 invoice waiting matching “beta”")
    page.get_by_label("Search invoices").fill("PO-77")  # the reference
    expect(page.locator("#results tbody th[scope=row]")).to_have_text("INV-1003")
    page.get_by_label("Search invoices").fill("")
    expect(page.locator("#results .count")).to_have_text("2 invoices waiting")

    page.get_by_role("link", name="Number").click()
    page.get_by_role("link", name="Number").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text(re.compile("Number"))
    assert _rows(page) == ["INV-1003", "INV-1002"]
    page.get_by_label("Per page").select_option("10")
    expect(page).to_have_url(re.compile(r"page_size=10"))

    # Bulk: tick both, sync them; their clients are pushed first by the same pass.
    page.get_by_label("Select invoice INV-1003").check()
    page.get_by_label("Select invoice INV-1002").check()
    page.get_by_role("button", name="Sync selected").click()
    expect(page.get_by_role("status").filter(has_text="Queued 2 invoices again.")).to_be_visible()
    expect(page.locator("#results .count")).to_have_text("0 invoices waiting")
    page.get_by_label("Sync state").select_option(label="Synced")
    expect(page.locator("#results .count")).to_have_text("2 invoices synced")

    # Two-way: the tool paid INV-1002 and INV-1003 was edited there; both are still synced.
    tool_facts(store)
    page.get_by_label("In the tool").select_option(label="Paid")
    expect(page.locator("#results .count")).to_have_text("1 invoice synced, paid")
    expect(page).to_have_url(re.compile(r"\?sync_state=synced&tool_state=paid&"))
    assert _rows(page) == ["INV-1002"]
    expect(page.locator("#results tbody .tool-state")).to_have_text("paid")
    page.get_by_label("In the tool").select_option(label="Drifted")
    expect(page.locator("#results .count")).to_have_text("1 invoice synced, drifted")
    assert _rows(page) == ["INV-1003"]

    page.goto("/health")
    expect(page.locator(".count-synced strong")).to_have_text("5")
    drifted = page.get_by_role("link", name="1 record drifted in the tool")
    expect(drifted).to_have_attribute("href", "/drift")
    page.locator(".count-blocked a").click()  # in three lists: the table by type
    expect(page).to_have_url(re.compile(r"/health#types-title$"))
    page.get_by_role("link", name="1 clients blocked").click()
    assert _rows(page) == ["Nowhere Ltd"]

    page.get_by_label("Select client Nowhere Ltd").check()
    page.get_by_role("button", name="Retry selected").click()
    expect(page.get_by_role("status").filter(has_text="Queued 1 client again.")).to_be_visible()


def test_a_444_record_pass_shows_its_message_in_a_small_cookie(
    page: Page,
    store: Store,  # noqa: F811
) -> None:
    ledger_tenant(store)
    with store.session() as s:
        for i in range(444):
            CLIENTS.create(s, {"name": f"Client {i:03d}", "tenant": TENANT})
    sign_in(page)
    page.goto("/health")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".flashes .notice-success").first).to_contain_text(
        "Client Client 000 → Ledger 'Acme AU'"
    )
    more = page.locator(".flashes .notice", has_text="more, not shown")
    expect(more).to_contain_text(re.compile(r"…and \d+ successes more"))
    expect(more.get_by_role("link", name="Open Health")).to_have_attribute("href", "/health")
    expect(page.locator(".count-synced strong")).to_have_text("444")
    cookie = next(c for c in page.context.cookies() if c["name"] == "booksync_session")
    assert len(cookie["value"]) < 3000


def test_fixing_an_account_code_offers_free_codes_and_keeps_the_way_back(
    page: Page,
    store: Store,  # noqa: F811
) -> None:
    stuck_books(store)
    with store.session() as s:
        account = ACCOUNT_CODES.get(s, "Consulting income").id
        invoice = INVOICES.get(s, "INV-1001").id
    sign_in(page)
    page.goto(f"/account-codes/{account}?back=/invoices/{invoice}#code")
    offered = page.locator("#code-options option").evaluate_all("os => os.map(o => o.value)")
    assert offered and "200" not in offered  # the user's own "Sales" has it already
    code = page.get_by_label("Code", exact=True)
    code.fill("200")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_contain_text("is already used")
    back = page.get_by_role("link", name="Back to invoice INV-1001")
    expect(back).to_be_visible()
    code.fill(offered[0])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="saved.")).to_be_visible()
    page.get_by_role("link", name="Back to invoice INV-1001").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice}$"))


def test_disabling_an_integration_asks_with_counts_and_keeps_blocked_jobs_blocked(
    page: Page,
    store: Store,  # noqa: F811
) -> None:
    stuck_books(store)
    run_pass(store)
    with store.session() as s:
        invoice = INVOICES.get(s, "INV-1001").id
    sign_in(page)
    page.goto("/integrations/ledger")
    page.get_by_role("button", name="Disable Ledger").click()
    confirm = page.locator("#confirm-disable")
    expect(confirm).to_contain_text("7 records of tenant Acme AU stop syncing")
    expect(confirm).to_contain_text("2 clients, 2 products, 3 invoices")
    expect(confirm).to_contain_text("7 sync jobs (2 blocked, 5 synced)")
    expect(page.locator("li.tile", has_text="Ledger").locator(".tile-state")).to_have_text(
        "Enabled"
    )  # nothing changed yet
    confirm.get_by_role("button", name="Yes, disable Ledger").click()
    expect(page.get_by_role("status").filter(has_text="Ledger disabled.")).to_be_visible()
    page.goto(f"/invoices/{invoice}")
    expect(page.locator("#sync-status")).to_have_text("blocked")
    expect(page.locator(".verdict")).to_contain_text("Blocked")


def test_a_phone_sized_window_never_scrolls_sideways_and_forms_say_every_error(
    phone: Page,
    store: Store,  # noqa: F811
) -> None:
    stuck_books(store)
    with store.session() as s:
        invoice = INVOICES.get(s, "INV-1001").id
    sign_in(phone)
    for path in (
        "/invoices",
        "/clients",
        f"/invoices/{invoice}",
        "/health",
        "/integrations/ledger",
    ):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)

    for bad in ("abc", "-1", "0", "99"):
        response = phone.goto(f"/invoices?page={bad}")
        assert response is not None and response.status == 200
        assert "text/html" in response.headers["content-type"]
        expect(phone.get_by_role("heading", level=1)).to_have_text("Invoices")
        assert len(_rows(phone)) == 3

    phone.goto("/clients/new")
    phone.get_by_label("Name").fill("Acme Pty Ltd")  # taken
    phone.get_by_label("Email").fill(
        "accounts@localhost"
    )  # the browser takes it, booksync does not
    phone.get_by_role("button", name="Create client").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_contain_text("2 fields need a change")
    expect(phone.locator("#name-error")).to_contain_text("is already used")
    expect(phone.locator("#email-error")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
