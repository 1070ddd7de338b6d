"""blockers by subject id: the subject index leads with the id, so releasing the jobs a synced
batch held reads exactly their rows, whatever the planner's statistics say (issue 12)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 03:00:00.000000

With (subject_type, subject_id), PostgreSQL may read every blocker of a record type and filter the
batch's ids, when its statistics are older than the backlog (a first sync, before autovacuum has
analysed the table): measured 2 to 6 ms a batch, growing with the held records, against 0.2 ms.
Led by the id, the index is the only way in, and the type stays in it for the equality.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NAME = "ix_sync_job_blockers_subject"


def upgrade() -> None:
    op.drop_index(NAME, table_name="sync_job_blockers")
    op.create_index(NAME, "sync_job_blockers", ["subject_id", "subject_type"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="sync_job_blockers")
    op.create_index(NAME, "sync_job_blockers", ["subject_type", "subject_id"])
