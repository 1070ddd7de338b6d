"""Read-only snapshots of the billing records, as the rules see them.

The store turns its rows into these; the rules, the doctor and the engine reason over them without
touching a database. `Books` bundles them: its mappings may be plain dicts (the health report loads
everything at once) or lazy mappings that load a row on first use (the doctor on one record).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from booksync.domain.types import (
    AccountKind,
    ConnectionState,
    EntityType,
    SyncStatus,
)


@dataclass(frozen=True, slots=True)
class Subject:
    """A record a finding is about: its type (record type or `tenant`, `tax_rate`, ...) and reference."""

    type: str
    id: int | None
    ref: str

    def __str__(self) -> str:
        return f"{self.type.replace('_', ' ')} '{self.ref}'"


@dataclass(frozen=True, slots=True)
class IntegrationView:
    id: int
    #: The tool's kind ("ledger", "xero", ...): tools are plug-ins, so any string.
    kind: str
    enabled: bool
    entities_to_sync: frozenset[EntityType]
    show_success_messages: bool = False

    @property
    def subject(self) -> Subject:
        return Subject("integration", self.id, self.kind)


@dataclass(frozen=True, slots=True)
class TenantView:
    id: int
    integration_id: int
    name: str
    remote_tenant_id: str
    base_currency: str
    connection: ConnectionState = ConnectionState.NEVER
    connection_detail: str = ""
    #: Active account codes imported from the tool; None until the first import.
    tool_account_codes: frozenset[str] | None = None
    #: Archived/deleted account codes seen in the last import, to say "archived" rather than "unknown".
    tool_archived_codes: frozenset[str] = frozenset()
    #: Tax types imported from the tool; None until the first import.
    tool_tax_types: frozenset[str] | None = None
    #: Currencies the tenant may use, from the tool's settings; None until they are imported.
    currencies: frozenset[str] | None = None
    #: Nothing dated on or before it may be written (the tool's latest lock date).
    lock_date: date | None = None
    #: The tool's default payment terms for sales: ("DAYSAFTERBILLDATE", 14) style, or None.
    payment_terms: tuple[str, int] | None = None
    #: Tracking categories and their options in the tool; None until imported.
    tracking_categories: Mapping[str, frozenset[str]] | None = None
    #: True once the tool's settings (currencies, lock date, terms, tracking) were imported.
    settings_imported: bool = False

    @property
    def subject(self) -> Subject:
        return Subject("tenant", self.id, self.name)


@dataclass(frozen=True, slots=True)
class TaxRateView:
    id: int
    name: str
    percent: Decimal
    is_default: bool = False
    #: tenant id -> the tool's tax type (e.g. Xero "OUTPUT2").
    tax_types: Mapping[int, str] = field(default_factory=dict)
    #: tenant id -> the tool's tax type for purchases (e.g. Xero "INPUT2").
    purchase_tax_types: Mapping[int, str] = field(default_factory=dict)

    @property
    def subject(self) -> Subject:
        return Subject("tax_rate", self.id, self.name)


@dataclass(frozen=True, slots=True)
class AccountCodeView:
    id: int
    name: str
    code: str
    kind: AccountKind
    tenant_id: int | None = None
    imported_from_tool: bool = False
    active: bool = True

    @property
    def subject(self) -> Subject:
        return Subject("account_code", self.id, self.code or self.name)


@dataclass(frozen=True, slots=True)
class ItemGroupView:
    id: int
    name: str
    tax_rate_id: int | None = None
    income_account_id: int | None = None
    expense_account_id: int | None = None

    @property
    def subject(self) -> Subject:
        return Subject("item_group", self.id, self.name)


@dataclass(frozen=True, slots=True)
class PartyView:
    """A client or a supplier."""

    id: int
    type: EntityType
    name: str
    currency: str = "AUD"
    tax_rate_id: int | None = None
    exclude_from_accounting: bool = False
    tenant_id: int | None = None
    remote_id: str | None = None
    #: The tool has the linked contact archived (from the last import of its contacts).
    archived_in_tool: bool = False
    #: Its own payment terms ("DAYSAFTERBILLDATE", 14); None: the tenant's default applies.
    payment_terms: tuple[str, int] | None = None
    tracking: Mapping[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> Subject:
        return Subject(self.type.value, self.id, self.name)


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    name: str
    code: str | None = None
    item_group_id: int | None = None
    use_item_group_tax: bool = False
    tax_rate_id: int | None = None
    income_account_id: int | None = None
    expense_account_id: int | None = None
    exclude_from_accounting: bool = False
    tenant_id: int | None = None
    remote_id: str | None = None
    tracking: Mapping[str, str] = field(default_factory=dict)

    type = EntityType.PRODUCT

    @property
    def subject(self) -> Subject:
        return Subject("product", self.id, self.name)


@dataclass(frozen=True, slots=True)
class LineView:
    """A document line. Quantity and price are None where they were not read: no rule needs them."""

    position: int
    product_id: int
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    description: str = ""
    tax_rate_id: int | None = None


@dataclass(frozen=True, slots=True)
class RemoteDocumentView:
    """A document found in the tool under this document's number (see `document.number_free`)."""

    remote_id: str
    number: str
    contact_remote_id: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentView:
    """An invoice, sales order, purchase order or credit note."""

    id: int
    type: EntityType
    number: str
    party_id: int
    currency: str = "AUD"
    status: str = "draft"
    lines: tuple[LineView, ...] = ()
    remote_id: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    exchange_rate: Decimal | None = None
    tracking: Mapping[str, str] = field(default_factory=dict)
    #: A credit note's credited invoice (its id), which the tool allocates it to.
    credited_document_id: int | None = None
    #: Documents the tool already has under this number, in the document's tenant.
    remote_matches: tuple[RemoteDocumentView, ...] = ()
    #: Where the linked document stands in the tool (`remote_states.status`: open, part_paid,
    #: paid, voided, deleted, ...); None while booksync has not read it back.
    tool_state: str | None = None

    @property
    def subject(self) -> Subject:
        return Subject(self.type.value, self.id, self.number)


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the engine last learnt about a record's current version from the tool."""

    status: SyncStatus
    last_error: str | None = None
    #: The rule the tool's error was translated into, when it maps to one.
    error_rule: str | None = None
    error_fix: str | None = None
    #: Where what the tool booked differs from what booksync computed:
    #: (field, booksync's figure, the tool's figure).
    mismatches: tuple[tuple[str, str, str], ...] = ()


