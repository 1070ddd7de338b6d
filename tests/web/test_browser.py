"""The web admin in a real browser: Debian's headless Chromium driven by Playwright, against the
app served by uvicorn on a loopback port, on SQLite.

The scenario is the seed guide walked forwards: enable the ledger module, tick what it syncs, add
and connect a tenant, create a client and watch it sync, open an invoice the doctor says is blocked,
follow its link to the faulty account code, fix the Code, and see the invoice sync. A screenshot of
each main page is kept under docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from booksync.api import create_app
from booksync.services.auth import create_user
from booksync.services.records import ACCOUNT_CODES, PRODUCTS, TAX_RATES
from booksync.store.db import Store
from web.web_support import PASSWORD, USERNAME

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The kept screenshots are refreshed only when asked (BOOKSYNC_UPDATE_SCREENSHOTS=1), so a test run
#: leaves the work tree as it found it; otherwise they go to a scratch folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("BOOKSYNC_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "booksync-screenshots"
)
#: A laptop screen.
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A SQLite store with one web admin user; ledgers are written under the test's folder."""
    monkeypatch.setenv("BOOKSYNC_LEDGER_DIR", str(tmp_path / "ledgers"))
    opened = Store(f"sqlite:///{tmp_path / 'booksync.db'}")
    with opened.session() as s:
        create_user(s, USERNAME, PASSWORD)
    yield opened
    opened.dispose()


@pytest.fixture
def base_url(store: Store) -> Iterator[str]:
    """The app (REST API and web admin) served by uvicorn on a free loopback port, in a thread."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(store), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run under CI=true: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="en-AU")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield opened
    context.close()
    assert not errors, f"the page reported errors: {errors}"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page) -> None:
    page.goto("/integrations")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/integrations$"))
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/integrations$"))


def enable_ledger_and_connect_a_tenant(page: Page) -> None:
    tile = page.locator("li.tile", has_text="Ledger")
    toggle = tile.locator(".tile-toggle")
    logo = tile.locator("img.logo")
    expect(toggle).to_have_css("opacity", "0")  # Fig 1: the "+" shows on hover
    expect(logo).to_have_css("filter", "grayscale(1)")
    tile.hover()
    expect(toggle).to_have_css("opacity", "1")
    enable = page.get_by_role("button", name="Enable Ledger")
    expect(enable).to_have_text("+")
    enable.click()
    expect(page.get_by_role("status").filter(has_text="Ledger enabled.")).to_be_visible()
    expect(page.get_by_role("button", name="Disable Ledger")).to_have_text("×")
    expect(page.locator("li.tile", has_text="Ledger").locator("img.logo")).to_have_css(
        "filter", "none"
    )

    settings = page.locator("#entities_to_sync")
    for label in ("Clients", "Products", "Invoices"):
        settings.get_by_label(label, exact=True).check()
    page.get_by_label("Show a message for each successful sync").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Ledger settings saved.")).to_be_visible()
    expect(settings.get_by_label("Invoices", exact=True)).to_be_checked()

    page.locator("#tenant-name").fill("Acme AU")
    page.get_by_role("button", name="Add tenant").click()
    row = page.locator("#tenants tr", has_text="Acme AU")
    expect(row.locator(".badge")).to_have_text("never")
    row.get_by_role("button", name="Connect Acme AU").click()
    expect(row.locator(".badge")).to_have_text("connected")
    row.get_by_role("button", name="Import from Acme AU").click()
    expect(page.get_by_role("status").filter(has_text="Imported from 'Acme AU'")).to_be_visible()


def create_a_client_and_watch_it_sync(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill("Acme Pty Ltd")
    page.get_by_label("Email").fill("accounts@acme.example")
    page.get_by_label("Tenant").select_option(label="Acme AU (ledger)")
    expect(page.get_by_label("Exclude from Accounting Integration")).not_to_be_checked()
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Client Acme Pty Ltd")
    expect(page.locator("#sync-status")).to_have_text("pending")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-status")).to_have_text("synced")
    success = page.locator("#sync-notices .notice-success")
    expect(success).to_contain_text("Acme Pty Ltd")
    expect(success).to_contain_text("→ Ledger 'Acme AU' as")
    expect(page.locator("#check-tool-accepted .mark")).to_have_text("✓")
    shot(page, "client")
    page.reload()  # the remote ID is now on the record, where the seed's Fig 3 shows it
    expect(page.get_by_label("Remote ID")).not_to_have_value("")


def seed_a_product_with_a_wrong_account_code(store: Store) -> None:
    """Set up behind the admin's back, as an import from the service desk would."""
    with store.session() as s:
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", "Acme AU", "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Consulting income", "code": "2000", "kind": "income"})
        PRODUCTS.create(
            s,
            {
                "name": "Consulting hours",
                "code": "CONS",
                "price": "150",
                "tax_rate": "GST on Income",
                "income_account": "Consulting income",
                "tenant": "Acme AU",
            },
        )


def test_enable_sync_diagnose_fix_and_sync_in_a_real_browser(page: Page, store: Store) -> None:
    sign_in(page)
    enable_ledger_and_connect_a_tenant(page)
    shot(page, "integrations")

    create_a_client_and_watch_it_sync(page)

    seed_a_product_with_a_wrong_account_code(store)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Number").fill("INV-1001")
    page.get_by_label("Client").fill("Acme Pty Ltd")
    page.get_by_label("Line 1 product").fill("Consulting hours")
    page.get_by_label("Line 1 quantity").fill("2")
    page.get_by_role("button", name="Create invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice INV-1001")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-status")).to_have_text("blocked")
    expect(page.locator(".verdict")).to_contain_text("Blocked")
    check = page.locator("#check-account_code-matches_tool")
    expect(check.locator(".mark")).to_have_text("✗")
    expect(check).to_contain_text("account code 2000 ('Consulting income') does not match")
    shot(page, "invoice-blocked")

    invoice_url = page.url
    check.locator("a.fix-link").click()
    expect(page).to_have_url(re.compile(r"/account-codes/\d+\?back=/invoices/\d+#code$"))
    expect(page.locator("#code:target")).to_have_count(1)  # the link lands on the Code field
    code = page.get_by_label("Code", exact=True)
    expect(code).to_be_focused()
    expect(code).to_have_value("2000")
    code.fill("200")
    shot(page, "account-code")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Account code '200' saved.")).to_be_visible()

    page.get_by_role("link", name="Back to invoice INV-1001").click()
    expect(page).to_have_url(invoice_url)
    expect(page.locator("#check-account_code-matches_tool .mark")).to_have_text("✓")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-status")).to_have_text("synced")
    expect(
        page.locator("#sync-notices .notice-success").filter(has_text="INV-1001")
    ).to_contain_text("→ Ledger 'Acme AU' as")
    expect(page.locator(".verdict")).to_contain_text("Ready to sync")
    expect(page.locator(".timeline")).to_contain_text("synced")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    search = page.get_by_label("Search clients")
    search.fill("zzz")  # htmx swaps the results in as you type
    expect(page.locator("#results .count")).to_have_text("0 clients matching “zzz”")
    search.fill("acme")
    expect(page.locator("#results .count")).to_have_text("1 client matching “acme”")
    expect(page).to_have_url(re.compile(r"/clients\?q=acme$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Health").click()
    expect(page.locator(".count-blocked strong")).to_have_text("0")
    expect(page.locator(".count-synced strong")).to_have_text("3")  # synced, no longer "ready"
    shot(page, "health")
