"""The outbox's tables: a sync job per record, the records that hold a blocked job, and the
timeline of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base, Timestamped
from booksync.store.types import UTCDateTime, utcnow


class SyncJob(Timestamped, Base):
    """The durable promise that a record's current version reaches its tenant (one per record)."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        UniqueConstraint("entity_type", "record_id"),
        Index("ix_sync_jobs_status_due", "status", "next_attempt_at"),
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
    #: A push may have reached the tool without its answer reaching us: look up before creating.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncJobBlocker(Base):
    """Which records hold a blocked job, so a change to one of them releases exactly its jobs."""

    __tablename__ = "sync_job_blockers"
    __table_args__ = (Index("ix_sync_job_blockers_subject", "subject_type", "subject_id"),)

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
