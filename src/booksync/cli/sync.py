"""`booksync sync run|retry`, `worker`, `status`, `log`, and `tenant connect|import`."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from booksync.cli import app
from booksync.cli._common import (
    console,
    err_console,
    handles_errors,
    print_json,
    print_table,
    session,
    state,
)
from booksync.cli._logging import json_active as json_logs
from booksync.cli.integrations import tenant_app
from booksync.cli.plan import sync_plan
from booksync.services import sync as sync_service
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.sync.collector import tune_for_sync
from booksync.sync.engine import Notice, PassResult

if TYPE_CHECKING:
    from booksync.services.operations import Operations

sync_app = typer.Typer(help="Push changes to the accounting tools.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")
sync_app.command("plan")(sync_plan)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def print_notice(notice: Notice) -> None:
    if json_logs():
        level = logging.INFO if notice.level in ("success", "info") else logging.ERROR
        extra = {"outcome": notice.level} | ({"fix": notice.fix} if notice.fix else {})
        logging.getLogger("booksync.sync").log(level, notice.text, extra=extra)
        return
    if notice.level == "success":
        console.print(f"[green]✓[/] {notice.text}")
    else:
        err_console.print(f"[red]✗[/] {notice.text}")
        if notice.fix:
            err_console.print(f"    fix: {notice.fix}")


def print_summary(result: PassResult, status: sync_service.StatusReport) -> None:
    rows = []
    for tenant, counts in sorted(status.by_tenant.items()):
        rows.append(
            [
                tenant,
                counts["synced"],
                counts["pending"] + counts["in_flight"],
                counts["blocked"],
                counts["failed"] + counts["dead"],
            ]
        )
    print_table("Sync summary", ["tenant", "synced", "waiting", "blocked", "failed"], rows)
    console.print(
        f"This pass: {result.count('synced')} synced, {result.count('blocked')} blocked, "
        f"{result.count('failed')} failed, in {result.calls} call(s) to the tools."
    )
    for tenant, wait in sorted(result.waits.items()):
        console.print(
            f"Waiting: {wait.jobs} job(s) of '{tenant}' until "
            f"{wait.until.strftime('%Y-%m-%d %H:%M:%S UTC')} ({wait.reason}); "
            "the worker or the next pass pushes them then."
        )


def run_with_progress(
    ctx: typer.Context, *, max_wait: float, quiet_success: bool = False
) -> PassResult:
    store = state(ctx).store
    with store.session() as s:
        due = sync_service.due_by_tenant(s)
    notices: list[Notice] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {name: progress.add_task(name, total=n) for name, n in sorted(due.items())}

        def advance(tenant: str, n: int) -> None:
            if tenant not in tasks:
                tasks[tenant] = progress.add_task(tenant, total=None)
            progress.advance(tasks[tenant], n)

        result = sync_service.run_pass(
            store,
            max_wait=max_wait,
            trigger="cli",
            on_progress=advance,
            on_notice=notices.append,
        )
        for name, task in tasks.items():
            progress.update(task, total=progress.tasks[task].completed if due[name] == 0 else None)
            progress.update(task, total=progress.tasks[task].completed)
    for notice in notices:
        if notice.level != "success" or not quiet_success:
            print_notice(notice)
    return result


@sync_app.command("run")
@handles_errors
def sync_run(
    ctx: typer.Context,
    wait: Annotated[
        float,
        typer.Option(
            help="Wait up to this many seconds for retries and rate limits within the pass; "
            "what must wait longer is handed back and said, with its due time."
        ),
    ] = 30.0,
) -> None:
    """One pass: push every due change, dependencies first, then print the summary."""
    tune_for_sync()
    result = run_with_progress(ctx, max_wait=wait)
    with session(ctx) as s:
        status = sync_service.sync_status(s)
    print_summary(result, status)
    if result.count("failed"):
        raise typer.Exit(1)


@sync_app.command("retry")
@handles_errors
def sync_retry(
    ctx: typer.Context,
    type_: Annotated[
        str, typer.Argument(metavar="TYPE", help="client, supplier, product, invoice, ...")
    ],
    ref: Annotated[str, typer.Argument(help="Name, number, code or id.")],
) -> None:
    """Queue a record's sync again now (after fixing what the tool rejected, or when it gave up)."""
    with session(ctx) as s:
        sync_service.retry(s, type_, ref)
    console.print(f"{type_} '{ref}' queued; the next pass or the worker pushes it.")


@app.command("worker")
@handles_errors
def worker(
    ctx: typer.Context,
    poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds between looks for new changes.")
    ] = 0.5,
    lease: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=86400.0,
            help="Seconds a claim lasts without a heartbeat: after that, another worker takes "
            "over the jobs (this worker renews its claims from its own thread, a few times per "
            "lease, whatever it is doing).",
        ),
    ] = 300.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve Prometheus metrics on http://0.0.0.0:PORT/metrics (needs the metrics extra).",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Calls in flight at once, across tenants (to one tenant at most as many as its "
            "tool allows at once: Xero 5; a limit shared by every worker).",
        ),
    ] = sync_service.WORKER_CONCURRENCY,
) -> None:
    """Keep syncing: picks up new changes within a second; stops cleanly on SIGTERM or Ctrl-C
    (within seconds, even in a long Retry-After pause, handing back the jobs it holds unsent)."""
    tune_for_sync()
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    engine = sync_service.make_worker(
        state(ctx).store,
        on_notice=print_notice,
        lease=timedelta(seconds=lease),
        concurrency=concurrency,
    )
    from booksync.services.inbound import start_two_way
    from booksync.services.operations import observe_worker

    two_way = start_two_way(state(ctx).store, stop, counts=engine.counts)  # issue 13
    with observe_worker(state(ctx).store, engine, metrics_port=metrics_port):
        say(
            f"booksync worker {engine.worker} started (lease {lease:g} s); {concurrency} call(s) "
            f"at once, rate budget kept in {engine.counts.where}; SIGTERM or Ctrl-C stops it."
        )
        try:
            engine.run_forever(stop, poll=poll)
        finally:
            stop.set()
            two_way.join(timeout=30)
            engine.close()
    say("booksync worker stopped.")


