"""The billing records a user keeps in booksync: tax rates and their mappings, account codes,
item groups, and the syncable records (clients, suppliers, products, documents and their lines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.domain.types import EntityType
from booksync.store.models.base import Base, Syncable, Timestamped
from booksync.store.models.integrations import Tenant
from booksync.store.types import Money


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
    #: The tool's tax type for purchases (purchase orders, bills); a tool may refuse the sales one
    #: there (Xero: "TaxType 'OUTPUT' cannot be used with account code '310'").
    purchase_tax_type: Mapped[str | None] = mapped_column(String(100))

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
    #: Payment terms that set a document's due date when it has none, e.g.
    #: {"days": 14, "type": "DAYSAFTERBILLDATE"}; None: the tenant's default applies.
    payment_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The postal address: {"lines": [...], "city", "region", "postal_code", "country"}.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Tracking (Xero tracking categories, QuickBooks class/location) its documents default to.
    tracking: Mapped[dict[str, str] | None] = mapped_column(JSON)

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
    #: Tracking its lines default to: {category: option}.
    tracking: Mapped[dict[str, str] | None] = mapped_column(JSON)

    item_group: Mapped[ItemGroup | None] = relationship()
    tax_rate: Mapped[TaxRate | None] = relationship()
    income_account: Mapped[AccountCode | None] = relationship(foreign_keys=[income_account_id])
    expense_account: Mapped[AccountCode | None] = relationship(foreign_keys=[expense_account_id])
    tenant: Mapped[Tenant | None] = relationship()

    @property
    def reference(self) -> str:
        return self.name


#: kind -> its record type, for `Document.entity_type`.
_KINDS = {e.value: e for e in EntityType}


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
    #: Units of the tenant's base currency per unit of `currency`; None: the tool's own rate.
    exchange_rate: Mapped[Decimal | None] = mapped_column(Money(18, 6))
    #: Tracking for the whole document: {category: option}, over the client's and products'.
    tracking: Mapped[dict[str, str] | None] = mapped_column(JSON)
    #: On a credit note: the invoice it credits, which the tool allocates it to.
    credited_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )

    client: Mapped[Client | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentLine.position",
    )

    @property
    def entity_type(self) -> EntityType:  # type: ignore[override]
        # A dict lookup: a pass asks ~120,000 times, and `EntityType(kind)` is several times slower.
        return _KINDS.get(self.kind) or EntityType(self.kind)

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


SYNCABLE_MODELS: dict[EntityType, type[Syncable]] = {
    EntityType.CLIENT: Client,
    EntityType.SUPPLIER: Supplier,
    EntityType.PRODUCT: Product,
    EntityType.INVOICE: Document,
    EntityType.SALES_ORDER: Document,
    EntityType.PURCHASE_ORDER: Document,
    EntityType.CREDIT_NOTE: Document,
}
