"""Seeing the sync run: which workers are alive and what they hold, each tenant's backlog and the
calls its budget has left, and the same as Prometheus gauges for `/metrics`.

`booksync status` prints `snapshot()` beside the jobs' states (`services.sync.sync_status`); the
API's `/metrics` and `booksync worker --metrics-port` serve `StoreCollector`, which reads the
database at each scrape, so every process reports the same app-wide figures.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync import metrics
from booksync.domain.types import SyncStatus
from booksync.errors import BadInput
from booksync.store.db import Store
from booksync.store.models import Integration, RateBudgetCall, Tenant, Worker
from booksync.store.types import utcnow
from booksync.sync import jobs
from booksync.sync.workers import WorkerRegistry, is_stale

#: The states whose jobs are still to push: a tenant's backlog.
BACKLOG = (SyncStatus.PENDING.value, SyncStatus.IN_FLIGHT.value)

#: What a rate budget has left: {"minute": calls, "day": calls} (a limit the tool has not: absent).
Left = dict[str, int]
#: tenant name -> its budget left (None: not known). Reads the shared budget.
BudgetReader = Callable[[Session, list[str]], Mapping[str, Left | None]]
#: Budget lanes' names (`connectors.budget.RateBudget.lanes`) and the windows shown.
WINDOWS = {"m": ("minute", 60_000), "d": ("day", 86_400_000)}


@dataclass(frozen=True)
class WorkerView:
    name: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    jobs_held: int
    concurrency: int
    alive: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat(),
            "jobs_held": self.jobs_held,
            "concurrency": self.concurrency,
            "alive": self.alive,
        }


@dataclass
class Operations:
    """Workers, and per tenant: jobs still to push and the calls its budget has left."""

    workers: list[WorkerView] = field(default_factory=list)
    backlog: dict[str, int] = field(default_factory=dict)
    budget_left: dict[str, Left | None] = field(default_factory=dict)
    #: tool kind -> the app-wide budget it has left (None: not known).
    app_budget_left: dict[str, Left | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "workers": [w.to_json() for w in self.workers],
            "backlog": {
                tenant: {"jobs": count, "budget_left": self.budget_left.get(tenant)}
                for tenant, count in sorted(self.backlog.items())
            },
            "app_budget_left": self.app_budget_left,
        }


def workers(session: Session, now: datetime | None = None) -> list[WorkerView]:
    """Every registered worker, the live ones first; `alive` is False for a silent one."""
    now = now or utcnow()
    rows = session.scalars(select(Worker).order_by(Worker.host, Worker.pid)).all()
    views = [
        WorkerView(
            w.name,
            w.host,
            w.pid,
            w.started_at,
            w.heartbeat_at,
            w.jobs_held,
            w.concurrency,
            not is_stale(w.heartbeat_at, now),
        )
        for w in rows
    ]
    return sorted(views, key=lambda w: not w.alive)


def snapshot(
    session: Session,
    by_tenant: Mapping[str, Counter[str]],
    *,
    budget: BudgetReader | None = None,
    now: datetime | None = None,
) -> Operations:
    """Workers, and each tenant's backlog from `by_tenant` (job counts by state per tenant, as
    `services.sync.sync_status` reads them) with its budget left (`budget`, by default the one every
    worker shares in PostgreSQL)."""
    backlog = {t: sum(c[s] for s in BACKLOG) for t, c in by_tenant.items()}
    left: dict[str, Left | None] = dict.fromkeys(backlog)
    left.update((budget or shared_budget_left)(session, sorted(backlog)))
    return Operations(workers(session, now), backlog, left, app_budget_left(session))


def _shared(session: Session) -> bool:
    """Whether the budget's counts are in this database (PostgreSQL without Redis): else a SQLite
    worker keeps them in its own memory, or Redis does, and this cannot tell."""
    from booksync.sync.budget_store import REDIS_ENV

    return session.get_bind().dialect.name == "postgresql" and not os.environ.get(REDIS_ENV)


def _budget(kind: str) -> Any:
    """The rate budget of the tool `kind` as the engine builds it (its lanes, not its ledger)."""
    from booksync.connectors.budget import RateBudget
    from booksync.connectors.registry import tools

    tool = tools().get(kind)
    return RateBudget(limits=tool.limits, scope=kind) if tool is not None else None


def _left(session: Session, lanes: list[Any]) -> dict[str, Left]:
    """lane key prefix -> calls left in each window, counted in the shared ledger's table."""
    now_ms = int(utcnow().timestamp() * 1000)
    found: dict[str, Left] = {}
    for suffix, (window, interval) in WINDOWS.items():
        wanted = {lane.key: lane for lane in lanes if lane.key.endswith("|" + suffix)}
        if not wanted:
            continue
        counted = dict(
            session.execute(
                select(RateBudgetCall.lane, func.count())
                .where(RateBudgetCall.lane.in_(wanted), RateBudgetCall.at_ms > now_ms - interval)
                .group_by(RateBudgetCall.lane)
            ).all()
        )
        for key, lane in wanted.items():
            base = key[: -len(suffix) - 1]
            found.setdefault(base, {})[window] = max(0, lane.limit - counted.get(key, 0))
    return found


