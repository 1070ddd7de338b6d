"""The example tool's connector: booksync's `Connector` protocol over one JSON file per tenant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from booksync.connectors.protocol import (
    AuthError,
    DocumentPayload,
    Outcome,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteItem,
    RemoteTaxType,
    RemoteTenant,
)
from booksync.domain.types import AccountKind, EntityType

CHART = [("200", "Sales", AccountKind.INCOME), ("300", "Purchases", AccountKind.EXPENSE)]
TAX = [("GST", "GST 10%", Decimal("10")), ("FREE", "Tax free", Decimal("0"))]


class ExampleConnector:
    kind = "example"

    def __init__(self, folder: Path) -> None:
        from booksync_example_tool.tool import TOOL

        self.folder = folder
        self.limits = TOOL.limits

    def _path(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.json"

    def _load(self, tenant: str) -> dict[str, Any]:
        path = self._path(tenant)
        if not path.is_file():
            raise AuthError(f"book '{tenant}' is not connected: {path} does not exist")
        return json.loads(path.read_text())

    def _save(self, tenant: str, book: dict[str, Any]) -> None:
        path = self._path(tenant)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(book, indent=1, default=str))
        temporary.replace(path)

    def create(self, tenant: str, name: str, currency: str) -> RemoteTenant:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self._path(tenant).exists():
            self._save(tenant, {"name": name, "currency": currency, "objects": {}})
        return RemoteTenant(tenant, name, currency)

    def list_tenants(self) -> list[RemoteTenant]:
        books = sorted(self.folder.glob("*.json"))
        return [RemoteTenant(p.stem, self._load(p.stem)["name"], "") for p in books]

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        return [RemoteAccount(code, name, kind, True) for code, name, kind in CHART]

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        return [RemoteTaxType(code, name, percent, True) for code, name, percent in TAX]

    def contacts(self, tenant: str) -> list[RemoteContact]:
        objects = self._load(tenant)["objects"].values()
        return [
            RemoteContact(o["id"], o["payload"]["name"], o["reference"], True)
            for o in objects
            if o["entity"] in ("client", "supplier")
        ]

    def items(self, tenant: str) -> list[RemoteItem]:
        objects = self._load(tenant)["objects"].values()
        return [
            RemoteItem(o["id"], o["reference"], o["payload"]["name"])
            for o in objects
            if o["entity"] == "product"
        ]

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        book = self._load(tenant)
        objects: dict[str, Any] = book["objects"]
        results = []
        for item in items:
            payload = item.payload
            if isinstance(payload, DocumentPayload) and not payload.lines:
                results.append(
                    PushResult(item.key, Outcome.REJECTED, None, "a document needs lines")
                )
                continue
            remote_id = item.remote_id or f"{entity.value}-{len(objects) + 1}"
            outcome = Outcome.UPDATED if remote_id in objects else Outcome.CREATED
            objects[remote_id] = {
                "id": remote_id,
                "entity": entity.value,
                "reference": item.reference,
                "payload": asdict(payload),
            }
            results.append(PushResult(item.key, outcome, remote_id))
        self._save(tenant, book)
        return results

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        for found in self._load(tenant)["objects"].values():
            if found["entity"] == entity.value and found["reference"] == reference:
                return str(found["id"])
        return None

    def close(self) -> None:
        """Nothing to release: every call opens and closes the file."""
