"""One ledger file read with beancount's loader and indexed for the connector, editable by block.

The file's text is kept as blocks (a directive line at column 0 and its indented lines; blank and
comment lines are blocks of their own). The loader says on which line each entry starts, so an entry
booksync wrote can be rewritten in place without touching anything a person wrote around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data

from booksync.connectors.ledger.chart import PAYABLE, RECEIVABLE, ROOT, TAX_ROOT
from booksync.connectors.ledger.render import ITEM_DIRECTIVE, LOCK_DIRECTIVE
from booksync.connectors.protocol import Booked
from booksync.domain.types import AccountKind, EntityType

_KIND_BY_ROOT = {root: kind for kind, root in ROOT.items()}


@dataclass(frozen=True, slots=True)
class ChartEntry:
    """An `open` carrying a `code` (an account code) or a `tax_type` (a tax type)."""

    account: str
    name: str
    kind: AccountKind | None
    active: bool = True
    percent: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """An object booksync can push to: a party's account, an item, a document."""

    entity: EntityType | None
    remote_id: str
    block: int
    name: str
    reference: str | None
    record: str | None = None
    key: str | None = None
    #: A party's own account; for a document, the party account it posts to.
    account: str | None = None
    active: bool = True
    on: date | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: For a document: what it books (its party posting's amount, its lines), as the ledger holds it.
    total: Decimal | None = None
    currency: str | None = None
    lines: int = 0


def _text(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


def split_blocks(text: str) -> tuple[list[str], dict[int, int]]:
    """The text as blocks, and the 1-based line each block starts on -> its index."""
    blocks: list[str] = []
    starts: dict[int, int] = {}
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        indented = line[:1] in (" ", "\t") and bool(line.strip())
        if indented and blocks and blocks[-1].strip():
            blocks[-1] += line
        else:
            starts[number] = len(blocks)
            blocks.append(line)
    return blocks, starts


class Book:
    """A ledger loaded for one push or import; `text()` is the file after the edits made to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        text = path.read_text(encoding="utf-8")
        entries, self.errors, self.options = loader.load_file(str(path))
        self.blocks, starts = split_blocks(text)
        self.accounts: dict[str, ChartEntry] = {}
        self.taxes: dict[str, ChartEntry] = {}
        self.objects: dict[EntityType, dict[str, Entry]] = {e: {} for e in EntityType}
        #: Documents written by hand (no booksync metadata), by link: they count as present.
        self.linked: dict[str, Entry] = {}
        self.open_accounts: set[str] = set()
        self.last_use: dict[str, date] = {}
        #: Nothing dated on or before it may be posted: the latest `custom "booksync-lock-date"`.
        self.lock_date: date | None = None
        closed: set[str] = set()
        own = str(path.resolve())
        for entry in entries:
            if isinstance(entry, data.Close):
                closed.add(entry.account)
            if isinstance(entry, data.Transaction):
                for posting in entry.postings:
                    self.last_use[posting.account] = max(
                        entry.date, self.last_use.get(posting.account, entry.date)
                    )
            mine = entry.meta.get("filename") == own
            block = starts.get(entry.meta.get("lineno", -1), -1) if mine else -1
            self._index(entry, block)
        for account in closed:
            self._mark_closed(account)

    # --- indexing ---------------------------------------------------------------------------------

    def _index(self, entry: Any, block: int) -> None:
        meta: dict[str, Any] = dict(entry.meta)
        if isinstance(entry, data.Open):
            self.open_accounts.add(entry.account)
            self._index_open(entry, meta, block)
        elif isinstance(entry, data.Custom) and entry.type == ITEM_DIRECTIVE and entry.values:
            code = str(entry.values[0].value)
            name = str(entry.values[1].value) if len(entry.values) > 1 else code
            remote_id = _text(meta, "remote_id") or code
            self._put(EntityType.PRODUCT, remote_id, block, name, code, meta, on=entry.date)
        elif isinstance(entry, data.Custom) and entry.type == LOCK_DIRECTIVE:
            self.lock_date = max(entry.date, self.lock_date or entry.date)
        elif isinstance(entry, data.Transaction):
            record = _text(meta, "booksync_id")
            entity = _entity(record)
            number = _text(meta, "number")
            account, total, currency = _party_posting(entry)
            if entity is not None:
                remote_id = _text(meta, "remote_id") or number or ""
                lines = sum(1 for p in entry.postings if p.meta and "quantity" in p.meta)
                self._put(entity, remote_id, block, entry.payee or "", number, meta, on=entry.date)
                self.objects[entity][remote_id] = replace(
                    self.objects[entity][remote_id],
                    account=account,
                    total=_amount(meta, "total")[0],
                    currency=_amount(meta, "total")[1] or currency,
                    lines=lines,
                )
            elif block >= 0:
                for name in entry.links:
                    self.linked[name] = Entry(
                        None,
                        "",
                        block,
                        entry.payee or "",
                        name,
                        account=account,
                        on=entry.date,
                        meta=meta,
                        total=total,
                        currency=currency,
                        lines=len(entry.postings) - 1,
                    )

    def _index_open(self, entry: Any, meta: dict[str, Any], block: int) -> None:
        account: str = entry.account
        if "code" in meta:
            kind = _KIND_BY_ROOT.get(account.split(":")[0])
            name = _text(meta, "name") or account.rsplit(":", 1)[-1]
            self.accounts[str(meta["code"])] = ChartEntry(account, name, kind)
        elif "tax_type" in meta and account.startswith(TAX_ROOT + ":"):
            name = _text(meta, "name") or account.rsplit(":", 1)[-1]
            percent = Decimal(str(meta.get("rate", 0)))
            self.taxes[str(meta["tax_type"])] = ChartEntry(account, name, None, True, percent)
        for prefix, entity in ((RECEIVABLE, EntityType.CLIENT), (PAYABLE, EntityType.SUPPLIER)):
            if account.startswith(prefix + ":"):
                name = _text(meta, "name") or account.rsplit(":", 1)[-1]
                remote_id = _text(meta, "remote_id") or account
                number = _text(meta, "number")
                self._put(entity, remote_id, block, name, number, meta, account=account)

    def _put(
        self,
        entity: EntityType,
        remote_id: str,
        block: int,
        name: str,
        reference: str | None,
        meta: dict[str, Any],
        *,
        account: str | None = None,
        on: date | None = None,
    ) -> Entry:
        entry = Entry(
            entity,
            remote_id,
            block,
            name,
            reference,
            record=_text(meta, "booksync_id"),
            key=_text(meta, "booksync_key"),
            account=account,
            on=on,
            meta=meta,
        )
        self.objects[entity][remote_id] = entry
        return entry

    def _mark_closed(self, account: str) -> None:
        for table in (self.accounts, self.taxes):
            for code, chart in table.items():
                if chart.account == account:
                    table[code] = replace(chart, active=False)
        for entity in (EntityType.CLIENT, EntityType.SUPPLIER):
            for remote_id, obj in self.objects[entity].items():
                if obj.account == account:
                    self.objects[entity][remote_id] = replace(obj, active=False)

    # --- finding ----------------------------------------------------------------------------------

    def find(self, entity: EntityType, reference: str) -> Entry | None:
        """An object of `entity` by its natural reference: number or name, item code, document number."""
        objects = self.objects[entity].values()
        hit = next((o for o in objects if o.reference == reference), None)
        if hit is None and entity.is_party:
            hit = next((o for o in objects if o.reference is None and o.name == reference), None)
        if hit is None and entity.is_document:
            hit = self.linked.get(reference)
        return hit

    def party_of(self, account: str | None) -> Entry | None:
        """The client or supplier whose receivable or payable account `account` is."""
        for entity in (EntityType.CLIENT, EntityType.SUPPLIER):
            for party in self.objects[entity].values():
                if account is not None and party.account == account:
                    return party
        return None

    def booked(self, entry: Entry) -> Booked:
        """What a document entry books, read back from the ledger (a replayed push answers it)."""
        party = self.party_of(entry.account)
        total, currency = _amount(entry.meta, "total")
        tax = _amount(entry.meta, "tax")[0]
        return Booked(
            total=total if total is not None else entry.total,
            tax=tax,
            line_count=entry.lines,
            contact_remote_id=party.remote_id if party else None,
            currency=currency or entry.currency,
            status=_text(entry.meta, "status"),
        )

    # --- editing ----------------------------------------------------------------------------------

    def write(self, existing: Entry | None, block_text: str) -> int:
        """Rewrite `existing`'s block, or append a new one; returns the block's index."""
        if existing is not None and existing.block >= 0:
            self.blocks[existing.block] = block_text
            index = existing.block
            if existing.entity is None:
                self.linked = {k: v for k, v in self.linked.items() if v.block != index}
        else:
            if self.blocks and not self.blocks[-1].endswith("\n"):
                self.blocks[-1] += "\n"
            if self.blocks and self.blocks[-1].strip():
                self.blocks.append("\n")
            self.blocks.append(block_text)
            index = len(self.blocks) - 1
        return index

    def remember(self, entry: Entry) -> None:
        """Index an entry written in this batch, so a later element of the batch finds it."""
        assert entry.entity is not None
        self.objects[entry.entity] = {
            k: v for k, v in self.objects[entry.entity].items() if v.block != entry.block
        }
        self.objects[entry.entity][entry.remote_id] = entry
        if entry.account:
            self.open_accounts.add(entry.account)

    def text(self) -> str:
        return "".join(self.blocks)


def _amount(meta: dict[str, Any], key: str) -> tuple[Decimal | None, str | None]:
    """An amount written as metadata ("55.00 AUD", read by the loader as an Amount)."""
    value = meta.get(key)
    number = getattr(value, "number", None)
    if isinstance(number, Decimal):
        return number, str(getattr(value, "currency", "")) or None
    return None, None


def _party_posting(entry: data.Transaction) -> tuple[str | None, Decimal | None, str | None]:
    """The receivable or payable posting of a document: its account, amount (unsigned), currency."""
    for posting in entry.postings:
        if posting.account.startswith((RECEIVABLE + ":", PAYABLE + ":")) and posting.units:
            number = posting.units.number
            return (
                posting.account,
                abs(number) if number is not None else None,
                posting.units.currency,
            )
    return None, None, None


def _entity(record: str | None) -> EntityType | None:
    if not record or ":" not in record:
        return None
    try:
        return EntityType(record.split(":", 1)[0])
    except ValueError:
        return None
