"""What the web's Connect buttons run: a ledger tenant connected and its chart imported in one go
(as `booksync tenant connect` does), and a sign-in refused for a tool that needs none."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.errors import BadInput
from booksync.services import web_sign_in
from booksync.services.records import TENANTS, configure_integration
from booksync.store.db import Store
from booksync.store.models import Tenant


def test_connecting_a_ledger_tenant_imports_its_chart(store: Store, tmp_path: Path) -> None:
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": ["client"]})
        TENANTS.create_for(s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"})
    linked = web_sign_in.connect_and_import(store, "Acme AU", directory=tmp_path)
    assert linked.problem is None and linked.summary is not None
    assert linked.summary.account_codes > 0
    with store.session() as s:
        tenant = s.scalars(select(Tenant)).one()
        assert tenant.connection_state == "connected" and tenant.accounts_imported_at is not None


def test_a_tool_without_a_sign_in_is_refused(store: Store) -> None:
    with pytest.raises(BadInput, match="integration: 'ledger' connects without a sign-in"):
        web_sign_in.start(store, "ledger", "http://booksync.test/connect/ledger/callback")
