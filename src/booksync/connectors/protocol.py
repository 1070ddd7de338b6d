"""The seam between the sync engine and every accounting tool.

The engine builds tool-neutral payloads from the store and hands them to a `Connector`; the connector
speaks one tool's language and answers with one `PushResult` per element. Connectors know nothing of
the store or the rules: a tool's refusal comes back as data (`Outcome.REJECTED` with the tool's reason
and, when it maps to one, the rule id), while failures of the whole call are the exceptions below, so
the engine can tell "retry later" from "reconnect the tenant" from "find out what happened".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from booksync.domain.types import AccountKind, EntityType

# --- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """What a tool allows, as its vendor documents it: elements per batch for each record type, and
    calls per tenant (a minute, a second, a day, at once) and per app (a minute, across tenants).

    A record type missing from `batch_size` may only be pushed one element at a time; None means
    the tool sets no such limit.
    """

    batch_size: Mapping[EntityType, int]
    calls_per_minute: int | None = None
    concurrency: int = 1
    calls_per_second: int | None = None
    calls_per_day: int | None = None
    app_calls_per_minute: int | None = None

    def batch_for(self, entity: EntityType) -> int:
        return max(1, self.batch_size.get(entity, 1))


# --- payloads the engine builds from the store ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """When a document falls due, in the tools' own terms: `days` after the issue date
    (DAYSAFTERBILLDATE), after the end of the issue month (DAYSAFTERBILLMONTH), or the given day of
    the current (OFCURRENTMONTH) or following month (OFFOLLOWINGMONTH)."""

    days: int
    type: str = "DAYSAFTERBILLDATE"


@dataclass(frozen=True, slots=True)
class PartyPayload:
    """A client or a supplier. `number` is booksync's stable reference (e.g. "C-000012")."""

    entity: EntityType
    name: str
    email: str | None
    currency: str
    number: str
    address: Address | None = None
    payment_terms: PaymentTerms | None = None


@dataclass(frozen=True, slots=True)
class ItemPayload:
    """A product, with the tool's account codes and tax type already mapped by the engine."""

    code: str
    name: str
    description: str
    price: Decimal | None
    cost: Decimal | None
    income_account_code: str | None
    expense_account_code: str | None
    tax_type: str | None
    #: The tax type for the purchase side (None: the tool's default for the expense account).
    purchase_tax_type: str | None = None


@dataclass(frozen=True, slots=True)
class LinePayload:
    item_code: str | None
    item_remote_id: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    account_code: str | None
    #: The tax type of the side the document is on (purchase orders carry the purchase one).
    tax_type: str | None
    tax_percent: Decimal
    #: (category, option) pairs: Xero tracking categories, QuickBooks class (and location).
    tracking: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentPayload:
    """An invoice, sales order, purchase order or credit note, raised to `contact_remote_id`."""

    entity: EntityType
    number: str
    contact_remote_id: str | None
    contact_name: str
    issue_date: date
    due_date: date | None
    currency: str
    status: str
    reference: str | None
    lines: tuple[LinePayload, ...]
    #: Units of the tenant's base currency per unit of `currency`; None: the tool's own rate.
    exchange_rate: Decimal | None = None
    #: A credit note's credited invoice, by its remote id, which the tool allocates it to.
    credited_remote_id: str | None = None
    #: The tax booksync computed, and the total with it, which the tool's answer is checked against.
    tax_total: Decimal | None = None
    total: Decimal | None = None
    contact_address: Address | None = None
    #: Document-level tracking (QuickBooks location/department), beside each line's.
    tracking: tuple[tuple[str, str], ...] = ()


Payload = PartyPayload | ItemPayload | DocumentPayload


@dataclass(frozen=True, slots=True)
class PushItem:
    """One element of a batch.

    `key` identifies the record version (the idempotency key); `reference` is the natural reference
    `Connector.lookup` finds the remote object by; a `remote_id` means "update that object, never
    create one".
    """

    key: str
    entity: EntityType
    record_id: int
    reference: str
    remote_id: str | None
    payload: Payload


# --- results ---------------------------------------------------------------------------------------


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REJECTED = "rejected"
    #: The tool may or may not have applied it; look it up by reference before pushing again.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Booked:
    """What the tool says it booked for a document, read from its answer, so booksync can check it
    against what it computed (`tool.totals_match`). None where the answer does not say."""

    total: Decimal | None = None
    tax: Decimal | None = None
    line_count: int | None = None
    contact_remote_id: str | None = None
    currency: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    """The tool's answer for one element, in the order the elements were pushed.

    On REJECTED, `message` is the tool's reason; `rule` is the brief's rule id when the reason maps to
    one (e.g. "account_code.matches_tool") and `fix` what to change. `request`/`response` keep what
    was exchanged, for the doctor to show.
    """

    key: str
    outcome: Outcome
    remote_id: str | None
    message: str = ""
    rule: str | None = None
    fix: str | None = None
    retry_after: float | None = None
    #: For a document the tool accepted: what it booked.
    booked: Booked | None = None
    request: Any = field(default=None, compare=False)
    response: Any = field(default=None, compare=False)


