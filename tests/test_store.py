"""Opening the store (URL resolution, migrations, first use) and what it keeps exactly: money as
Decimal to the last place, times as timezone-aware UTC, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from booksync.cli import app
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, PRODUCTS, TENANTS
from booksync.store.db import (
    ENV_VAR,
    Store,
    StoreError,
    _head_revision,
    create_db_engine,
    current_revision,
    resolve_url,
)
from booksync.store.models import Client, Document, Product, Tenant
from cli_support import invoke, ok, runner

# -- which database ---------------------------------------------------------------------------


def test_default_is_booksync_db_in_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_url() == "sqlite:///booksync.db"


def test_env_var_is_used_and_db_flag_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "sqlite:///from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"
    assert resolve_url("sqlite:///from-flag.db") == "sqlite:///from-flag.db"


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("books.db", "sqlite:///books.db"),
        ("data/books.db", "sqlite:///data/books.db"),
        ("/var/lib/booksync/books.db", "sqlite:////var/lib/booksync/books.db"),
        ("postgresql://booksync@db:5432/books", "postgresql+psycopg://booksync@db:5432/books"),
        ("postgres://booksync@db/books", "postgresql+psycopg://booksync@db/books"),
        ("postgresql+psycopg://u:secret@db/books", "postgresql+psycopg://u:secret@db/books"),
    ],
)
def test_url_resolution(given: str, resolved: str) -> None:
    assert resolve_url(given) == resolved


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("mysql://me@localhost/books", "'mysql'; accepted: sqlite or postgresql"),
        ("postgresql://me@db:port/books", "is not valid; accepted: sqlite:///"),
        ("://nothing", "is not valid"),
    ],
)
def test_unsupported_or_invalid_url_is_refused(given: str, named: str) -> None:
    with pytest.raises(StoreError) as caught:
        resolve_url(given)
    assert named in str(caught.value)


def test_first_use_creates_the_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["client", "add", "Acme Ltd"], env={ENV_VAR: None})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "booksync.db").is_file()
    assert "Acme Ltd" in ok(str(tmp_path / "booksync.db"), "client", "list").stdout


def test_env_var_database_is_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    result = runner.invoke(app, ["client", "list"], env={ENV_VAR: str(path)})
    assert result.exit_code == 0, result.output
    engine = create_db_engine(str(path))
    assert current_revision(engine) == _head_revision()
    engine.dispose()


# -- migrations ---------------------------------------------------------------------------------


def test_db_upgrade_creates_a_fresh_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    first = ok(str(path), "db", "upgrade")
    assert f"from empty to {_head_revision()}" in first.stdout
    engine = create_db_engine(str(path))
    try:
        assert current_revision(engine) == _head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"clients", "documents", "sync_jobs", "sync_job_blockers"} <= tables
    finally:
        engine.dispose()
    again = ok(str(path), "db", "upgrade")
    assert f"already at revision {_head_revision()}" in again.stdout
    assert _head_revision() in ok(str(path), "db", "revision").stdout


def test_db_upgrade_on_a_current_database(db_url: str) -> None:
    assert "already at revision" in ok(db_url, "db", "upgrade").stdout


@pytest.mark.parametrize("command", [["client", "list"], ["db", "upgrade"]])
def test_a_database_that_cannot_be_opened_is_one_line_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    result = invoke(f"sqlite:///{tmp_path}/no/such/dir/books.db", *command)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert "no/such/dir/books.db' cannot be opened" in message
    assert "accepted: a SQLite file in a writable folder" in message


def test_an_unreachable_postgresql_is_one_line_exit_2_without_the_password() -> None:
    result = invoke("postgresql://booksync:s3cret@127.0.0.1:1/books", "client", "list")
    assert result.exit_code == 2, result.output
    assert "cannot be opened" in result.stderr
    assert "s3cret" not in result.stderr


# -- exact money, UTC times --------------------------------------------------------------------


def test_money_round_trips_exactly(store: Store) -> None:
    with store.session() as s:
        PRODUCTS.create(s, {"name": "Big", "price": "12345678901234.5678", "cost": "0.0001"})
        CLIENTS.create(s, {"name": "Acme Ltd"})
        DOCUMENTS[EntityType.INVOICE].create(
            s,
            {
                "number": "INV-1",
                "party": "Acme Ltd",
                "lines": [
                    {"product": "Big", "quantity": "0.1", "unit_price": "0.1"},
                    {"product": "Big", "quantity": "0.2", "unit_price": "-0.2"},
                    {"product": "Big", "quantity": "3333.3333", "unit_price": "0.0003"},
                ],
            },
        )
    with store.session() as s:  # a new session reads what the database kept
        product = s.scalars(select(Product)).one()
        assert product.price == Decimal("12345678901234.5678")
        assert product.cost == Decimal("0.0001")
        assert isinstance(product.price, Decimal)
        lines = s.scalars(select(Document)).one().lines
        assert [ln.quantity for ln in lines] == [
            Decimal("0.1"),
            Decimal("0.2"),
            Decimal("3333.3333"),
        ]
        assert [ln.unit_price for ln in lines] == [
            Decimal("0.1"),
            Decimal("-0.2"),
            Decimal("0.0003"),
        ]
        assert sum(ln.quantity for ln in lines[:2]) == Decimal("0.3")
        assert sum(ln.quantity * ln.unit_price for ln in lines) == Decimal("0.96999999")


def test_money_refuses_a_float(store: Store) -> None:
    with pytest.raises(StatementError, match="money must be a Decimal"), store.session() as s:
        s.add(Product(name="Float", price=0.1))  # type: ignore[arg-type]
        s.flush()
    with store.session() as s:
        assert s.scalars(select(Product)).all() == []


def test_timestamps_are_aware_utc(store: Store) -> None:
    before = datetime.now(UTC)
    sydney = timezone(timedelta(hours=10))
    with store.session() as s:
        CLIENTS.create(s, {"name": "Acme Ltd"})
        tenant = TENANTS.create_for(s, "ledger", {"name": "Books"})
        tenant.connected_at = datetime(2025, 7, 1, 9, 30, tzinfo=sydney)
    with store.session() as s:
        client = s.scalars(select(Client)).one()
        tenant = s.scalars(select(Tenant)).one()
        for stamp in (client.created_at, client.updated_at, tenant.connected_at):
            assert stamp is not None
            assert stamp.tzinfo is not None
            assert stamp.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=5) <= client.created_at <= datetime.now(UTC)
        assert tenant.connected_at == datetime(2025, 6, 30, 23, 30, tzinfo=UTC)


def test_a_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        tenant = TENANTS.create_for(s, "ledger", {"name": "Books"})
        tenant.connected_at = datetime(2025, 7, 1, 9, 30)
        s.flush()
