"""Connecting a ledger tenant and importing from a tenant's tool (tenant CRUD is in `records`).

Xero and QuickBooks tenants connect through their sign-in flow in a browser (`booksync xero
connect`), not through this API. A ledger tenant's files go where its connection already points,
else under the server's BOOKSYNC_LEDGER_DIR: an API caller cannot choose server paths.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from booksync.api.deps import SessionDep
from booksync.api.errors import in_place, path_record
from booksync.api.schemas import ImportOut, TenantOut
from booksync.domain.types import IntegrationKind
from booksync.services.errors import BadInput
from booksync.services.records import TENANTS
from booksync.services.serialize import to_dict
from booksync.services.tenants import connect_tenant, import_from_tool

router = APIRouter(prefix="/tenants", tags=["tenants"])


@router.post("/{ref}/connect", name="connect_tenant", response_model=TenantOut)
def connect(ref: str, session: SessionDep) -> dict[str, Any]:
    """Connect a ledger tenant: create or open its Beancount file."""
    with path_record():
        tenant = TENANTS.get(session, ref)
    kind = IntegrationKind(tenant.integration.kind)
    with in_place("path", "ref"):
        if kind is not IntegrationKind.LEDGER:
            raise BadInput(
                "tenant",
                tenant.name,
                f"belongs to {kind.label}, which connects through its sign-in flow",
                f"a ledger tenant; for this one run `booksync {kind.value} connect`",
            )
        return to_dict(connect_tenant(session, ref))


@router.post("/{ref}/import", name="import_from_tool", response_model=ImportOut)
def import_(ref: str, session: SessionDep) -> dict[str, Any]:
    """Import account codes, tax types, contacts and items from the tenant's tool, and link the
    records that already exist there (so none is created twice)."""
    with path_record():
        TENANTS.get(session, ref)
    with in_place("path", "ref"):
        return asdict(import_from_tool(session, ref))
