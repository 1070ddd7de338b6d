"""Xero's webhooks: which changes make an event, the payload, and the intent-to-receive check.

Source: tests/specs/xero/xero-webhooks.yaml (Xero's own OpenAPI for webhooks) and
https://developer.xero.com/documentation/webhooks/overview.
- Categories: CONTACT, INVOICE (spec lines 16-66) and CREDITNOTE (line 67; its events carry
  `data: {Type, Status}`, lines 196-253). Types: CREATE, UPDATE "including when they are archived"
  (line 143). Payments, items and the rest make no event of their own; a payment changes its
  invoice, which is an INVOICE UPDATE.
- Payload: `{events, firstEventSequence, lastEventSequence, entropy}` (line 110), each event
  `{resourceUrl, resourceId, eventDateUtc, eventType, eventCategory, tenantId, tenantType}`
  (required, line 174); `eventDateUtc` as in the spec's example `2024-06-21T01:15:39.902` (UTC,
  milliseconds, no offset, line 272); tenantType ORGANISATION for organisation events (line 170).
- Signature: header `x-xero-signature` (line 104) = base64(HMAC-SHA256(webhook key, raw body)),
  api-facts.md line 28.
- Intent to receive: Xero sends payloads with no events, some correctly signed and some not; the
  receiver must answer 200 to the first and 401 to the second (api-facts.md line 28, the spec's
  200/401 responses lines 255-262; the empty payload `"events": [], "firstEventSequence": 0`
  follows the sample captured in https://prismatic.io/docs/example-payloads/xero/triggers/webhook.json).
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

import httpx

from booksync_emulators.webhooks import Change, WebhookDelivery

#: Collection -> (event category, id field); other collections make no webhook event.
CATEGORIES = {
    "Contacts": ("CONTACT", "ContactID"),
    "Invoices": ("INVOICE", "InvoiceID"),
    "CreditNotes": ("CREDITNOTE", "CreditNoteID"),
}
#: The host a resourceUrl names (the real API's, as Xero sends it; a receiver maps it or uses ids).
API_BASE = "https://api.xero.com/api.xro/2.0"


def entropy() -> str:
    """A random string like the spec's `FXNGWLCCGVANWHKILRUB` (line 96)."""
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


@dataclass(frozen=True)
class IntentResult:
    """What the receiver answered to a correctly and a wrongly signed empty payload."""

    good_status: int | None
    bad_status: int | None

    @property
    def ok(self) -> bool:
        return self.good_status == 200 and self.bad_status == 401


class XeroWebhooks(WebhookDelivery):
    """Xero's delivery: sequence numbers run on across payloads, one POST per batch."""

    header = "x-xero-signature"

    def __init__(self) -> None:
        super().__init__()
        self.sequence = 0

    def payloads(self, changes: list[Change]) -> list[tuple[bytes, int]]:
        first = self.sequence + 1
        self.sequence += len(changes)
        body = {
            "events": [_event(c) for c in changes],
            "firstEventSequence": first,
            "lastEventSequence": self.sequence,
            "entropy": entropy(),
        }
        return [(json.dumps(body).encode("utf-8"), len(changes))]

    def intent_to_receive(self) -> IntentResult:
        """Send the empty payload signed right, then signed wrong; report both answers."""
        if not self.configured:
            raise RuntimeError("configure(url, key) before the intent-to-receive check")
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": entropy()}
        ).encode("utf-8")
        wrong_key = secrets.token_urlsafe(32)
        with httpx.Client() as http:
            good = self.post(http, body)
            bad = self.post(http, body, key=wrong_key)
        return IntentResult(good, bad)


def change(
    tenant_id: str, collection: str, record: dict[str, Any], created: bool, at: Any
) -> Change | None:
    """The event for a saved record, or None when its collection has no webhook."""
    found = CATEGORIES.get(collection)
    if found is None:
        return None
    category, id_field = found
    extra = {}
    if category == "CREDITNOTE":
        extra = {"Type": record.get("Type"), "Status": record.get("Status")}
    return Change(
        tenant_id, category, str(record[id_field]), "CREATE" if created else "UPDATE", at, extra
    )


def _event(c: Change) -> dict[str, Any]:
    collection = next(name for name, (cat, _) in CATEGORIES.items() if cat == c.kind)
    event: dict[str, Any] = {
        "resourceUrl": f"{API_BASE}/{collection}/{c.resource_id}",
        "resourceId": c.resource_id,
        "eventDateUtc": f"{c.at:%Y-%m-%dT%H:%M:%S}.{c.at.microsecond // 1000:03d}",
        "eventType": c.operation,
        "eventCategory": c.kind,
        "tenantId": c.tenant,
        "tenantType": "ORGANISATION",
    }
    if c.extra:
        event["data"] = dict(c.extra)
    return event
