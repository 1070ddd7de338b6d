"""Every page of the web admin passes axe-core's WCAG 2.1 A and AA rules, on a laptop screen and on
a 375 px phone, where nothing scrolls sideways either (issue 14: "run axe on every page").

The pages are the web routers' own GET routes, each filled in with records of every kind (the
books of `services.test_rules_store`, a drifted client, a paid and edited invoice, a Xero tenant
connected through the emulator's sign-in, a notification channel, a recorded pass), plus what only
a click shows: each new-record form sent back with its errors, filtered lists, "not found" pages
and the sign-in page with its error. One Chromium, one signed-in context, the pages in a loop.

axe-core is an npm package: `.ci/run` installs it under .cache/axe (git-ignored); without it (or
without Debian's Chromium) the test is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import APIRouter
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import select

import booksync.web
from booksync.connectors.registry import kinds
from booksync.domain.rules import RULES_BY_ID
from booksync.secrets import KEY_ENV
from booksync.services.activity_recording import record_pass
from booksync.services.records import CLIENTS, configure_integration
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync.store.types import utcnow
from booksync.sync.report import PassResult
from booksync.web._pages import PAGES
from emulators.conftest import xero_emulator_factory  # noqa: F401 - the fixture
from services.test_drift_reissue import drifted_client
from services.test_rules_store import AU, _paid_in_tool_then_edited, build
from web.test_browser import VIEWPORT, base_url, browser, store  # noqa: F401 - fixtures
from web.web_support import PASSWORD, USERNAME

AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core"
AXE_SCRIPT = AXE / "axe.min.js"
#: WCAG 2.1 levels A and AA, as axe-core tags its rules.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE: ViewportSize = {"width": 375, "height": 740}
#: Routes that are not pages: an image, and the two ends of the tool's sign-in (walked below).
NOT_PAGES = {"/assets/logos/{kind}.svg", "/connect/{kind}", "/connect/{kind}/callback"}
#: Routes that answer a part of a page for htmx to swap in (checked inside their page).
FRAGMENTS = ("/sync-panel",)
#: Kinds of page the walk must have reached, whatever the routers hold.
EXPECTED = ("/health", "/integrations/ledger/disable", "/drift", "/activity", "/notifications",
            "/connect/tenants/", "/plan", "/rules/", "/delete", "/new (errors)", "/invoices/",
            "/credit-notes?", "not found")  # fmt: skip
#: `axe.run` on the whole document; what comes back is kept short enough to read in a failure.
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""


@pytest.fixture
def axe_script() -> str:
    if not AXE_SCRIPT.exists():
        reason = f"axe-core is not installed at {AXE} (.ci/run installs it with npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the accessibility test must run under CI=true: {reason}")
        pytest.skip(reason)
    return AXE_SCRIPT.read_text()


@pytest.fixture
def xero(
    xero_emulator_factory: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Any:
    """Xero's emulator, with a public client the admin signs in with (PKCE, any redirect URI);
    the plan pages keep what they read of it under the test's folder."""
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))
    handle = xero_emulator_factory(tenants=1)
    app = handle.emulator.auth.register_client("booksync-web", None)
    monkeypatch.setenv("BOOKSYNC_XERO_URL", handle.base_url)
    monkeypatch.setenv("BOOKSYNC_XERO_CLIENT_ID", app.client_id)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    return handle


def books(db: Store) -> None:
    """Records of every kind, synced, with drift, a paid invoice, blocked clients and a recorded
    pass, so each page shows its tables, badges, notices and buttons."""
    build(db)
    drifted_client(db)
    with db.session() as s:
        _paid_in_tool_then_edited(s, {})
        for n in range(1, 12):  # no tenant: blocked; and a second page of clients
            CLIENTS.create(s, {"name": f"Nowhere {n:02} Ltd"})
    result = PassResult()
    result.tally[AU]["synced"] += 5
    result.tally[AU]["failed"] += 1
    at = utcnow() - timedelta(hours=2)
    record_pass(db, result, started_at=at, finished_at=at, worker="host:1", trigger="worker")


def web_routes() -> Iterator[APIRoute]:
    """The routes of every router in the web package (the REST API's are not pages)."""
    for info in pkgutil.iter_modules(booksync.web.__path__):
        router = getattr(importlib.import_module(f"booksync.web.{info.name}"), "router", None)
        if isinstance(router, APIRouter):
            yield from (r for r in router.routes if isinstance(r, APIRoute))


