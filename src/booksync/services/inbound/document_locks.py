"""A document's state in its tool and its payments are read as they were recorded: together.

`recording` writes a state and the payments behind it in one transaction, but on PostgreSQL (READ
COMMITTED) each statement of a reader sees what was committed when that statement began. GET
/payments?document= reads the payments and then the status: a recording committed between the two
answered "paid" with no payment. So a recording holds an exclusive transaction-level advisory lock
per document it writes, and a reader a shared one on the document it reads: a reader waits for a
recording in flight, and a recording for the reads in flight (a request's few statements). Keyed by
the document's id, so it holds before the document's first state row exists.

Advisory locks, not row locks: a reader writes nothing and blocks no edit of the document, and the
(int, int) keys are their own space, apart from the rate budget's bigint ones ("these two key
spaces do not overlap", PostgreSQL's "Advisory Lock Functions"). SQLite needs none: every
transaction there takes the one write lock at BEGIN (`store.db._sqlite_begin`), reads included.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from booksync.services.inbound.upserts import dialect

#: The first key of the locks: "bkds" (booksync document standing), read as a 32-bit integer.
SPACE = 0x626B6473

_WRITE = text(
    "SELECT count(pg_advisory_xact_lock(CAST(:space AS integer), ids.id)) "
    "FROM (SELECT DISTINCT unnest(CAST(:ids AS integer[])) AS id ORDER BY id) AS ids"
)
_READ = text("SELECT pg_advisory_xact_lock_shared(CAST(:space AS integer), CAST(:id AS integer))")


def hold_for_recording(session: Session, document_ids: Iterable[int]) -> None:
    """Before writing these documents' states or payments: wait for their reads in flight, and
    keep new ones out until the transaction ends. In id order, so two recordings cannot each
    wait for the other."""
    ids = sorted(set(document_ids))
    if ids and dialect(session) == "postgresql":
        session.execute(_WRITE, {"space": SPACE, "ids": ids})


def hold_for_reading(session: Session, document_id: int) -> None:
    """Before reading the document's state or payments: wait for a recording of it in flight,
    and keep the next one out until the transaction ends, so every read in it agrees."""
    if dialect(session) == "postgresql":
        session.execute(_READ, {"space": SPACE, "id": document_id})


__all__ = ["SPACE", "hold_for_reading", "hold_for_recording"]
