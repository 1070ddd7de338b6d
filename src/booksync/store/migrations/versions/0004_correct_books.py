"""correct books in the real tools: each tenant's settings (currencies, lock date, payment terms,
tracking), documents found in the tool under booksync's numbers, purchase-side tax types, payment
terms, addresses and tracking on records, exchange rates and credited invoices on documents, and
what the tool booked when it differs from what booksync computed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booksync.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TENANT_COLUMNS = (
    ("currencies", sa.JSON()),
    ("lock_date", sa.Date()),
    ("payment_terms", sa.JSON()),
    ("tracking_categories", sa.JSON()),
    ("tool_settings", sa.JSON()),
    ("settings_imported_at", booksync.store.types.UTCDateTime(timezone=True)),
)
PARTY_COLUMNS = (("payment_terms", sa.JSON()), ("address", sa.JSON()), ("tracking", sa.JSON()))


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        for name, type_ in TENANT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("tax_rate_mappings") as batch:
        batch.add_column(sa.Column("purchase_tax_type", sa.String(length=100), nullable=True))
    for table in ("clients", "suppliers"):
        with op.batch_alter_table(table) as batch:
            for name, type_ in PARTY_COLUMNS:
                batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("tracking", sa.JSON(), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column(
                "exchange_rate", booksync.store.types.Money(precision=18, scale=6), nullable=True
            )
        )
        batch.add_column(sa.Column("tracking", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("credited_document_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_documents_credited_document_id_documents"),
            "documents",
            ["credited_document_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("sync_jobs") as batch:
        batch.add_column(sa.Column("verification", sa.JSON(), nullable=True))
    op.create_table(
        "remote_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("contact_remote_id", sa.String(length=255), nullable=True),
        sa.Column("total", booksync.store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_remote_documents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "entity",
            "remote_id",
            name=op.f("uq_remote_documents_tenant_id"),
        ),
    )
    op.create_index(
        "ix_remote_documents_number", "remote_documents", ["tenant_id", "entity", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_remote_documents_number", table_name="remote_documents")
    op.drop_table("remote_documents")
    with op.batch_alter_table("sync_jobs") as batch:
        batch.drop_column("verification")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(
            op.f("fk_documents_credited_document_id_documents"), type_="foreignkey"
        )
        batch.drop_column("credited_document_id")
        batch.drop_column("tracking")
        batch.drop_column("exchange_rate")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("tracking")
    for table in ("clients", "suppliers"):
        with op.batch_alter_table(table) as batch:
            for name, _ in reversed(PARTY_COLUMNS):
                batch.drop_column(name)
    with op.batch_alter_table("tax_rate_mappings") as batch:
        batch.drop_column("purchase_tax_type")
    with op.batch_alter_table("tenants") as batch:
        for name, _ in reversed(TENANT_COLUMNS):
            batch.drop_column(name)
