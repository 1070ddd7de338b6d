"""claim by index: each tenant's pending jobs of one level (dependencies, documents) in id order,
so a claim on PostgreSQL reads a claim's worth of jobs instead of the whole backlog (issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:00:00.000000

Partial indexes (only pending jobs): a job leaves them when it is claimed, and the predicates are
those the claim's reads write out (`booksync.sync.claiming`), so the planner proves them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PENDING_DEPENDENCIES = "status = 'pending' AND entity_type IN ('client', 'supplier', 'product')"
PENDING_DOCUMENTS = "status = 'pending' AND entity_type NOT IN ('client', 'supplier', 'product')"


def upgrade() -> None:
    for name, where in (
        ("ix_sync_jobs_pending_dependencies", PENDING_DEPENDENCIES),
        ("ix_sync_jobs_pending_documents", PENDING_DOCUMENTS),
    ):
        op.create_index(
            name,
            "sync_jobs",
            ["tenant_id", "id"],
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    op.drop_index("ix_sync_jobs_pending_documents", table_name="sync_jobs")
    op.drop_index("ix_sync_jobs_pending_dependencies", table_name="sync_jobs")
