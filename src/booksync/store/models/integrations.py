"""The accounting tools booksync talks to: an integration per tool, its tenants, and what was
imported from each tenant (tax types, contacts and items)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.store.models.base import Base, Timestamped
from booksync.store.types import Money, UTCDateTime


class Integration(Timestamped, Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    entities_to_sync: Mapped[list[str]] = mapped_column(JSON, default=list)
    show_success_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The key the tool signs its webhooks with (Xero's webhook key, Intuit's verifier token),
    #: encrypted like tenant credentials; None until set.
    webhook_key: Mapped[bytes | None] = mapped_column(LargeBinary)

    tenants: Mapped[list[Tenant]] = relationship(back_populates="integration")

    @property
    def reference(self) -> str:
        return self.kind


class Tenant(Timestamped, Base):
    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("integration_id", "remote_tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    remote_tenant_id: Mapped[str] = mapped_column(String(255))
    base_currency: Mapped[str] = mapped_column(String(3), default="AUD")
    connection_state: Mapped[str] = mapped_column(String(20), default="never")
    #: Where the tenant lives (a ledger file path, an API base URL); never a secret.
    connection_detail: Mapped[str] = mapped_column(Text, default="")
    #: Tokens, encrypted with the key from BOOKSYNC_SECRET_KEY; never stored in clear text.
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accounts_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tax_types_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the tool's own settings say, imported with the chart (None until the first import):
    #: currency codes the tenant may invoice in (its base currency and those it enabled);
    currencies: Mapped[list[str] | None] = mapped_column(JSON)
    #: the latest lock date (Xero period/end-of-year lock, QuickBooks BookCloseDate): nothing dated
    #: on or before it may be written;
    lock_date: Mapped[date | None] = mapped_column(Date)
    #: the tenant's default sales payment terms, e.g. {"days": 14, "type": "DAYSAFTERBILLDATE"};
    payment_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: tracking categories (Xero) or classes/locations (QuickBooks): {category: [option, ...]};
    tracking_categories: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    #: other facts of the tool's that change how documents are written (country, numbering, ...).
    tool_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    settings_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    integration: Mapped[Integration] = relationship(back_populates="tenants")

    @property
    def reference(self) -> str:
        return self.name


class TenantTaxType(Base):
    """A tax type imported from a tenant's tool (Xero TaxRates, QBO TaxCodes, ledger tax accounts)."""

    __tablename__ = "tenant_tax_types"
    __table_args__ = (UniqueConstraint("tenant_id", "tax_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tax_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255), default="")
    percent: Mapped[Decimal | None] = mapped_column(Money(9, 4))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RemoteObject(Base):
    """A contact or item that exists in the tool, imported so booksync links to it instead of duplicating."""

    __tablename__ = "remote_objects"
    __table_args__ = (UniqueConstraint("tenant_id", "object_type", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(20))  # contact | item
    remote_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    number: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RemoteDocument(Base):
    """A document that exists in the tool under one of booksync's document numbers, imported so that
    a create never lands on someone else's document: booksync links to it when the contact and the
    total agree, and holds its own otherwise."""

    __tablename__ = "remote_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "entity", "remote_id"),
        Index("ix_remote_documents_number", "tenant_id", "entity", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[str] = mapped_column(String(255))
    contact_remote_id: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(20))
