"""The embedded ledger integration: one Beancount v3 file per tenant, written like an accounting tool.

`<directory>/<tenant>.beancount` is the tenant. Imports (account codes, tax types, contacts, items)
read it back with beancount's loader; pushes rewrite it atomically under a lock, one result per
element. It works offline, needs no account anywhere, and `fava <file>` shows the books.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from beancount import loader

from booksync.connectors.ledger.apply import apply, hand_id, remote_id_for
from booksync.connectors.ledger.book import Book
from booksync.connectors.ledger.chart import ROOT, TAX_ROOT, new_ledger, slug
from booksync.connectors.ledger.fileio import atomic_write, locked
from booksync.connectors.ledger.reading import LedgerReading
from booksync.connectors.ledger.render import MetaValue, close_block, lock_block, open_block
from booksync.connectors.protocol import (
    AuthError,
    ConnectorError,
    Limits,
    Outcome,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteDocument,
    RemoteItem,
    RemoteSettings,
    RemoteTaxType,
    RemoteTenant,
    TransientError,
)
from booksync.domain.money import MINOR_UNITS
from booksync.domain.types import AccountKind, EntityType

SUFFIX = ".beancount"
#: A tenant id is the file's stem ("Acme AU" is fine): no path separators or control characters.
_TENANT_ID = re.compile(r"[^\s./\\][^/\\\x00-\x1f\x7f]{0,99}")


def _today() -> date:
    return datetime.now(UTC).date()


class LedgerConnector(LedgerReading):
    """A `Connector` over a directory of Beancount ledgers; the tenant id is the file's stem."""

    kind = "ledger"
    limits = Limits(batch_size={e: 200 for e in EntityType}, calls_per_minute=None, concurrency=1)

    def __init__(self, directory: Path | str, *, today: Callable[[], date] = _today) -> None:
        self.directory = Path(directory)
        self._today = today

    # --- tenants ----------------------------------------------------------------------------------

    def path(self, tenant: str) -> Path:
        """The tenant's ledger file; the id must be a plain file stem."""
        if not _TENANT_ID.fullmatch(tenant) or tenant.endswith(SUFFIX):
            raise ConnectorError(
                f"ledger tenant id {tenant!r} is not accepted; accepted: up to 100 characters "
                "without '/', '\\' or control characters, not starting with '.' or a space"
            )
        return self.directory / f"{tenant}{SUFFIX}"

    def _existing(self, tenant: str) -> Path:
        path = self.path(tenant)
        if not path.is_file():
            raise AuthError(f"ledger '{tenant}' is not connected: {path} does not exist")
        return path

    def connect(self, tenant: str, name: str, currency: str) -> RemoteTenant:
        """Create the tenant's ledger with the default chart, unless it exists; either way return it."""
        path = self.path(tenant)
        if currency not in MINOR_UNITS:
            raise ConnectorError(
                f"currency {currency!r} is not accepted; accepted: ISO 4217 codes such as "
                f"{', '.join(sorted(MINOR_UNITS)[:6])}, ..."
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with locked(path):
                if not path.exists():
                    atomic_write(path, new_ledger(name, currency))
        except OSError as exc:  # e.g. the folder is a file, or not writable
            raise ConnectorError(
                f"could not create ledger '{tenant}' in {self.directory}: {exc}"
            ) from exc
        return self._tenant(path)

    def list_tenants(self) -> list[RemoteTenant]:
        if not self.directory.is_dir():
            return []
        files = sorted(self.directory.glob(f"*{SUFFIX}"))
        return [self._tenant(p) for p in files if _TENANT_ID.fullmatch(p.stem)]

    def _tenant(self, path: Path) -> RemoteTenant:
        _, _, options = loader.load_file(str(path))
        currencies = options.get("operating_currency") or [""]
        return RemoteTenant(path.stem, str(options.get("title") or path.stem), str(currencies[0]))

    # --- imports ----------------------------------------------------------------------------------

    def _book(self, tenant: str) -> Book:
        try:
            return Book(self._existing(tenant))
        except OSError as exc:
            raise TransientError(f"could not read ledger '{tenant}': {exc}") from exc

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        book = self._book(tenant)
        return [
            RemoteAccount(code, chart.name, chart.kind, chart.active)
            for code, chart in sorted(book.accounts.items())
            if chart.kind is not None
        ]

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        book = self._book(tenant)
        return [
            RemoteTaxType(tax_type, chart.name, chart.percent, chart.active)
            for tax_type, chart in sorted(book.taxes.items())
        ]

    def contacts(self, tenant: str) -> list[RemoteContact]:
        book = self._book(tenant)
        parties = [
            *book.objects[EntityType.CLIENT].values(),
            *book.objects[EntityType.SUPPLIER].values(),
        ]
        return [RemoteContact(p.remote_id, p.name, p.reference, p.active) for p in parties]

    def items(self, tenant: str) -> list[RemoteItem]:
        book = self._book(tenant)
        products = book.objects[EntityType.PRODUCT].values()
        return [RemoteItem(p.remote_id, p.reference or "", p.name) for p in products]

    def settings(self, tenant: str) -> RemoteSettings:
        """What decides whether a document can be written (`SettingsImport`): every ISO 4217
        currency (the ledger posts any, beside its operating currencies) and the lock date the
        ledger declares, if any. A ledger has no default payment terms nor tracking categories."""
        book = self._book(tenant)
        operating = [str(c) for c in book.options.get("operating_currency") or []]
        return RemoteSettings(
            currencies=frozenset(MINOR_UNITS) | frozenset(operating),
            lock_date=book.lock_date,
            tool_settings={"operating_currencies": operating},
        )

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]:
        """The documents in the ledger under these numbers (`DocumentImport`): booksync's own, and
        transactions written by hand and linked by the number (^INV-1001)."""
        book = self._book(tenant)
        found = []
        for number in dict.fromkeys(numbers):
            hit = book.find(entity, number)
            if hit is None:
                continue
            party = book.party_of(hit.account)
            booked = book.booked(hit) if hit.entity is not None else None
            found.append(
                RemoteDocument(
                    entity=entity,
                    remote_id=hit.remote_id or hand_id(tenant, entity, hit),
                    number=number,
                    contact_remote_id=party.remote_id if party else None,
                    total=booked.total if booked else hit.total,
                    currency=booked.currency if booked else hit.currency,
                    status=booked.status if booked else None,
                )
            )
        return found

    def validate(self, tenant: str) -> list[str]:
        """The loader's errors for the tenant's ledger, one line each; empty when beancount is happy."""
        return [f"{e.source.get('lineno', '?')}: {e.message}" for e in self._book(tenant).errors]

    # --- pushing ----------------------------------------------------------------------------------

    @contextmanager
    def _editing(self, tenant: str) -> Iterator[Book]:
        """Load the ledger under its lock and write it back atomically if the block left it changed."""
        path = self._existing(tenant)
        try:
            with locked(path):
                book = Book(path)
                before = book.text()
                yield book
                if book.text() != before:
                    atomic_write(path, book.text())
        except OSError as exc:
            raise TransientError(f"could not update ledger '{tenant}': {exc}") from exc

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        results: list[PushResult] = []
        today = self._today()
        with self._editing(tenant) as book:
            for item in items:
                if item.entity is not entity:
                    message = f"a {item.entity.label} cannot be pushed in a {entity.label} batch"
                    results.append(PushResult(item.key, Outcome.REJECTED, item.remote_id, message))
                else:
                    results.append(apply(book, tenant, item, today))
        return results

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        book = self._book(tenant)
        hit = book.objects[entity].get(remote_id_for(tenant, entity, reference)) or book.find(
            entity, reference
        )
        return hit.remote_id if hit is not None and hit.remote_id else None

    def lookup_many(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> dict[str, str]:
        """Every reference from one read of the ledger file."""
        book = self._book(tenant)
        found = {}
        for item in items:
            hit = book.objects[entity].get(
                remote_id_for(tenant, entity, item.reference)
            ) or book.find(entity, item.reference)
            if hit is not None and hit.remote_id:
                found[item.reference] = hit.remote_id
        return found

    def close(self) -> None:
        """Nothing is held open between calls."""

    # --- the chart, as a person would edit it in the tool ----------------------------------------

    def add_account(self, tenant: str, code: str, name: str, kind: AccountKind) -> str:
        """Open an income or expense account carrying `code`; returns the Beancount account name."""
        with self._editing(tenant) as book:
            if code in book.accounts:
                raise ConnectorError(
                    f"account code {code!r} is already {book.accounts[code].account}"
                )
            account = f"{ROOT[kind]}:{slug(name)}"
            if account in book.open_accounts:
                account = f"{ROOT[kind]}:{slug(f'{name} {code}')}"
            book.write(None, open_block(account, [("code", code), ("name", name)]))
        return account

    def add_tax_type(self, tenant: str, tax_type: str, name: str, percent: Decimal) -> str:
        """Open a tax account carrying `tax_type` and its rate; returns the account name."""
        with self._editing(tenant) as book:
            if tax_type in book.taxes:
                raise ConnectorError(
                    f"tax type {tax_type!r} is already {book.taxes[tax_type].account}"
                )
            account = f"{TAX_ROOT}:{slug(f'{name} {tax_type}')}"
            pairs: list[tuple[str, MetaValue]] = [
                ("tax_type", tax_type),
                ("name", name),
                ("rate", percent),
            ]
            book.write(None, open_block(account, pairs))
        return account

    def lock(self, tenant: str, on: date) -> None:
        """Set the ledger's lock date (Xero's period lock, QuickBooks' closing date): no invoice or
        credit note dated on or before `on` may be written after it."""
        with self._editing(tenant) as book:
            book.write(None, lock_block(on))

    def archive_account(self, tenant: str, code: str, on: date | None = None) -> None:
        """Close the account carrying `code` (Xero's "archive"): it imports as inactive."""
        self._archive(tenant, "account code", code, on)

    def archive_tax_type(self, tenant: str, tax_type: str, on: date | None = None) -> None:
        self._archive(tenant, "tax type", tax_type, on)

    def _archive(self, tenant: str, what: str, key: str, on: date | None) -> None:
        with self._editing(tenant) as book:
            table = book.accounts if what == "account code" else book.taxes
            chart = table.get(key)
            if chart is None:
                raise ConnectorError(f"{what} {key!r} is not in ledger '{tenant}'")
            if not chart.active:
                return
            # Postings dated after a close are errors, so never close before the account's last use.
            day = max(on or self._today(), book.last_use.get(chart.account, date.min))
            book.write(None, close_block(day, chart.account))
