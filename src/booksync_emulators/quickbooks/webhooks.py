"""QuickBooks Online's webhooks: the legacy `eventNotifications` shape and the CloudEvents shape.

Sources:
- Signature: header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw body))
  (api-facts.md line 56; python-quickbooks' `validate_webhook_signature` checks it so).
- Operations per entity: Create, Update, Delete, Merge, Void, Emailed, in Intuit's table of
  supported entities (https://www.developer.intuit.com/app/developer/qbo/docs/develop/webhooks):
  Merge for names (Customer, Vendor), Void for transactions (Invoice, Payment, SalesReceipt).
- Legacy shape, and the CloudEvents shape that replaces it (mandatory from 15 May 2026), from
  Intuit's samples in https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure:
  legacy `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"id",
  "operation", "name", "lastUpdated"}]}}]}`; CloudEvents a JSON array of `{"specversion": "1.0",
  "id", "source": "intuit.<...>", "type": "qbo.account.created.v1", "datacontenttype":
  "application/json", "time", "intuitentityid", "intuitaccountid", "data": {}}`. The type's verb
  for each operation (created, updated, deleted, merged, voided) follows the sample's `created`.
- Several companies' events in one POST: the legacy shape has one `eventNotifications` element per
  realm; a CloudEvents array mixes `intuitaccountid`s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from booksync_emulators.webhooks import Change, WebhookDelivery

SHAPES = ("legacy", "cloudevents")
VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Merge": "merged",
         "Void": "voided"}  # fmt: skip


def _utc(c: Change) -> str:
    """`2025-09-08T20:52:31.657Z`, as in Intuit's samples."""
    return f"{c.at:%Y-%m-%dT%H:%M:%S}.{c.at.microsecond // 1000:03d}Z"


class QuickBooksWebhooks(WebhookDelivery):
    """Intuit's delivery, in the shape chosen with `configure(..., shape=)`."""

    header = "intuit-signature"

    def __init__(self, app_id: str = "emulated-app") -> None:
        super().__init__()
        self.shape = "legacy"
        digest = hashlib.sha256(app_id.encode("utf-8")).digest()
        #: CloudEvents `source`: "intuit." and an opaque app hash, as in Intuit's sample.
        self.source = "intuit." + base64.b64encode(digest).decode("ascii")

    def configure(self, url: str, key: str, *, shape: str = "legacy", **options: Any) -> None:
        """As `WebhookDelivery.configure`; `shape` is "legacy" or "cloudevents"."""
        if shape not in SHAPES:
            raise ValueError(f"shape '{shape}' is not one of {', '.join(SHAPES)}")
        self.shape = shape
        super().configure(url, key, **options)

    def payloads(self, changes: list[Change]) -> list[tuple[bytes, int]]:
        body: Any = (
            [self._cloud_event(c) for c in changes]
            if self.shape == "cloudevents"
            else _legacy(changes)
        )
        return [(json.dumps(body).encode("utf-8"), len(changes))]

    def _cloud_event(self, c: Change) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": self.source,
            "type": f"qbo.{c.kind.lower()}.{VERBS[c.operation]}.v1",
            "datacontenttype": "application/json",
            "time": _utc(c),
            "intuitentityid": c.resource_id,
            "intuitaccountid": c.tenant,
            "data": dict(c.extra),
        }


def _legacy(changes: list[Change]) -> dict[str, Any]:
    realms: dict[str, list[dict[str, Any]]] = {}
    for c in changes:
        entity = {"name": c.kind, "id": c.resource_id, "operation": c.operation,
                  "lastUpdated": _utc(c), **c.extra}  # fmt: skip
        realms.setdefault(c.tenant, []).append(entity)
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}}
            for realm, entities in realms.items()
        ]
    }


def change(realm_id: str, entity: str, object_id: str, operation: str, at: Any,
           extra: dict[str, Any]) -> Change:  # fmt: skip
    return Change(realm_id, entity, object_id, operation, at, dict(extra))
