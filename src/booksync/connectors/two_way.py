"""What comes back from a tool (issue 13): the seam for reading changes, payments and webhooks.

Each part is optional beside `Connector`, as the other optional parts in `protocol`: a tool that
has none of them is pushed to and never read back, and booksync says so rather than guessing.

- `StateRead`: the tool's current state of linked records, by remote id (a webhook names only ids;
  booksync fetches the resource and never trusts the event's body).
- `ChangeFeed`: everything changed since a time (Xero's If-Modified-Since, QuickBooks' Change Data
  Capture), so missed webhooks are recovered by polling.
- `PaymentPush`: a payment recorded in booksync, written to the tool once.
- `WebhookFormat`: how the tool signs and shapes its webhooks; given by `Tool.webhooks()`, so the
  receiving route names no tool.

States carry the record's fields in the payload's terms (`protocol.RemoteFields`, as `RemoteRead`
reads them), so drift is found by comparing what booksync pushed with what the tool holds, field by
field, and booksync's own writes coming back are not drift: their fields equal what was pushed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from booksync.connectors.protocol import RemoteFields
from booksync.domain.types import EntityType


class RemoteStatus(StrEnum):
    """Where a record stands in the tool, in booksync's words (each tool maps its own)."""

    DRAFT = "draft"
    #: Approved and owing in full (Xero AUTHORISED with nothing paid; a QuickBooks open invoice).
    OPEN = "open"
    PART_PAID = "part_paid"
    PAID = "paid"
    VOIDED = "voided"
    DELETED = "deleted"
    #: A contact or item that is active in the tool.
    ACTIVE = "active"
    ARCHIVED = "archived"
    #: A contact merged into another (`RemoteState.merged_into`).
    MERGED = "merged"

    @property
    def settled(self) -> bool:
        """Paid in part or in full: the tools refuse an edit, and the practice is a credit note."""
        return self in (RemoteStatus.PART_PAID, RemoteStatus.PAID)

    @property
    def gone(self) -> bool:
        return self in (RemoteStatus.VOIDED, RemoteStatus.DELETED, RemoteStatus.MERGED)


@dataclass(frozen=True, slots=True)
class RemotePayment:
    """A payment (or a credit applied) on a document, as the tool holds it."""

    remote_id: str
    #: The document it pays, by the tool's id.
    document_remote_id: str
    amount: Decimal
    paid_on: date
    currency: str | None = None
    reference: str | None = None
    #: False when the tool deleted or reversed it.
    active: bool = True


@dataclass(frozen=True, slots=True)
class RemoteState:
    """A record as the tool holds it now."""

    entity: EntityType
    remote_id: str
    status: RemoteStatus
    #: When the tool last changed it (its own clock, UTC); None when it does not say.
    updated_at: datetime | None = None
    #: The document's number or the contact's name, to find an unlinked record by.
    reference: str | None = None
    #: The record's fields in the payload's terms (see `protocol.RemoteFields`); {} when not read.
    fields: RemoteFields = field(default_factory=dict)
    total: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_due: Decimal | None = None
    payments: tuple[RemotePayment, ...] = ()
    #: For a merged contact: the remote id of the contact it was merged into.
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentPayload:
    """A payment recorded in booksync, for the tool: `key` is its idempotency key, `reference`
    what `PaymentPush.find_payment` finds it by after a lost answer."""

    key: str
    document_entity: EntityType
    document_remote_id: str
    amount: Decimal
    paid_on: date
    currency: str
    #: The bank (or clearing) account the money went into, by the tool's account code.
    account_code: str
    reference: str


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One change a webhook announced. Only ids: booksync reads the record itself (`StateRead`)."""

    #: The tool's tenant id (Xero tenantId, QuickBooks realmId).
    tenant: str
    #: The record type, or None for a resource booksync does not keep (then the event is ignored).
    entity: EntityType | None
    #: The tool's own name of the resource ("INVOICE", "Customer"), for the timeline.
    resource: str
    remote_id: str
    #: create, update, delete, void, merge (lower case).
    operation: str
    occurred_at: datetime | None
    #: Unique per event across deliveries, so a redelivered event is stored once.
    key: str


# --- the optional parts ------------------------------------------------------------------------------


@runtime_checkable
class StateRead(Protocol):
    """The current state of linked records, by remote id; an id the tool no longer has comes back
    with status DELETED (never left out silently)."""

    def states(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteState]: ...


@runtime_checkable
class ChangeFeed(Protocol):
    """Every record of these types the tool changed after `since` (None: all), page by page, with
    the tool's deletions and voids. The caller keeps the watermark: it advances it only after a
    clean pass, and asks again with an overlap, so a record may come back twice but never not."""

    #: How far back the feed can reach (QuickBooks' CDC: 30 days); None for no bound.
    feed_window_days: int | None

    def changes(
        self, tenant: str, entities: Sequence[EntityType], since: datetime | None
    ) -> Iterator[RemoteState]: ...


@runtime_checkable
class PaymentPush(Protocol):
    """Write a payment booksync recorded; at most once (the key is the tool's idempotency key where
    it has one, and `find_payment` looks for it before a retry after a lost answer)."""

    def push_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment: ...

    def find_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment | None: ...


class WebhookFormat(Protocol):
    """How a tool signs and shapes its webhooks. Verification is over the raw body, in constant
    time; `events` parses a verified body (an empty list for Xero's intent-to-receive check)."""

    #: The HTTP header that carries the signature ("x-xero-signature").
    signature_header: str

    def verify(self, headers: Mapping[str, str], body: bytes, key: str) -> bool: ...

    def events(self, body: bytes) -> list[WebhookEvent]: ...
