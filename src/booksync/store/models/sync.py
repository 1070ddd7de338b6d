"""The outbox's tables: a sync job per record, the records that hold a blocked job, and the
timeline of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base, Timestamped
from booksync.store.types import UTCDateTime, utcnow

#: The partial indexes' predicates (issue 12): a claim's reads name them word for word.
PENDING_DEPENDENCIES = "status = 'pending' AND entity_type IN ('client', 'supplier', 'product')"
PENDING_DOCUMENTS = "status = 'pending' AND entity_type NOT IN ('client', 'supplier', 'product')"


class SyncJob(Timestamped, Base):
    """The durable promise that a record's current version reaches its tenant (one per record)."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        UniqueConstraint("entity_type", "record_id"),
        Index("ix_sync_jobs_status_due", "status", "next_attempt_at"),
        # issue 12 part A: claiming takes each tenant's due jobs in turn
        Index("ix_sync_jobs_tenant_due", "tenant_id", "status", "id"),
        # A claim on PostgreSQL reads each tenant's pending jobs of one level in id order, only as
        # many as its turns take (migration 0010).
        Index(
            "ix_sync_jobs_pending_dependencies",
            "tenant_id",
            "id",
            postgresql_where=text(PENDING_DEPENDENCIES),
            sqlite_where=text(PENDING_DEPENDENCIES),
        ),
        Index(
            "ix_sync_jobs_pending_documents",
            "tenant_id",
            "id",
            postgresql_where=text(PENDING_DOCUMENTS),
            sqlite_where=text(PENDING_DOCUMENTS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    record_version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The doctor's blockers when status is blocked: [{"id", "subject": {...}, "detail", "fix"}].
    blocked_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_rule: Mapped[str | None] = mapped_column(String(64))
    error_fix: Mapped[str | None] = mapped_column(Text)
    synced_version: Mapped[int | None] = mapped_column(Integer)
    remote_id: Mapped[str | None] = mapped_column(String(255))
    #: After a push: where what the tool booked differs from what booksync computed, field by
    #: field ([{"field": "total", "booksync": "13.75", "tool": "11.00"}]); None when it matched.
    verification: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: What the last successful push sent, in the payload's terms (`protocol.RemoteFields`, JSON-safe):
    #: the tool's version is compared with it to find drift (issue 13).
    pushed_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: A push may have reached the tool without its answer reaching us: look up before creating.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The claim's generation, bumped by every claim and takeover (issue 12 part A): a worker's
    #: writes for the job carry the generation it claimed, so one paused past its lease is fenced.
    claim_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SyncJobBlocker(Base):
    """Which records hold a blocked job, so a change to one of them releases exactly its jobs."""

    __tablename__ = "sync_job_blockers"
    #: Led by the id: a batch's release reads its rows by id whatever the statistics (0011).
    __table_args__ = (Index("ix_sync_job_blockers_subject", "subject_id", "subject_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)


class SyncEvent(Base):
    """The timeline: each change, evaluation and attempt, with what was sent and what came back."""

    __tablename__ = "sync_events"
    __table_args__ = (Index("ix_sync_events_record", "entity_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_version: Mapped[int | None] = mapped_column(Integer)
    tenant_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[Any] = mapped_column(JSON, nullable=True)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- issue 12 part B: the workers registry (`booksync status`, metrics) ------------------------------


class Worker(Base):
    """A running `booksync worker` process, as it last said: written by the worker itself every few
    seconds (`booksync.sync.workers`), so `booksync status` on any machine sees every worker.

    A row whose heartbeat is old belongs to a worker that died without saying so; it is shown as
    such, and its claims fall to others when their lease ends.
    """

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The worker's name, as its claims carry it in `sync_jobs.claimed_by` ("host:pid" by default).
    name: Mapped[str] = mapped_column(String(100), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    jobs_held: Mapped[int] = mapped_column(Integer, default=0)
    concurrency: Mapped[int] = mapped_column(Integer, default=1)


# -- issue 12 part A: the rate budget every worker shares (PostgreSQL stores) -----------------------


class RateBudgetCall(Base):
    """One call counted in a rate lane's window (`booksync.sync.budget_store`): a lane is one limit
    of one tenant or app ("xero|<tenant>|m"); rows older than the lane's window are deleted."""

    __tablename__ = "rate_budget_calls"
    __table_args__ = (Index("ix_rate_budget_calls_lane_at", "lane", "at_ms"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    lane: Mapped[str] = mapped_column(String(200))
    #: Unix milliseconds, on the workers' clock.
    at_ms: Mapped[int] = mapped_column(BigInteger)


class RateBudgetHold(Base):
    """A tool's Retry-After for a lane: no call before `until_ms` (Unix milliseconds)."""

    __tablename__ = "rate_budget_holds"

    lane: Mapped[str] = mapped_column(String(200), primary_key=True)
    until_ms: Mapped[int] = mapped_column(BigInteger)
