"""The API's routes, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from booksync.api.routes import doctor, integrations, mappings, plan, records, sync, tenants


def routers() -> list[APIRouter]:
    """Every area's router, the specific tenant and tax-rate paths first: record paths end in a
    catch-all `{ref:path}`."""
    return [
        tenants.router,
        mappings.router,
        integrations.router,
        sync.router,
        doctor.router,
        plan.router,
        records.build_router(),
    ]
