"""notification channels: where a pass's digest of failures and disconnections goes (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("secret_hint", sa.String(length=20), nullable=True),
        sa.Column("created_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_attempt_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_sent_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_notification_channels_name")),
    )


def downgrade() -> None:
    op.drop_table("notification_channels")
