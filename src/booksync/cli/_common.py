"""What every command shares: the open store, one-line errors with exit code 2, JSON and tables.

Rich is imported on first use (`console`, `err_console`, the tables), not with this module: the
root group imports it for every command, and `booksync --help` or a `--json` answer need no Rich.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from booksync.errors import BooksyncError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from booksync.store.db import Store

#: Standard output and standard error, made on first use (see `__getattr__`): one of each per
#: process, so a test that widens `console` widens what every command prints.
console: Console
err_console: Console
#: Each console, and whether it writes to standard error.
CONSOLES = {"console": False, "err_console": True}


def __getattr__(name: str) -> Any:
    """`console` and `err_console`, made the first time anything asks for them."""
    if name not in CONSOLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    made = globals()[name] = Console(stderr=CONSOLES[name], highlight=False, soft_wrap=True)
    return made


def _console(name: str = "console") -> Console:
    """A console from inside this module (a module's own code does not reach `__getattr__`)."""
    made = globals().get(name)
    return made if made is not None else __getattr__(name)


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
            from booksync.store.db import Store  # opened only by commands that read the books

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
    from rich.text import Text

    # The message carries user input: print it as plain text (no markup, no :emoji: codes).
    _console("err_console").print(Text("error: ", style="bold red") + Text(message), emoji=False)
    return typer.Exit(code)


#: The optional extra that brings each third-party package a command may need (see pyproject).
EXTRA_OF = {
    "fastapi": "server",
    "starlette": "server",
    "uvicorn": "server",
    "jinja2": "server",
    "argon2": "server",
    "itsdangerous": "server",
    "multipart": "server",
    "psycopg": "postgres",
}


def missing_extra(exc: ModuleNotFoundError) -> typer.Exit:
    """A missing optional package said as the command that installs it (exit 2); any other
    missing module is re-raised, not disguised."""
    from booksync.connectors.registry import tools

    missing = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(missing) or next(
        (e for tool in tools().values() if (e := tool.extra_providing(missing))), None
    )
    if extra is None:
        raise exc
    return fail(
        f"this command needs the optional '{missing}' package; install it with: "
        f"pip install 'booksync[{extra}]'"
    )


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn booksync's own errors into one red line and exit code 2; nothing is written. A missing
    optional package is said as the command that installs it."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BooksyncError as exc:  # a StoreError too
            raise fail(str(exc)) from None
        except ModuleNotFoundError as exc:
            raise missing_extra(exc) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    _console().print(table)


def print_record(title: str, data: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        if key == "lines":
            continue
        table.add_row(key, Text("" if value is None else str(value)))
    _console().print(table)
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
