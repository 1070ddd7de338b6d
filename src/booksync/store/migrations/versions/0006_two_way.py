"""two-way: webhook events, each linked record's state in the tool, payments, polling watermarks,
what the last push sent (for drift) and the integrations' webhook keys (issue 13)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:14:43.279781
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("remote_tenant_id", sa.String(length=255), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=True),
        sa.Column("resource", sa.String(length=50), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("received_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_events")),
        sa.UniqueConstraint("key", name=op.f("uq_inbound_events_key")),
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_events_status", ["status", "id"], unique=False)

    op.create_table(
        "remote_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("total", booksync.store.types.Money(), nullable=True),
        sa.Column("amount_paid", booksync.store.types.Money(), nullable=True),
        sa.Column("amount_due", booksync.store.types.Money(), nullable=True),
        sa.Column("merged_into", sa.String(length=255), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column(
            "remote_updated_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("seen_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("drift", sa.JSON(), nullable=True),
        sa.Column("drift_state", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_remote_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_states")),
        sa.UniqueConstraint(
            "tenant_id", "entity_type", "remote_id", name=op.f("uq_remote_states_tenant_id")
        ),
    )
    with op.batch_alter_table("remote_states", schema=None) as batch_op:
        batch_op.create_index("ix_remote_states_record", ["entity_type", "record_id"], unique=False)

    op.create_table(
        "watermarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("position", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_watermarks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watermarks")),
        sa.UniqueConstraint("tenant_id", "stream", name=op.f("uq_watermarks_tenant_id")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("amount", booksync.store.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("account_code", sa.String(length=50), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_payments_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("tenant_id", "remote_id", name=op.f("uq_payments_tenant_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_document_id"), ["document_id"], unique=False)
        batch_op.create_index("ix_payments_status", ["status", "id"], unique=False)

    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_key", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pushed_fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.drop_column("pushed_fields")

    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("webhook_key")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_status")
        batch_op.drop_index(batch_op.f("ix_payments_document_id"))

    op.drop_table("payments")
    op.drop_table("watermarks")
    with op.batch_alter_table("remote_states", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_states_record")

    op.drop_table("remote_states")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_events_status")

    op.drop_table("inbound_events")
