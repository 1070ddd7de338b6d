"""A unit of work that need not wait for the disk (`Store.session(durable=False)`).

The engine's claims, verdicts and answers commit so on PostgreSQL; the "sent" mark before a call,
and everything else, waits for the disk as the server is set up to."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from booksync.store.db import Store


def _setting(store: Store, **kwargs: bool) -> str | None:
    if store.dialect != "postgresql":
        return None
    with store.session(**kwargs) as session:
        return str(session.scalar(text("SHOW synchronous_commit")))


def test_only_a_unit_of_work_asked_not_to_be_durable_skips_waiting_for_the_disk(
    store: Store,
) -> None:
    if store.dialect == "postgresql":
        assert _setting(store) == "on"
        assert _setting(store, durable=False) == "off"
        # SET LOCAL: the connection goes back to the pool as it was.
        assert _setting(store) == "on"
        assert _setting(store, durable=True) == "on"
    else:  # SQLite has no such setting; the session works the same
        with store.session(durable=False) as session:
            assert session.scalar(text("SELECT 1")) == 1


def test_a_not_durable_unit_of_work_still_commits_and_rolls_back_whole(store: Store) -> None:
    # A table of the test's own, dropped after it: the store's schema is compared elsewhere.
    try:
        with store.session(durable=False) as session:
            session.execute(text("CREATE TABLE durability_probe (n INTEGER)"))
            session.execute(text("INSERT INTO durability_probe VALUES (1)"))
        with pytest.raises(RuntimeError), store.session(durable=False) as session:
            session.execute(text("INSERT INTO durability_probe VALUES (2)"))
            raise RuntimeError("rolled back")
        with store.session() as session:
            assert session.scalars(text("SELECT n FROM durability_probe")).all() == [1]
    finally:
        with store.session() as session:
            session.execute(text("DROP TABLE IF EXISTS durability_probe"))
