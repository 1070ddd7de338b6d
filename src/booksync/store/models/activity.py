"""Sync activity: one row per pass that did something, and its outcome counts per tenant.

A pass that handled nothing (an idle worker polling) leaves no row. Each tenant's counts live in a
row of their own, keyed by the hour the pass finished in, so the per-hour series is a GROUP BY over
an index and "the last pass per tenant" a MAX(id), on both databases, however long the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base
from booksync.store.types import UTCDateTime


class SyncPass(Base):
    """One pass of the engine: when, by which worker, started how, and its totals."""

    __tablename__ = "sync_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Indexed: the log reads newest first, and pruning deletes what is older than the retention.
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    worker: Mapped[str] = mapped_column(String(100))
    #: How it was started: worker, cli, api, web, or pass (a face that did not say).
    trigger: Mapped[str] = mapped_column(String(20))
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    #: Jobs waiting on a dependency (`waiting`) and jobs handed back until a rate limit allows
    #: (`deferred`).
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)


class SyncPassTenant(Base):
    """One tenant's share of a pass, and how many of its records stood blocked when it ended.

    `hour` is `finished_at` truncated to the hour (UTC): the chart's bucket.
    """

    __tablename__ = "sync_pass_tenants"
    __table_args__ = (
        Index("ix_sync_pass_tenants_hour_tenant", "hour", "tenant"),
        Index("ix_sync_pass_tenants_tenant_pass", "tenant", "pass_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(
        ForeignKey("sync_passes.id", ondelete="CASCADE"), index=True
    )
    #: The tenant's name as the pass tallied it ("(no tenant)" for records without one).
    tenant: Mapped[str] = mapped_column(String(255))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    #: The tenant's jobs whose status was blocked once the pass ended (a level, not a flow).
    blocked_now: Mapped[int] = mapped_column(Integer, default=0)
