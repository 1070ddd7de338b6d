"""Documents as the rules see them (`DocumentView`), one at a time or streamed for the health report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ClauseElement, Connection, select
from sqlalchemy.orm import Session

from booksync.domain.records import DocumentView, LineView
from booksync.domain.types import EntityType
from booksync.store.models import Document, DocumentLine


def document_view(document: Document) -> DocumentView:
    return DocumentView(
        document.id,
        EntityType(document.kind),
        document.number,
        document.client_id if document.client_id is not None else document.supplier_id or 0,
        document.currency,
        document.status,
        tuple(
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
    rules, not on loading.
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
    # Quantities and prices play no part in any rule; the health report skips reading them.
    shared: dict[tuple[int, int, int | None], LineView] = {}
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
        for doc_id, kind, number, client_id, supplier_id, currency, status, remote_id in docs:
            party = client_id if client_id is not None else supplier_id
            mine = lines.get(doc_id)
            if mine is not None and doc_id in shuffled:
                mine.sort(key=_position)
            yield DocumentView(
                doc_id,
                kinds[kind],
                number,
                party or 0,
                currency,
                status,
                tuple(mine) if mine is not None else (),
                remote_id,
            )
        last = hi
