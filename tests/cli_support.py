"""Helpers for CLI tests: run `booksync` in-process, read its JSON, seed a small set of books,
and snapshot every table so a test can prove a rejected command wrote nothing."""

from __future__ import annotations

import functools
import json
from typing import Any

import typer.testing
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from booksync.cli import app
from booksync.cli._common import console
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
    configure_integration,
)
from booksync.store.db import Store, create_db_engine
from booksync.store.models import Base

runner = CliRunner()
#: Wide enough that Rich never folds a table cell or an option name (the console's width is
#: fixed when it is created, so COLUMNS alone would not reach it).
WIDTH = 250


_convert = typer.testing._get_command


@functools.cache
def _root() -> Any:
    """`booksync` converted to Click once per test process, not once per command run (a quarter
    of a second each once every command module is imported): its root group lists and loads every
    command lazily, so a cached root misses nothing."""
    return _convert(app)


# Typer's CliRunner converts the app it is given on every `invoke`; it is handed the cached root.
typer.testing._get_command = lambda given: _root() if given is app else _convert(given)  # type: ignore[attr-defined]


def invoke(db_url: str, *args: str) -> Result:
    console.width = WIDTH
    return runner.invoke(app, ["--db", db_url, *args], env={"COLUMNS": str(WIDTH)})


def ok(db_url: str, *args: str) -> Result:
    result = invoke(db_url, *args)
    assert result.exit_code == 0, f"booksync {' '.join(args)} failed:\n{result.output}"
    return result


def data(db_url: str, *args: str) -> Any:
    """The command's `--json` output."""
    return json.loads(ok(db_url, *args, "--json").stdout)


def subset(record: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key, "<missing>") for key in expected}


def seed(db_url: str) -> None:
    """A tenant, two tax rates, two account codes, an item group, a client, a supplier, a product."""
    store = Store(db_url)
    with store.session() as s:
        configure_integration(
            s, "xero", {"enabled": True, "entities_to_sync": ["client", "product", "invoice"]}
        )
        TENANTS.create_for(s, "xero", {"name": "Acme AU"})
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10", "is_default": True})
        TAX_RATES.create(s, {"name": "GST Free", "percent": "0"})
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Purchases", "code": "300", "kind": "expense"})
        ITEM_GROUPS.create(
            s, {"name": "Backup", "tax_rate": "GST on Income", "income_account": "200"}
        )
        CLIENTS.create(s, {"name": "Base Client", "tenant": "Acme AU"})
        SUPPLIERS.create(s, {"name": "Base Supplier", "tenant": "Acme AU"})
        PRODUCTS.create(
            s,
            {
                "name": "Backup 1TB",
                "price": "49",
                "cost": "30",
                "item_group": "Backup",
                "tenant": "Acme AU",
            },
        )
    store.dispose()


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order, as the database driver returns them."""
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                name: [tuple(row) for row in conn.exec_driver_sql(sql)]
                for name, sql in _snapshot_sql(engine.dialect.name, engine.dialect).items()
            }
    finally:
        engine.dispose()


_COMPILED: dict[str, dict[str, str]] = {}


def _snapshot_sql(name: str, dialect: Any) -> dict[str, str]:
    """Each table's SELECT, compiled once per dialect (a new engine would compile them again)."""
    if name not in _COMPILED:
        _COMPILED[name] = _compile(dialect)
    return _COMPILED[name]


def _compile(dialect: Any) -> dict[str, str]:
    return {
        table.name: str(select(table).order_by(*table.primary_key.columns).compile(dialect=dialect))
        for table in Base.metadata.sorted_tables
    }
