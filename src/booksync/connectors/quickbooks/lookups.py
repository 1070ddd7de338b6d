"""Finding in QuickBooks what pushes whose answers were lost created: many records per query.

QuickBooks has no field for booksync's number on a customer or vendor, so those are found by the
exact DisplayName their payload carries (QuickBooks keeps display names unique); documents by
DocNumber, products by Sku. One `SELECT ... WHERE Field IN ('a', 'b', ...)` finds up to
`LOOKUP_CHUNK` of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from booksync.connectors.protocol import PartyPayload, PushItem
from booksync.connectors.quickbooks import mapping
from booksync.connectors.quickbooks.api import CompanyApi, literal
from booksync.domain.types import EntityType

#: Values per lookup query: as many as a batch holds.
LOOKUP_CHUNK = 30


def search_field(entity: EntityType) -> str:
    """The field a record of `entity` is found by."""
    if entity.is_document:
        return "DocNumber"
    return "DisplayName" if entity.is_party else "Sku"


def searched(item: PushItem) -> str | None:
    """The value `item` is found by: its reference, or a party's display name."""
    if item.entity.is_party:
        payload = item.payload
        return payload.name if isinstance(payload, PartyPayload) else None
    return item.reference


def find_many(
    api: CompanyApi, realm: str, entity: EntityType, items: Sequence[PushItem]
) -> dict[str, str]:
    """Remote ids of the objects found, by the item's reference; only exact matches count."""
    name, field = mapping.ENTITIES[entity], search_field(entity)
    wanted: dict[str, str] = {}  # the value searched -> the reference it stands for
    for item in items:
        value = searched(item)
        if value is not None:
            wanted.setdefault(value, item.reference)
    values = list(wanted)
    found: dict[str, str] = {}
    for start in range(0, len(values), LOOKUP_CHUNK):
        listed = ", ".join(literal(v) for v in values[start : start + LOOKUP_CHUNK])
        for row in api.query(realm, name, f"{field} IN ({listed})"):
            value = row.get(field)
            if isinstance(value, str) and value in wanted and row.get("Id"):
                found.setdefault(wanted[value], str(row["Id"]))
    return found


__all__ = ["LOOKUP_CHUNK", "find_many", "search_field", "searched"]
