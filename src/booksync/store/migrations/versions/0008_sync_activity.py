"""sync activity: each pass that did something, and its outcome counts per tenant (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:12:33.202217
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "sync_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        *_counts("synced", "failed", "blocked", "waiting", "deferred", "calls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_passes")),
    )
    op.create_index(op.f("ix_sync_passes_finished_at"), "sync_passes", ["finished_at"])
    op.create_table(
        "sync_pass_tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=255), nullable=False),
        sa.Column("hour", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        *_counts("synced", "failed", "blocked", "waiting", "deferred", "blocked_now"),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["sync_passes.id"],
            name=op.f("fk_sync_pass_tenants_pass_id_sync_passes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_pass_tenants")),
    )
    op.create_index("ix_sync_pass_tenants_hour_tenant", "sync_pass_tenants", ["hour", "tenant"])
    op.create_index(op.f("ix_sync_pass_tenants_pass_id"), "sync_pass_tenants", ["pass_id"])
    op.create_index("ix_sync_pass_tenants_tenant_pass", "sync_pass_tenants", ["tenant", "pass_id"])


def downgrade() -> None:
    op.drop_table("sync_pass_tenants")
    op.drop_table("sync_passes")
