"""A generic accounting tool that records every object it is asked to create.

It does what a careless integration would let happen: a create without a known idempotency key makes
a new object even if one with the same reference exists. So a duplicate in its store is a duplicate
the engine caused. Kept in SQLite (`:memory:` or a file), so a test can kill the worker process and
count what reached the "tool" afterwards. Fault switches: reject elements, fail calls transiently,
apply a batch and then lose the answer, refuse credentials, and SIGKILL the calling process before or
after applying the Nth call.

For the verification after a push it answers what it booked for each document (`Booked`), from its
own arithmetic (each line's amount and tax rounded to the cent, as Xero does: api-facts.md
"Rounding: tax per line at 2 dp then summed"), and can book wrongly on request: unit prices cut to
two places (`price_places=2`, Xero without `unitdp=4`: api-facts.md "UnitAmount 2 dp unless
unitdp=4"), or any figure changed (`tamper`). With `unique_numbers` it refuses to create a document
under a number it already has (Xero's PUT: "InvoiceNumber ... unique for ACCREC", api-facts.md), as
`document.number_free`, and `documents` lists what it has under a number (`DocumentImport`);
`add_document` puts a bookkeeper's own document there.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from booksync.connectors.protocol import (
    AuthError,
    Booked,
    DocumentPayload,
    Limits,
    Outcome,
    OutcomeUnknown,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteDocument,
    RemoteItem,
    RemoteTaxType,
    RemoteTenant,
    TransientError,
)
from booksync.domain.types import AccountKind, EntityType
from booksync_emulators.recording_changes import CHANGES_SCHEMA, RecordingChanges, ToolChange
from booksync_emulators.recording_read import RecordingRead

__all__ = ["RecordingTool", "ToolChange"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL, entity TEXT NOT NULL, remote_id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL, payload TEXT NOT NULL, writes INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, size INTEGER NOT NULL, entity TEXT
);
"""

CHART = [
    ("200", "Sales", AccountKind.INCOME),
    ("260", "Other Revenue", AccountKind.INCOME),
    ("300", "Purchases", AccountKind.EXPENSE),
    ("310", "Cost of Goods Sold", AccountKind.EXPENSE),
    ("485", "Subscriptions", AccountKind.EXPENSE),
]
TAX_TYPES = [
    ("OUTPUT", "GST on Income", Decimal("10")),
    ("INPUT", "GST on Expenses", Decimal("10")),
]


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, sort_keys=True)


_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    if cls not in _NAMES:
        _NAMES[cls] = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None
    return _NAMES[cls]


