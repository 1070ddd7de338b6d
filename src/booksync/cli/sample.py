"""`booksync sample load`: the sample MSP books, for a first look, the demo and the tests."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, handles_errors, print_table, session, state
from booksync.services.errors import BadInput
from booksync.services.sample import DEFAULT_CLIENTS, DEFAULT_INVOICES, Fault, load_sample

sample_app = typer.Typer(help="Sample books to try booksync on.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")


@sample_app.command("load")
@handles_errors
def sample_load(
    ctx: typer.Context,
    clients: Annotated[
        int, typer.Option(help="How many clients, 3 of them faulty on purpose.")
    ] = DEFAULT_CLIENTS,
    invoices: Annotated[
        int, typer.Option(help="How many invoices, those held on purpose included.")
    ] = DEFAULT_INVOICES,
) -> None:
    """Load a realistic MSP's books into an empty database, with one deliberate fault for each
    way a record can fail to sync."""
    _ = state(ctx).store  # open (and create) the database first: the time is the load's alone
    started = time.perf_counter()
    try:
        with session(ctx) as s:
            summary = load_sample(s, clients=clients, invoices=invoices)
    except BadInput as exc:
        if exc.field not in ("clients", "invoices"):
            raise
        raise BadInput(f"--{exc.field}", exc.value, exc.problem, exc.accepted) from None
    elapsed = time.perf_counter() - started
    print_table(
        "Sample books loaded",
        ["record type", "loaded", "faulty or held on purpose"],
        [[kind, n, summary.faulty.get(kind, "")] for kind, n in summary.loaded.items()],
    )
    print_table(
        "Deliberate faults", ["rule", "record", "fix", "holds"], _fault_rows(summary.faults)
    )
    console.print(
        f"{summary.sync_jobs} sync jobs pending; loaded in {elapsed:.1f} s. "
        "The ledger tenants are not connected yet, so nothing has synced."
    )


def _fault_rows(faults: tuple[Fault, ...]) -> list[list[str]]:
    """One row per fault, the records failing the same way (e.g. every credit note) on one row."""
    grouped: dict[tuple[str, ...], list[Fault]] = {}
    for f in faults:
        same = f.cause if f.cause_type != f.record_type else f.reference
        grouped.setdefault((f.rule, f.record_type, f.cause_type, same, f.field), []).append(f)
    rows = []
    for (rule, record_type, cause_type, cause, field), group in grouped.items():
        refs = [f.reference for f in group]
        label = record_type.replace("_", " ")
        record = (
            f"{label} '{refs[0]}'"
            if len(refs) == 1
            else f"{len(refs)} {label}s: " + ", ".join(refs)
        )
        itself = cause_type == record_type and len(refs) == 1
        fix = field if itself else f"{cause_type.replace('_', ' ')} '{cause}': {field}"
        holds = ", ".join(number for f in group for _, number in f.blocked)
        status = "" if group[0].status == "blocked" else f" ({group[0].status})"
        rows.append([rule + status, record, fix, holds])
    return rows
