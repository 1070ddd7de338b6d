"""The example tool's plug-in: what booksync needs to know before importing anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from booksync.connectors.protocol import Connector, Limits
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest, TenantLink, Tool
from booksync.domain.types import EntityType


class ExampleTool(Tool):
    kind = "example"
    label = "Example Books"
    summary = "A JSON file per tenant: the smallest tool booksync can sync to."
    connection = ConnectionMethod.FOLDER
    tenant_noun = "book"
    remote_id_label = "file name"
    limits = Limits(batch_size={e: 10 for e in EntityType}, calls_per_minute=None)
    logo = "logo.svg"
    connect_help = "Creates the tenant's JSON file in the folder given (default ./example-books)."

    def connector(self, link: TenantLink | None = None, **settings: Any) -> Connector:
        from booksync_example_tool.connector import ExampleConnector

        folder = settings.get("directory") or (link.detail if link else None) or "example-books"
        return ExampleConnector(Path(folder))

    def connect(self, request: ConnectRequest) -> list[Connected]:
        from booksync_example_tool.connector import ExampleConnector

        assert request.wanted is not None
        folder = Path(request.options.get("directory") or "example-books").resolve()
        wanted = request.wanted
        remote = ExampleConnector(folder).create(
            wanted.remote_id, wanted.name, wanted.base_currency
        )
        return [Connected(remote, str(folder))]


TOOL = ExampleTool()
