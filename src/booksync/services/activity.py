"""Sync activity, as every face shows it: pushes, failures and blocked records per hour (the last
24 hours or 7 days, for all tenants or one), the last pass per tenant, and the log of passes.

Read from what `services.activity_recording` writes after each pass. Pushes and failures are flows
(summed per hour); blocked is a level: each tenant's count when its last pass of the hour ended,
carried forward through hours without one, summed over the tenants shown.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.errors import BadInput, one_of
from booksync.services.activity_recording import RETENTION, hour_of
from booksync.store.models import SyncPass, SyncPassTenant, Tenant
from booksync.store.types import utcnow

#: The chart's ranges: name -> hours.
RANGES = {"24h": 24, "7d": 24 * 7}
PER_PAGE = 20
MAX_PER_PAGE = 200
_FLOWS = (
    SyncPassTenant.synced
    + SyncPassTenant.failed
    + SyncPassTenant.blocked
    + SyncPassTenant.waiting
    + SyncPassTenant.deferred
)


@dataclass(frozen=True)
class HourPoint:
    """One hour of the chart (`hour` is its start, UTC)."""

    hour: datetime
    pushed: int
    failed: int
    blocked: int

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "hour": self.hour.isoformat()}


@dataclass(frozen=True)
class TenantCounts:
    """One tenant's outcomes in a pass, and its records blocked once the pass ended."""

    tenant: str
    synced: int
    failed: int
    blocked: int
    waiting: int
    deferred: int
    blocked_now: int

    @classmethod
    def of(cls, row: SyncPassTenant) -> TenantCounts:
        return cls(
            row.tenant,
            row.synced,
            row.failed,
            row.blocked,
            row.waiting,
            row.deferred,
            row.blocked_now,
        )


