"""What every command shares: the open store, one-line errors with exit code 2, JSON and tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from booksync.services.errors import BooksyncError
from booksync.store.db import Store, StoreError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for usage and validation errors (the brief's bad-input contract).
USAGE_ERROR = 2


class State:
    """Per-invocation state, set by the root callback: which database, opened on first use."""

    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    assert isinstance(root.obj, State)
    return root.obj


@contextmanager
def session(ctx: typer.Context) -> Iterator[Session]:
    """One transaction for the whole command: all of it is written, or none of it."""
    with state(ctx).store.session() as s:
        yield s


def fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    # The message carries user input: print it as plain text (no markup, no :emoji: codes).
    err_console.print(Text("error: ", style="bold red") + Text(message), emoji=False)
    return typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn booksync's own errors into one red line and exit code 2; nothing is written."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (BooksyncError, StoreError) as exc:
            raise fail(str(exc)) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)


def print_record(title: str, data: dict[str, Any]) -> None:
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        if key == "lines":
            continue
        table.add_row(key, Text("" if value is None else str(value)))
    console.print(table)
    if data.get("lines"):
        print_table(
            "lines",
            ["#", "product", "description", "qty", "unit price", "tax rate", "amount"],
            [
                [
                    ln["position"],
                    ln["product"],
                    ln["description"],
                    ln["quantity"],
                    ln["unit_price"],
                    ln["tax_rate"] or "",
                    ln["amount"],
                ]
                for ln in data["lines"]
            ],
        )