def page_urls(db: Store) -> list[str]:
    """Every GET page of the web routers, its path parameters filled with each kind of value."""
    with db.session() as s:
        tenant_ids = [str(t.id) for t in s.scalars(select(Tenant).order_by(Tenant.id))]
        first_ids = {}
        for page in PAGES.values():
            found = page.service.list(s)
            first_ids[page.slug] = str(found[0].id) if found else None
    values = {
        "kind": kinds(),
        "tenant_id": tenant_ids,
        "rule_id": sorted(RULES_BY_ID),
    }
    urls: list[str] = []
    for route in web_routes():
        if not route.methods or "GET" not in route.methods:
            continue
        if route.path in NOT_PAGES or route.path.endswith(FRAGMENTS):
            continue
        urls += _filled(route.path, values, first_ids)
    return urls


def _filled(path: str, values: dict[str, list[str]], first_ids: dict[str, str | None]) -> list[str]:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    if not names:
        return [path]
    if names == ["record_id"]:
        slug = path.split("/")[1]
        record = first_ids[slug]
        return [re.sub(r"\{record_id(:int)?\}", record, path)] if record else []
    [name] = names
    return [re.sub(r"\{\w+(:\w+)?\}", value, path) for value in values[name]]


@contextmanager
def opened(chromium: Browser, base: str, axe_source: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=base, viewport=VIEWPORT, locale="en-AU")
    context.set_default_timeout(10_000)
    context.add_init_script(axe_source)  # outside the page's CSP, as an extension would run
    page = context.new_page()
    yield page
    context.close()


