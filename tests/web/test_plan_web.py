"""The "Preview next sync" page of a tenant: the plan's counts and records, each update's diff side
by side (what booksync sends beside what the tool has), and Link buttons in the matching report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import Client, Tenant
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.recording import RecordingTool
from services.test_plan_support import party, seed_history, store_state
from support.books import REMOTE_TENANT, TENANT, ready_books
from web.web_support import WebClient


@pytest.fixture
def tool(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordingTool:
    """Synced books, then an edit in booksync and a company history in the tool."""
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))
    recording = RecordingTool()
    ready_books(store, recording, clients=2, products=1, invoices=1)
    engine = Engine(store, lambda tenant: recording, clock=VirtualClock())  # type: ignore[arg-type]
    engine.run_pass()
    engine.close()
    with store.session() as s:
        CLIENTS.update(s, "Client 000", {"email": "ap@client0.example"})
        CLIENTS.create(s, {"name": "Widgets Pty Ltd", "tenant": TENANT})
    seed_history(recording)
    recording.add_object(
        REMOTE_TENANT, EntityType.CLIENT, "r-widgets", "W-1", party("WIDGETS Pty. Ltd.", "W-1")
    )
    for module in ("booksync.services.plan", "booksync.services.linking"):
        monkeypatch.setattr(f"{module}.tenant_connector", lambda tenant, **_: recording)
    return recording


def tenant_id(store: Store) -> int:
    with store.session() as s:
        return s.scalars(select(Tenant.id).where(Tenant.name == TENANT)).one()


def test_the_preview_shows_counts_records_and_each_diff_side_by_side(
    web: WebClient, store: Store, tool: RecordingTool
) -> None:
    tid = tenant_id(store)
    assert f'href="/tenants/{tid}/plan"' in web.page(f"/tenants/{tid}")
    before = store_state(store)
    page = web.page(f"/tenants/{tid}/plan")
    assert "Preview next sync" in page and "Nothing was written" in page
    assert re.search(r"<strong>1</strong> update", page)
    assert re.search(r"<strong>1</strong> create", page)  # Widgets Pty Ltd
    diff = page[page.index('<table class="records diff">') :]
    row = diff[diff.index("<code>email</code>") :].split("</tr>")[0]
    assert "ap@client0.example" in row and "c0@example.com" in row and "changes" in row
    assert "WIDGETS Pty. Ltd." in page and "name differs in punctuation" in page
    assert store_state(store) == before
    assert tool.push_calls() == 4


def test_the_matching_reports_link_button_links_the_record(
    web: WebClient, store: Store, tool: RecordingTool
) -> None:
    tid = tenant_id(store)
    web.page(f"/tenants/{tid}/plan")
    with store.session() as s:
        widgets = s.scalars(select(Client.id).where(Client.name == "Widgets Pty Ltd")).one()
    answer = web.post(
        f"/tenants/{tid}/link",
        {"type": "client", "record_id": str(widgets), "remote_id": "r-widgets"},
    )
    assert answer.status_code == 303
    page = web.page(answer.headers["location"])
    assert "linked to r-widgets" in page
    with store.session() as s:
        assert s.get(Client, widgets).remote_id == "r-widgets"  # type: ignore[union-attr]
    refused = web.post(
        f"/tenants/{tid}/link",
        {"type": "client", "record_id": str(widgets), "remote_id": "no-such-object"},
    )
    assert "is not a client in tenant" in web.page(refused.headers["location"])


def test_an_unknown_tenant_has_no_preview(web: WebClient, tool: RecordingTool) -> None:
    answer = web.get("/tenants/999/plan")
    assert answer.status_code == 404 and "There is no tenant #999." in answer.text
