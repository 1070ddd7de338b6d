"""Documents as the rules see them (`DocumentView`), one at a time or streamed for the health report.

A document not yet in the tool carries the documents the tool holds under its number
(`remote_documents`, imported per tenant), so `document.number_free` can tell a free number from
someone else's document and from this very one to be linked. A linked document carries its state
in the tool as booksync last read it back (`remote_states`), for `document.editable_in_tool`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Connection, and_, func, select
from sqlalchemy.orm import Session, object_session

from booksync.domain.records import DocumentView, LineView, RemoteDocumentView
from booksync.domain.types import EntityType
from booksync.store.bulk import among, chunked
from booksync.store.models import (
    Client,
    Document,
    DocumentLine,
    RemoteDocument,
    RemoteState,
    Supplier,
)
from booksync.store.record_views import date_value, tracking

REMOTE_COLUMNS = (
    RemoteDocument.remote_id,
    RemoteDocument.number,
    RemoteDocument.contact_remote_id,
    RemoteDocument.total,
    RemoteDocument.currency,
    RemoteDocument.status,
)


def remote_view(row: Iterable[Any]) -> RemoteDocumentView:
    return RemoteDocumentView(*row)


def remote_matches(session: Session, document: Document) -> tuple[RemoteDocumentView, ...]:
    """What the tool of the document's party's tenant holds under its kind and number (one query)."""
    party = Client if document.client_id is not None else Supplier
    party_id = document.client_id if document.client_id is not None else document.supplier_id
    tenant = select(party.tenant_id).where(party.id == party_id).scalar_subquery()
    rows = session.execute(
        select(*REMOTE_COLUMNS)
        .where(
            RemoteDocument.tenant_id == tenant,
            RemoteDocument.entity == document.kind,
            RemoteDocument.number == document.number,
        )
        .order_by(RemoteDocument.remote_id)
    )
    return tuple(remote_view(r) for r in rows)


def document_view(
    document: Document,
    *,
    matches: tuple[RemoteDocumentView, ...] | None = None,
    states: Mapping[int, str] | None = None,
    lines: tuple[LineView, ...] | None = None,
) -> DocumentView:
    """The document as the rules see it. A document without a remote id reads what the tool holds
    under its number (one query) unless the caller read it already (`matches`); a linked one reads
    its state in the tool (one query), which a caller reading in bulk passes in `states`. Its
    `lines` are its ORM lines unless the caller read them as rows (`priced_lines`)."""
    state = states.get(document.id) if states is not None else None
    if matches is None:
        session = object_session(document)
        unsent = document.remote_id is None and document.id is not None and session is not None
        matches = remote_matches(session, document) if unsent and session else ()
        if states is None and session is not None:
            state = tool_state(session, document)
    return DocumentView(
        document.id,
        document.entity_type,
        document.number,
        document.client_id if document.client_id is not None else document.supplier_id or 0,
        document.currency,
        document.status,
        lines
        if lines is not None
        else tuple(
            LineView(
                ln.position,
                ln.product_id,
                ln.quantity,
                ln.unit_price,
                ln.description,
                ln.tax_rate_id,
            )
            for ln in document.lines
        ),
        document.remote_id,
        issue_date=document.issue_date,
        due_date=document.due_date,
        exchange_rate=document.exchange_rate,
        tracking=tracking(document.tracking),
        credited_document_id=document.credited_document_id,
        remote_matches=matches,
        tool_state=state,
    )


def plain_rows(conn: Connection, stmt: ClauseElement) -> list[tuple[Any, ...]]:
    """The driver's own tuples for a select of integer and text columns, bypassing Row objects.

    Only for the health report's hot path: its statements bind integers alone (rendered inline)
    and its columns need no conversion on either database.
    """
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _position(line: LineView) -> int:
    return line.position


def iter_document_views(session: Session, *, batch: int = 10_000) -> Iterator[DocumentView]:
    """Every document as a view, streamed in id order with its lines (for the health report).

    Reads the driver's plain rows (no ORM objects, no Row wrappers) and shares one `LineView`
    between lines that look the same to the rules: the health report spends its time on the
    rules, not on loading. Quantities and prices are read only for the few documents the tool
    already holds a document under the number of (`document.number_free` compares totals).
    """
    doc_cols = (
        Document.id,
        Document.kind,
        Document.number,
        Document.client_id,
        Document.supplier_id,
        Document.currency,
        Document.status,
        Document.remote_id,
        Document.issue_date,
        Document.due_date,
        Document.tracking,
    )
    line_cols = (
        DocumentLine.document_id,
        DocumentLine.position,
        DocumentLine.product_id,
        DocumentLine.tax_rate_id,
    )
    session.flush()  # plain rows below bypass autoflush: see what this session has written
    conn = session.connection()
    kinds = {e.value: e for e in EntityType}
    # Quantities and prices play no part in the other rules; the health report skips reading them.
    shared: dict[tuple[int, int, int | None], LineView] = {}
    dates: dict[Any, Any] = {None: None}
    last = 0
    while True:
        docs = plain_rows(
            conn, select(*doc_cols).where(Document.id > last).order_by(Document.id).limit(batch)
        )
        if not docs:
            return
        lo, hi = docs[0][0], docs[-1][0]
        lines: dict[int, list[LineView]] = {}
        shuffled: set[int] = set()  # rows come in no particular order; positions rarely need it
        for doc_id, position, product_id, tax_rate_id in plain_rows(
            conn, select(*line_cols).where(DocumentLine.document_id.between(lo, hi))
        ):
            key = (position, product_id, tax_rate_id)
            view = shared.get(key)
            if view is None:
                view = shared[key] = LineView(position, product_id, tax_rate_id=tax_rate_id)
            found = lines.get(doc_id)
            if found is None:
                lines[doc_id] = [view]
            else:
                if position < found[-1].position:
                    shuffled.add(doc_id)
                found.append(view)
        matches = _batch_matches(session, lo, hi)
        states = _batch_tool_states(session, lo, hi)
        priced = priced_lines(session, list(matches)) if matches else {}
        for (
            doc_id, kind, number, client_id, supplier_id, currency, status, remote_id, issued,
            due, tracked,
        ) in docs:  # fmt: skip
            party = client_id if client_id is not None else supplier_id
            mine = lines.get(doc_id)
            if doc_id in priced:
                mine = list(priced[doc_id])
            elif mine is not None and doc_id in shuffled:
                mine.sort(key=_position)
            for raw in (issued, due):
                if raw not in dates:
                    dates[raw] = date_value(raw)
            yield DocumentView(
                doc_id,
                kinds[kind],
                number,
                party or 0,
                currency,
                status,
                tuple(mine) if mine is not None else (),
                remote_id,
                issue_date=dates[issued],
                due_date=dates[due],
                tracking=tracking(tracked) if tracked is not None else {},
                remote_matches=matches.get(doc_id, ()),
                tool_state=states.get(doc_id),
            )
        last = hi


def _batch_matches(session: Session, lo: int, hi: int) -> dict[int, tuple[RemoteDocumentView, ...]]:
    """The tool's documents under the numbers of the unsent documents with ids lo..hi, by id."""
    tenant = func.coalesce(Client.tenant_id, Supplier.tenant_id)
    rows = session.execute(
        select(Document.id, *REMOTE_COLUMNS)
        .select_from(Document)
        .outerjoin(Client, Client.id == Document.client_id)
        .outerjoin(Supplier, Supplier.id == Document.supplier_id)
        .join(
            RemoteDocument,
            and_(
                RemoteDocument.tenant_id == tenant,
                RemoteDocument.entity == Document.kind,
                RemoteDocument.number == Document.number,
            ),
        )
        .where(Document.id.between(lo, hi), Document.remote_id.is_(None))
        .order_by(Document.id, RemoteDocument.remote_id)
    )
    found: dict[int, list[RemoteDocumentView]] = defaultdict(list)
    for doc_id, *remote in rows:
        found[doc_id].append(remote_view(remote))
    return {doc_id: tuple(views) for doc_id, views in found.items()}


