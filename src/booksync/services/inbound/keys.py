"""The key a tool signs its webhooks with (Xero's webhook key, Intuit's verifier token).

Stored encrypted in `integrations.webhook_key` with the same key as tenant credentials
(`booksync.secrets`), read only to verify a signature, and never logged, shown or returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.connectors.registry import tool_for, tools
from booksync.errors import BadInput, BooksyncError, one_of
from booksync.secrets import SecretBox
from booksync.services.integration_settings import integration_for
from booksync.store.models import Integration

#: Where a tool sends its webhooks, under the address `booksync serve` answers on.
WEBHOOK_PATH = "/api/v1/webhooks/{kind}"


@dataclass(frozen=True)
class WebhookKeySet:
    """What setting a key did: the tool's name and where the tool must send its webhooks."""

    kind: str
    label: str
    path: str


def webhook_kinds() -> list[str]:
    """The installed tools that send webhooks booksync can receive."""
    return [kind for kind, tool in tools().items() if tool.webhooks() is not None]


def set_webhook_key(
    session: Session, kind: str, key: str, *, box: SecretBox | None = None
) -> WebhookKeySet:
    """Store `key` (encrypted) as the integration's webhook key, creating the integration if new."""
    tool = tool_for(kind)
    if tool.webhooks() is None:
        raise BadInput(
            "integration",
            kind,
            "sends no webhooks booksync can receive",
            one_of(webhook_kinds()),
        )
    secret = key.strip()
    if not secret:
        # The value is a secret: never echoed, even when wrong.
        raise BadInput(
            "webhook key", "(hidden)", "is empty", f"the webhook key {tool.label} shows for the app"
        )
    integration = integration_for(session, tool.kind, create=True)
    sealed = (box or SecretBox()).seal({"key": secret})
    # A plain UPDATE: a new key changes no record's sync, so the outbox need not see it.
    session.execute(
        update(Integration).where(Integration.id == integration.id).values(webhook_key=sealed)
    )
    return WebhookKeySet(tool.kind, tool.label, WEBHOOK_PATH.format(kind=tool.kind))


def read_webhook_key(session: Session, kind: str, *, box: SecretBox | None = None) -> str | None:
    """The integration's decrypted webhook key; None when none is set. BooksyncError (with no
    part of the key) when it cannot be decrypted."""
    blob = session.scalar(select(Integration.webhook_key).where(Integration.kind == kind))
    if not blob:
        return None
    opened = (box or SecretBox()).open(blob)
    key = opened.get("key")
    if not isinstance(key, str) or not key:
        raise BooksyncError(
            f"the stored {kind} webhook key is unreadable; set it again: "
            f"booksync integration webhook-key {kind}"
        )
    return key


__all__ = ["WEBHOOK_PATH", "WebhookKeySet", "read_webhook_key", "set_webhook_key", "webhook_kinds"]
