"""Connectors to accounting tools, behind one protocol, and the registry that builds them.

A tool's package is imported only when that tool is used, so optional third-party code (Beancount,
GPL-2.0, for the embedded ledger) is never a dependency of the core.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

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
from booksync.domain.types import IntegrationKind

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

#: kind -> (module, class, the optional extra that provides its third-party imports, if any).
_REGISTRY: dict[IntegrationKind, tuple[str, str, str | None]] = {
    IntegrationKind.LEDGER: ("booksync.connectors.ledger", "LedgerConnector", "ledger"),
    IntegrationKind.XERO: ("booksync.connectors.xero", "XeroConnector", None),
    IntegrationKind.QUICKBOOKS: ("booksync.connectors.quickbooks", "QuickBooksConnector", None),
}

#: The top-level third-party packages each extra brings in.
_EXTRA_PACKAGES: dict[str, tuple[str, ...]] = {"ledger": ("beancount",)}


def connector_for(kind: IntegrationKind | str, **settings: Any) -> Connector:
    """Build the connector for `kind` with its settings (e.g. `directory=` for the ledger).

    Raises ConnectorError with the install command when the tool's optional extra is missing.
    """
    try:
        kind = IntegrationKind(kind)
    except ValueError:
        accepted = ", ".join(k.value for k in IntegrationKind)
        raise ConnectorError(f"unknown integration {kind!r}; accepted: {accepted}") from None
    module_name, class_name, extra = _REGISTRY[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if extra is not None and missing in _EXTRA_PACKAGES.get(extra, ()):
            raise ConnectorError(
                f"the {kind.label} integration needs the optional '{missing}' package; "
                f"install it with: pip install 'booksync[{extra}]'"
            ) from exc
        if exc.name is not None and module_name.startswith(exc.name):
            raise ConnectorError(
                f"the {kind.label} connector is not available in this build"
            ) from exc
        raise
    factory = getattr(module, class_name)
    return cast(Connector, factory(**settings))