def priced_lines(session: Session, ids: Sequence[int]) -> dict[int, tuple[LineView, ...]]:
    """The lines of these documents with their quantities and prices, in position order, as rows
    (one read per 500 documents): a round of thousands of documents builds no ORM line for them."""
    found: dict[int, list[LineView]] = defaultdict(list)
    for part in chunked(ids):
        rows = session.execute(
            select(
                DocumentLine.document_id,
                DocumentLine.position,
                DocumentLine.product_id,
                DocumentLine.quantity,
                DocumentLine.unit_price,
                DocumentLine.description,
                DocumentLine.tax_rate_id,
            )
            .where(among(session, DocumentLine.document_id, part))
            .order_by(DocumentLine.document_id, DocumentLine.position, DocumentLine.id)
        )
        for doc_id, position, product_id, quantity, unit_price, description, tax_rate_id in rows:
            found[doc_id].append(
                LineView(position, product_id, quantity, unit_price, description, tax_rate_id)
            )
    return {doc_id: tuple(views) for doc_id, views in found.items()}


# -- the tool's state of linked documents (`document.editable_in_tool`) ----------------------------


def tool_state(session: Session, document: Document) -> str | None:
    """Where the linked document stands in its tool, as last read back (one query); None unread."""
    if document.remote_id is None or document.id is None:
        return None
    return session.scalar(
        select(RemoteState.status)
        .where(
            RemoteState.entity_type == document.kind,
            RemoteState.record_id == document.id,
            RemoteState.remote_id == document.remote_id,
        )
        .limit(1)
    )


def tool_states(session: Session, records: Iterable[object]) -> dict[int, str]:
    """`tool_state` of the linked documents among `records`, by document id (one read per 500)."""
    linked = [r for r in records if isinstance(r, Document) and r.remote_id is not None]
    found: dict[int, str] = {}
    for part in chunked(linked):
        chunk = {d.id: d for d in part}
        rows = session.execute(
            select(
                RemoteState.record_id,
                RemoteState.entity_type,
                RemoteState.remote_id,
                RemoteState.status,
            ).where(RemoteState.record_id.in_(chunk))
        )
        for record_id, entity, remote_id, status in rows:
            document = chunk.get(record_id) if record_id is not None else None
            if document is not None and (document.kind, document.remote_id) == (entity, remote_id):
                found[document.id] = status
    return found


def _batch_tool_states(session: Session, lo: int, hi: int) -> dict[int, str]:
    """`tool_state` of the linked documents with ids lo..hi, by id (one query)."""
    rows = session.execute(
        select(Document.id, RemoteState.status)
        .join(
            RemoteState,
            and_(
                RemoteState.record_id == Document.id,
                RemoteState.entity_type == Document.kind,
                RemoteState.remote_id == Document.remote_id,
            ),
        )
        .where(Document.id.between(lo, hi))
    )
    return {doc_id: status for doc_id, status in rows}
