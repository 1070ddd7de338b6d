"""users and api keys: web admin sign-in and REST API keys (secrets stored hashed only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:32:48.152669
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_sign_in_at", booksync.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("api_keys")
