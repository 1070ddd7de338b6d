"""How Xero signs and shapes its webhooks (`two_way.WebhookFormat`).

- Signature: header `x-xero-signature` = base64(HMAC-SHA256(webhook key, raw body))
  (tests/specs/xero/xero-webhooks.yaml, components.headers; api-facts.md "Webhooks"), compared in
  constant time (`hmac.compare_digest`). Intent to receive: Xero posts correctly and wrongly
  signed payloads with no events and expects 200 and 401; such a body parses to no events.
- Body (xero-webhooks.yaml, schema WebhookEvent): `{"events": [{"resourceUrl", "resourceId",
  "eventDateUtc", "eventType" CREATE|UPDATE, "eventCategory" CONTACT|INVOICE|CREDITNOTE|
  SUBSCRIPTION, "tenantId", "tenantType"}], "firstEventSequence", "lastEventSequence",
  "entropy"}`. Only ids are taken: the record is read from Xero (`StateRead`), never from the
  event (a CREDITNOTE event's `data` is ignored too).
- A Xero contact serves as customer and supplier at once, so a CONTACT event is two events, one for
  booksync's clients and one for its suppliers; SUBSCRIPTION (and any category booksync does not
  keep) has no record type and is ignored by the caller.
- The key, unique per event across redeliveries: tool, tenant, category, resource id, eventDateUtc
  and eventType (Xero resends the same event with the same values), and the record type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from booksync.connectors.two_way import WebhookEvent
from booksync.connectors.webhook_signing import event_key, load, signature, verify_signature
from booksync.connectors.xero.states import xero_datetime
from booksync.domain.types import EntityType
from booksync.errors import BadInput

HEADER = "x-xero-signature"
#: Event category -> the record types it may be.
CATEGORIES: dict[str, tuple[EntityType | None, ...]] = {
    "INVOICE": (EntityType.INVOICE,),
    "CREDITNOTE": (EntityType.CREDIT_NOTE,),
    "CONTACT": (EntityType.CLIENT, EntityType.SUPPLIER),
}


class XeroWebhooks:
    """Xero's webhooks: verified with the app's webhook key."""

    signature_header = HEADER

    def verify(self, headers: Mapping[str, str], body: bytes, key: str) -> bool:
        return verify_signature(headers, body, key, HEADER)

    def events(self, body: bytes) -> list[WebhookEvent]:
        payload = load(body, "Xero")
        items = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            accepted = 'a Xero webhook payload {"events": [...], ...}'
            raise BadInput("events", None, "is missing", accepted)
        found: list[WebhookEvent] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadInput(f"events[{index}]", item, "is not an object", "an event object")
            found.extend(_events(index, item))
        return found


def _events(index: int, item: Mapping[str, Any]) -> list[WebhookEvent]:
    tenant = str(item.get("tenantId") or "")
    remote_id = str(item.get("resourceId") or "")
    category = str(item.get("eventCategory") or "").upper()
    kind = str(item.get("eventType") or "").upper()
    when = str(item.get("eventDateUtc") or "")
    for name, value in (("tenantId", tenant), ("resourceId", remote_id), ("eventType", kind)):
        if not value:
            raise BadInput(f"events[{index}].{name}", item.get(name), "is missing", "a value")
    return [
        WebhookEvent(
            tenant=tenant,
            entity=entity,
            resource=category,
            remote_id=remote_id,
            operation=kind.lower(),
            occurred_at=xero_datetime(when),
            key=event_key(
                "xero", tenant, category, remote_id, when, kind, entity.value if entity else "-"
            ),
        )
        for entity in CATEGORIES.get(category, (None,))
    ]


__all__ = ["HEADER", "XeroWebhooks", "event_key", "signature", "verify_signature"]
