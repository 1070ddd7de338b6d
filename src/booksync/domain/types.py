"""The vocabulary of the brief's glossary, as enums shared by every layer.

An integration's kind is a plain string: the tools are plug-ins (`booksync.connectors.registry`),
so the domain cannot list them.
"""

from __future__ import annotations

from enum import StrEnum


class EntityType(StrEnum):
    """A record type that can be ticked in "Entities to Sync"."""

    CLIENT = "client"
    SUPPLIER = "supplier"
    PRODUCT = "product"
    INVOICE = "invoice"
    SALES_ORDER = "sales_order"
    PURCHASE_ORDER = "purchase_order"
    CREDIT_NOTE = "credit_note"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_document(self) -> bool:
        return self in DOCUMENT_TYPES

    @property
    def is_party(self) -> bool:
        return self in (EntityType.CLIENT, EntityType.SUPPLIER)


DOCUMENT_TYPES = frozenset(
    {
        EntityType.INVOICE,
        EntityType.SALES_ORDER,
        EntityType.PURCHASE_ORDER,
        EntityType.CREDIT_NOTE,
    }
)

#: Documents raised to a supplier; every other document is raised to a client.
SUPPLIER_DOCUMENTS = frozenset({EntityType.PURCHASE_ORDER})


class AccountKind(StrEnum):
    """Which side of a product an account code serves: sales (income) or purchases (expense)."""

    INCOME = "income"
    EXPENSE = "expense"


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AUTHORISED = "authorised"
    PAID = "paid"
    VOIDED = "voided"


class ConnectionState(StrEnum):
    """A tenant's connection to its tool. `never` means nothing can be known about it yet."""

    NEVER = "never"
    CONNECTED = "connected"
    EXPIRED = "expired"
    REVOKED = "revoked"


class SyncStatus(StrEnum):
    """Where a sync job stands (the brief's sync job states)."""

    PENDING = "pending"
    BLOCKED = "blocked"
    IN_FLIGHT = "in_flight"
    SYNCED = "synced"
    FAILED = "failed"
    DEAD = "dead"


def document_account_kind(entity: EntityType) -> AccountKind:
    """The account a document's lines post to: purchases to expense, everything else to income."""
    return AccountKind.EXPENSE if entity in SUPPLIER_DOCUMENTS else AccountKind.INCOME
