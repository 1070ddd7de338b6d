"""The REST API's answers for records (tenants, tax rates, account codes, item groups, clients,
suppliers, products, documents) and imports: each mirrors the service layer's `to_dict`, which the
CLI's `--json` prints too. Re-exported by `schemas`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from booksync.connectors.registry import tools
from booksync.connectors.tool import ConnectionMethod
from booksync.domain.types import EntityType

Decimal = str  # a decimal written out in full, e.g. "49.00" or "12.5"


class IntegrationOut(BaseModel):
    id: int | None = Field(description="null for an integration never set up")
    kind: str
    enabled: bool
    entities_to_sync: list[EntityType]
    show_success_messages: bool
    tenants: list[str]


#: What a caller sees instead of a path on the server.
FOLDER_DETAIL = "a folder on the server"


class PaymentTermsOut(BaseModel):
    """When a document falls due, as the tools name it (Xero's PaymentTerms `Day` and `Type`)."""

    days: int = Field(description="days after the issue date or month end, or a day of the month")
    type: str = Field(
        description="DAYSAFTERBILLDATE, DAYSAFTERBILLMONTH, OFCURRENTMONTH or OFFOLLOWINGMONTH"
    )


class AddressOut(BaseModel):
    lines: list[str] = []
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class TenantOut(BaseModel):
    id: int
    name: str
    integration: str
    remote_tenant_id: str
    base_currency: str
    connection: str
    connection_detail: str = Field(
        description="where the tenant lives (an API URL); for a tool whose books are files on "
        "the server, only that, never the server's path"
    )
    connected_at: datetime | None
    accounts_imported_at: datetime | None
    tax_types_imported_at: datetime | None
    currencies: list[str] | None = Field(
        description="currencies the tenant may use, from its tool; null until imported"
    )
    lock_date: date | None = Field(
        description="the tool's lock date: nothing dated on or before it may be written"
    )
    payment_terms: PaymentTermsOut | None = Field(
        description="the tool's default payment terms for sales"
    )
    tracking_categories: dict[str, list[str]] | None = Field(
        description="tracking category (or class, location) -> its active options"
    )
    settings_imported_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _no_server_path(cls, data: Any) -> Any:
        """A folder tool's detail is a path on the server (or an error naming it): not for callers."""
        if not isinstance(data, dict) or not data.get("connection_detail"):
            return data
        tool = tools().get(str(data.get("integration")))
        if tool is None or tool.connection is ConnectionMethod.FOLDER:
            return {**data, "connection_detail": FOLDER_DETAIL}
        return data


class TaxRateOut(BaseModel):
    id: int
    name: str
    percent: Decimal
    is_default: bool
    tax_types: dict[str, str] = Field(description="tenant name -> the tool's tax type (sales)")
    purchase_tax_types: dict[str, str] = Field(
        description="tenant name -> the tool's tax type for purchases, where one is mapped"
    )


class AccountCodeOut(BaseModel):
    id: int
    name: str
    code: str
    kind: str
    tenant: str | None
    imported_from_tool: bool
    active: bool


class ItemGroupOut(BaseModel):
    id: int
    name: str
    tax_rate: str | None
    income_account: str | None
    expense_account: str | None


class PartyOut(BaseModel):
    """A client or a supplier."""

    id: int
    name: str
    email: str | None
    currency: str
    tax_rate: str | None
    exclude_from_accounting: bool
    tenant: str | None
    remote_id: str | None
    version: int
    payment_terms: PaymentTermsOut | None = Field(
        description="its own terms; null: the tenant's default applies"
    )
    address: AddressOut | None
    tracking: dict[str, str] = Field(description="category -> option its documents default to")


class ProductOut(BaseModel):
    id: int
    name: str
    code: str | None
    description: str
    price: Decimal
    cost: Decimal
    item_group: str | None
    use_item_group_tax: bool
    tax_rate: str | None
    income_account: str | None
    expense_account: str | None
    exclude_from_accounting: bool
    tenant: str | None
    remote_id: str | None
    version: int
    tracking: dict[str, str] = Field(description="category -> option its lines default to")


class LineOut(BaseModel):
    position: int
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: str | None
    amount: Decimal


class _DocumentOut(BaseModel):
    id: int
    type: EntityType
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    status: str
    reference: str
    remote_id: str | None
    version: int
    exchange_rate: Decimal | None = Field(
        description="units of the tenant's base currency per unit of `currency`; null: the tool's"
    )
    tracking: dict[str, str] = Field(
        description="category -> option, over the client's and products'"
    )
    lines: list[LineOut]
    subtotal: Decimal


class ClientDocumentOut(_DocumentOut):
    """An invoice, sales order or credit note: raised to a client."""

    client: str | None


class CreditNoteOut(ClientDocumentOut):
    """A credit note: raised to a client, allocated to the invoice it credits."""

    credits: str | None = Field(description="the number of the invoice it credits")


class SupplierDocumentOut(_DocumentOut):
    """A purchase order: raised to a supplier."""

    supplier: str | None


class TaxTypeMappingOut(BaseModel):
    tax_rate: str
    tenant: str
    tax_type: str
    purchase_tax_type: str | None = Field(description="the tax type for purchase orders")


class ImportOut(BaseModel):
    tenant: str
    account_codes: int
    archived_account_codes: int
    tax_types: int
    contacts: int
    items: int
    linked: list[str] = Field(description="records given the remote ID of a matching tool object")
    settings_imported: bool = Field(
        description="whether the tool's settings (currencies, lock date, terms, tracking) were "
        "imported; false: its connector cannot read them"
    )
    documents_found: int | None = Field(
        description="documents found in the tool under the numbers of documents not yet sent; "
        "null: the connector cannot look them up"
    )
    notes: list[str] = Field(description="what else the import did, in words")
