"""Finding in QuickBooks what pushes whose answers were lost created: many records per query.

- Customers and vendors: QuickBooks has no field for booksync's number, so they are found by the
  exact DisplayName their payload carries, or its disambiguated form ("Acme Pty Ltd (supplier)",
  `mapping.disambiguated`); QuickBooks keeps display names unique.
- Products: by Sku.
- Documents: only by booksync's trace in their PrivateNote (`documents.trace`), never by number
  alone, so a lookup can never link a bookkeeper's own document that happens to carry the same
  number. Candidates are narrowed by DocNumber where booksync sends numbers, else by the
  customer / vendor the payload names; with neither (a bare `lookup` after a restart), the
  1,000 documents of the type created last.

One `SELECT ... WHERE Field IN ('a', 'b', ...)` finds up to `LOOKUP_CHUNK` of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from booksync.connectors.protocol import DocumentPayload, PartyPayload, PushItem
from booksync.connectors.quickbooks import mapping
from booksync.connectors.quickbooks.api import CompanyApi, literal
from booksync.connectors.quickbooks.company import Company
from booksync.connectors.quickbooks.documents import carries, sends_number
from booksync.domain.types import EntityType

#: Values per lookup query: as many as a batch holds.
LOOKUP_CHUNK = 30
#: A bare document lookup reads this many of the newest documents of the type.
RECENT = 1000


def search_field(entity: EntityType) -> str:
    """The field a customer, vendor or product is found by."""
    return "DisplayName" if entity.is_party else "Sku"


def party_field(entity: EntityType) -> str:
    return "VendorRef" if entity is EntityType.PURCHASE_ORDER else "CustomerRef"


def _chunks(values: Sequence[str]) -> Iterable[str]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield ", ".join(literal(v) for v in values[start : start + LOOKUP_CHUNK])


def _names(item: PushItem) -> list[str]:
    payload = item.payload
    if not isinstance(payload, PartyPayload):
        return []
    return [payload.name, mapping.disambiguated(payload.name, item.entity)]


def find_many(
    api: CompanyApi,
    realm: str,
    entity: EntityType,
    items: Sequence[PushItem],
    company: Company,
) -> dict[str, str]:
    """Remote ids of the objects found, by the item's reference; only exact matches count."""
    if entity.is_document:
        return _documents(api, realm, entity, items, company)
    name, field = mapping.ENTITIES[entity], search_field(entity)
    wanted: dict[str, str] = {}  # the value searched -> the reference it stands for
    for item in items:
        for value in _names(item) if entity.is_party else [item.reference]:
            wanted.setdefault(value, item.reference)
    found: dict[str, str] = {}
    for listed in _chunks(list(wanted)):
        for row in api.query(realm, name, f"{field} IN ({listed})"):
            held = row.get(field)
            if isinstance(held, str) and held in wanted and row.get("Id"):
                found.setdefault(wanted[held], str(row["Id"]))
    return found


def _documents(
    api: CompanyApi,
    realm: str,
    entity: EntityType,
    items: Sequence[PushItem],
    company: Company,
) -> dict[str, str]:
    name = mapping.ENTITIES[entity]
    references = list(dict.fromkeys(i.reference for i in items))
    rows: list[dict[str, Any]] = []
    if sends_number(entity, company):
        for listed in _chunks(references):
            rows += api.query(realm, name, f"DocNumber IN ({listed})")
    else:
        contacts = {
            i.payload.contact_remote_id
            for i in items
            if isinstance(i.payload, DocumentPayload) and i.payload.contact_remote_id
        }
        for listed in _chunks(sorted(contacts)):
            rows += api.query(realm, name, f"{party_field(entity)} IN ({listed})")
        if len(contacts) < len(items):
            rows += recent(api, realm, name)
    return _carrying(rows, references)


def recent(api: CompanyApi, realm: str, name: str) -> list[dict[str, Any]]:
    """The newest documents of a type, one page of them."""
    return api.query(realm, name, order="MetaData.CreateTime DESC", pages=RECENT // 1000)


def _carrying(rows: Iterable[dict[str, Any]], references: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        for reference in references:
            if reference not in found and row.get("Id") and carries(row, reference):
                found[reference] = str(row["Id"])
    return found


def find_document(
    api: CompanyApi,
    realm: str,
    entity: EntityType,
    reference: str,
    company: Company,
    contact: str | None = None,
) -> str | None:
    """One document by reference (`Connector.lookup`), narrowed by the contact when known."""
    name = mapping.ENTITIES[entity]
    if sends_number(entity, company):
        rows = api.query(realm, name, f"DocNumber = {literal(reference)}")
    elif contact:
        rows = api.query(realm, name, f"{party_field(entity)} = {literal(contact)}")
    else:
        rows = recent(api, realm, name)
    return _carrying(rows, [reference]).get(reference)


__all__ = ["LOOKUP_CHUNK", "find_document", "find_many", "search_field"]