Record = PartyView | ProductView | DocumentView

#: What a document line's posting depends on: (product id, account side, the line's tax rate
#: override, the party's tax rate); see `lines.posting`.
PostingKey = tuple[int, AccountKind, int | None, int | None]


@dataclass(frozen=True)
class Books:
    """Everything the rules may read about the books, keyed by id: a snapshot, never changed
    once read (what is derived from it may be memoised in it)."""

    integrations: Mapping[int, IntegrationView]
    tenants: Mapping[int, TenantView]
    tax_rates: Mapping[int, TaxRateView]
    account_codes: Mapping[int, AccountCodeView]
    item_groups: Mapping[int, ItemGroupView]
    clients: Mapping[int, PartyView]
    suppliers: Mapping[int, PartyView]
    products: Mapping[int, ProductView]
    default_tax_rate_id: int | None = None
    #: (record type, id) -> the sync state of its current version; absent when never pushed.
    sync_states: Mapping[tuple[EntityType, int], SyncState] = field(default_factory=dict)
    #: `lines.posting`'s memo: the product it was worked out for, its account code and tax rate.
    postings: dict[PostingKey, tuple[ProductView, AccountCodeView | None, TaxRateView | None]] = (
        field(default_factory=dict, init=False, repr=False, compare=False)
    )

    @property
    def default_tax_rate(self) -> TaxRateView | None:
        if self.default_tax_rate_id is None:
            return None
        return self.tax_rates.get(self.default_tax_rate_id)

    def party(self, document: DocumentView) -> PartyView | None:
        parties = self.suppliers if document.type is EntityType.PURCHASE_ORDER else self.clients
        return parties.get(document.party_id)
