"""`booksync doctor [TYPE REF]`: why one record is (not) syncing, or what holds the books back.

With a record: the seed guide's checklist in its order (✓, ✗, ⏳ waiting, ? not yet known), the
reason and the fix under each failure, the root causes that block it, and where each line's tax
rate comes from. Exit code 0 when the record is ready (or only waits on dependencies the engine
pushes first), 1 when it is blocked or cannot be checked yet.

Without one: a health report over every record, with the root causes ranked by how many records
each blocks. Exit code 0 when nothing is blocked, 1 otherwise. Bad input exits 2 (`handles_errors`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from booksync.cli import _common, app
from booksync.cli._common import fail, handles_errors, print_json, session
from booksync.domain.evaluation import Check, Evaluation, LineTax
from booksync.domain.findings import Finding, Fix, Readiness, Status
from booksync.domain.types import EntityType
from booksync.services.doctor import (
    Cause,
    HealthReport,
    diagnose,
    evaluation_json,
    health_report,
    parse_type,
)
from booksync.services.fixes import command_line, web_page

if TYPE_CHECKING:
    from rich.text import Text

NOT_READY = 1

#: How a readiness reads in the header, and its colour.
VERDICT = {
    Readiness.READY: ("READY", "bold green"),
    Readiness.WAITING: ("WAITING", "bold yellow"),
    Readiness.UNKNOWN: ("NOT YET KNOWN", "bold cyan"),
    Readiness.BLOCKED: ("BLOCKED", "bold red"),
}
#: The mark in front of each checklist row.
MARKS = {
    Status.OK: ("✓", "green"),
    Status.BLOCKED: ("✗", "red"),
    Status.WAITING: ("⏳ waiting", "yellow"),
    Status.UNKNOWN: ("? not yet known", "cyan"),
}
INDENT = "      "


def say(text: Text | str) -> None:
    """Print a line that may carry user data as plain text: no markup, no :emoji: codes."""
    _common.console.print(text, markup=False, emoji=False, highlight=False)


@app.command("doctor")
@handles_errors
def doctor(
    ctx: typer.Context,
    record_type: Annotated[
        str | None,
        typer.Argument(
            metavar="[TYPE]",
            help="client, supplier, product, invoice, sales-order, purchase-order or credit-note. "
            "Leave out TYPE and REF for a health report over every record.",
            show_default=False,
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[REF]", help="The record's name, number, code or id.", show_default=False
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Why isn't this record syncing, and what do I change? Without a record: the whole books."""
    if record_type is None:
        with session(ctx) as s:
            report = health_report(s)
        if json_:
            print_json(report.to_json())
        else:
            print_health_report(report)
        raise typer.Exit(NOT_READY if report.blockers else 0)
    entity = parse_type(record_type)
    if ref is None:
        raise fail(
            f"REF: missing after '{record_type}'; accepted: the {entity.label}'s name, number or "
            f"id, e.g. booksync doctor {record_type} NAME"
        )
    with session(ctx) as s:
        evaluation = diagnose(s, entity, ref)
    if json_:
        print_json(evaluation_json(evaluation))
    else:
        print_evaluation(evaluation)
    raise typer.Exit(0 if evaluation.ready else NOT_READY)


# -- one record ------------------------------------------------------------------------------------


def record_label(entity: EntityType, ref: str) -> str:
    """'Invoice INV-1007', 'Product Backup 1TB'."""
    return f"{entity.label.capitalize()} {ref}"


def destination(evaluation: Evaluation) -> str:
    target = evaluation.target
    if target.integration is None:
        return "no integration"
    if target.tenant is None:
        return f"{target.label} (no tenant)"
    return f"{target.label} '{target.tenant.name}'"


