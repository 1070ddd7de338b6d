"""Shared fixtures: every store-backed test runs on a real SQLite file and on the local PostgreSQL.

PostgreSQL comes from BOOKSYNC_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres). Each
test worker gets a database of its own, migrated once and emptied between tests. Without a reachable
PostgreSQL the PostgreSQL half is skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from booksync.store.db import Store
from booksync.store.models import Base

#: Where this suite's processes keep compiled bytecode (git-ignored, as .cache/axe is).
PYCACHE = Path(__file__).resolve().parents[1] / ".cache" / "pycache"


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode is cached, whatever PYTHONDONTWRITEBYTECODE says, in PYCACHE (not beside the
    sources): otherwise each xdist worker compiles every module and rewrites every test module
    again (collecting took 9.5 s a process, 3.7 s from the cache), and each `booksync` process a
    test starts compiles booksync again. bench/cli.py caches bytecode the same way. Set here, so
    the workers (started after this) and every process a test starts inherit it."""
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
    sys.dont_write_bytecode = False


PG_ADMIN_URL = os.environ.get(
    "BOOKSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    problem = _pg_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}")
    name = f"booksync_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    Store(url).dispose()  # migrate once
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_scratch(pg_url: str) -> Iterator[Callable[..., str]]:
    """`new(prefix)`: the URL of a new, empty database of this worker's, for books a module or a
    test keeps to itself. All are dropped when the session ends, not one by one as they are done
    with: DROP DATABASE waits for a checkpoint, which with the other worker writing took 11 s."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new(prefix: str, template: str | None = None) -> str:
        """`template`: a copy of that database (of this worker's; nothing may be connected to it)."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        copied = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
        made.append(name)
        return make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    yield new
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    Store(f"sqlite:///{path}").dispose()
    return path


@dataclass(frozen=True)
class _Reset:
    """How to empty one migrated PostgreSQL store (see `_empty_pg`)."""

    #: One SELECT: each table that holds a row or whose sequence has been used, and its size.
    touched: str
    #: Each table's sequences (serial and identity columns), with their start values.
    sequences: dict[str, list[tuple[str, int]]]


#: Per database URL (the probe is written once per worker).
_RESETS: dict[str, _Reset] = {}

_OWNED_SEQUENCES = text(
    """
    SELECT tab.relname, seq.relname, s.seqstart
    FROM pg_class seq
    JOIN pg_sequence s ON s.seqrelid = seq.oid
    JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = seq.oid
        AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    JOIN pg_class tab ON tab.oid = dep.refobjid
    JOIN pg_namespace ns ON ns.oid = seq.relnamespace AND ns.nspname = current_schema()
    WHERE seq.relkind = 'S'
    """
)

#: A touched table this large on disk, its dead rows included, is truncated; a smaller one is
#: emptied with DELETE. 4 pages: a scan of what earlier tests left stays trivial, and below 10
#: pages PostgreSQL plans for a never-analyzed table as for a new one (it assumes 10 pages).
_TRUNCATE_FROM_BYTES = 4 * 8192


def _reset_for(conn: Connection) -> _Reset:
    sequences: dict[str, list[tuple[str, int]]] = {}
    for table, sequence, start in conn.execute(_OWNED_SEQUENCES):
        sequences.setdefault(table, []).append((sequence, int(start)))
    probes = []
    for table in Base.metadata.sorted_tables:
        used = [f'(SELECT is_called FROM "{seq}")' for seq, _ in sequences.get(table.name, [])]
        touched = " OR ".join([f'EXISTS (SELECT 1 FROM "{table.name}")', *used])
        size = f"""pg_relation_size('"{table.name}"')"""
        probes.append(f"SELECT '{table.name}', {size} WHERE {touched}")
    return _Reset(" UNION ALL ".join(probes), sequences)


@pytest.fixture(scope="session")
def sample_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store holding the default sample books, loaded once per worker (`sample_store`)."""
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    shutil.copy(sqlite_template, path)
    _load_sample(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sample_pg(pg_scratch: Callable[..., str]) -> str:
    """The name of a PostgreSQL database holding the default sample books, loaded once per worker
    and never used but as the TEMPLATE of `sample_store`'s copies."""
    url = pg_scratch("booksync_sample_template")
    _load_sample(url)
    return str(make_url(url).database)


def _load_sample(url: str) -> None:
    """Load the default sample books into the store at `url`, in a transaction of their own, and
    close every connection (CREATE DATABASE ... TEMPLATE needs nobody connected to it)."""
    from booksync.services.sample import load_sample

    loaded = Store(url)
    with loaded.session() as s:
        load_sample(s)
    loaded.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def sample_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store holding the default sample books as `booksync sample load` writes them (in a
    transaction of its own), on each backend: a fresh copy for each test of books loaded once per
    worker (loading them takes 2 s on SQLite, 3.5 s on PostgreSQL; a copy some 50 ms)."""
    if request.param == "sqlite":
        path = tmp_path / "booksync.db"
        # SQLite's backup copies the whole database, what its write-ahead log holds too.
        with (
            closing(sqlite3.connect(request.getfixturevalue("sample_sqlite"))) as source,
            closing(sqlite3.connect(path)) as copy,
        ):
            source.backup(copy)
        url = f"sqlite:///{path}"
    else:  # a copy dropped when the session ends (pg_scratch)
        template = request.getfixturevalue("sample_pg")
        url = request.getfixturevalue("pg_scratch")("booksync_sample", template=template)
    opened = Store(url)
    yield opened
    opened.dispose()


def _empty_pg(url: str) -> None:
    """Leave the store's tables as a freshly migrated database has them: no rows, every sequence
    at its start. Only the tables a test touched (a row, or a used sequence) are emptied: a small
    one with DELETE, its sequences set back to their start; a large one (`_TRUNCATE_FROM_BYTES`)
    with TRUNCATE ... RESTART IDENTITY. TRUNCATE gives each table, index and sequence a new file,
    and with CASCADE every table that refers to one too: 150-350 ms a test on this machine for
    the 14 tables a few books touch, where DELETE takes 15-35 ms. What DELETE leaves is dead rows
    (this server runs no autovacuum) until the table grows past the limit and is truncated."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if url not in _RESETS:
                _RESETS[url] = _reset_for(conn)
            reset = _RESETS[url]
            touched = {name: size for name, size in conn.exec_driver_sql(reset.touched)}
            if not touched:
                return
            large = [name for name, size in touched.items() if size >= _TRUNCATE_FROM_BYTES]
            if large:  # first: CASCADE may empty small tables that reference them
                names = ", ".join(f'"{name}"' for name in large)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            statements = []
            for table in reversed(Base.metadata.sorted_tables):  # rows that refer to others first
                if table.name in touched and table.name not in large:
                    statements.append(f'DELETE FROM "{table.name}"')
                    statements += [
                        f"SELECT setval('\"{seq}\"', {start}, false)"
                        for seq, start in reset.sequences.get(table.name, [])
                    ]
            if statements:
                conn.exec_driver_sql("; ".join(statements))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "booksync.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        _empty_pg(url)
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store(db_url)
    yield opened
    opened.dispose()


#: The Redis the budget tests share (database 15: nothing else of booksync's uses it).
REDIS_URL = os.environ.get("BOOKSYNC_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> str:
    """The test Redis's URL once it answers; a skip when it does not (a failure under CI=true)."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true and is not reachable: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL
