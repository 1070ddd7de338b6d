"""sessions that end and sign-ins that are limited: a per-user session generation, disabled users,
and failed sign-ins kept for a minute

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "users",
        sa.Column("disabled_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_key"), "sign_in_failures", ["key"])
    op.create_index(op.f("ix_sign_in_failures_failed_at"), "sign_in_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_failures_failed_at"), table_name="sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_key"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("session_generation")
