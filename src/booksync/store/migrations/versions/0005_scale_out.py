"""scale-out: the workers registry (and, from the sync loop's side, what it adds to sync jobs)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# -- the workers registry (issue 12 part B: `booksync status`, metrics) -----------------------------


def _upgrade_workers() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", booksync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("jobs_held", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("name", name=op.f("uq_workers_name")),
    )
    op.create_index(op.f("ix_workers_heartbeat_at"), "workers", ["heartbeat_at"])


def _downgrade_workers() -> None:
    op.drop_index(op.f("ix_workers_heartbeat_at"), table_name="workers")
    op.drop_table("workers")


# -- end of the workers registry ---------------------------------------------------------------------


# -- the sync loop (issue 12 part A): fencing tokens, fair claiming, the shared rate budget -------


def _upgrade_sync_loop() -> None:
    # A claim's generation: every claim or takeover bumps it, and a worker's writes for a job carry
    # the generation it claimed, so a worker paused past its lease can neither push nor record.
    with op.batch_alter_table("sync_jobs") as batch:
        batch.add_column(sa.Column("claim_token", sa.Integer(), nullable=False, server_default="0"))
    # Claiming takes each tenant's due jobs in turn (fairness), by tenant, status and id.
    op.create_index("ix_sync_jobs_tenant_due", "sync_jobs", ["tenant_id", "status", "id"])
    # The rate budget every worker shares (PostgreSQL): one row per call counted in a lane's
    # window, and the Retry-After holds; SQLite stores keep their budget in the process instead.
    op.create_table(
        "rate_budget_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_budget_calls")),
    )
    op.create_index("ix_rate_budget_calls_lane_at", "rate_budget_calls", ["lane", "at_ms"])
    op.create_table(
        "rate_budget_holds",
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_rate_budget_holds")),
    )


def _downgrade_sync_loop() -> None:
    op.drop_table("rate_budget_holds")
    op.drop_index("ix_rate_budget_calls_lane_at", table_name="rate_budget_calls")
    op.drop_table("rate_budget_calls")
    op.drop_index("ix_sync_jobs_tenant_due", table_name="sync_jobs")
    with op.batch_alter_table("sync_jobs") as batch:
        batch.drop_column("claim_token")


# -- end of the sync loop --------------------------------------------------------------------------


def upgrade() -> None:
    _upgrade_workers()
    _upgrade_sync_loop()


def downgrade() -> None:
    _downgrade_sync_loop()
    _downgrade_workers()
