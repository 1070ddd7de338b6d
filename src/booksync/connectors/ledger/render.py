"""Beancount text for the entries booksync writes: pure functions from resolved values to lines.

Every entry is one block: a directive line at column 0 followed by indented lines, no blank line
inside, no newline inside a string. That is what lets the connector find an entry again by the line
the loader reports and rewrite exactly that block in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from booksync.connectors.ledger.chart import OPEN_DATE, quote
from booksync.connectors.protocol import DocumentPayload, ItemPayload, LinePayload, PartyPayload
from booksync.domain.types import EntityType

ITEM_DIRECTIVE = "booksync-item"
#: `DATE custom "booksync-lock-date"`: the ledger's lock date, like Xero's period lock date or
#: QuickBooks' closing date: no invoice or credit note dated on or before it may be written.
LOCK_DIRECTIVE = "booksync-lock-date"

#: Documents that post, as in Xero and QuickBooks: an approved invoice or credit note moves money
#: between accounts. A sales order or a purchase order is a promise, not a posting (both tools call
#: them non-posting: they reach the accounts only as the invoice or bill that follows, and booking
#: them would count that revenue or cost twice); a draft or one awaiting approval is not in the
#: accounts until it is approved, and a voided one is taken out of them. Those are written as
#: transactions with zero amounts (same accounts, lines and totals in metadata, linked by number,
#: tagged with their type) that Fava shows beside the documents and that change no balance.
POSTING_DOCUMENTS = frozenset({EntityType.INVOICE, EntityType.CREDIT_NOTE})
#: Statuses that post nothing, whatever the document: Xero's DRAFT and SUBMITTED, and VOIDED.
UNPOSTED_STATUSES = frozenset({"draft", "submitted", "voided"})


def posts(entity: EntityType, status: str) -> bool:
    """Whether a document of `entity` in `status` moves money in the ledger."""
    return entity in POSTING_DOCUMENTS and status not in UNPOSTED_STATUSES


#: Sign of the party's posting (receivable debit, payable credit); the lines and tax take the other.
PARTY_SIGN: dict[EntityType, int] = {
    EntityType.INVOICE: 1,
    EntityType.SALES_ORDER: 1,
    EntityType.CREDIT_NOTE: -1,
    EntityType.PURCHASE_ORDER: -1,
}

MetaValue = str | Decimal | date | tuple[Decimal, str] | None


@dataclass(frozen=True, slots=True)
class Ids:
    """What ties an entry to booksync: the remote id, the record ("invoice:12") and its version key."""

    remote_id: str
    record: str
    key: str


@dataclass(frozen=True, slots=True)
class PostedLine:
    line: LinePayload
    account: str
    tax_account: str | None
    net: Decimal
    tax: Decimal


def link(number: str) -> str:
    """A document number as a Beancount link (^INV-1001); characters links cannot hold become '-'."""
    return "^" + (re.sub(r"[^A-Za-z0-9\-_/.]", "-", number) or "-")


def _number(value: Decimal) -> str:
    return f"{abs(value) if value == 0 else value:f}"


def _meta(key: str, value: MetaValue, indent: int = 2) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = quote(value)
    elif isinstance(value, Decimal):
        text = _number(value)
    elif isinstance(value, tuple):
        text = f"{_number(value[0])} {value[1]}"
    else:
        text = value.isoformat()
    return [f"{' ' * indent}{key}: {text}"]


def _metas(pairs: Iterable[tuple[str, MetaValue]], indent: int = 2) -> list[str]:
    return [line for key, value in pairs for line in _meta(key, value, indent)]


def _ids(ids: Ids) -> list[tuple[str, MetaValue]]:
    return [("remote_id", ids.remote_id), ("booksync_id", ids.record), ("booksync_key", ids.key)]


def _block(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def party_block(account: str, party: PartyPayload, ids: Ids) -> str:
    """A client's receivable or a supplier's payable account, opened with the party's details."""
    head = f"{OPEN_DATE} open {account}"
    pairs: list[tuple[str, MetaValue]] = [
        ("name", party.name),
        ("number", party.number),
        ("email", party.email or None),
        ("currency", party.currency),
    ]
    return _block([head, *_metas([*pairs, *_ids(ids)])])


