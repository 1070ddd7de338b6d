"""Connecting a tenant booksync connects by itself, and importing from a tenant's tool (tenant
CRUD is in `records`).

Tenants of tools that need a person to sign in connect through that flow in a browser (`booksync
KIND connect`), not through this API. A folder tool's books go where the tenant's connection already
points, else under the server's default folder: an API caller cannot choose server paths.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from booksync.api.deps import SessionDep
from booksync.api.errors import in_place, path_record
from booksync.api.schemas import ImportOut, TenantOut
from booksync.services.records import TENANTS
from booksync.services.serialize import to_dict
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.services.tools import connects_to_folder, sign_in_required

router = APIRouter(prefix="/tenants", tags=["tenants"])


@router.post("/{ref}/connect", name="connect_tenant", response_model=TenantOut)
def connect(ref: str, session: SessionDep) -> dict[str, Any]:
    """Connect a tenant booksync connects by itself (e.g. a ledger: create or open its file)."""
    with path_record():
        tenant = TENANTS.get(session, ref)
    with in_place("path", "ref"):
        if not connects_to_folder(tenant):
            raise sign_in_required(tenant)
        return to_dict(connect_tenant(session, ref))


@router.post("/{ref}/import", name="import_from_tool", response_model=ImportOut)
def import_(ref: str, session: SessionDep) -> dict[str, Any]:
    """Import account codes, tax types, contacts and items from the tenant's tool, and link the
    records that already exist there (so none is created twice)."""
    with path_record():
        TENANTS.get(session, ref)
    with in_place("path", "ref"):
        return asdict(import_from_tool(session, ref))
