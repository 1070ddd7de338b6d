"""Connecting a ledger tenant from the web admin imports its chart, as `booksync tenant connect`
does, and the tenant's connection panel links to its connection health page."""

from __future__ import annotations

from pathlib import Path

import pytest

from booksync.services.records import TENANTS, configure_integration
from booksync.services.tenants import imported_counts
from booksync.store.db import Store
from booksync.store.models import Tenant
from web.html_support import parse
from web.web_support import WebClient


@pytest.fixture
def tenant_id(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A ledger tenant, added but never connected."""
    monkeypatch.setenv("BOOKSYNC_LEDGER_DIR", str(tmp_path / "ledgers"))
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True})
        return TENANTS.create_for(
            s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"}
        ).id


def test_connecting_a_ledger_tenant_from_the_web_imports_its_chart(
    web: WebClient, store: Store, tenant_id: int
) -> None:
    web.page(f"/tenants/{tenant_id}")
    response = web.post(f"/tenants/{tenant_id}/connect")
    assert response.status_code == 303
    assert response.headers["location"] == f"/tenants/{tenant_id}#connection"
    page = parse(web.page(f"/tenants/{tenant_id}"))
    [said] = page.notices("success")
    assert said.startswith("✓ Success: Tenant 'Acme AU' connected. Imported from 'Acme AU': ")
    with store.session() as s:
        tenant = s.get(Tenant, tenant_id)
        assert tenant is not None and tenant.connection_state == "connected"
        counts = imported_counts(s, tenant)
    # No Import click: the chart and tax types came in with the connection.
    assert counts["account_codes"] > 0 and counts["tax_types"] > 0
    assert f"{counts['account_codes']} account codes" in said


def test_the_connection_panel_links_to_the_tenants_connection_health(
    web: WebClient, tenant_id: int
) -> None:
    panel = parse(web.page(f"/tenants/{tenant_id}"))
    link = panel.by_id("connection-health-link")
    assert link is not None and link.attrs["href"] == f"/connect/tenants/{tenant_id}"
    health = parse(web.page(link.attrs["href"]))
    state = health.by_id("health-state")
    assert state is not None and state.text.startswith("never")
