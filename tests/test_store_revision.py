"""Opening the store checks the schema revision without Alembic: `HEAD_REVISION` must name the head
of the migration files, and reading `alembic_version` must say what Alembic would say."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from booksync.store.db import (
    HEAD_REVISION,
    Store,
    StoreError,
    _head_revision,
    create_db_engine,
    current_revision,
)


def test_head_revision_is_the_head_of_the_migration_files() -> None:
    # A new migration must move HEAD_REVISION with it, or every store would refuse to open.
    assert _head_revision() == HEAD_REVISION


def alembic_says(url: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def our_reading(url: str) -> str | None:
    engine = create_db_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_the_revision_read_is_alembics_on_an_empty_and_a_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'books.db'}"
    assert our_reading(url) is None and alembic_says(url) is None
    Store(url).dispose()
    assert our_reading(url) == alembic_says(url) == HEAD_REVISION


def test_a_database_at_an_older_revision_is_refused_with_the_command_that_upgrades_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'books.db'}"
    Store(url).dispose()
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    with pytest.raises(StoreError) as refused:
        Store(url)
    assert str(refused.value) == (
        f"the database is at schema revision 0001, this booksync needs {HEAD_REVISION}; "
        "run `booksync db upgrade`"
    )
