"""Rows as a table a statement joins, for the writes a batch makes in one go on PostgreSQL.

An executemany of an UPDATE is still one statement a row for the server, and for the driver one
set of parameters to adapt and pipeline a row. On PostgreSQL a batch's rows go instead as one JSON
document read as a table (`UPDATE ... FROM json_to_recordset(...) AS v(...)`), and a list of ids
as one array (`= ANY(...)`): one statement, whose text (and so its prepared plan) is the same
whatever the number of rows. SQLite keeps its executemany, which costs no round trip there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Integer,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

T = TypeVar("T")

#: Ids (or values) per IN list or array a bulk read sends: a read of the whole book stays bounded.
CHUNK = 500


def chunked(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of `size`, in order."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def takes_rows(session: Session) -> bool:
    """Whether this store takes a batch's rows and ids in one parameter (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def among(session: Session, key: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`key IN ids`; on PostgreSQL `key = ANY(:ids)`, one array parameter: the statement's text is
    the same for any number of ids, so the driver parses it once and the server plans it once."""
    if takes_rows(session):
        return key == any_(bindparam(None, value=list(ids), type_=ARRAY(Integer())))
    return key.in_(list(ids))


def rows_table(
    session: Session,
    name: str,
    columns: Sequence[tuple[str, TypeEngine[Any]]],
    rows: Sequence[Sequence[Any]],
) -> Any:
    """`rows` (one tuple a row, in `columns`' order) as the table `name(columns...)`, sent as one
    JSON document (PostgreSQL only; `json_to_recordset`). One text parameter: an array parameter
    a column would have the driver quote every string of it, slowly. A decorated type's values
    are bound as it binds them (a naive time is refused); a JSON column's None is SQL NULL."""
    dialect = session.get_bind().dialect
    plain: list[tuple[str, TypeEngine[Any]]] = []
    decorated: list[tuple[int, TypeDecorator[Any]]] = []
    for index, (key, type_) in enumerate(columns):
        if isinstance(type_, TypeDecorator):
            decorated.append((index, type_))
            type_ = type_.impl_instance
        plain.append((key, type_))
    keys = [key for key, _ in columns]
    if decorated:
        rows = [_bound(row, decorated, dialect) for row in rows]
    # The encoder's C loop takes the rows as they are; only dates and Decimals reach `_json_ready`.
    records = [dict(zip(keys, row, strict=True)) for row in rows]
    document = bindparam(
        f"{name}_rows", value=json.dumps(records, default=_json_ready), type_=Text()
    )
    named = [column(key, type_) for key, type_ in plain]
    return (
        func.json_to_recordset(cast(document, JSON))
        .table_valued(*named)
        .render_derived(name=name, with_types=True)
    )


def _bound(
    row: Sequence[Any], decorated: Sequence[tuple[int, TypeDecorator[Any]]], dialect: Any
) -> list[Any]:
    """`row` with its decorated columns' values as those types bind them."""
    values = list(row)
    for index, type_ in decorated:
        values[index] = type_.process_bind_param(values[index], dialect)
    return values


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each naming the same columns): on PostgreSQL one INSERT ... SELECT from the
    rows as one JSON document (`rows_table`), elsewhere an executemany. Columns no row names take
    their defaults."""
    if not rows:
        return
    keys = list(rows[0])
    if not takes_rows(session) or any(r.keys() != rows[0].keys() for r in rows):
        session.execute(insert(table), list(rows))
        return
    v = rows_table(
        session, "v", [(k, table.c[k].type) for k in keys], [[r[k] for k in keys] for r in rows]
    )
    session.execute(insert(table).from_select(keys, select(*(v.c[k] for k in keys))))


__all__ = ["among", "insert_rows", "rows_table", "takes_rows"]
