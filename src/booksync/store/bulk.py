"""Rows as a table a statement joins, for the writes a batch makes in one go on PostgreSQL.

An executemany of an UPDATE is still one statement a row for the server, and for the driver one
set of parameters to adapt and pipeline a row. On PostgreSQL a batch's rows go instead as one JSON
document read as a table (`UPDATE ... FROM json_to_recordset(...) AS v(...)`), and a list of ids
as one array (`= ANY(...)`): one statement, whose text (and so its prepared plan) is the same
whatever the number of rows. SQLite keeps its executemany, which costs no round trip there.
"""

from __future__ import annotations

import functools
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


def among(
    session: Session, key: Any, ids: Iterable[Any], item: TypeEngine[Any] | None = None
) -> ColumnElement[bool]:
    """`key IN ids`; on PostgreSQL `key = ANY(:ids)`, one array parameter: the statement's text is
    the same for any number of ids, so the driver parses it once and the server plans it once.
    `item`: the values' type (integers unless given)."""
    if takes_rows(session):
        return key == any_(bindparam(None, value=list(ids), type_=ARRAY(item or Integer())))
    return key.in_(list(ids))


#: A rows table's columns: (name, type), in the order of each row's values.
Columns = Sequence[tuple[str, TypeEngine[Any]]]


def any_of(key: Any, name: str, postgres: bool) -> ColumnElement[bool]:
    """`among` for a statement built once: `key` among the ids in the parameter `name`, an array
    (`= ANY`) on PostgreSQL and an expanding IN elsewhere."""
    if postgres:
        return key == any_(bindparam(name, type_=ARRAY(Integer())))
    return key.in_(bindparam(name, expanding=True))


def rows_table(session: Session, name: str, columns: Columns, rows: Sequence[Sequence[Any]]) -> Any:
    """`rows` (one tuple a row, in `columns`' order) as the table `name(columns...)`, sent as one
    JSON document (PostgreSQL only; `json_to_recordset`). One text parameter: an array parameter
    a column would have the driver quote every string of it, slowly. A decorated type's values
    are bound as it binds them (a naive time is refused); a JSON column's None is SQL NULL.

    A statement a batch runs again and again is built once instead, over `rows_source`, and
    given its rows with `rows_params`."""
    document = bindparam(f"{name}_rows", value=rows_json(session, columns, rows), type_=Text())
    return _derived(name, columns, document)


@functools.cache
def rows_source(name: str, columns: tuple[tuple[str, TypeEngine[Any]], ...]) -> Any:
    """The table `name(columns...)` of the rows in the parameter `{name}_rows` (`rows_params`),
    for a statement built once: its text, cache key and column collection are made once, not for
    every batch. `columns` must be the same objects each time (a module's constant)."""
    return _derived(name, columns, bindparam(f"{name}_rows", type_=Text()))


def rows_params(
    session: Session, name: str, columns: Columns, rows: Sequence[Sequence[Any]]
) -> dict[str, str]:
    """The parameter that gives `rows_source(name, columns)` its rows."""
    return {f"{name}_rows": rows_json(session, columns, rows)}


def _derived(name: str, columns: Columns, document: Any) -> Any:
    named = [
        column(key, type_.impl_instance if isinstance(type_, TypeDecorator) else type_)
        for key, type_ in columns
    ]
    return (
        func.json_to_recordset(cast(document, JSON))
        .table_valued(*named)
        .render_derived(name=name, with_types=True)
    )


def rows_json(session: Session, columns: Columns, rows: Sequence[Sequence[Any]]) -> str:
    """`rows` as the JSON document `json_to_recordset` reads: one object a row."""
    decorated = [
        (index, type_)
        for index, (_, type_) in enumerate(columns)
        if isinstance(type_, TypeDecorator)
    ]
    keys = [key for key, _ in columns]
    if decorated:
        dialect = session.get_bind().dialect
        rows = [_bound(row, decorated, dialect) for row in rows]
    # The encoder's C loop takes the rows as they are; only dates and Decimals reach `_json_ready`.
    return json.dumps([dict(zip(keys, row, strict=True)) for row in rows], default=_json_ready)


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
    columns = tuple((k, table.c[k].type) for k in keys)
    params = rows_params(session, "v", columns, [[r[k] for k in keys] for r in rows])
    session.execute(_inserting(table, columns), params)


@functools.cache
def _inserting(table: Table, columns: tuple[tuple[str, TypeEngine[Any]], ...]) -> Any:
    """`insert_rows`' INSERT ... SELECT, built once a table and set of columns."""
    v = rows_source("v", columns)
    return insert(table).from_select([k for k, _ in columns], select(*(v.c[k] for k, _ in columns)))


__all__ = [
    "Columns",
    "among",
    "any_of",
    "insert_rows",
    "rows_json",
    "rows_params",
    "rows_source",
    "rows_table",
    "takes_rows",
]
