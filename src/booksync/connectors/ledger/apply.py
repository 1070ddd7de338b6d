"""Applying one pushed element to a loaded ledger, the way a real accounting tool would.

Each element is checked against the ledger first (accounts in the chart and open, tax types known,
the contact and items a document names present) and rejected with the rule the refusal maps to;
nothing is written for a rejected element. Remote ids are derived from tenant, record type and
reference, so a retried create lands on the object the first attempt made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from booksync.connectors.ledger.book import Book, Entry
from booksync.connectors.ledger.chart import PAYABLE, RECEIVABLE, slug
from booksync.connectors.ledger.refusals import Rejected, check_account, check_tax, tax_types
from booksync.connectors.ledger.render import (
    POSTING_DOCUMENTS,
    Ids,
    PostedLine,
    document_block,
    item_block,
    party_block,
)
from booksync.connectors.protocol import (
    Booked,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    Payload,
    PushItem,
    PushResult,
)
from booksync.domain.money import MINOR_UNITS, line_amount, tax_amount
from booksync.domain.types import (
    SUPPLIER_DOCUMENTS,
    EntityType,
    document_account_kind,
)

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://booksync.invalid/ledger")


def remote_id_for(tenant: str, entity: EntityType, reference: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{tenant}/{entity.value}/{reference}"))


def hand_id(tenant: str, entity: EntityType, entry: Entry) -> str:
    """The remote id of a document written by hand (linked by its number): the one booksync would
    give that number, so linking to it and then writing it are one object."""
    return remote_id_for(tenant, entity, str(entry.reference))


def apply(book: Book, tenant: str, item: PushItem, today: date) -> PushResult:
    """Apply `item` to `book` in memory and say what the ledger made of it."""
    try:
        return _apply(book, tenant, item, today)
    except Rejected as refusal:
        return PushResult(
            item.key,
            Outcome.REJECTED,
            item.remote_id,
            refusal.message,
            refusal.rule,
            refusal.fix,
            request=item.payload,
        )


def _apply(book: Book, tenant: str, item: PushItem, today: date) -> PushResult:
    entity = item.entity
    existing = _locate(book, tenant, item)
    outcome = Outcome.CREATED if existing is None and item.remote_id is None else Outcome.UPDATED
    if existing is not None and existing.key == item.key:
        if item.remote_id is None:
            outcome = Outcome.CREATED  # a replay of the create that already happened
        booked = book.booked(existing) if entity.is_document else None
        return PushResult(
            item.key, outcome, existing.remote_id, "already in the ledger", booked=booked
        )
    if existing is not None and existing.block < 0:
        raise Rejected(
            f"{entity.label} '{item.reference}' is in a file included by {book.path.name}; "
            "booksync only rewrites entries in the tenant's own ledger file",
            fix=f"move the entry into {book.path.name}, or delete it there",
        )
    if existing is not None and existing.entity is None and item.remote_id is None:
        # A create never lands on someone else's document: a number the ledger already has
        # (written by hand) is refused, as Xero refuses a duplicate InvoiceNumber on PUT.
        raise Rejected(
            f"{entity.label} number '{item.reference}' is already in ledger '{tenant}' (an entry "
            f"written by hand, linked ^{item.reference}): booksync does not overwrite it",
            "document.number_free",
            "renumber the document in booksync; or, if that entry is this document, make its "
            "client and total agree so booksync links it",
        )
    remote_id = (existing.remote_id if existing else "") or remote_id_for(
        tenant, entity, item.reference
    )
    ids = Ids(remote_id, f"{entity.value}:{item.record_id}", item.key)
    out = _render(book, entity, item.payload, existing, ids, today)
    block = book.write(existing, out.text)
    meta = {"booksync_id": ids.record, "booksync_key": ids.key, **out.meta}
    entry = Entry(entity, remote_id, block, out.name, out.reference, record=ids.record, key=ids.key)
    booked = out.booked
    book.remember(
        replace(
            entry,
            account=out.account,
            on=out.on,
            meta=meta,
            total=booked.total if booked else None,
            currency=booked.currency if booked else None,
            lines=booked.line_count or 0 if booked else 0,
        )
    )
    return PushResult(
        item.key, outcome, remote_id, request=item.payload, response=out.text, booked=booked
    )


@dataclass(frozen=True, slots=True)
class _Rendered:
    text: str
    name: str
    reference: str
    on: date | None = None
    account: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    booked: Booked | None = None


def _render(
    book: Book, entity: EntityType, payload: Payload, existing: Entry | None, ids: Ids, today: date
) -> _Rendered:
    if entity.is_party and isinstance(payload, PartyPayload) and payload.entity is entity:
        if not payload.name.strip():
            raise Rejected(
                f"{entity.label} '{payload.number}': name is empty; a contact needs a name"
            )
        account = (existing.account if existing else None) or _new_partyaccount(book, payload)
        text = party_block(account, payload, ids)
        return _Rendered(text, payload.name, payload.number, account=account)
    if entity is EntityType.PRODUCT and isinstance(payload, ItemPayload):
        on = existing.on if existing and existing.on else today
        meta = {
            "income_account_code": payload.income_account_code,
            "expense_account_code": payload.expense_account_code,
            "tax_type": payload.tax_type,
            "purchase_tax_type": payload.purchase_tax_type,
        }
        return _Rendered(_item(book, payload, on, ids), payload.name, payload.code, on, meta=meta)
    if entity.is_document and isinstance(payload, DocumentPayload) and payload.entity is entity:
        text, party, booked = _document(book, payload, ids)
        return _Rendered(
            text, party.name, payload.number, payload.issue_date, party.account, booked=booked
        )
    raise Rejected(f"a {type(payload).__name__} cannot be pushed as a {entity.label}")


def _locate(book: Book, tenant: str, item: PushItem) -> Entry | None:
    """The object this element updates: by remote id when given, else by its reference.

    The booksync record id is written down but never matched on: two booksync stores may share a
    ledger, and only the reference (number, code) means the same thing to both.
    """
    objects = book.objects[item.entity]
    if item.remote_id is not None:
        hit = objects.get(item.remote_id)
        by_hand = book.linked.get(item.reference) if item.entity.is_document else None
        if hit is None and by_hand is not None:
            # A document written by hand that booksync linked to (`documents` gave its id).
            hit = by_hand if item.remote_id == hand_id(tenant, item.entity, by_hand) else None
        if hit is None:
            raise Rejected(
                f"no {item.entity.label} with remote ID {item.remote_id} in ledger '{tenant}'",
                fix="clear the record's remote ID so booksync creates it again, or set the right one",
            )
        return hit
    hit = objects.get(remote_id_for(tenant, item.entity, item.reference)) or book.find(
        item.entity, item.reference
    )
    if hit is None and isinstance(item.payload, PartyPayload):
        hit = book.find(item.entity, item.payload.name)  # a contact written by hand, unnumbered
    return hit


# --- parties ----------------------------------------------------------------------------------------


def _new_partyaccount(book: Book, party: PartyPayload) -> str:
    """A readable, unused account: Assets:Receivable:Acme-Pty-Ltd, its number added on a clash."""
    prefix = RECEIVABLE if party.entity is EntityType.CLIENT else PAYABLE
    candidates = [slug(party.name), slug(f"{party.name} {party.number}")]
    candidates += [f"{candidates[1]}-{n}" for n in range(2, 1000)]
    return next(f"{prefix}:{c}" for c in candidates if f"{prefix}:{c}" not in book.open_accounts)


# --- items --------------------------------------------------------------------------------------------


def _item(book: Book, item: ItemPayload, on: date, ids: Ids) -> str:
    subject = f"product '{item.code}'"
    if not item.code.strip():
        raise Rejected(f"product '{item.name}': code is empty; an item needs a code")
    for kind, code in (
        ("income", item.income_account_code),
        ("expense", item.expense_account_code),
    ):
        if code is not None:
            check_account(book, code, f"{subject} {kind}")
    for tax_type in (item.tax_type, item.purchase_tax_type):
        if tax_type is not None:
            check_tax(book, tax_type, None, subject)
    return item_block(on, item, ids)


# --- documents ----------------------------------------------------------------------------------------


def _document(book: Book, doc: DocumentPayload, ids: Ids) -> tuple[str, Entry, Booked]:
    subject = f"{doc.entity.label} '{doc.number}'"
    if doc.currency not in MINOR_UNITS:
        raise Rejected(
            f"{subject}: currency '{doc.currency}' is unknown; accepted: ISO 4217 codes such as "
            f"{', '.join(sorted(MINOR_UNITS)[:6])}, ..."
        )
    if doc.entity in POSTING_DOCUMENTS and book.lock_date and doc.issue_date <= book.lock_date:
        raise Rejected(
            f"{subject}: dated {doc.issue_date}, on or before the ledger's lock date "
            f"{book.lock_date}; nothing may be written there",
            "document.after_lock_date",
            f"date the document after {book.lock_date}, or move the ledger's "
            f'custom "booksync-lock-date" directive',
        )
    party = _party_of(book, doc, subject)
    credits = _credited(book, doc, party, subject)
    lines = [_line(book, doc, n, line, subject) for n, line in enumerate(doc.lines, start=1)]
    assert party.account is not None
    text = document_block(
        doc, payee=party.name, party_account=party.account, lines=lines, ids=ids, credits=credits
    )
    net = sum((pl.net for pl in lines), Decimal(0))
    tax = sum((pl.tax for pl in lines), Decimal(0))
    booked = Booked(
        total=net + tax,
        tax=tax,
        line_count=len(lines),
        contact_remote_id=party.remote_id,
        currency=doc.currency,
        status=doc.status,
    )
    return text, party, booked


def _credited(book: Book, doc: DocumentPayload, party: Entry, subject: str) -> str | None:
    """The number of the invoice a credit note credits: it must be in the ledger, raised to the
    same client, so the credit posts against that invoice's receivable."""
    if doc.entity is not EntityType.CREDIT_NOTE or doc.credited_remote_id is None:
        return None
    invoice = book.objects[EntityType.INVOICE].get(doc.credited_remote_id)
    if invoice is None:
        raise Rejected(
            f"{subject}: the invoice it credits (remote ID {doc.credited_remote_id}) is not in "
            "the ledger",
            fix="sync the credited invoice first; if its remote ID is stale, clear it so it is "
            "created again",
        )
    if invoice.account is not None and invoice.account != party.account:
        raise Rejected(
            f"{subject}: it credits invoice '{invoice.reference}', which is receivable from "
            f"{invoice.account}, not from {party.account}",
            fix="raise the credit note to the client of the invoice it credits",
        )
    return invoice.reference