def item_block(on: date, item: ItemPayload, ids: Ids) -> str:
    """A product: a `custom "booksync-item"` directive with its prices, account codes and tax type."""
    head = f"{on} custom {quote(ITEM_DIRECTIVE)} {quote(item.code)} {quote(item.name)}"
    pairs: list[tuple[str, MetaValue]] = [
        ("description", item.description or None),
        ("price", item.price),
        ("cost", item.cost),
        ("income_account_code", item.income_account_code),
        ("expense_account_code", item.expense_account_code),
        ("tax_type", item.tax_type),
        ("purchase_tax_type", item.purchase_tax_type),
    ]
    return _block([head, *_metas([*pairs, *_ids(ids)])])


def _posting(account: str, amount: Decimal, currency: str) -> str:
    return f"  {account:<48} {_number(amount):>14} {currency}"


def tracking_text(pairs: Iterable[tuple[str, str]]) -> str | None:
    """Tracking as one metadata string ("Region=North; Team=Ops"); None when there is none."""
    text = "; ".join(f"{category}={option}" for category, option in pairs)
    return text or None


def document_block(
    doc: DocumentPayload,
    *,
    payee: str,
    party_account: str,
    lines: list[PostedLine],
    ids: Ids,
    credits: str | None = None,
) -> str:
    """A document as one transaction, balanced to the cent: party vs lines plus per-line-rounded tax.

    Tax is summed per tax account from each line's own rounded tax, as Xero does. A document that
    does not post (`posts`) keeps the same postings at zero. A credit note names the invoice it
    credits (`credits`), linked by that invoice's number too, so Fava shows them together.
    """
    sign = Decimal(PARTY_SIGN[doc.entity] if posts(doc.entity, doc.status) else 0)
    net = sum((pl.net for pl in lines), Decimal(0))
    tax = sum((pl.tax for pl in lines), Decimal(0))
    taxes: dict[str, Decimal] = {}
    for pl in lines:
        if pl.tax_account is not None and pl.tax != 0:
            taxes[pl.tax_account] = taxes.get(pl.tax_account, Decimal(0)) + pl.tax

    flag = "!" if doc.status in ("draft", "submitted") else "*"
    label = doc.entity.label.capitalize()
    tags = f"#{doc.entity.value.replace('_', '-')}" + (" #voided" if doc.status == "voided" else "")
    links = link(doc.number) + (f" {link(credits)}" if credits else "")
    head = f"{doc.issue_date} {flag} {quote(payee)} {quote(f'{label} {doc.number}')} {tags} {links}"
    out = [head]
    out += _metas(
        [
            ("number", doc.number),
            ("status", doc.status),
            ("due", doc.due_date),
            ("reference", doc.reference or None),
            ("credits", credits),
            ("exchange_rate", doc.exchange_rate),
            ("tracking", tracking_text(doc.tracking)),
            ("net", (net, doc.currency)),
            ("tax", (tax, doc.currency)),
            ("total", (net + tax, doc.currency)),
            *_ids(ids),
        ]
    )
    out.append(_posting(party_account, sign * (net + tax), doc.currency))
    for pl in lines:
        out.append(_posting(pl.account, -sign * pl.net, doc.currency))
        line = pl.line
        out += _metas(
            [
                ("description", line.description or None),
                ("item", line.item_code),
                ("quantity", line.quantity),
                ("unit_price", line.unit_price),
                ("tax_type", line.tax_type),
                ("tax_percent", line.tax_percent if line.tax_type else None),
                ("line_tax", (pl.tax, doc.currency)),
                ("tracking", tracking_text(line.tracking)),
            ],
            indent=4,
        )
    for account, amount in taxes.items():
        out.append(_posting(account, -sign * amount, doc.currency))
    return _block(out)


def lock_block(on: date) -> str:
    # A custom directive needs a value: beancount's plugins iterate over them.
    note = quote("no invoice or credit note dated on or before this may be written")
    return _block([f"{on} custom {quote(LOCK_DIRECTIVE)} {note}"])


def close_block(on: date, account: str) -> str:
    return _block([f"{on} close {account}"])


def open_block(account: str, pairs: list[tuple[str, MetaValue]]) -> str:
    return _block([f"{OPEN_DATE} open {account}", *_metas(pairs)])
