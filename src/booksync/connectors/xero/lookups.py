"""Finding what a lost answer created: the remote id of each booksync reference in Xero.

Contacts by ContactNumber and items by Code (booksync's own references); invoices by
`InvoiceNumbers=a,b,c` (tests/specs/xero/xero_accounting.yaml line 7381), credit notes by a `where`
of ORs (line 3595 for Contacts), purchase orders by GET /PurchaseOrders/{PurchaseOrderNumber} (line
13882) and quotes by `QuoteNumber=`, one GET each.

A document is only taken for booksync's when it is to the contact the pushed item names, and an
invoice only when this app created it (`createdByMyApp=true`, line 7437): a lookup after a lost
answer must never adopt a bookkeeper's own document that happens to share the number (a create is
a PUT and never updates one; documents.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from booksync.connectors.protocol import DocumentPayload, PushItem
from booksync.connectors.xero import answers, mapping
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.xero.connector import XeroConnector

#: References per GET: well under a page (100), and a `where` of ORs Xero takes.
LOOKUP_CHUNK = 25


def find_items(
    xero: XeroConnector, tenant: str, entity: EntityType, items: Sequence[PushItem]
) -> dict[str, str]:
    contacts = {
        item.reference: item.payload.contact_remote_id
        for item in items
        if isinstance(item.payload, DocumentPayload) and item.payload.contact_remote_id
    }
    references = list(dict.fromkeys(item.reference for item in items))
    return find(xero, tenant, entity, references, contacts)


def find(
    xero: XeroConnector,
    tenant: str,
    entity: EntityType,
    references: list[str],
    contacts: Mapping[str, str],
) -> dict[str, str]:
    endpoint = mapping.ENDPOINTS[entity]
    field = endpoint.number_field
    assert field is not None
    mine = {"createdByMyApp": "true"} if entity is EntityType.INVOICE else {}
    rows: list[dict[str, Any]] = []
    if entity is EntityType.PURCHASE_ORDER:
        # GET /PurchaseOrders has no `where`; /PurchaseOrders/{PurchaseOrderNumber} finds one.
        for reference in references:
            path = f"PurchaseOrders/{quote(reference, safe='')}"
            rows.extend(xero.collection(tenant, path, "PurchaseOrders"))
    elif entity is EntityType.SALES_ORDER:
        for reference in references:
            rows.extend(xero.collection(tenant, "Quotes", "Quotes", {"QuoteNumber": reference}))
    else:
        for start in range(0, len(references), LOOKUP_CHUNK):
            chunk = references[start : start + LOOKUP_CHUNK]
            if endpoint.path == "Invoices" and not any("," in r for r in chunk):
                params = {"InvoiceNumbers": ",".join(chunk), **mine}
            else:
                where = " OR ".join(f"{field}=={answers.where_string(r)}" for r in chunk)
                if len(chunk) > 1:
                    where = f"({where})"
                if endpoint.doc_type:
                    where += f' AND Type=="{endpoint.doc_type}"'
                params = {"where": where, **mine}
            rows.extend(xero.collection(tenant, endpoint.path, endpoint.collection, params))
    found: dict[str, str] = {}
    for row in rows:
        number = row.get(field)
        contact = row.get("Contact")
        contact = contact if isinstance(contact, dict) else {}
        if (
            number in references
            and row.get("Status") != "DELETED"
            and row.get(endpoint.id_field)
            and (
                endpoint.doc_type is None or row.get("Type", endpoint.doc_type) == endpoint.doc_type
            )
            and (number not in contacts or contact.get("ContactID") == contacts[number])
        ):
            found.setdefault(str(number), str(row[endpoint.id_field]))
    return found
