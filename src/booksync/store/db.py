"""Opening the store: URL resolution, engines, sessions and migrations.

Opening an up-to-date store reads `alembic_version` and compares it with `HEAD_REVISION`; Alembic
(and the parsing of every migration file) is imported only when a migration runs, so a command
that only reads the books does not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from booksync.errors import BooksyncError
from booksync.store import outbox

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///booksync.db"
ENV_VAR = "BOOKSYNC_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration's revision: the schema this booksync runs on. A new migration changes it
#: (tests/test_store_revision.py checks it against the head Alembic reads from MIGRATIONS).
HEAD_REVISION = "0011"
#: Alembic's table holding a database's schema revision.
VERSION_TABLE = "alembic_version"


class StoreError(BooksyncError):
    """The store cannot be opened as asked; the message says why and what to do."""


def resolve_url(url: str | None = None) -> str:
    """`--db URL`, else BOOKSYNC_DATABASE_URL, else ./booksync.db. A bare path means a SQLite file."""
    raw = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    if "\x00" in raw or raw != raw.encode("utf-8", "replace").decode("utf-8"):
        # NUL, or bytes that were not UTF-8 (an argument decodes them to lone surrogates).
        shown = raw.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
        raise StoreError(
            f"database URL '{shown}' is not valid: it is not UTF-8 text; "
            "accepted: sqlite:///path/to/file.db or postgresql://user@host:port/dbname"
        )
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        raise StoreError(
            f"database URL {raw!r} is not valid; accepted: sqlite:///path/to/file.db "
            "or postgresql://user@host:port/dbname"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database URL {raw!r} uses {parsed.get_backend_name()!r}; accepted: sqlite or postgresql"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock at BEGIN so two writers queue instead of failing on upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str | None = None) -> Engine:
    resolved = resolve_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(resolved, pool_pre_ping=True)
        event.listen(engine, "connect", _postgres_settings)
    return engine


def _postgres_settings(dbapi_conn: Any, _record: Any) -> None:
    """No JIT compiling: booksync's statements each read a few rows by index, but the planner's
    estimates for the claim's walk grow with the backlog, and past `jit_above_cost` compiling took
    longer than running (156 of 267 ms of a claim at 20,000 pending)."""
    with dbapi_conn.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_conn.commit()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _head_revision() -> str | None:
    """The head revision as Alembic reads it from the migration files (slow: it parses them all);
    `HEAD_REVISION` says the same without reading them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    try:
        conn = engine.connect()
    except OperationalError as exc:  # no such directory, server down, wrong password...
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(
            f"database {engine.url.render_as_string(hide_password=True)!r} cannot be opened: "
            f"{reason}; accepted: a SQLite file in a writable folder, or a reachable PostgreSQL"
        ) from None
    with conn:
        # What Alembic's MigrationContext.get_current_revision() reads, without importing Alembic.
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        heads = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    if len(heads) > 1:
        raise StoreError(
            f"the database records {len(heads)} schema revisions ({', '.join(heads)}) in "
            f"{VERSION_TABLE}; this booksync needs exactly one, {HEAD_REVISION}"
        )
    return heads[0] if heads else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Create a new database on first use; refuse to run on one that needs `booksync db upgrade`."""
    current = current_revision(engine)
    if current is None:
        upgrade(engine)
    elif current != HEAD_REVISION:
        raise StoreError(
            f"the database is at schema revision {current}, this booksync needs {HEAD_REVISION}; "
            "run `booksync db upgrade`"
        )


class Store:
    """An open store: one engine and a session factory with the outbox attached."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = resolve_url(url)
        self.engine = create_db_engine(self.url)
        if migrate:
            ensure_schema(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        outbox.install(self.sessions)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, durable: bool = True) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back whole if it raises.

        Not `durable` (PostgreSQL): the commit does not wait for the disk. Only for writes whose
        loss in a server crash is the same as the worker dying before it made them, which the
        engine recovers from: a claim, a round's verdicts, a batch's answers. The "sent" mark
        before each call stays durable, and its flush carries every commit made before it to disk
        first: a call never goes out while an earlier commit could still be lost."""
        with self.sessions() as session, session.begin():
            if not durable and self.dialect == "postgresql":  # sent as it is: nothing to compile
                session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