@dataclass(frozen=True)
class PassView:
    """One recorded pass with its totals and the tenants it touched."""

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
    tenants: tuple[TenantCounts, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        out["finished_at"] = self.finished_at.isoformat()
        out["tenants"] = [asdict(t) for t in self.tenants]
        return out


@dataclass(frozen=True)
class LastPass:
    """A tenant's most recent pass that touched it: when, by whom, and its share of the outcomes."""

    tenant: str
    pass_id: int
    finished_at: datetime
    worker: str
    trigger: str
    counts: TenantCounts

    def to_json(self) -> dict[str, Any]:
        out = asdict(self.counts)
        out.update(
            pass_id=self.pass_id,
            finished_at=self.finished_at.isoformat(),
            worker=self.worker,
            trigger=self.trigger,
        )
        return out


@dataclass(frozen=True)
class PassLog:
    """One page of the pass log, newest first."""

    passes: tuple[PassView, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "passes": [p.to_json() for p in self.passes],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
        }


@dataclass(frozen=True)
class Activity:
    """Everything the activity page shows, for one range and tenant (None: every tenant)."""

    range: str
    tenant: str | None
    tenants: tuple[str, ...]
    series: tuple[HourPoint, ...]
    last_passes: tuple[LastPass, ...]
    log: PassLog

    def to_json(self) -> dict[str, Any]:
        return {
            "range": self.range,
            "tenant": self.tenant,
            "tenants": list(self.tenants),
            "series": [p.to_json() for p in self.series],
            "last_passes": [p.to_json() for p in self.last_passes],
            "log": self.log.to_json(),
            "retention_days": RETENTION.days,
        }


def parse_range(value: str) -> int:
    """`24h` or `7d` -> hours."""
    if value not in RANGES:
        raise BadInput("range", value, "is not a range the chart shows", one_of(RANGES))
    return RANGES[value]


def tenant_names(session: Session) -> list[str]:
    """Every tenant a filter may name: today's tenants and those in the recorded passes."""
    names = set(session.scalars(select(Tenant.name)))
    names.update(session.scalars(select(SyncPassTenant.tenant).distinct()))
    return sorted(names)


def check_tenant(session: Session, tenant: str | None) -> tuple[list[str], str | None]:
    """The tenants a filter may name, and `tenant` once checked against them ("" means all)."""
    names = tenant_names(session)
    if not tenant:
        return names, None
    if tenant not in names:
        raise BadInput("tenant", tenant, "is not a tenant", one_of(names) if names else "none yet")
    return names, tenant


def series(
    session: Session, *, hours: int = 24, tenant: str | None = None, now: datetime | None = None
) -> list[HourPoint]:
    """`hours` points, oldest first, ending with the hour `now` is in."""
    start = hour_of(now or utcnow()) - timedelta(hours=hours - 1)
    scope = [SyncPassTenant.tenant == tenant] if tenant else []
    flows = {
        hour: (int(pushed or 0), int(failed or 0))
        for hour, pushed, failed in session.execute(
            select(
                SyncPassTenant.hour,
                func.sum(SyncPassTenant.synced),
                func.sum(SyncPassTenant.failed),
            )
            .where(SyncPassTenant.hour >= start, *scope)
            .group_by(SyncPassTenant.hour)
        )
    }
    # Blocked: each tenant's last row per hour in the range, and its last row before it.
    last_ids = select(func.max(SyncPassTenant.id)).where(*scope)
    in_range = last_ids.where(SyncPassTenant.hour >= start).group_by(
        SyncPassTenant.tenant, SyncPassTenant.hour
    )
    before = last_ids.where(SyncPassTenant.hour < start).group_by(SyncPassTenant.tenant)
    levels: dict[str, dict[datetime, int]] = {}
    for name, hour, blocked in session.execute(
        select(SyncPassTenant.tenant, SyncPassTenant.hour, SyncPassTenant.blocked_now).where(
            SyncPassTenant.id.in_(in_range.union(before))
        )
    ):
        levels.setdefault(name, {})[max(hour, start - timedelta(hours=1))] = blocked
    blocked_at = [0] * hours
    for by_hour in levels.values():
        level = by_hour.get(start - timedelta(hours=1), 0)
        for i in range(hours):
            level = by_hour.get(start + timedelta(hours=i), level)
            blocked_at[i] += level
    points = []
    for i in range(hours):
        hour = start + timedelta(hours=i)
        pushed, failed = flows.get(hour, (0, 0))
        points.append(HourPoint(hour, pushed, failed, blocked_at[i]))
    return points


def last_passes(session: Session, *, tenant: str | None = None) -> list[LastPass]:
    """Per tenant, the newest pass that touched it (rows that only carry a blocked count skipped)."""
    latest = (
        select(SyncPassTenant.tenant, func.max(SyncPassTenant.pass_id).label("pass_id"))
        .where(_FLOWS > 0, *([SyncPassTenant.tenant == tenant] if tenant else []))
        .group_by(SyncPassTenant.tenant)
        .subquery()
    )
    rows = session.execute(
        select(SyncPassTenant, SyncPass)
        .join(
            latest,
            (latest.c.tenant == SyncPassTenant.tenant)
            & (latest.c.pass_id == SyncPassTenant.pass_id),
        )
        .join(SyncPass, SyncPass.id == SyncPassTenant.pass_id)
        .order_by(SyncPassTenant.tenant)
    )
    return [
        LastPass(row.tenant, run.id, run.finished_at, run.worker, run.trigger, TenantCounts.of(row))
        for row, run in rows
    ]


def pass_log(
    session: Session, *, page: int = 1, per_page: int = PER_PAGE, tenant: str | None = None
) -> PassLog:
    """The recorded passes newest first, `per_page` at a time (those that touched `tenant`)."""
    if page < 1:
        raise BadInput("page", page, "is not a page number", "1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadInput("per_page", per_page, "is out of range", f"1 to {MAX_PER_PAGE}")
    chosen = select(SyncPass)
    if tenant:
        touched = select(SyncPassTenant.pass_id).where(SyncPassTenant.tenant == tenant, _FLOWS > 0)
        chosen = chosen.where(SyncPass.id.in_(touched))
    total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    runs = session.scalars(
        chosen.order_by(SyncPass.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    shares: dict[int, list[TenantCounts]] = {}
    if runs:
        for row in session.scalars(
            select(SyncPassTenant)
            .where(SyncPassTenant.pass_id.in_([r.id for r in runs]), _FLOWS > 0)
            .order_by(SyncPassTenant.tenant)
        ):
            shares.setdefault(row.pass_id, []).append(TenantCounts.of(row))
    views = tuple(
        PassView(
            r.id,
            r.started_at,
            r.finished_at,
            r.worker,
            r.trigger,
            r.synced,
            r.failed,
            r.blocked,
            r.waiting,
            r.deferred,
            r.calls,
            tuple(shares.get(r.id, ())),
        )
        for r in runs
    )
    return PassLog(views, total, page, per_page)


def activity(
    session: Session,
    *,
    range: str = "24h",  # noqa: A002 - the name every face uses
    tenant: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> Activity:
    """The activity page's content; bad input raises `BadInput` naming the field."""
    hours = parse_range(range)
    names, chosen = check_tenant(session, tenant)
    return Activity(
        range,
        chosen,
        tuple(names),
        tuple(series(session, hours=hours, tenant=chosen, now=now)),
        tuple(last_passes(session, tenant=chosen)),
        pass_log(session, page=page, per_page=per_page, tenant=chosen),
    )


__all__ = [
    "PER_PAGE",
    "RANGES",
    "Activity",
    "HourPoint",
    "LastPass",
    "PassLog",
    "PassView",
    "TenantCounts",
    "activity",
    "check_tenant",
    "last_passes",
    "parse_range",
    "pass_log",
    "series",
    "tenant_names",
]
