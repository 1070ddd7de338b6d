"""What an import brings beside the chart and the contacts: the tool's settings and the documents it
already holds under booksync's numbers.

Both come through optional protocols (`SettingsImport`, `DocumentImport`): a connector without them
leaves the tenant's settings None, and the rules that need them say "unknown: import the tenant"
instead of passing blindly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import (
    Connector,
    DocumentImport,
    RemoteDocument,
    RemoteSettings,
    SettingsImport,
)
from booksync.domain.types import EntityType
from booksync.store.models import Client, Document, Supplier, Tenant
from booksync.store.models import RemoteDocument as RemoteDocumentRow
from booksync.store.types import utcnow

#: Currencies an import's summary names before it says how many more (a ledger takes them all).
SHOWN_CURRENCIES = 8
#: Document kinds whose numbers are looked up in the tool, in the order they are asked.
DOCUMENT_KINDS = tuple(kind for kind in EntityType if kind.is_document)


def fetch_settings(tool: Connector, remote: str) -> RemoteSettings | None:
    """The tenant's settings, or None when the connector cannot read them."""
    return tool.settings(remote) if isinstance(tool, SettingsImport) else None


def unlinked_numbers(session: Session, tenant: Tenant) -> dict[EntityType, list[str]]:
    """The numbers of the tenant's documents not yet in the tool (no remote id), by kind: those a
    create could land on somebody else's document with."""
    numbers: dict[EntityType, list[str]] = {}
    for party_model, column in ((Client, Document.client_id), (Supplier, Document.supplier_id)):
        rows = session.execute(
            select(Document.kind, Document.number)
            .join(party_model, party_model.id == column)
            .where(party_model.tenant_id == tenant.id, Document.remote_id.is_(None))
            .order_by(Document.id)
        )
        for kind, number in rows:
            numbers.setdefault(EntityType(kind), []).append(number)
    return {kind: numbers[kind] for kind in DOCUMENT_KINDS if kind in numbers}


def fetch_documents(
    tool: Connector, remote: str, numbers: dict[EntityType, list[str]]
) -> dict[EntityType, list[RemoteDocument]] | None:
    """The tool's documents under those numbers, by kind; None when the connector cannot look."""
    if not isinstance(tool, DocumentImport):
        return None
    return {kind: tool.documents(remote, kind, wanted) for kind, wanted in numbers.items()}


def store_settings(tenant: Tenant, settings: RemoteSettings) -> None:
    tenant.currencies = sorted(settings.currencies)
    tenant.lock_date = settings.lock_date
    terms = settings.payment_terms
    tenant.payment_terms = {"days": terms.days, "type": terms.type} if terms else None
    tenant.tracking_categories = {
        category: list(options) for category, options in settings.tracking_categories.items()
    }
    tenant.tool_settings = _json_ready(dict(settings.tool_settings))
    tenant.settings_imported_at = utcnow()


def store_documents(
    session: Session, tenant: Tenant, found: dict[EntityType, list[RemoteDocument]]
) -> int:
    """Replace the tenant's remote documents with what the tool holds now (every kind: a kind
    with no unlinked numbers left has nothing a create could land on). Returns the count kept."""
    session.execute(
        delete(RemoteDocumentRow).where(
            RemoteDocumentRow.tenant_id == tenant.id,
            RemoteDocumentRow.entity.in_([kind.value for kind in DOCUMENT_KINDS]),
        )
    )
    kept = 0
    for kind, documents in found.items():
        seen: set[str] = set()
        for doc in documents:
            if doc.remote_id in seen:
                continue  # a tool answering one document twice (paging) still has one
            seen.add(doc.remote_id)
            session.add(
                RemoteDocumentRow(
                    tenant_id=tenant.id,
                    entity=kind.value,
                    remote_id=doc.remote_id,
                    number=doc.number,
                    contact_remote_id=doc.contact_remote_id,
                    total=doc.total,
                    currency=doc.currency,
                    status=doc.status,
                )
            )
            kept += 1
    return kept


def settings_summary(tenant: Tenant) -> list[str]:
    """What the last settings import said, in words, for the import's summary."""
    if tenant.settings_imported_at is None:
        return []
    currencies = tenant.currencies or []
    shown = ", ".join(currencies[:SHOWN_CURRENCIES]) or "none"
    more = len(currencies) - SHOWN_CURRENCIES
    lines = [f"currencies {shown}" + (f" and {more} more" if more > 0 else "")]
    if tenant.lock_date is not None:
        lines.append(f"locked up to {tenant.lock_date.isoformat()}")
    if tenant.tracking_categories:
        lines.append(f"tracking {', '.join(sorted(tenant.tracking_categories))}")
    return lines


def _json_ready(value: Any) -> Any:
    """Tool settings as JSON holds them (dates and decimals as text)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items: Sequence[Any] = (
            sorted(value, key=str) if isinstance(value, set | frozenset) else value
        )
        return [_json_ready(v) for v in items]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
