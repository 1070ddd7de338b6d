"""Sync activity: pushes, failures and blocked records per hour, the last pass per tenant, and
the log of passes with their outcome counts (`services.activity`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from booksync.api.deps import SessionDep
from booksync.api.errors import from_bad_input
from booksync.services import activity as activity_service
from booksync.services.errors import BadInput

router = APIRouter(prefix="/activity", tags=["sync"])


class HourOut(BaseModel):
    hour: datetime
    pushed: int
    failed: int
    #: Records blocked at the end of the hour (a level, not a count of events).
    blocked: int


class TenantCountsOut(BaseModel):
    tenant: str
    synced: int
    failed: int
    blocked: int
    waiting: int
    deferred: int
    blocked_now: int


class LastPassOut(TenantCountsOut):
    pass_id: int
    finished_at: datetime
    worker: str
    trigger: str


class PassOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime
    worker: str
    trigger: str
    synced: int
    failed: int
    blocked: int
    waiting: int
    deferred: int
    calls: int
    tenants: list[TenantCountsOut]


class PassLogOut(BaseModel):
    passes: list[PassOut]
    total: int
    page: int
    per_page: int
    pages: int


class ActivityOut(BaseModel):
    range: str
    tenant: str | None
    tenants: list[str]
    series: list[HourOut]
    last_passes: list[LastPassOut]
    log: PassLogOut
    retention_days: int


@router.get("", name="sync_activity", response_model=ActivityOut)
def get_activity(
    session: SessionDep,
    range: Annotated[  # noqa: A002 - the query parameter's name
        Literal["24h", "7d"], Query(description="the chart's span: the last 24 hours or 7 days")
    ] = "24h",
    tenant: Annotated[
        str | None, Query(max_length=255, description="one tenant's name; omitted: every tenant")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="the log's page")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=activity_service.MAX_PER_PAGE, description="passes per page")
    ] = activity_service.PER_PAGE,
) -> dict[str, Any]:
    """Per hour (UTC) pushes, failures and blocked records; each tenant's last pass; the log of
    passes newest first. Only passes that did something are kept, for 90 days."""
    try:
        report = activity_service.activity(
            session, range=range, tenant=tenant, page=page, per_page=per_page
        )
    except BadInput as exc:
        raise from_bad_input(exc, ["query", exc.field]) from None
    return report.to_json()
