"""Receiving a tool's webhook: verify its signature, store its events, answer at once.

The signature is the authentication: a missing or wrong one is answered 401 and nothing is stored.
A verified body's events are stored as `InboundEvent` rows in the transaction that answers (so an
answered event is never lost), one row per event `key` (a redelivery is skipped by the database),
and handled later by a worker (`processing`), which reads each record from the tool: nothing in the
body is trusted beyond "look at this id". No call to the tool is made here, so the answer comes well
within the 5 s the tools allow. An event for a tenant booksync does not have, or for a resource it
does not keep, is stored as ignored, so a redelivery stays quiet too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.registry import tools
from booksync.connectors.two_way import WebhookEvent, WebhookFormat
from booksync.errors import BooksyncError
from booksync.services.inbound.keys import read_webhook_key
from booksync.services.inbound.upserts import insert_new
from booksync.store.models import InboundEvent, Integration, Tenant
from booksync.store.outbox import wake

log = logging.getLogger(__name__)

#: The webhook format of a kind (None: the tool sends none); the registry's by default.
Formats = Callable[[str], WebhookFormat | None]


@dataclass(frozen=True)
class Receipt:
    """The answer to a webhook POST: the HTTP status (the body is always empty) and what was
    stored, for logs and tests."""

    status: int
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    #: Why a POST was refused, in plain words (never the key or the signature).
    reason: str = ""


def registry_format(kind: str) -> WebhookFormat | None:
    tool = tools().get(kind)
    return tool.webhooks() if tool is not None else None


def receive(
    session: Session,
    kind: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    formats: Formats = registry_format,
) -> Receipt:
    """Verify and store one webhook POST of the tool `kind`; see the module's docstring."""
    fmt = formats(kind)
    if fmt is None:
        return Receipt(404, reason=f"no installed tool of kind {kind!r} sends webhooks")
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        key = read_webhook_key(session, kind)
    except BooksyncError as exc:
        log.error("webhook for %s refused: %s", kind, exc)
        return Receipt(401, reason="the stored webhook key cannot be read")
    if key is None:
        log.warning(
            "webhook for %s refused: no webhook key is set; set it with "
            "`booksync integration webhook-key %s`",
            kind,
            kind,
        )
        return Receipt(401, reason="no webhook key is set")
    if not lowered.get(fmt.signature_header.lower()) or not fmt.verify(lowered, body, key):
        log.warning("webhook for %s refused: missing or wrong %s", kind, fmt.signature_header)
        return Receipt(401, reason=f"missing or wrong {fmt.signature_header}")
    try:
        events = fmt.events(body)
    except (ValueError, KeyError, TypeError) as exc:
        log.error(
            "webhook for %s: a signed body that cannot be read (%s)", kind, type(exc).__name__
        )
        return Receipt(400, reason="the body is not a webhook this tool sends")
    return _store(session, kind, events)


def _store(session: Session, kind: str, events: list[WebhookEvent]) -> Receipt:
    if not events:  # Xero's intent-to-receive check, or an empty batch
        return Receipt(200)
    known = set(
        session.scalars(
            select(Tenant.remote_tenant_id)
            .join(Integration, Tenant.integration_id == Integration.id)
            .where(
                Integration.kind == kind,
                Tenant.remote_tenant_id.in_({e.tenant for e in events}),
            )
        )
    )
    rows = []
    for e in events:
        ignored = e.entity is None or e.tenant not in known
        rows.append(
            {
                "kind": kind,
                "remote_tenant_id": e.tenant,
                "entity_type": e.entity.value if e.entity is not None else None,
                "resource": e.resource[:50],
                "remote_id": e.remote_id,
                "operation": e.operation.lower()[:20],
                "occurred_at": e.occurred_at,
                "key": e.key,
                "status": "ignored" if ignored else "pending",
                "attempts": 0,
            }
        )
    unique = list({row["key"]: row for row in rows}.values())
    stored = insert_new(session, InboundEvent, unique, ["key"])
    pending = sum(1 for row in unique if row["status"] == "pending")
    if stored and pending:
        wake(session)  # an idle worker handles them once this commits (PostgreSQL's NOTIFY)
    return Receipt(
        200,
        stored=stored,
        duplicates=len(rows) - stored,
        ignored=sum(1 for row in unique if row["status"] == "ignored"),
    )


__all__ = ["Formats", "Receipt", "receive", "registry_format"]
