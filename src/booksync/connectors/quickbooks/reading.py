"""Reading back what QuickBooks holds for linked records, in the payload's terms (`RemoteRead.fetch`).

Read only: one query per record type and chunk of ids, `SELECT * FROM Customer WHERE Id IN (...)`
(the query language's `IN` operator: https://developer.intuit.com/app/developer/qbo/docs/learn/
explore-the-quickbooks-online-api/data-queries, "IN"), through the connector's `CompanyApi`.

What is compared: a customer's or vendor's name (its CompanyName when booksync gave it another
DisplayName to keep names unique), email and currency; an item's SKU, name, description, price and
cost; a document's number, customer or vendor, dates, currency, memo, total and item lines (item,
description, quantity, unit price). Account and tax code Ids are not mapped back to codes, so they
are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from booksync.connectors.protocol import RemoteFields
from booksync.connectors.quickbooks.api import literal
from booksync.connectors.quickbooks.documents import DUE_FIELDS, STATUS_FIELDS
from booksync.connectors.quickbooks.mapping import ENTITIES
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.quickbooks.api import CompanyApi

#: Ids per query (as many as a lookup sends).
CHUNK = 30
ITEM_LINES = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail")


class QuickBooksReading:
    """`RemoteRead` for the QuickBooks connector (mixed into `QuickBooksConnector`)."""

    api: CompanyApi

    def fetch(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteFields]:
        wanted = list(dict.fromkeys(remote_ids))
        found: dict[str, RemoteFields] = {}
        for start in range(0, len(wanted), CHUNK):
            listed = ", ".join(literal(i) for i in wanted[start : start + CHUNK])
            for row in self.api.query(tenant, ENTITIES[entity], f"Id IN ({listed})"):
                remote_id = str(row.get("Id") or "")
                if remote_id in wanted:
                    found[remote_id] = fields(entity, row)
        return found


def _value(row: Mapping[str, Any], name: str) -> Any:
    ref = row.get(name)
    return ref.get("value") if isinstance(ref, Mapping) else None


def fields(entity: EntityType, row: Mapping[str, Any]) -> RemoteFields:
    """A QuickBooks object as the payload's fields (the inverse of `mapping.to_qbo`, in part)."""
    if entity.is_party:
        email = row.get("PrimaryEmailAddr")
        return {
            "name": row.get("CompanyName") or row.get("DisplayName"),
            "email": email.get("Address") if isinstance(email, Mapping) else None,
            "currency": _value(row, "CurrencyRef"),
        }
    if entity is EntityType.PRODUCT:
        return {
            "code": row.get("Sku"),
            "name": row.get("Name"),
            "description": row.get("Description"),
            "price": row.get("UnitPrice"),
            "cost": row.get("PurchaseCost"),
        }
    purchase = entity is EntityType.PURCHASE_ORDER
    memo = row.get("Memo") if purchase else _value(row, "CustomerMemo")
    due = DUE_FIELDS.get(entity)
    out: dict[str, Any] = {
        "number": row.get("DocNumber"),
        "contact_remote_id": _value(row, "VendorRef" if purchase else "CustomerRef"),
        "issue_date": row.get("TxnDate"),
        "currency": _value(row, "CurrencyRef"),
        "reference": memo,
        "total": row.get("TotalAmt"),
        "lines": [_line(ln) for ln in row.get("Line") or [] if _is_item_line(ln)],
    }
    if due:
        out["due_date"] = row.get(due)
    if entity in STATUS_FIELDS:
        name, values = STATUS_FIELDS[entity]
        ours = [s for s, theirs in values.items() if theirs == row.get(name)]
        if len(ours) == 1:  # a status QuickBooks keeps for several of booksync's is not compared
            out["status"] = ours[0]
    return out


def _is_item_line(line: Any) -> bool:
    return isinstance(line, Mapping) and line.get("DetailType") in ITEM_LINES


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    detail = line.get(str(line.get("DetailType"))) or {}
    return {
        "item_remote_id": _value(detail, "ItemRef"),
        "description": line.get("Description"),
        "quantity": detail.get("Qty"),
        "unit_price": detail.get("UnitPrice"),
    }


__all__ = ["QuickBooksReading", "fields"]
