"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike.

Both dialects spell it the same way in SQLAlchemy, from their own `insert`; this module picks the
session's, so a redelivered webhook or a row a concurrent worker wrote first is skipped by the
database itself, never by a read-then-write race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_new(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert `rows` into `model`'s table, skipping any whose `keys` already exist; the number inserted."""
    if not rows:
        return 0
    make = postgresql.insert if dialect(session) == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    stmt = make(table).on_conflict_do_nothing(index_elements=list(keys))
    inserted = 0
    conn = session.connection()
    for row in rows:
        # What RETURNING gives back is what was written (rowcount is -1 under psycopg's returning).
        inserted += len(conn.execute(stmt.values(**row).returning(table.c.id)).all())
    return inserted


__all__ = ["dialect", "insert_new"]