def say(text: str) -> None:
    """A line for the person watching, or a log line under `--log-format json`."""
    if json_logs():
        logging.getLogger("booksync.worker").info(text)
    else:
        console.print(text)


@app.command("status")
@handles_errors
def status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Where every sync job stands, per tenant, and the latest errors with their fixes."""
    from booksync.services import operations

    with session(ctx) as s:
        report = sync_service.sync_status(s)
        ops = operations.snapshot(s, report.by_tenant)
    if json_:
        print_json(report.to_json() | ops.to_json())
        return
    rows = [
        [t, *(c[s] for s in sync_service.STATUSES)] for t, c in sorted(report.by_tenant.items())
    ]
    print_table("Sync jobs", ["tenant", *sync_service.STATUSES], rows)
    print_operations(ops)
    if report.errors:
        print_table(
            "Latest errors",
            ["record", "status", "attempts", "error", "fix"],
            [
                [
                    f"{e['type']} #{e['record_id']}",
                    e["status"],
                    e["attempts"],
                    e["error"],
                    e["fix"] or "",
                ]
                for e in report.errors
            ],
        )


def print_operations(ops: Operations) -> None:
    """The workers (or that none runs) and each tenant's backlog with its budget left."""
    from booksync.store.types import utcnow

    now = utcnow()
    if ops.workers:
        print_table(
            "Workers",
            ["host", "pid", "started", "last heartbeat", "jobs held", "concurrency", "state"],
            [
                [
                    w.host,
                    w.pid,
                    w.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    f"{max(0, (now - w.heartbeat_at).total_seconds()):.0f} s ago",
                    w.jobs_held,
                    w.concurrency,
                    "alive" if w.alive else "silent (died?)",
                ]
                for w in ops.workers
            ],
        )
    else:
        console.print("No worker is running: start one with `booksync worker`.")
    waiting = {t: n for t, n in ops.backlog.items() if n}
    if waiting:
        print_table(
            "Backlog",
            ["tenant", "jobs to push", "budget left"],
            [[t, n, _left(ops.budget_left.get(t))] for t, n in sorted(waiting.items())],
        )
    for kind, left in sorted(ops.app_budget_left.items()):
        if left is not None:
            console.print(f"App budget left ({kind}): {_left(left)}.")


def _left(windows: dict[str, int] | None) -> str:
    """A budget's calls left, e.g. "42 this minute, 4,980 today" ("—" when it cannot tell)."""
    if windows is None:
        return "—"
    said = {"minute": "this minute", "day": "today"}
    return ", ".join(f"{calls:,} {said.get(w, w)}" for w, calls in windows.items()) or "—"


@app.command("log")
@handles_errors
def log(
    ctx: typer.Context,
    type_: Annotated[
        str, typer.Argument(metavar="TYPE", help="client, supplier, product, invoice, ...")
    ],
    ref: Annotated[str, typer.Argument(help="Name, number, code or id.")],
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 200,
    json_: JsonOpt = False,
) -> None:
    """The sync timeline of one record: each change, evaluation and attempt, what was sent and what came back."""
    with session(ctx) as s:
        data = sync_service.timeline(s, type_, ref, limit=limit)
    if json_:
        print_json(data)
        return
    job = data["job"]
    console.print(
        f"[bold]{type_} {ref}[/]: "
        + (
            f"{job['status']} (version {job['record_version']}, remote ID {job['remote_id'] or '—'})"
            if job
            else "no sync job"
        )
    )
    for event in data["events"]:
        console.print(
            f"  {event['at'][:19]}  [bold]{event['kind']:<9}[/] v{event['version']}  {event['message']}"
        )
        if event["request"] is not None:
            console.print(f"      sent: {event['request']}", overflow="fold")
        if event["response"] is not None:
            console.print(f"      got:  {event['response']}", overflow="fold")


@tenant_app.command("connect")
@handles_errors
def tenant_connect(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Tenant name or id.")],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "--ledger-dir",
            help="Tools whose books live in a folder on this machine (the ledger): that folder "
            "(default: the tool's, e.g. ./ledgers or BOOKSYNC_LEDGER_DIR).",
        ),
    ] = None,
    import_: Annotated[
        bool,
        typer.Option("--import/--no-import", help="Import account codes and tax types right away."),
    ] = True,
) -> None:
    """Connect a tenant to its tool (create or open its books, or sign in), then import."""
    with session(ctx) as s:
        tenant = connect_tenant(s, name, directory=directory)
        console.print(f"Tenant '{tenant.name}' connected ({tenant.connection_detail}).")
        if import_:
            print_import(import_from_tool(s, tenant.name))


@tenant_app.command("import")
@handles_errors
def tenant_import(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Tenant name or id.")]
) -> None:
    """Import account codes, tax types, contacts and items from the tenant's tool; link what matches."""
    with session(ctx) as s:
        print_import(import_from_tool(s, name))


def print_import(summary: Any) -> None:
    console.print(
        f"Imported from '{summary.tenant}': {summary.account_codes} account codes"
        + (
            f" ({summary.archived_account_codes} archived)"
            if summary.archived_account_codes
            else ""
        )
        + f", {summary.tax_types} tax types, {summary.contacts} contacts, {summary.items} items."
    )
    for line in summary.linked:
        console.print(f"  linked {line}")
    for note in summary.notes:
        console.print(f"  {note}", markup=False)