#: What a click on each disclosure shows is checked too (tables of figures, payloads).
OPEN_DETAILS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
#: The elements that stick out past the window's right edge, named briefly, outermost first.
WIDE = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width + 0.5)
  .filter((e) => e.parentElement.getBoundingClientRect().right <= width + 0.5)
  .slice(0, 3)
  .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "")
    + " reaches " + Math.round(e.getBoundingClientRect().right) + " px")"""


class Walk:
    """One signed-in tab: each page it is shown is checked by axe at both sizes, and what axe
    (or the phone's width) finds is kept by page, to be reported all at once."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[Any]] = {}
        self.checked: list[str] = []

    def visit(self, url: str, name: str | None = None) -> None:
        self.page.goto(url)
        self.check(name or url)

    def check(self, name: str) -> None:
        """axe on the page as it is, at the laptop size and at the phone's width."""
        self.checked.append(name)
        self.page.evaluate(OPEN_DETAILS)
        for size, viewport in (("desktop", VIEWPORT), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            violations = self.page.evaluate(RUN_AXE, TAGS)
            if size == "phone":
                width = self.page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    wide = self.page.evaluate(WIDE, PHONE["width"])
                    violations.append({"id": "horizontal-scroll", "nodes": [f"{width} px", *wide]})
            if violations:
                self.found[f"{name} [{size}]"] = violations
        self.page.set_viewport_size(VIEWPORT)

    def send_with_errors(self, form: str, button: str, shown: str = "#error-summary") -> None:
        """Send a form as a browser without HTML validation would, and wait for the page that
        shows the server's errors (`shown`)."""
        self.page.locator(form).evaluate("(f) => { f.noValidate = true; }")
        self.page.locator(form).get_by_role("button", name=button, exact=True).click()
        self.page.locator(shown).wait_for()

    def report(self) -> str:
        lines = []
        for where, violations in self.found.items():
            for v in violations:
                lines.append(f"{where}: {v['id']} ({v.get('impact')}) {v.get('help', '')}")
                lines += [f"    {n}" for n in v["nodes"]]
        return "\n".join(lines)


def sign_in_after_a_wrong_password(walk: Walk) -> None:
    page = walk.page
    walk.visit("/sign-in")
    # axe is there and sees what it must: an image with no text alternative, put in on purpose.
    page.evaluate("document.body.append(Object.assign(new Image(), {src: '/assets/app.css'}))")
    assert "image-alt" in [v["id"] for v in page.evaluate(RUN_AXE, TAGS)]
    page.reload()
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#sign-in-error").wait_for()
    walk.check("/sign-in (wrong password)")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/integrations$"))


def a_client_synced_to_xero(walk: Walk, db: Store) -> None:
    """Sync now on a client of the Xero tenant the sign-in linked: the section htmx swaps in,
    with its notice and the timeline's payloads."""
    with db.session() as s:
        tenant = s.scalars(select(Tenant).where(Tenant.remote_tenant_id.is_not(None))).all()
        xero = next(t.name for t in tenant if t.integration.kind == "xero")
        configure_integration(s, "xero", {"enabled": True, "entities_to_sync": ["client"]})
        client = CLIENTS.create(s, {"name": "Widgets Pty Ltd", "tenant": xero}).id
    walk.page.goto(f"/clients/{client}")
    walk.page.get_by_role("button", name="Sync now").click()
    expect(walk.page.locator("#sync-status")).to_have_text("synced")
    expect(walk.page.locator(".timeline details pre")).not_to_have_count(0)
    walk.check(f"/clients/{client} (synced to Xero)")


def forms_with_their_errors(walk: Walk, db: Store) -> None:
    """Each new-record form sent empty, an invoice line with a bad quantity, a client with a bad
    e-mail address, and a notification channel refused: every error shown beside its field."""
    for page in PAGES.values():
        if not page.creatable:
            continue
        walk.page.goto(page.url() + "/new")
        walk.send_with_errors("form.record-form", f"Create {page.singular}")
        walk.check(f"{page.url()}/new (errors)")
    with db.session() as s:
        invoice = PAGES["invoices"].service.list(s)[0].id
        client = PAGES["clients"].service.list(s)[0].id
    walk.page.goto(f"/invoices/{invoice}")
    walk.page.get_by_label("Line 1 quantity").fill("lots")
    walk.send_with_errors("form.record-form", "Save")
    walk.check(f"/invoices/{invoice} (errors)")
    walk.page.goto(f"/clients/{client}")
    walk.page.get_by_label("Email", exact=True).fill("not an address")
    walk.send_with_errors("form.record-form", "Save")
    walk.check(f"/clients/{client} (errors)")
    walk.page.goto("/notifications")
    walk.page.locator("#slack-name").fill("chat")
    walk.page.locator("#slack-url").fill("not a url")
    walk.send_with_errors("#slack form", "Add Slack/Teams channel", "#slack-error")
    walk.check("/notifications (errors)")
    walk.page.goto("/notifications")
    walk.page.locator("#webhook-name").fill("ops")
    walk.page.locator("#webhook-url").fill("https://hooks.example.com/booksync")
    walk.page.get_by_role("button", name="Add webhook").click()
    walk.page.locator("#signing-key").wait_for()
    walk.check("/notifications (a webhook added)")


def filtered_lists(walk: Walk) -> None:
    """Each list narrowed by search, sync state and page size, sorted, and a list with pages."""
    for page in PAGES.values():
        if page.entity is not None:
            walk.visit(f"{page.url()}?q=a&sync_state=synced&sort=-sync_state&page_size=10")
    walk.visit("/invoices?tool_state=paid")
    walk.visit("/clients?page_size=10&page=2")


def test_every_page_passes_axe_on_a_laptop_and_a_phone(
    browser: Browser,  # noqa: F811
    base_url: str,  # noqa: F811
    store: Store,  # noqa: F811
    axe_script: str,
    xero: Any,
) -> None:
    books(store)
    with opened(browser, base_url, axe_script) as page:
        walk = Walk(page)
        sign_in_after_a_wrong_password(walk)
        # The tool's sign-in, walked: the emulator consents and sends the browser back.
        walk.visit("/connect/xero", "/connect/xero/callback (linked)")
        assert page.get_by_role("heading", level=1).inner_text() == "Xero connected"
        walk.visit("/connect/xero/callback?state=forged", "/connect/xero/callback (refused)")
        a_client_synced_to_xero(walk, store)
        for url in page_urls(store):
            walk.visit(url)
        filtered_lists(walk)
        walk.visit("/clients/999999", "not found (a record)")
        walk.visit("/rules/no.such_rule", "not found (a rule)")
        forms_with_their_errors(walk, store)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/sign-in"))
        walk.check("/sign-in (signed out)")
    missed = [kind for kind in EXPECTED if not any(kind in name for name in walk.checked)]
    assert not missed, f"no page checked of these kinds: {missed}"
    assert not walk.found, walk.report()
