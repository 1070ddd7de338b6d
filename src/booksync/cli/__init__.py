"""The `booksync` command line: a thin face over the service layer."""

from __future__ import annotations

from typing import Annotated

import typer

from booksync import __version__
from booksync.cli._common import State

app = typer.Typer(
    name="booksync",
    help="Keep your accounting tool in step with your billing, and see why any record is not syncing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"booksync {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="BOOKSYNC_DATABASE_URL",
            help="Database URL or SQLite file path (default: ./booksync.db).",
            show_envvar=True,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    state = State(db)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    # Each command group lives in its own module and adds itself to `app`.
    from booksync.cli import db as _db  # noqa: F401
    from booksync.cli import demo as _demo  # noqa: F401
    from booksync.cli import doctor as _doctor  # noqa: F401
    from booksync.cli import integrations as _integrations  # noqa: F401
    from booksync.cli import quickbooks as _quickbooks  # noqa: F401
    from booksync.cli import records as _records  # noqa: F401
    from booksync.cli import sample as _sample  # noqa: F401
    from booksync.cli import serve as _serve  # noqa: F401
    from booksync.cli import sync as _sync  # noqa: F401
    from booksync.cli import xero as _xero  # noqa: F401


_register()


def main() -> None:
    app()
