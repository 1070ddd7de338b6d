"""What the plan tests share (no tests here): proof that nothing was written, and a tool with history.

`store_state` is the store as bytes could show a change: a SQLite file's bytes (after every
connection is closed, so the write-ahead log is folded in), or on PostgreSQL every table's row count
and a checksum of its rows in order. `tool_state` is the recording tool's objects and call log.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from booksync.connectors.protocol import RemoteSettings
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync_emulators.recording import RecordingTool
from support.books import REMOTE_TENANT


def sqlite_file(store: Store) -> Path | None:
    url = make_url(store.url)
    return Path(url.database or "") if url.get_backend_name() == "sqlite" else None


def store_state(store: Store) -> Any:
    """The store's bytes (SQLite), or each table's row count and checksum (PostgreSQL)."""
    path = sqlite_file(store)
    if path is not None:
        store.dispose()  # the last connection closed: the write-ahead log is checkpointed
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    state = {}
    with store.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            row = conn.execute(
                text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f'FROM "{table}" t'
                )
            ).one()
            state[table] = tuple(row)
    return state


def tool_state(tool: RecordingTool) -> Any:
    """Everything the recording tool holds, and how many writes reached it."""
    return tool.objects(), tool.push_calls()


def party(name: str, number: str | None = None, email: str | None = None) -> dict[str, Any]:
    """A contact as the recording tool keeps one (the payload it was pushed with)."""
    return {
        "entity": "client",
        "name": name,
        "email": email,
        "currency": "AUD",
        "number": number,
        "address": None,
        "payment_terms": None,
    }


def item(code: str, name: str) -> dict[str, Any]:
    return {"code": code, "name": name, "description": name, "price": "10.00", "cost": None}


def seed_history(tool: RecordingTool) -> dict[str, str]:
    """A company with history: contacts and items made in the tool before booksync came. Returns
    remote ids by what each stands for."""
    ids = {
        "client_case": "r-client-case",
        "client_number": "r-client-number",
        "supplier_punct": "r-supplier-punct",
        "item_code": "r-item-code",
        "stranger": "r-stranger",
    }
    tool.add_object(
        REMOTE_TENANT, EntityType.CLIENT, ids["client_case"], "OLD-1", party("CLIENT 000", "OLD-1")
    )
    tool.add_object(
        REMOTE_TENANT,
        EntityType.CLIENT,
        ids["client_number"],
        "C-000002",
        party("Someone Else Entirely", "C-000002"),
    )
    tool.add_object(
        REMOTE_TENANT,
        EntityType.SUPPLIER,
        ids["supplier_punct"],
        "OLD-2",
        party("Dicker Data Pty. Ltd.", "OLD-2"),
    )
    tool.add_object(
        REMOTE_TENANT, EntityType.PRODUCT, ids["item_code"], "SKU-001", item("SKU-001", "Widget")
    )
    tool.add_object(
        REMOTE_TENANT, EntityType.CLIENT, ids["stranger"], "OLD-3", party("Nobody Like Us", "OLD-3")
    )
    return ids


class ToolWithSettings(RecordingTool):
    """The recording tool with a tenant's settings to import (so the checks that need them, such
    as `document.number_free`, are made rather than left not yet known)."""

    def settings(self, tenant: str) -> RemoteSettings:
        return RemoteSettings(currencies=frozenset({"AUD"}))
