"""The embedded ledger as a booksync tool: registered under the entry point `booksync.tools` as
`ledger`.

A tenant is a Beancount file in a folder on this machine: connecting creates it (or opens it), and
nothing limits the pace. Beancount (GPL-2.0) is the optional extra `booksync[ledger]`; this module
does not import it, so the tool is listed even where the extra is missing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from booksync.connectors.protocol import Connector, Limits
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest, TenantLink, Tool
from booksync.domain.types import EntityType

LIMITS = Limits(batch_size={e: 200 for e in EntityType})
DIR_ENV = "BOOKSYNC_LEDGER_DIR"
DEFAULT_DIR = "ledgers"
#: A tenant id is the file's stem ("Acme AU" is fine): no path separators or control characters.
TENANT_ID = re.compile(r"[^\s./\\][^/\\\x00-\x1f\x7f]{0,99}")
SUFFIX = ".beancount"


def ledger_dir() -> str:
    """Where ledgers go when a tenant's connection names no folder."""
    return os.environ.get(DIR_ENV) or DEFAULT_DIR


class LedgerTool(Tool):
    kind = "ledger"
    label = "Ledger"
    order = 10
    summary = "An embedded Beancount ledger per tenant: no account anywhere, works offline."
    connection = ConnectionMethod.FOLDER
    tenant_noun = "ledger"
    remote_id_label = "file name"
    limits = LIMITS
    extra = "ledger"
    extra_packages = ("beancount",)
    logo = "logo.svg"
    view_hint = "pip install fava && fava {location}"
    checker = "beancount's loader"
    connect_help = (
        "Creates (or opens) the tenant's Beancount file in the folder given, else in "
        f"{DIR_ENV} (default ./{DEFAULT_DIR}), with a chart of accounts like a new Xero organisation's."
    )

    def connector(self, link: TenantLink | None = None, **settings: Any) -> Connector:
        from booksync.connectors.ledger.connector import LedgerConnector

        directory = settings.pop("directory", None) or (link.detail if link else None)
        return LedgerConnector(directory or ledger_dir(), **settings)

    def connect(self, request: ConnectRequest) -> list[Connected]:
        wanted = request.wanted
        if wanted is None:
            raise ValueError("a ledger is connected one tenant at a time")
        from booksync.connectors.ledger.connector import LedgerConnector

        folder = Path(request.options.get("directory") or wanted.detail or ledger_dir()).resolve()
        # `connector`: connect through one already built (tests hand in an in-memory tool).
        connector = request.options.get("connector") or LedgerConnector(folder)
        remote = connector.connect(wanted.remote_id, wanted.name, wanted.base_currency)
        return [Connected(remote, str(folder))]

    def check_books(self, link: TenantLink) -> list[str]:
        from booksync.connectors.ledger.connector import LedgerConnector

        return LedgerConnector(link.detail or ledger_dir()).validate(link.remote_id)

    def location(self, link: TenantLink) -> str | None:
        return str(Path(link.detail or ledger_dir()) / f"{link.remote_id}{SUFFIX}")

    def remote_id_problem(self, remote_id: str) -> str | None:
        if TENANT_ID.fullmatch(remote_id) and not remote_id.endswith(SUFFIX):
            return None
        return (
            "is not a ledger file name; accepted: up to 100 characters without '/', '\\' or "
            "control characters, not starting with '.' or a space, not ending in .beancount"
        )


TOOL = LedgerTool()
