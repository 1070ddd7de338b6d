"""How QuickBooks Online signs and shapes its webhooks (`two_way.WebhookFormat`).

- Signature: header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw body))
  (api-facts.md; python-quickbooks 0.9.12 `QuickBooks.validate_webhook_signature` checks it so),
  compared in constant time.
- Two shapes, told apart by the body (Intuit moved every app to the second, "mandatory ... by May
  15, 2026", https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure,
  which shows both):
  legacy `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
  "operation", "lastUpdated"}]}}]}`, one element per company, a merge carrying `deletedId`;
  CloudEvents, a JSON array of `{"specversion": "1.0", "id", "source", "type":
  "qbo.<entity>.<verb>.v1", "time", "intuitentityid", "intuitaccountid", "data"}`, companies
  mixed, a merge's data `{"deletedid": "27"}` ("Customer merged",
  https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/data-objects; read in any
  letter case).
- Operations (Intuit's table, https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks):
  Create, Update, Delete, Merge, Void, Emailed; CloudEvents verbs created, updated, deleted,
  merged, voided. Emailed changes nothing booksync keeps and is read as an update.
- A merge names the record kept; the merged-away one (`deletedId`) is a second event, operation
  "merge", so booksync learns that the record it may be linked to is gone.
- Resources booksync keeps: Customer, Vendor, Item, Invoice, Estimate, PurchaseOrder, CreditMemo;
  anything else (Payment among them: the invoices it pays announce their own update, and Change
  Data Capture finds them) has no record type and is ignored by the caller.
- The key: "quickbooks", the company, the resource, its id, the operation and the time, plus the
  CloudEvents id, which CloudEvents makes unique per event ("source" + "id").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from booksync.connectors.quickbooks.mapping import ENTITIES
from booksync.connectors.quickbooks.states import qbo_datetime
from booksync.connectors.two_way import WebhookEvent
from booksync.connectors.webhook_signing import event_key, load, signature, verify_signature
from booksync.domain.types import EntityType
from booksync.errors import BadInput

HEADER = "intuit-signature"
#: QuickBooks' entity name (in any letter case) -> booksync's record type.
RECORD_TYPES: dict[str, EntityType] = {name.lower(): entity for entity, name in ENTITIES.items()}
#: Every entity with webhooks, as Intuit spells it (its table of supported entities, cited above),
#: so a CloudEvents type's lower-case name reads as the legacy shape's.
NAMES = {
    name.lower(): name
    for name in [
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    ]
}
OPERATIONS = {
    "create": "create",
    "created": "create",
    "update": "update",
    "updated": "update",
    "emailed": "update",
    "delete": "delete",
    "deleted": "delete",
    "void": "void",
    "voided": "void",
    "merge": "merge",
    "merged": "merge",
}


class QuickBooksWebhooks:
    """QuickBooks Online's webhooks: verified with the app's verifier token."""

    signature_header = HEADER

    def verify(self, headers: Mapping[str, str], body: bytes, key: str) -> bool:
        return verify_signature(headers, body, key, HEADER)

    def events(self, body: bytes) -> list[WebhookEvent]:
        payload = load(body, "QuickBooks")
        if isinstance(payload, list):
            return [e for i, item in enumerate(payload) for e in _cloud_event(i, item)]
        notifications = payload.get("eventNotifications") if isinstance(payload, dict) else None
        if not isinstance(notifications, list):
            raise BadInput(
                "eventNotifications",
                None,
                "is missing",
                'a QuickBooks webhook payload: {"eventNotifications": [...]} or a CloudEvents array',
            )
        found: list[WebhookEvent] = []
        for index, notification in enumerate(notifications):
            where = f"eventNotifications[{index}]"
            if not isinstance(notification, dict):
                raise BadInput(where, notification, "is not an object", "a notification object")
            realm = _required(notification, "realmId", where)
            change = notification.get("dataChangeEvent")
            entities = change.get("entities") if isinstance(change, dict) else None
            if not isinstance(entities, list):
                raise BadInput(f"{where}.dataChangeEvent.entities", None, "is missing", "a list")
            for position, entity in enumerate(entities):
                place = f"{where}.dataChangeEvent.entities[{position}]"
                if not isinstance(entity, dict):
                    raise BadInput(place, entity, "is not an object", "an entity object")
                found.extend(
                    _made(
                        realm,
                        _required(entity, "name", place),
                        _required(entity, "id", place),
                        _operation(_required(entity, "operation", place), f"{place}.operation"),
                        str(entity.get("lastUpdated") or ""),
                        "",
                        _deleted_id(entity),
                    )
                )
        return found


def _cloud_event(index: int, item: Any) -> list[WebhookEvent]:
    where = f"[{index}]"
    if not isinstance(item, dict):
        raise BadInput(where, item, "is not an object", "a CloudEvents object")
    kind = _required(item, "type", where)
    parts = kind.split(".")
    if len(parts) < 3 or parts[0] != "qbo":
        raise BadInput(
            f"{where}.type", kind, "is not a QuickBooks event type", "qbo.invoice.updated.v1"
        )
    data = item.get("data")
    return _made(
        _required(item, "intuitaccountid", where),
        parts[1],
        _required(item, "intuitentityid", where),
        _operation(parts[2], f"{where}.type"),
        str(item.get("time") or ""),
        str(item.get("id") or ""),
        _deleted_id(data) if isinstance(data, dict) else None,
    )


def _made(
    realm: str,
    name: str,
    remote_id: str,
    operation: str,
    when: str,
    event_id: str,
    merged_away: str | None,
) -> list[WebhookEvent]:
    entity = RECORD_TYPES.get(name.lower())
    resource = NAMES.get(name.lower(), name)
    occurred = qbo_datetime(when)
    made = [
        WebhookEvent(
            tenant=realm,
            entity=entity,
            resource=resource,
            remote_id=remote_id,
            operation=operation,
            occurred_at=occurred,
            key=event_key("quickbooks", realm, resource, remote_id, operation, when, event_id),
        )
    ]
    if operation == "merge" and merged_away and merged_away != remote_id:
        made.append(
            WebhookEvent(
                tenant=realm,
                entity=entity,
                resource=resource,
                remote_id=merged_away,
                operation="merge",
                occurred_at=occurred,
                key=event_key(
                    "quickbooks", realm, resource, merged_away, "merged-away", when, event_id
                ),
            )
        )
    return made


def _deleted_id(data: Mapping[str, Any]) -> str | None:
    found = next((v for k, v in data.items() if k.lower() == "deletedid" and v), None)
    return str(found) if found is not None else None


def _operation(value: str, where: str) -> str:
    found = OPERATIONS.get(value.lower())
    if found is None:
        accepted = "Create, Update, Delete, Merge, Void, Emailed"
        raise BadInput(where, value, "is not a QuickBooks webhook operation", accepted)
    return found


def _required(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if value in (None, ""):
        raise BadInput(f"{where}.{name}", value, "is missing", "a value")
    return str(value)


__all__ = ["HEADER", "QuickBooksWebhooks", "event_key", "signature", "verify_signature"]
