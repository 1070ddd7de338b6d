"""What comes back from the tools (issue 13): webhook events as received, each linked record's
state in the tool, payments, and the watermarks of the polling that recovers missed events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base, Timestamped
from booksync.store.types import Money, UTCDateTime, utcnow


class InboundEvent(Base):
    """A webhook event, stored in the transaction that answered the tool, then handled by a worker
    (which reads the record from the tool: the event's body is never trusted). `key` makes a
    redelivered event one row."""

    __tablename__ = "inbound_events"
    __table_args__ = (Index("ix_inbound_events_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The tool's kind ("xero").
    kind: Mapped[str] = mapped_column(String(20))
    #: The tool's tenant id (Xero tenantId, QuickBooks realmId) as the event named it.
    remote_tenant_id: Mapped[str] = mapped_column(String(255))
    #: The record type booksync keeps, or None for a resource it does not (stored as ignored).
    entity_type: Mapped[str | None] = mapped_column(String(20))
    resource: Mapped[str] = mapped_column(String(50))
    remote_id: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: pending -> done | ignored | failed (failed ones are retried until `attempts` runs out).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class RemoteState(Base):
    """A linked record as the tool last showed it: by webhook, by polling or after a push.

    `record_id` is booksync's record (None: the tool has it and booksync does not link it). `drift`
    lists the fields where the tool differs from what booksync last pushed
    ([{"field", "booksync", "tool"}]); `drift_state` is open, accepted, pushed or left.
    """

    __tablename__ = "remote_states"
    __table_args__ = (
        Unique("tenant_id", "entity_type", "remote_id"),
        Index("ix_remote_states_record", "entity_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    remote_id: Mapped[str] = mapped_column(String(255))
    #: `two_way.RemoteStatus`: draft, open, part_paid, paid, voided, deleted, active, archived, merged.
    status: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[Decimal | None] = mapped_column(Money())
    amount_paid: Mapped[Decimal | None] = mapped_column(Money())
    amount_due: Mapped[Decimal | None] = mapped_column(Money())
    merged_into: Mapped[str | None] = mapped_column(String(255))
    #: The tool's fields in the payload's terms (JSON-safe: money as text), for drift.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The tool's own clock at its last change.
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drift: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    drift_state: Mapped[str | None] = mapped_column(String(20))


class Payment(Timestamped, Base):
    """Money received against a document: read from the tool (`source` tool) or recorded in
    booksync and written to the tool once (`source` booksync; `status` pending -> sent)."""

    __tablename__ = "payments"
    __table_args__ = (
        Unique("tenant_id", "remote_id"),
        Index("ix_payments_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    remote_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(255), default="")
    #: The tool's code of the bank account the money went into (booksync-recorded payments).
    account_code: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(20))
    #: tool payments: recorded | deleted; booksync payments: pending | sent | failed.
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: A write may have reached the tool without its answer: look it up before writing again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class Watermark(Base):
    """How far polling has read a tenant's changes: the next poll asks from `position` less an
    overlap. Advanced only after a clean pass."""

    __tablename__ = "watermarks"
    __table_args__ = (Unique("tenant_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: What was read: "changes" (every record type the tool's feed gives).
    stream: Mapped[str] = mapped_column(String(50))
    position: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: The last pass's outcome ("12 changes, 2 payments"), or why it failed.
    last_result: Mapped[str | None] = mapped_column(Text)
