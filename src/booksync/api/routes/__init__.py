"""The API's routes, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from booksync.api.routes import (
    activity,
    doctor,
    drift,
    integrations,
    mappings,
    notifications,
    payments,
    plan,
    records,
    sync,
    tenants,
)


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
        payments.router,
        drift.router,
        notifications.router,
        activity.router,
        records.build_router(),
    ]
