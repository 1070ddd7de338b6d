"""Every finding links to its rule's page: `docs` in the doctor's JSON, and in the web admin the
checklist and the health page link to `/rules/<id>`, which shows the same page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal
from argon2 import PasswordHasher

from booksync.api import create_app
from booksync.domain.rules import RULES_BY_ID
from booksync.services import rule_docs
from booksync.services.records import CLIENTS, configure_integration
from booksync.store.db import Store
from booksync.store.models import User
from cli_support import invoke, seed
from web.web_support import PASSWORD, USERNAME, WebClient

RULE_LINK = re.compile(r'href="/rules/([a-z_.]+)"')


@pytest.fixture
def blocked(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small books with an excluded client: it fails record.not_excluded."""
    monkeypatch.delenv(rule_docs.DOCS_URL_ENV, raising=False)
    seed(db_url)
    store = Store(db_url)
    with store.session() as s:
        configure_integration(s, "xero", {"enabled": True})
        CLIENTS.create(
            s, {"name": "Hidden Ltd", "tenant": "Acme AU", "exclude_from_accounting": True}
        )
    store.dispose()
    return db_url


@pytest.fixture
def web(blocked: str) -> Iterator[WebClient]:
    store = Store(blocked)
    with store.session() as s:
        s.add(User(username=USERNAME, password_hash=PasswordHasher().hash(PASSWORD)))
    with start_blocking_portal() as portal:
        client = WebClient(create_app(store), portal)
        assert client.sign_in().status_code == 303
        yield client
        client.close()
    store.dispose()


def test_the_doctors_json_names_each_findings_page(blocked: str) -> None:
    answer = json.loads(invoke(blocked, "doctor", "client", "Hidden Ltd", "--json").stdout)
    assert all(c["docs"] == rule_docs.docs_url(c["id"]) for c in answer["checks"])
    [blocker] = answer["blockers"]
    assert (blocker["id"], blocker["docs"]) == (
        "record.not_excluded",
        "rules/record.not_excluded.html",
    )
    report = json.loads(invoke(blocked, "doctor", "--json").stdout)
    assert {c["docs"] for c in report["blockers"]} >= {"rules/record.not_excluded.html"}


def test_the_checklist_and_the_health_page_link_to_the_rule_pages(web: WebClient) -> None:
    client_page = web.page("/clients?q=Hidden")
    record = re.search(r'href="(/clients/\d+)"', client_page)
    assert record is not None
    checklist = set(RULE_LINK.findall(web.page(record.group(1))))
    assert "record.not_excluded" in checklist and checklist <= set(RULES_BY_ID)
    assert "record.not_excluded" in RULE_LINK.findall(web.page("/health"))


def test_a_rule_page_in_the_web_admin_is_the_rules_page(web: WebClient) -> None:
    page = web.page("/rules/record.not_excluded")
    assert "Is &quot;Exclude from Accounting Integration&quot; off?" in page
    assert "booksync client edit REF --include-in-accounting" in page
    # The pages link to each other as `<id>.md`: that resolves here too.
    assert 'href="record.tenant_set.md"' in web.page("/rules/dependency.client")
    assert "<h1>record.tenant_set</h1>" in web.page("/rules/record.tenant_set.md")
    assert web.get("/rules/tax.gone").status_code == 404
