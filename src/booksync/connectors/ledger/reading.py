"""Reading back what the ledger holds for a record, in the payload's terms (`RemoteRead.fetch`).

A plan shows field by field what the next push would change; for the ledger that is what the
entries booksync wrote say now, after anyone edited the file: a party's `open` metadata, an item's
`custom "booksync-item"` directive, a document's transaction and the metadata on its line postings.
Nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data

from booksync.connectors.ledger.book import Book, Entry
from booksync.connectors.protocol import RemoteFields
from booksync.domain.types import EntityType

#: Item metadata read back as the payload's fields, in its order.
ITEM_FIELDS = (
    "description",
    "price",
    "cost",
    "income_account_code",
    "expense_account_code",
    "tax_type",
    "purchase_tax_type",
)
#: Line metadata (on each posting of a document's line) -> the line payload's field.
LINE_FIELDS = {
    "description": "description",
    "item": "item_code",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "tax_type": "tax_type",
}


def _value(meta: dict[str, Any], key: str) -> Any:
    value = meta.get(key)
    number = getattr(value, "number", None)  # an Amount ("55.00 AUD")
    return number if isinstance(number, Decimal) else value


class LedgerReading:
    """`RemoteRead` for the ledger connector (mixed into `LedgerConnector`)."""

    def _book(self, tenant: str) -> Book:  # provided by LedgerConnector
        raise NotImplementedError

    def fetch(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteFields]:
        book = self._book(tenant)
        found = {i: book.objects[entity][i] for i in remote_ids if i in book.objects[entity]}
        if entity.is_party:
            return {i: _party(e) for i, e in found.items()}
        if entity is EntityType.PRODUCT:
            return {i: _item(e) for i, e in found.items()}
        lines = _document_lines(book.path, set(found)) if found else {}
        return {i: _document(book, e, lines.get(i, [])) for i, e in found.items()}


def _party(entry: Entry) -> RemoteFields:
    meta = entry.meta
    return {
        "name": entry.name,
        "email": meta.get("email"),
        "currency": meta.get("currency"),
        "number": entry.reference,
    }


def _item(entry: Entry) -> RemoteFields:
    fields: dict[str, Any] = {"code": entry.reference, "name": entry.name}
    for key in ITEM_FIELDS:
        fields[key] = _value(entry.meta, key)
    return fields


def _document(book: Book, entry: Entry, lines: list[dict[str, Any]]) -> RemoteFields:
    meta = entry.meta
    party = book.party_of(entry.account)
    fields: dict[str, Any] = {
        "number": entry.reference,
        "contact_remote_id": party.remote_id if party else None,
        "issue_date": entry.on,
        "due_date": meta.get("due"),
        "currency": entry.currency,
        "status": meta.get("status"),
        "reference": meta.get("reference"),
        "total": _value(meta, "total"),
        "lines": lines,
    }
    if "exchange_rate" in meta:
        fields["exchange_rate"] = _value(meta, "exchange_rate")
    return fields


def _document_lines(path: Path, remote_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each wanted document's lines, from the metadata on its line postings, in order."""
    entries, _, _ = loader.load_file(str(path))
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        remote_id = entry.meta.get("remote_id")
        if remote_id not in remote_ids:
            continue
        found[str(remote_id)] = [
            {field: _value(p.meta, key) for key, field in LINE_FIELDS.items()}
            for p in entry.postings
            if p.meta and "quantity" in p.meta
        ]
    return found


__all__ = ["LedgerReading"]
