"""A tenant's remote ID is checked by its tool when it is saved (a ledger's is a file name), the
default (the tenant's name) included; nothing is written when it is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booksync.errors import BadInput
from booksync.services.records import TENANTS
from booksync.store.db import Store
from booksync.store.models import Tenant


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"name": "Acme/AU"}, "'Acme/AU'"),
        ({"name": "Acme", "remote_tenant_id": "../acme"}, "'../acme'"),
        ({"name": "Acme", "remote_tenant_id": "acme.beancount"}, "'acme.beancount'"),
    ],
)
def test_a_ledger_tenant_refuses_an_id_that_is_not_a_file_name(
    store: Store, data: dict[str, str], shown: str
) -> None:
    refused = pytest.raises(BadInput, match=f"remote_tenant_id: {shown} is not a")
    with refused, store.session() as s:
        TENANTS.create_for(s, "ledger", data)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Tenant)) == 0


def test_an_edit_is_checked_too_and_another_tool_keeps_its_own_ids(store: Store) -> None:
    with store.session() as s:
        TENANTS.create_for(s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"})
        TENANTS.create_for(s, "xero", {"name": "Org", "remote_tenant_id": "org-1.beancount"})
    with pytest.raises(BadInput, match="is not a ledger file name"), store.session() as s:
        TENANTS.update(s, "Acme AU", {"remote_tenant_id": "acme.beancount"})
    with store.session() as s:
        ids = {
            name: remote for name, remote in s.execute(select(Tenant.name, Tenant.remote_tenant_id))
        }
    assert ids == {"Acme AU": "acme-au", "Org": "org-1.beancount"}
