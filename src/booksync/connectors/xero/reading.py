"""Reading back what Xero holds for linked records, in the payload's terms (`RemoteRead.fetch`).

Read only, as few GETs as Xero allows (tests/specs/xero/xero_accounting.yaml):
- contacts by `IDs`, a comma-separated list of ContactIDs "in a single call" (line 3611), archived
  ones included;
- invoices by `IDs` (line 7366), with `unitdp=4` (line 7444) so four-decimal unit prices read back
  as they were sent;
- items: GET /Items answers every item at once (no paging, line 8875), `unitdp=4` (line 8901);
- credit notes by a `where` of `CreditNoteID==Guid("...")` ORs (line 5227; `Guid()` as Xero's
  filter syntax writes it, developer.xero.com/documentation/api/accounting/requests-and-responses
  "Optimised use of the where filter"), `unitdp=4` (line 5248);
- quotes and purchase orders one at a time (/Quotes/{QuoteID} line 14770, /PurchaseOrders/
  {PurchaseOrderID} line 13622), as their lists have no filter by id.
A status Xero names for several of booksync's (AUTHORISED for authorised and paid) is left out,
so it is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from booksync.connectors.protocol import RemoteFields
from booksync.connectors.xero.mapping import ENDPOINTS, STATUSES
from booksync.connectors.xero.settings import xero_date
from booksync.domain.types import EntityType

#: Ids per GET where Xero takes a list of them.
CHUNK = 50
#: Ids per `where` of ORs (as the lookups send).
WHERE_CHUNK = 25
FOUR_DP = {"unitdp": "4"}
#: Xero leaves LineItems out of an un-paged list of invoices or credit notes; a page has them ("page=1
#: - Up to 100 invoices will be returned in a single API call with line items shown for each
#: invoice", tests/specs/xero/xero_accounting.yaml line 7424, credit notes line 5244). CHUNK and
#: WHERE_CHUNK ids fit in one page.
PAGED = {"page": "1"}
#: The field holding a document's due date, by type (as `mapping.document` writes it).
DUE_FIELDS = {EntityType.PURCHASE_ORDER: "DeliveryDate", EntityType.SALES_ORDER: "ExpiryDate"}


class XeroReading:
    """`RemoteRead` for the Xero connector (mixed into `XeroConnector`)."""

    def collection(
        self, tenant: str, path: str, key: str, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:  # provided by XeroConnector
        raise NotImplementedError

    def fetch(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteFields]:
        wanted = list(dict.fromkeys(remote_ids))
        endpoint = ENDPOINTS[entity]
        rows = self._rows(tenant, entity, wanted)
        found: dict[str, RemoteFields] = {}
        for row in rows:
            remote_id = str(row.get(endpoint.id_field) or "")
            if remote_id in wanted and row.get("Status") != "DELETED":
                found[remote_id] = fields(entity, row)
        return found

    def _rows(self, tenant: str, entity: EntityType, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        endpoint = ENDPOINTS[entity]
        rows: list[dict[str, Any]] = []
        if entity is EntityType.PRODUCT:
            return self.collection(tenant, "Items", "Items", FOUR_DP)
        if entity.is_party or entity is EntityType.INVOICE:
            extra = {"includeArchived": "true"} if entity.is_party else FOUR_DP | PAGED
            for start in range(0, len(ids), CHUNK):
                params = {"IDs": ",".join(ids[start : start + CHUNK]), **extra}
                rows += self.collection(tenant, endpoint.path, endpoint.collection, params)
            return rows
        if entity is EntityType.CREDIT_NOTE:
            for start in range(0, len(ids), WHERE_CHUNK):
                chunk = ids[start : start + WHERE_CHUNK]
                where = " OR ".join(f'{endpoint.id_field}==Guid("{i}")' for i in chunk)
                params = {"where": where, **FOUR_DP, **PAGED}
                rows += self.collection(tenant, endpoint.path, endpoint.collection, params)
            return rows
        for remote_id in ids:
            path = f"{endpoint.path}/{quote(remote_id, safe='')}"
            rows += self.collection(tenant, path, endpoint.collection, FOUR_DP)
        return rows


def fields(entity: EntityType, row: Mapping[str, Any]) -> RemoteFields:
    """A Xero object as the payload's fields (the inverse of `mapping.to_xero`)."""
    if entity.is_party:
        return {
            "name": row.get("Name"),
            "email": row.get("EmailAddress"),
            "number": row.get("ContactNumber"),
        }
    if entity is EntityType.PRODUCT:
        sales = row.get("SalesDetails") or {}
        purchases = row.get("PurchaseDetails") or {}
        return {
            "code": row.get("Code"),
            "name": row.get("Name"),
            "description": row.get("Description"),
            "price": sales.get("UnitPrice"),
            "cost": purchases.get("UnitPrice"),
            "income_account_code": sales.get("AccountCode"),
            "expense_account_code": purchases.get("AccountCode"),
            "tax_type": sales.get("TaxType"),
            "purchase_tax_type": purchases.get("TaxType"),
        }
    endpoint = ENDPOINTS[entity]
    assert endpoint.number_field is not None
    contact = row.get("Contact") or {}
    due = DUE_FIELDS.get(entity, "DueDate")
    found: dict[str, Any] = {
        "number": row.get(endpoint.number_field),
        "contact_remote_id": contact.get("ContactID"),
        "issue_date": xero_date(row.get("DateString") or row.get("Date")),
        "due_date": xero_date(row.get(f"{due}String") or row.get(due)),
        "currency": row.get("CurrencyCode"),
        "reference": row.get("Reference"),
        "total": row.get("Total"),
        "tax_total": row.get("TotalTax"),
        "lines": [_line(line) for line in row.get("LineItems") or [] if isinstance(line, dict)],
    }
    ours = [s for s, xero in STATUSES[entity].items() if xero == row.get("Status")]
    if len(ours) == 1:  # a status Xero names for several of booksync's is not compared
        found["status"] = ours[0]
    return found


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "item_code": line.get("ItemCode"),
        "description": line.get("Description"),
        "quantity": line.get("Quantity"),
        "unit_price": line.get("UnitAmount"),
        "account_code": line.get("AccountCode"),
        "tax_type": line.get("TaxType"),
    }


__all__ = ["XeroReading", "fields"]
