"""Connectors to accounting tools, behind one protocol; the tools themselves are plug-ins
(`registry.py`, `tool.py`).

A tool's package is imported only when that tool is used, so optional third-party code (Beancount,
GPL-2.0, for the embedded ledger) is never a dependency of the core.
"""

from __future__ import annotations

from typing import Any

from booksync.connectors.protocol import (
    AuthError,
    Connector,
    ConnectorError,
    DocumentPayload,
    ItemPayload,
    Limits,
    LinePayload,
    Outcome,
    OutcomeUnknown,
    PartyPayload,
    Payload,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteItem,
    RemoteTaxType,
    RemoteTenant,
    TransientError,
)
from booksync.connectors.registry import guarded, tools

__all__ = [
    "AuthError",
    "Connector",
    "ConnectorError",
    "DocumentPayload",
    "ItemPayload",
    "LinePayload",
    "Limits",
    "Outcome",
    "OutcomeUnknown",
    "PartyPayload",
    "Payload",
    "PushItem",
    "PushResult",
    "RemoteAccount",
    "RemoteContact",
    "RemoteItem",
    "RemoteTaxType",
    "RemoteTenant",
    "TransientError",
    "connector_for",
]


def connector_for(kind: str, **settings: Any) -> Connector:
    """Build the connector of the tool `kind` from its settings alone (e.g. `directory=` for the
    ledger, `tokens=` for a cloud tool), not bound to a stored tenant.

    Raises ConnectorError naming the installed tools for an unknown kind, and with the install
    command when the tool's optional extra is missing.
    """
    tool = tools().get(str(kind))
    if tool is None:
        raise ConnectorError(f"unknown integration {kind!r}; accepted: {', '.join(tools())}")
    return guarded(tool, lambda: tool.connector(None, **settings))