# --- errors the engine branches on -----------------------------------------------------------------


class ConnectorError(Exception):
    """The tool could not be used for this call; the message says why in plain words."""


class TransientError(ConnectorError):
    """Nothing was applied and trying again later may work (5xx, timeout before sending, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """The tenant's connection is not usable (token expired or revoked, ledger missing).

    `revoked` tells a withdrawn authorisation (reconnecting is the only fix) from expired credentials.
    """

    def __init__(self, message: str, *, revoked: bool = False) -> None:
        super().__init__(message)
        self.revoked = revoked


class OutcomeUnknown(ConnectorError):
    """The batch was sent and may or may not have been applied (a timeout after sending)."""


# --- what can be imported from a tool ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemoteTenant:
    remote_id: str
    name: str
    base_currency: str


@dataclass(frozen=True, slots=True)
class RemoteAccount:
    code: str
    name: str
    kind: AccountKind
    #: False when the tool has the account archived/closed: documents may not use it.
    active: bool


@dataclass(frozen=True, slots=True)
class RemoteTaxType:
    tax_type: str
    name: str
    percent: Decimal
    active: bool


@dataclass(frozen=True, slots=True)
class RemoteContact:
    """A contact in the tool. `entity` is the one record type it may link to when the tool keeps
    customers and vendors apart, each with its own Ids (QuickBooks); None when one contact serves
    both (Xero)."""

    remote_id: str
    name: str
    number: str | None
    active: bool
    entity: EntityType | None = None


@dataclass(frozen=True, slots=True)
class RemoteItem:
    remote_id: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """The tenant's settings that decide whether a document can be written, and how."""

    #: Currency codes the tenant may use (its base currency and those it enabled).
    currencies: frozenset[str]
    #: Nothing dated on or before this may be written (the latest of the tool's lock dates).
    lock_date: date | None = None
    #: The default payment terms of sales documents.
    payment_terms: PaymentTerms | None = None
    #: Tracking categories (Xero) or classes/locations (QuickBooks) and their active options.
    tracking_categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Other facts that change how documents are written, e.g. {"country": "US",
    #: "custom_txn_numbers": False}; JSON-serialisable.
    tool_settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RemoteDocument:
    """A document in the tool that carries one of booksync's document numbers."""

    entity: EntityType
    remote_id: str
    number: str
    contact_remote_id: str | None
    total: Decimal | None
    currency: str | None
    status: str | None


# --- the protocol ----------------------------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """One accounting tool. `tenant` is always the tool's own tenant id (a Xero org id, a realm, ...)."""

    kind: str
    limits: Limits

    def list_tenants(self) -> list[RemoteTenant]: ...

    def account_codes(self, tenant: str) -> list[RemoteAccount]: ...

    def tax_types(self, tenant: str) -> list[RemoteTaxType]: ...

    def contacts(self, tenant: str) -> list[RemoteContact]: ...

    def items(self, tenant: str) -> list[RemoteItem]: ...

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        """Apply a batch; one result per element, in the same order. Rejections do not stop others."""
        ...

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        """The remote id of the object created for `reference`, or None when there is none."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class BatchLookup(Protocol):
    """Optional beside `Connector`: look up many records in one read. A connector without it is
    looked up one reference at a time with `Connector.lookup`."""

    def lookup_many(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> dict[str, str]:
        """The remote id of each object found, keyed by the item's `reference`; an item with no
        object is left out. Items (not bare references) so that a tool with no field for booksync's
        key can search by what the payload carries (QuickBooks: a customer's DisplayName)."""
        ...


@runtime_checkable
class SettingsImport(Protocol):
    """Optional beside `Connector`: the tenant's currencies, lock date, default terms and tracking.
    A connector without it leaves those checks unknown (never passed blindly)."""

    def settings(self, tenant: str) -> RemoteSettings: ...


@runtime_checkable
class DocumentImport(Protocol):
    """Optional beside `Connector`: the documents already in the tool under these numbers, so a
    create never lands on someone else's document."""

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]: ...


# --- reading what the tool holds, for a plan (`booksync sync plan`) --------------------------------

#: A record as the tool holds it, in the payload's terms: keys are the field names of the record's
#: payload (`PartyPayload`, `ItemPayload`, `DocumentPayload`; `lines` a list of mappings keyed by
#: `LinePayload`'s fields), values as the payload carries them (text, Decimal money, dates). A
#: field the tool does not report is left out, and a plan shows it as not compared.
RemoteFields = Mapping[str, Any]


@runtime_checkable
class RemoteRead(Protocol):
    """Optional beside `Connector`: the tool's current version of records booksync is linked to,
    read only, so a plan can show field by field what the next push would change. Each call counts
    against the tenant's budget like any other. A connector without it plans no field diffs."""

    def fetch(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteFields]:
        """The fields of each object found, keyed by remote id; an id the tool does not have (or
        has deleted) is left out."""
        ...