def print_evaluation(evaluation: Evaluation) -> None:
    """One record's verdict, checklist, root causes, what it waits on, and its tax provenance."""
    from rich.text import Text  # Rich only for the human answer, not for `--json`

    record = evaluation.record
    label = record_label(record.type, record.subject.ref)
    verdict, style = VERDICT[evaluation.readiness]
    say(Text.assemble((f"{label} → {destination(evaluation)}: ", "bold"), (verdict, style)))
    say("")
    for check in evaluation.checks():
        show_check(check)
    blockers = evaluation.blockers()
    if blockers:
        say("")
        say(Text("Blocked by:", style="bold red"))
        for root in blockers:
            say(f"  {label} is blocked: {root.detail}")
            show_fix(root.fix)
    if evaluation.waiting_on:
        say("")
        waiting = ", ".join(str(subject) for subject in evaluation.waiting_on)
        them = "it" if len(evaluation.waiting_on) == 1 else "them"
        say(
            f"Waiting on: {waiting} (the engine pushes {them} first, then this {record.type.label})"
        )
    if evaluation.tax:
        say("")
        say(Text("Tax:", style="bold"))
        for line in evaluation.tax:
            show_tax(line)


def show_check(check: Check) -> None:
    from rich.text import Text

    mark, style = MARKS[check.status]
    if check.ok:
        say(Text.assemble(("  " + mark, style), f" {check.rule.question} ", (check.detail, "dim")))
        return
    say(Text.assemble(("  " + mark, style), f" {check.rule.question}"))
    for finding in _distinct(check.findings):
        say(f"{INDENT}{finding.detail}")
        show_fix(finding.fix)
    if check.status is Status.BLOCKED or any(f.fix is not None for f in check.findings):
        say(Text(f"{INDENT}see: booksync explain {check.rule.id}", style="dim"))


def _distinct(findings: tuple[Finding, ...]) -> list[Finding]:
    """One row per reason and fix (the same product on two lines is one problem)."""
    seen: dict[tuple[str, Fix | None], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.detail, finding.fix), finding)
    return list(seen.values())


def show_fix(fix: Fix | None, indent: str = INDENT) -> None:
    """The command that applies the fix, and where the web admin sets the same."""
    if fix is None:
        return
    from rich.text import Text

    page = web_page(fix)
    where = f"  (web admin: {page})" if page else ""
    say(Text.assemble(f"{indent}fix: ", (command_line(fix), "bold"), (where, "dim")))


def show_tax(line: LineTax) -> None:
    from rich.text import Text

    where = f"line {line.position} {line.product.ref}" if line.position else line.product.ref
    say(f"  {where}: {line.resolution.describe()}")
    for note in line.resolution.notes:
        say(Text(f"{INDENT}passed over: {note}", style="dim"))


# -- the whole books -------------------------------------------------------------------------------

COLUMNS = (
    (Readiness.READY, "ready"),
    (Readiness.WAITING, "waiting"),
    (Readiness.UNKNOWN, "not yet known"),
    (Readiness.BLOCKED, "blocked"),
)


def print_health_report(report: HealthReport) -> None:
    """Counts by record type, then the root causes ranked, each with its fix (also `booksync demo`)."""
    from rich.table import Table
    from rich.text import Text

    counts = ", ".join(f"{report.counts[r]:,} {name}" for r, name in COLUMNS)
    say(Text.assemble(("Health of the books: ", "bold"), f"{report.total:,} records: {counts}"))
    table = Table(show_lines=False, title_justify="left")
    table.add_column("record type")
    for _, name in COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right")
    for entity in EntityType:
        row = report.by_type.get(entity)
        if row is None:
            continue
        cells = [f"{row[r]:,}" for r, _ in COLUMNS]
        table.add_row(entity.label, *cells, f"{sum(row.values()):,}")
    _common.console.print(table)
    say("")
    if not report.blockers:
        say(Text("Nothing is blocked.", style="bold green"))
    else:
        say(Text("Blocked by (root causes, most records first):", style="bold red"))
        show_causes(report.blockers, "blocks")
    if report.unknowns:
        say("")
        say(Text("Not yet known (cannot be checked until this is done):", style="bold cyan"))
        show_causes(report.unknowns, "holds back")


def show_causes(causes: list[Cause], verb: str) -> None:
    width = len(str(len(causes)))
    for n, cause in enumerate(causes, start=1):
        number = f"{n}.".rjust(width + 1)
        say(f"  {number} {cause.finding.detail} → {verb} {cause.blocks_text()}")
        show_fix(cause.finding.fix, " " * (width + 4))
