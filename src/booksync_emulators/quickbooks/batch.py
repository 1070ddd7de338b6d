"""`POST /batch`: up to 30 operations in one call, each answered on its own.

    {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": {...}},
        {"bId": "2", "operation": "update", "Invoice": {"Id": "7", "SyncToken": "0", ...}},
        {"bId": "3", "Query": "select * from Item where Name = 'Hours'"}]}

The answer is HTTP 200 whatever happened to the items: `{"BatchItemResponse": [...]}` in request
order, each with its `bId` and either the object (`{"Customer": {...}}`), a `QueryResponse`, or a
`Fault` (`{"Error": [...], "type": "ValidationFault"}`). A client that only checks the status code
misses every failure. Items run in order, one at a time; a failed item changes nothing and does
not stop the others.

Refused as a whole (HTTP 400): a body without a `BatchItemRequest` list, an empty one, more than 30
items, an item without a `bId`, or two items with one `bId`. With a `requestid` on the call, each
`bId` may have at most 10 characters and the requestid at most 36: items breaking that fail (6000).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booksync_emulators.quickbooks import errors, query
from booksync_emulators.quickbooks.entities import Options, entity_named, write
from booksync_emulators.quickbooks.errors import Fault
from booksync_emulators.quickbooks.store import Realm

MAX_ITEMS = 30
MAX_BID_WITH_REQUEST_ID = 10
MAX_REQUEST_ID = 36
_ENVELOPE = frozenset({"bId", "operation", "optionsData"})


def run(
    realm: Realm, body: Any, now: datetime, options: Options, request_id: str | None
) -> list[dict[str, Any]]:
    """Every item's answer, in order. Raises `Fault` when the batch is refused as a whole."""
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if items is None:
        raise errors.required("BatchItemRequest")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise errors.invalid_property("BatchItemRequest", "expected a list of objects")
    if not items:
        raise errors.required("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise errors.business(
            f"A batch may hold at most {MAX_ITEMS} BatchItemRequest items; this one has {len(items)}."
        )
    ids = [item.get("bId") for item in items]
    if not all(isinstance(b, str) and b for b in ids):
        raise errors.required("BatchItemRequest.bId")
    if len(set(ids)) != len(ids):
        raise errors.business("Each BatchItemRequest item needs its own bId; a bId is repeated.")
    results = []
    for item in items:
        try:
            answer = _item(realm, item, now, options, request_id)
        except Fault as fault:
            answer = {"Fault": fault.body()}
        results.append({"bId": item["bId"], **answer})
    return results


def _item(
    realm: Realm, item: dict[str, Any], now: datetime, options: Options, request_id: str | None
) -> dict[str, Any]:
    if request_id is not None:
        if len(request_id) > MAX_REQUEST_ID:
            raise errors.request_id_too_long(request_id, MAX_REQUEST_ID)
        if len(item["bId"]) > MAX_BID_WITH_REQUEST_ID:
            raise errors.business(
                f"bId '{item['bId']}' has {len(item['bId'])} characters; with a requestid a bId may "
                f"have at most {MAX_BID_WITH_REQUEST_ID}."
            )
    if "Query" in item:
        return {"QueryResponse": query.run(realm, query.parse(str(item["Query"])))}
    keys = [k for k in item if k not in _ENVELOPE]
    if len(keys) != 1:
        raise errors.invalid_property(
            "BatchItemRequest", "each item holds one object (or a Query) besides bId and operation"
        )
    entity = entity_named(keys[0])
    if entity is None:
        raise errors.invalid_property(keys[0], "not an entity this emulator serves")
    operation = item.get("operation")
    if operation is None:
        raise errors.required("BatchItemRequest.operation")
    extra = item.get("optionsData") or []
    if str(operation).lower() == "update" and "void" in [str(o).lower() for o in extra]:
        # "Use for the void operation for those resources that support it. Must be supplied with
        # operation set to update. Valid value: void." (optionsData, as quoted from Intuit's batch
        # reference in intuit/QuickBooks-V3-DotNET-SDK#175)
        operation = "void"
    return {entity.name: write(realm, entity, item[keys[0]], str(operation), now, options)}
