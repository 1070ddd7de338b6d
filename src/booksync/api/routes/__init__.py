"""The API's routes, one module per area, gathered under one router."""

from __future__ import annotations

from fastapi import APIRouter

from booksync.api.routes import doctor, integrations, mappings, records, sync, tenants


def api_router() -> APIRouter:
    router = APIRouter()
    # The specific tenant and tax-rate paths first: record paths end in a catch-all `{ref:path}`.
    for module in (tenants, mappings, integrations, sync, doctor):
        router.include_router(module.router)
    router.include_router(records.build_router())
    return router