def _plain(value: Any) -> Any:
    """What the encoder cannot write itself: a dataclass as a dict of its fields, one level deep
    (the encoder's C loop calls this again for each dataclass inside), anything else as its text.
    `dataclasses.asdict` would copy every leaf first; the instant tool must cost next to nothing
    per element."""
    names = _field_names(type(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    return str(value)


def _request_key(item: PushItem) -> str:
    """What a write is replayed by: the record version and whether it creates or updates (an
    update of an object is another request than its create, as the real connectors key theirs by
    the exact body: xero/answers.py, quickbooks/api.py)."""
    return f"{item.key}:{item.remote_id or ''}"


class RecordingTool(RecordingRead, RecordingChanges):
    """A `Connector` over a SQLite store; `path=":memory:"` for an instant in-process tool."""

    kind = "ledger"

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        batch_size: int = 50,
        calls_per_minute: int | None = None,
        idempotency: bool = True,
        reject: Callable[[PushItem], str | tuple[str, str] | None] | None = None,
        kill_at_call: int | None = None,
        kill_when: str = "after",
        price_places: int | None = None,
        tamper: Callable[[Booked], Booked | None] | None = None,
        unique_numbers: bool = False,
        clock: Callable[[], datetime] | None = None,
        concurrency: int = 1,
    ) -> None:
        self.limits = Limits({e: batch_size for e in EntityType}, calls_per_minute, concurrency)
        self.idempotency = idempotency
        self.reject = reject
        self.kill_at_call = kill_at_call
        self.kill_when = kill_when
        #: Unit prices are cut to this many places before a line is booked (None: kept whole).
        self.price_places = price_places
        #: Changes what a document's answer says was booked (None: the answer says nothing).
        self.tamper = tamper
        #: Refuse to create a document under a number the tool already has.
        self.unique_numbers = unique_numbers
        #: Queued faults for the next push calls: "transient" (a 503, or a 429 when `retry_after`
        #: is long), "unknown" (applied, answer lost), "auth".
        self.faults: list[str] = []
        #: The Retry-After a "transient" fault answers with, in seconds.
        self.retry_after = 1.0
        self._lock = threading.Lock()
        self.db = sqlite3.connect(
            str(path), timeout=30, check_same_thread=False, isolation_level=None
        )
        self.db.executescript(SCHEMA + CHANGES_SCHEMA)
        #: When changes happen (the change feed's times): timezone-aware UTC.
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- what the tool has ---------------------------------------------------------------------------

    def connect(self, tenant: str, name: str, currency: str) -> RemoteTenant:
        return RemoteTenant(tenant, name, currency)

    def list_tenants(self) -> list[RemoteTenant]:
        return [RemoteTenant("t1", "Tenant one", "AUD")]

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        return [RemoteAccount(code, name, kind, True) for code, name, kind in CHART]

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        return [RemoteTaxType(t, name, pct, True) for t, name, pct in TAX_TYPES]

    def contacts(self, tenant: str) -> list[RemoteContact]:
        rows = self.db.execute(
            "SELECT remote_id, payload FROM objects WHERE tenant=? AND entity IN ('client','supplier')",
            (tenant,),
        ).fetchall()
        return [
            RemoteContact(r, json.loads(p)["name"], json.loads(p)["number"], True) for r, p in rows
        ]

    def items(self, tenant: str) -> list[RemoteItem]:
        rows = self.db.execute(
            "SELECT remote_id, reference, payload FROM objects WHERE tenant=? AND entity='product'",
            (tenant,),
        ).fetchall()
        return [RemoteItem(r, ref, json.loads(p)["name"]) for r, ref, p in rows]

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        self._count("lookup", 1, entity)
        row = self.db.execute(
            "SELECT remote_id FROM objects WHERE tenant=? AND entity=? AND reference=? ORDER BY seq LIMIT 1",
            (tenant, entity.value, reference),
        ).fetchone()
        return row[0] if row else None

    def lookup_many(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> dict[str, str]:
        """Every reference in one read (logged as one "lookup" call of `len(items)`)."""
        references = list(dict.fromkeys(item.reference for item in items))
        self._count("lookup", len(references), entity)
        marks = ",".join("?" * len(references))
        rows = self.db.execute(
            f"SELECT reference, remote_id FROM objects WHERE tenant=? AND entity=? "
            f"AND reference IN ({marks}) ORDER BY seq DESC",
            (tenant, entity.value, *references),
        ).fetchall()
        return dict(rows)  # the oldest object wins: rows come newest first

    # -- writes -----------------------------------------------------------------------------------------

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        with self._lock:
            call = self._count("push", len(items), entity)
            fault = self.faults.pop(0) if self.faults else None
            if fault == "transient":
                status = (
                    "429 Too Many Requests" if self.retry_after > 1 else "503 Service Unavailable"
                )
                raise TransientError(status, retry_after=self.retry_after)
            if fault == "auth":
                raise AuthError("401 TokenExpired")
            if self.kill_at_call == call and self.kill_when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            self.db.execute("BEGIN")  # one transaction a call: its writes are kept as they land
            try:
                results = [self._apply(tenant, entity, item) for item in items]
            finally:
                self.db.execute("COMMIT")
            if self.kill_at_call == call and self.kill_when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            if fault == "unknown":
                raise OutcomeUnknown("timed out after the request was sent")
            return results

    def _apply(self, tenant: str, entity: EntityType, item: PushItem) -> PushResult:
        if self.idempotency:
            seen = self.db.execute(
                "SELECT result FROM idempotency WHERE key=?", (_request_key(item),)
            ).fetchone()
            if seen:
                outcome, remote_id, message = json.loads(seen[0])
                return PushResult(item.key, Outcome(outcome), remote_id, message)
        # `reject` answers why the tool refuses the element: a message, or (message, rule id).
        refusal = self.reject(item) if self.reject else None
        reason, rule = refusal if isinstance(refusal, tuple) else (refusal, None)
        payload = _json(item.payload)
        if not reason and self.unique_numbers and item.entity.is_document and not item.remote_id:
            taken = self.db.execute(
                "SELECT remote_id FROM objects WHERE tenant=? AND entity=? AND reference=?",
                (tenant, entity.value, item.reference),
            ).fetchone()
            if taken:
                reason = f"Document number '{item.reference}' must be unique"
                rule = "document.number_free"
        if reason:
            result = PushResult(item.key, Outcome.REJECTED, None, reason, rule)
        elif item.remote_id:
            updated = self.db.execute(
                "UPDATE objects SET payload=?, writes=writes+1 WHERE remote_id=? AND tenant=?",
                (payload, item.remote_id, tenant),
            ).rowcount
            if updated:
                result = PushResult(item.key, Outcome.UPDATED, item.remote_id)
            else:
                result = PushResult(
                    item.key, Outcome.REJECTED, None, f"no object {item.remote_id} to update"
                )
        else:
            remote_id = str(uuid.uuid4())
            self.db.execute(
                "INSERT INTO objects (tenant, entity, remote_id, reference, payload) VALUES (?,?,?,?,?)",
                (tenant, entity.value, remote_id, item.reference, payload),
            )
            result = PushResult(item.key, Outcome.CREATED, remote_id)
        if result.outcome in (Outcome.CREATED, Outcome.UPDATED) and result.remote_id:
            kind = "created" if result.outcome is Outcome.CREATED else "updated"
            self.log_change(tenant, entity.value, result.remote_id, kind, payload)
        if self.idempotency:
            self.db.execute(
                "INSERT OR REPLACE INTO idempotency (key, result) VALUES (?, ?)",
                (
                    _request_key(item),
                    _json([result.outcome.value, result.remote_id, result.message]),
                ),
            )
        if result.outcome is not Outcome.REJECTED and isinstance(item.payload, DocumentPayload):
            result = replace(result, booked=self._booked(item.payload))
        return result

    def _booked(self, document: DocumentPayload) -> Booked | None:
        """What this tool books for `document`: each line's amount and tax rounded to the cent."""
        cent = Decimal("0.01")
        net = tax = Decimal(0)
        for line in document.lines:
            price = line.unit_price
            if self.price_places is not None:
                price = price.quantize(Decimal(1).scaleb(-self.price_places), ROUND_HALF_UP)
            amount = (line.quantity * price).quantize(cent, ROUND_HALF_UP)
            net += amount
            tax += (amount * line.tax_percent / 100).quantize(cent, ROUND_HALF_UP)
        booked = Booked(
            total=net + tax,
            tax=tax,
            line_count=len(document.lines),
            contact_remote_id=document.contact_remote_id,
            currency=document.currency,
            status=document.status,
        )
        return self.tamper(booked) if self.tamper else booked

    # -- documents by number (`DocumentImport`) ----------------------------------------------------

    def add_document(
        self,
        tenant: str,
        entity: EntityType,
        number: str,
        *,
        contact_remote_id: str | None,
        total: Decimal,
        currency: str = "AUD",
    ) -> str:
        """A document someone else made in the tool (a bookkeeper's own), under `number`."""
        remote_id = str(uuid.uuid4())
        payload = {
            "number": number,
            "contact_remote_id": contact_remote_id,
            "total": str(total),
            "currency": currency,
            "status": "authorised",
        }
        self.db.execute(
            "INSERT INTO objects (tenant, entity, remote_id, reference, payload) VALUES (?,?,?,?,?)",
            (tenant, entity.value, remote_id, number, _json(payload)),
        )
        return remote_id

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]:
        self._count("documents", len(numbers), entity)
        found = []
        for number in dict.fromkeys(numbers):
            rows = self.db.execute(
                "SELECT remote_id, payload FROM objects WHERE tenant=? AND entity=? AND reference=?"
                " ORDER BY seq",
                (tenant, entity.value, number),
            ).fetchall()
            for remote_id, text in rows:
                payload = json.loads(text)
                total = payload.get("total")
                found.append(
                    RemoteDocument(
                        entity,
                        remote_id,
                        number,
                        payload.get("contact_remote_id"),
                        Decimal(total) if total is not None else None,
                        payload.get("currency"),
                        payload.get("status"),
                    )
                )
        return found

    def _count(self, kind: str, size: int, entity: EntityType | None = None) -> int:
        """Log a call; return its number among calls of its kind (1 for the first push ever seen)."""
        self.db.execute(
            "INSERT INTO calls (kind, size, entity) VALUES (?, ?, ?)",
            (kind, size, entity and entity.value),
        )
        return int(
            self.db.execute("SELECT count(*) FROM calls WHERE kind=?", (kind,)).fetchone()[0]
        )

    # -- for assertions -----------------------------------------------------------------------------------

    def objects(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT tenant, entity, remote_id, reference, payload, writes FROM objects ORDER BY seq"
        ).fetchall()
        return [
            {
                "tenant": t,
                "entity": e,
                "remote_id": r,
                "reference": ref,
                "payload": json.loads(p),
                "writes": w,
            }
            for t, e, r, ref, p, w in rows
        ]

    def push_calls(self, entity: EntityType | None = None) -> int:
        """How many push calls reached the tool (of one record type, if given)."""
        if entity is None:
            return int(
                self.db.execute("SELECT count(*) FROM calls WHERE kind='push'").fetchone()[0]
            )
        row = self.db.execute(
            "SELECT count(*) FROM calls WHERE kind='push' AND entity=?", (entity.value,)
        )
        return int(row.fetchone()[0])

    def lookup_calls(self) -> tuple[int, int]:
        """(lookup calls, references looked up) that reached the tool."""
        row = self.db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM calls WHERE kind='lookup'"
        ).fetchone()
        return int(row[0]), int(row[1])

    def close(self) -> None:
        pass
