"""`booksync demo`: the main job, start to finish, on the sample books and the embedded tool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, handles_errors, session, state
from booksync.cli.doctor import print_health_report
from booksync.cli.sync import print_import, print_summary, run_with_progress
from booksync.services import sync as sync_service
from booksync.services.demo import prepare_demo, validate_ledgers
from booksync.services.doctor import health_report
from booksync.services.errors import BooksyncError


@app.command("demo")
@handles_errors
def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo's ledgers go.")] = Path(
        "demo"
    ),
) -> None:
    """Load the sample MSP books, connect embedded ledgers, sync them, and show what stayed blocked."""
    started = time.monotonic()
    store = state(ctx).store
    with store.session() as s:
        if sync_service.sync_status(s).totals():
            raise BooksyncError(
                "the demo needs an empty database; run it with --db pointing at a new file (make demo does)"
            )
    console.rule("1. Sample books")
    setup = prepare_demo(store, directory)
    loaded = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in setup.sample.loaded.items())
    console.print(f"Loaded {loaded}.")
    console.print(
        f"{len(setup.sample.faults)} records are faulty on purpose, one for each way a record can fail "
        f"the checklist; {setup.sample.sync_jobs} sync jobs are waiting in the outbox."
    )
    console.rule("2. Embedded books connected, charts imported")
    for summary in setup.imports:
        print_import(summary)
    console.rule("3. Sync")
    result = run_with_progress(ctx, max_wait=5, quiet_success=True)
    with session(ctx) as s:
        print_summary(result, sync_service.sync_status(s))
    console.rule("4. What stayed blocked, and why (booksync doctor)")
    with session(ctx) as s:
        print_health_report(health_report(s))
    console.rule("5. The books")
    checks = validate_ledgers(store)
    for check in checks:
        verdict = (
            f"valid ({check.checker}: no errors)"
            if not check.problems
            else f"{len(check.problems)} error(s): {check.problems[0]}"
        )
        console.print(f"{check.tenant}: {check.location} — {verdict}")
    if checks and checks[0].view:
        console.print(f"\nLook at the result:  {checks[0].view}")
    console.print(
        f"Try: booksync --db {state(ctx).db_url} doctor invoice <number>   ·   "
        f"booksync --db {state(ctx).db_url} log invoice <number>"
    )
    console.print(f"Demo finished in {time.monotonic() - started:.1f} s.")