def _party_of(book: Book, doc: DocumentPayload, subject: str) -> Entry:
    entity = EntityType.SUPPLIER if doc.entity in SUPPLIER_DOCUMENTS else EntityType.CLIENT
    rule = f"dependency.{entity.value}"
    party = book.objects[entity].get(doc.contact_remote_id) if doc.contact_remote_id else None
    who = f"{entity.label} '{doc.contact_name}'"
    if party is None:
        raise Rejected(
            f"{subject}: {who} (remote ID {doc.contact_remote_id or 'none'}) is not in the ledger",
            rule,
            f"sync {who} first; if its remote ID is stale, clear it so it is created again",
        )
    if not party.active:
        raise Rejected(
            f"{subject}: {who} is archived in the ledger ({party.account} is closed)",
            rule,
            f"reopen {party.account} in the ledger (remove its close directive)",
        )
    return party


def _line(book: Book, doc: DocumentPayload, n: int, line: LinePayload, subject: str) -> PostedLine:
    where = f"{subject} line {n}"
    item = _line_item(book, line, where)
    kind = document_account_kind(doc.entity)
    code = line.account_code
    if code is None and item is not None:
        code = item.meta.get(f"{kind.value}_account_code")
    if code is None:
        raise Rejected(
            f"{where}: no {kind.value} account code",
            "account_code.set",
            f"give the product an {kind.value} account code (or its item group one)",
        )
    account = check_account(book, str(code), f"{where} {kind.value}")
    tax_account: str | None = None
    if line.tax_type is not None:
        tax_account = check_tax(book, line.tax_type, line.tax_percent, where).account
    elif line.tax_percent != 0:
        raise Rejected(
            f"{where}: tax of {line.tax_percent.normalize():f}% has no tax type",
            "tax.mapped",
            f"map the tax rate to one of the ledger's tax types: {tax_types(book)}",
        )
    net = line_amount(line.quantity, line.unit_price, doc.currency)
    tax = tax_amount(net, line.tax_percent, doc.currency) if tax_account else net * 0
    return PostedLine(line, account.account, tax_account, net, tax)


def _line_item(book: Book, line: LinePayload, where: str) -> Entry | None:
    if line.item_remote_id is None and line.item_code is None:
        return None
    products = book.objects[EntityType.PRODUCT]
    if line.item_remote_id is not None:
        item = products.get(line.item_remote_id)
    else:
        item = book.find(EntityType.PRODUCT, str(line.item_code))
    if item is None:
        ref = line.item_code or line.item_remote_id
        raise Rejected(
            f"{where}: product '{ref}' (remote ID {line.item_remote_id or 'none'}) is not in the ledger",
            "dependency.product",
            f"sync product '{ref}' first; if its remote ID is stale, clear it so it is created again",
        )
    return item
