"""What the API accepts: the service layer's own inputs, with what `create` requires marked required.

Each class subclasses the service input it stands for, so the service validates it exactly as it
would the CLI's values. Documents name their party as in their JSON form: `client`, or `supplier`
on a purchase order.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from booksync.connectors.registry import kinds, tool_for
from booksync.domain.types import AccountKind, ConnectionState, DocumentStatus, EntityType
from booksync.errors import BadInput
from booksync.services.inputs import (
    AccountCodeInput,
    DocumentInput,
    ItemGroupInput,
    LineInput,
    Name,
    PartyInput,
    Percent,
    ProductInput,
    Ref,
    TaxRateInput,
    TenantInput,
)
from booksync.services.record_list_query import PAGE_SIZES, sort_keys
from booksync.services.record_states import STATES
from booksync.services.record_tool_states import TOOL_STATES


def _installed_tool(kind: str) -> str:
    try:
        return tool_for(kind).kind
    except BadInput as exc:
        raise ValueError(f"{exc.problem}; accepted: {exc.accepted}") from None


#: An installed tool's kind (tools are plug-ins, so the accepted values are those installed).
IntegrationKind = Annotated[
    str,
    AfterValidator(_installed_tool),
    Field(json_schema_extra=lambda schema: schema.update(examples=kinds())),
]

#: The most records one page may hold, and the furthest offset (both bound the database's work).
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


class TenantCreate(TenantInput):
    name: Name
    integration: IntegrationKind = Field(description="the integration the tenant belongs to")


class TaxRateCreate(TaxRateInput):
    name: Name
    percent: Percent


class AccountCodeCreate(AccountCodeInput):
    name: Name
    kind: AccountKind


class ItemGroupCreate(ItemGroupInput):
    name: Name


class PartyCreate(PartyInput):
    name: Name


class ProductCreate(ProductInput):
    name: Name


class ClientDocumentUpdate(DocumentInput):
    party: Ref | None = Field(None, alias="client", description="the client (name or id)")


class SupplierDocumentUpdate(DocumentInput):
    party: Ref | None = Field(None, alias="supplier", description="the supplier (name or id)")


class ClientDocumentCreate(ClientDocumentUpdate):
    number: Name
    party: Ref = Field(alias="client", description="the client (name or id)")
    lines: list[LineInput] = Field(min_length=1)


class CreditNoteUpdate(ClientDocumentUpdate):
    credits: Ref | None = Field(
        None, description='the invoice it credits (its number or id; of the same client); "" clears'
    )


class CreditNoteCreate(ClientDocumentCreate):
    credits: Ref | None = Field(
        None, description="the invoice it credits (its number or id; of the same client)"
    )


class SupplierDocumentCreate(SupplierDocumentUpdate):
    number: Name
    party: Ref = Field(alias="supplier", description="the supplier (name or id)")
    lines: list[LineInput] = Field(min_length=1)


class TaxTypeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tax_type: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="the tool's tax type for sales, e.g. OUTPUT2; once the tenant's tax types are "
        "imported, one of those, spelt exactly"
    )
    purchase_tax_type: Annotated[str, Field(max_length=100)] | None = Field(
        None,
        description="the tool's tax type for purchase orders, e.g. INPUT2; left out: unchanged; "
        'null or "": none',
    )


# -- list filters ----------------------------------------------------------------------------------

RefFilter = Annotated[str | None, Field(max_length=255, description="name or id")]


class Filters(BaseModel):
    """Paging and search, common to every list: `limit` and `offset`, or the web's `page_size` and
    `page` (one of each pair)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="at most this many")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="skip this many first")
    page_size: int | None = Field(
        None,
        ge=1,
        le=MAX_LIMIT,
        description="instead of limit, as the web admin's lists page: "
        + ", ".join(map(str, PAGE_SIZES)),
    )
    page: int | None = Field(
        None,
        ge=1,
        le=MAX_OFFSET // MAX_LIMIT,
        description="instead of offset: this page of page_size (or limit) records, 1 first",
    )
    search: str | None = Field(
        None, max_length=255, description="only records whose name, number or code contains this"
    )


def _sort(entity: EntityType) -> Any:
    keys = ", ".join(sort_keys(entity))
    return Field(
        None,
        max_length=50,
        description=f"order by this column, or -column for descending: {keys}",
    )


class SyncedFilters(Filters):
    """The web admin's list filters (`services.record_lists`), on every record that syncs."""

    sync_state: str | None = Field(
        None,
        max_length=50,
        description="only records in this sync state: "
        + ", ".join(s.value for s in STATES)
        + ' ("not yet known" is unknown); paid and drifted are states in the tool: see tool_state',
    )
    tool_state: str | None = Field(
        None,
        max_length=50,
        description="only records with this state in the accounting tool, whatever their sync "
        "state (a document can be synced and paid): "
        + ", ".join(s.value for s in TOOL_STATES)
        + " (paid, part_paid and voided: documents only; drifted: the tool differs from what "
        "booksync pushed, not yet settled at /drift)",
    )
    q: str | None = Field(
        None,
        max_length=255,
        description="only records whose number, client or supplier, or reference contains this "
        "(documents); whose name, e-mail, code or remote ID does (clients, suppliers, products)",
    )


class TenantFilters(Filters):
    integration: IntegrationKind | None = None
    connection: ConnectionState | None = None


class TaxRateFilters(Filters):
    is_default: bool | None = None


class AccountCodeFilters(Filters):
    kind: AccountKind | None = None
    tenant: RefFilter = None
    imported_from_tool: bool | None = None
    active: bool | None = None


class ItemGroupFilters(Filters):
    tax_rate: RefFilter = None


class PartyFilters(SyncedFilters):
    tenant: RefFilter = None
    tax_rate: RefFilter = None
    exclude_from_accounting: bool | None = None
    sort: str | None = _sort(EntityType.CLIENT)


class ProductFilters(PartyFilters):
    item_group: RefFilter = None
    sort: str | None = _sort(EntityType.PRODUCT)


class ClientDocumentFilters(SyncedFilters):
    client: RefFilter = None
    status: DocumentStatus | None = None
    sort: str | None = _sort(EntityType.INVOICE)


class SupplierDocumentFilters(SyncedFilters):
    supplier: RefFilter = None
    status: DocumentStatus | None = None
    sort: str | None = _sort(EntityType.PURCHASE_ORDER)
