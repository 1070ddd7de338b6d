"""`booksync db`: schema migrations."""

from __future__ import annotations

import typer

from booksync.cli import app
from booksync.cli._common import console, handles_errors, state
from booksync.store.db import create_db_engine, current_revision, upgrade

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@handles_errors
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration (a new database is created)."""
    engine = create_db_engine(state(ctx).db_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    engine.dispose()
    if before == after:
        console.print(f"Database already at revision {after}.")
    else:
        console.print(f"Database upgraded from {before or 'empty'} to {after}.")


@db_app.command("revision")
@handles_errors
def db_revision(ctx: typer.Context) -> None:
    """Show the database's schema revision."""
    engine = create_db_engine(state(ctx).db_url)
    console.print(current_revision(engine) or "empty (run `booksync db upgrade`)")
    engine.dispose()