def shared_budget_left(session: Session, tenants: list[str]) -> dict[str, Left | None]:
    """Each tenant's calls left this minute and today in the budget every worker shares."""
    if not tenants or not _shared(session):
        return {}
    rows = session.execute(
        select(Tenant.name, Tenant.remote_tenant_id, Integration.kind)
        .join(Integration, Integration.id == Tenant.integration_id)
        .where(Tenant.name.in_(tenants))
    )
    lanes, base_of = [], {}
    for name, remote_id, kind in rows:
        budget = _budget(kind)
        if budget is None:
            continue
        tenant_lanes = [lane for lane in budget.lanes(remote_id) if "|*|" not in lane.key]
        lanes += tenant_lanes
        base_of[name] = budget.base(remote_id)
    left = _left(session, lanes)
    return {name: left.get(base) for name, base in base_of.items()}


def app_budget_left(session: Session) -> dict[str, Left | None]:
    """Per tool with tenants: the app-wide calls left this minute (None when it cannot tell)."""
    kinds = sorted(set(session.scalars(select(Integration.kind).join(Tenant))))
    if not _shared(session):
        return dict.fromkeys(kinds)
    found: dict[str, Left | None] = {}
    for kind in kinds:
        budget = _budget(kind)
        app = [lane for lane in budget.lanes("-") if "|*|" in lane.key] if budget else []
        found[kind] = _left(session, app).get(budget.base("*")) if app else None
    return found


def session_kinds(store: Store) -> list[tuple[str, str]]:
    """(tenant name, its tool's kind) for every tenant."""
    with store.session() as session:
        rows = session.execute(
            select(Tenant.name, Integration.kind).join(
                Integration, Integration.id == Tenant.integration_id
            )
        )
        return [(name, kind) for name, kind in rows]


class StoreCollector:
    """A Prometheus collector reading the database at each scrape: jobs by state and workers."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> list[Any]:
        return []  # read at scrape time only: registering it must not query the database

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        with self.store.session() as session:
            counts = jobs.counts_by_status(session)
            found = workers(session)
            app = app_budget_left(session)
            names = list(session.scalars(select(Tenant.name)))
            tenants = shared_budget_left(session, names)
        states = GaugeMetricFamily(
            "booksync_sync_jobs", "Sync jobs by state (the queue's depth).", labels=["state"]
        )
        for state in SyncStatus:
            states.add_metric([state.value], counts.get(state.value, 0))
        yield states
        alive = GaugeMetricFamily(
            "booksync_workers", "Registered workers, alive or silent.", labels=["state"]
        )
        alive.add_metric(["alive"], sum(w.alive for w in found))
        alive.add_metric(["silent"], sum(not w.alive for w in found))
        yield alive
        held = GaugeMetricFamily(
            "booksync_worker_jobs_held", "Jobs each live worker holds.", labels=["worker"]
        )
        for w in found:
            if w.alive:
                held.add_metric([w.name], w.jobs_held)
        yield held
        left = GaugeMetricFamily(
            "booksync_budget_left",
            "Calls the shared rate budget has left, per tool for the whole app and per tenant, by "
            "window (minute, day); absent when the budget is not in this database.",
            labels=["tool", "tenant", "window"],
        )
        for kind, windows in app.items():
            for window, calls in (windows or {}).items():
                left.add_metric([kind, "*", window], calls)
        kinds = dict(session_kinds(self.store))
        for name, windows in tenants.items():
            for window, calls in (windows or {}).items():
                left.add_metric([kinds.get(name, ""), name, window], calls)
        yield left


@contextmanager
def observe_worker(store: Store, engine: Any, *, metrics_port: int | None = None) -> Iterator[None]:
    """While a worker runs: its row in the workers registry, and `/metrics` on `metrics_port`."""
    server = None
    if metrics_port is not None:
        try:
            server = metrics.serve(metrics_port, StoreCollector(store))
        except OSError as exc:
            raise BadInput(
                "--metrics-port",
                metrics_port,
                f"cannot be listened on ({exc.strerror})",
                "a free port, 1-65535",
            ) from None
    registry = WorkerRegistry(
        store, engine.worker, concurrency=int(getattr(engine, "concurrency", 1) or 1)
    )
    try:
        with registry:
            yield
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


__all__ = [
    "observe_worker",
    "BACKLOG",
    "BudgetReader",
    "Operations",
    "StoreCollector",
    "WorkerView",
    "app_budget_left",
    "shared_budget_left",
    "snapshot",
    "workers",
]
