"""What a plan read from a tenant's tool, kept a few minutes so the next plan need not read it again.

A plan writes nothing to booksync's store, so what it fetched is kept outside it: one JSON file per
tenant under `$BOOKSYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/booksync/plan`, else
`~/.cache/booksync/plan` (files readable by their owner only). A file is used only while it is
younger than `TTL` and the books' sync state is the one it was read against (`fingerprint`: any
push, edit or import since changes it), so a plan never shows a tool's state older than that.
`booksync sync plan --fresh` ignores it. It holds the tool's contacts, items and linked records
(business data, never credentials); deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

CACHE_ENV = "BOOKSYNC_CACHE_DIR"
#: How long what a plan read stays usable (seconds): long enough for a plan then a look at one
#: record, short enough that a person's edit in the tool shows up soon.
TTL = 300.0
VERSION = 1


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "booksync" / "plan"


def cache_path(store_url: str, kind: str, remote_tenant_id: str) -> Path:
    """One file per tenant of one store (the URL without its password names the store)."""
    key = hashlib.sha256(f"{store_url}\x00{kind}\x00{remote_tenant_id}".encode()).hexdigest()
    return cache_dir() / f"{key[:32]}.json"


@dataclass
class Fetched:
    """What was read from one tenant's tool: its contacts and items (as plain mappings), the
    fields of linked records by record type and remote id, and lookups by record type and
    reference (None: looked up, not found)."""

    contacts: list[dict[str, Any]] | None = None
    items: list[dict[str, Any]] | None = None
    records: dict[str, dict[str, Mapping[str, Any]]] = field(default_factory=dict)
    lookups: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "items": self.items,
            "records": self.records,
            "lookups": self.lookups,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def load(path: Path, fingerprint: str, *, now: float | None = None) -> Fetched | None:
    """The cached read, if it is fresh and was made against the same books; else None."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        return None
    age = (now if now is not None else time.time()) - float(raw.get("saved_at", 0))
    if raw.get("fingerprint") != fingerprint or not 0 <= age < TTL:
        return None
    body = raw.get("fetched") or {}
    return Fetched(
        contacts=body.get("contacts"),
        items=body.get("items"),
        records=body.get("records") or {},
        lookups=body.get("lookups") or {},
    )


def save(path: Path, fingerprint: str, fetched: Fetched, *, now: float | None = None) -> None:
    """Write atomically, owner-only; a cache that cannot be written is simply not kept."""
    document = {
        "version": VERSION,
        "fingerprint": fingerprint,
        "saved_at": now if now is not None else time.time(),
        "fetched": _plain(fetched.to_json()),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".plan-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp made it owner-only
            json.dump(document, out)
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError):
        Path(temporary).unlink(missing_ok=True)


__all__ = ["CACHE_ENV", "TTL", "Fetched", "cache_dir", "cache_path", "load", "save"]
