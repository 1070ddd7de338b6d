"""The ORM tables. Field names follow the brief's glossary; every syncable record carries a version."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from booksync.domain.types import EntityType
from booksync.store.types import Money, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Syncable(Timestamped):
    """A record that is pushed to the accounting tool: every create or edit bumps `version`."""

    entity_type: ClassVar[EntityType]
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(255))

    @property
    def reference(self) -> str:
        raise NotImplementedError


class Integration(Timestamped, Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    entities_to_sync: Mapped[list[str]] = mapped_column(JSON, default=list)
    show_success_messages: Mapped[bool] = mapped_column(Boolean, default=False)

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


class TaxRate(Timestamped, Base):
    __tablename__ = "tax_rates"
    __table_args__ = (
        Index(
            "uq_tax_rates_one_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    percent: Mapped[Decimal] = mapped_column(Money(9, 4))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    mappings: Mapped[list[TaxRateMapping]] = relationship(
        back_populates="tax_rate", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return self.name


class TaxRateMapping(Base):
    """A tax rate's tax type in one tenant's tool."""

    __tablename__ = "tax_rate_mappings"
    __table_args__ = (UniqueConstraint("tax_rate_id", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_rate_id: Mapped[int] = mapped_column(ForeignKey("tax_rates.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tax_type: Mapped[str] = mapped_column(String(100))

    tax_rate: Mapped[TaxRate] = relationship(back_populates="mappings")
    tenant: Mapped[Tenant] = relationship()


class AccountCode(Timestamped, Base):
    """Configuration > Billing > Accounts Code: its `code` must match one in the tenant's tool."""

    __tablename__ = "account_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(50), default="")
    kind: Mapped[str] = mapped_column(String(10))  # income | expense
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    imported_from_tool: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    tenant: Mapped[Tenant | None] = relationship()

    @property
    def reference(self) -> str:
        return self.code or self.name


class ItemGroup(Timestamped, Base):
    __tablename__ = "item_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id", ondelete="RESTRICT"))
    income_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_codes.id", ondelete="RESTRICT")
    )
    expense_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_codes.id", ondelete="RESTRICT")
    )

    tax_rate: Mapped[TaxRate | None] = relationship()
    income_account: Mapped[AccountCode | None] = relationship(foreign_keys=[income_account_id])
    expense_account: Mapped[AccountCode | None] = relationship(foreign_keys=[expense_account_id])

    @property
    def reference(self) -> str:
        return self.name


class _Party(Syncable):
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3), default="AUD")
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id", ondelete="RESTRICT"))
    exclude_from_accounting: Mapped[bool] = mapped_column(Boolean, default=False)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))

    @property
    def reference(self) -> str:
        return self.name


class Client(_Party, Base):
    __tablename__ = "clients"
    entity_type = EntityType.CLIENT

    tax_rate: Mapped[TaxRate | None] = relationship()
    tenant: Mapped[Tenant | None] = relationship()


class Supplier(_Party, Base):
    __tablename__ = "suppliers"
    entity_type = EntityType.SUPPLIER

    tax_rate: Mapped[TaxRate | None] = relationship()
    tenant: Mapped[Tenant | None] = relationship()


class Product(Syncable, Base):
    __tablename__ = "products"
    entity_type = EntityType.PRODUCT

    name: Mapped[str] = mapped_column(String(255), unique=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    item_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_groups.id", ondelete="RESTRICT")
    )
    use_item_group_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id", ondelete="RESTRICT"))
    income_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_codes.id", ondelete="RESTRICT")
    )
    expense_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_codes.id", ondelete="RESTRICT")
    )
    exclude_from_accounting: Mapped[bool] = mapped_column(Boolean, default=False)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))

    item_group: Mapped[ItemGroup | None] = relationship()
    tax_rate: Mapped[TaxRate | None] = relationship()
    income_account: Mapped[AccountCode | None] = relationship(foreign_keys=[income_account_id])
    expense_account: Mapped[AccountCode | None] = relationship(foreign_keys=[expense_account_id])
    tenant: Mapped[Tenant | None] = relationship()

    @property
    def reference(self) -> str:
        return self.name


class Document(Syncable, Base):
    """An invoice, sales order, purchase order or credit note; `kind` says which."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kind", "number"),
        CheckConstraint("(client_id IS NULL) <> (supplier_id IS NULL)", name="one_party"),
    )

    kind: Mapped[str] = mapped_column(String(20), index=True)
    number: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="AUD")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    reference_text: Mapped[str] = mapped_column("reference", String(255), default="")

    client: Mapped[Client | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentLine.position",
    )

    @property
    def entity_type(self) -> EntityType:  # type: ignore[override]
        return EntityType(self.kind)

    @property
    def reference(self) -> str:
        return self.number

    @property
    def party(self) -> Client | Supplier | None:
        return self.client if self.client_id is not None else self.supplier


class DocumentLine(Base):
    __tablename__ = "document_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Money())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id", ondelete="RESTRICT"))

    document: Mapped[Document] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    tax_rate: Mapped[TaxRate | None] = relationship()


class SyncJob(Timestamped, Base):
    """The durable promise that a record's current version reaches its tenant (one per record)."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        UniqueConstraint("entity_type", "record_id"),
        Index("ix_sync_jobs_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    record_version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The doctor's blockers when status is blocked: [{"id", "subject": {...}, "detail", "fix"}].
    blocked_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_rule: Mapped[str | None] = mapped_column(String(64))
    error_fix: Mapped[str | None] = mapped_column(Text)
    synced_version: Mapped[int | None] = mapped_column(Integer)
    remote_id: Mapped[str | None] = mapped_column(String(255))
    #: A push may have reached the tool without its answer reaching us: look up before creating.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncJobBlocker(Base):
    """Which records hold a blocked job, so a change to one of them releases exactly its jobs."""

    __tablename__ = "sync_job_blockers"
    __table_args__ = (Index("ix_sync_job_blockers_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)


class SyncEvent(Base):
    """The timeline: each change, evaluation and attempt, with what was sent and what came back."""

    __tablename__ = "sync_events"
    __table_args__ = (Index("ix_sync_events_record", "entity_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_version: Mapped[int | None] = mapped_column(Integer)
    tenant_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[Any] = mapped_column(JSON, nullable=True)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SYNCABLE_MODELS: dict[EntityType, type[Syncable]] = {
    EntityType.CLIENT: Client,
    EntityType.SUPPLIER: Supplier,
    EntityType.PRODUCT: Product,
    EntityType.INVOICE: Document,
    EntityType.SALES_ORDER: Document,
    EntityType.PURCHASE_ORDER: Document,
    EntityType.CREDIT_NOTE: Document,
}


class User(Base):
    """A person who signs in to the web admin. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case, so "Alice" and "alice" are one user.
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A key for the REST API. The secret is shown once; only its SHA-256 is kept.

    A fast hash is enough here, unlike for passwords: the secret is 256 random bits, so no amount
    of hashing speed makes guessing it feasible, and every API call can be checked cheaply.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The random part after `bsk_` that people see in listings; it finds the key, never proves it.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
