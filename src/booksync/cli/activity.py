"""`booksync activity`: pushes, failures and blocked records per hour, the last pass per tenant,
and the log of passes with their outcome counts (`services.activity`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, handles_errors, print_json, print_table, session
from booksync.services import activity as activity_service

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _at(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


@app.command("activity")
@handles_errors
def activity(
    ctx: typer.Context,
    range_: Annotated[
        str, typer.Option("--range", help="The chart's span: 24h or 7d (hours in UTC).")
    ] = "24h",
    tenant: Annotated[
        str | None, typer.Option(help="One tenant's name; omitted: every tenant.")
    ] = None,
    page: Annotated[int, typer.Option(help="The pass log's page (newest first).")] = 1,
    per_page: Annotated[
        int, typer.Option("--per-page", help="Passes per page (1-200).")
    ] = activity_service.PER_PAGE,
    json_: JsonOpt = False,
) -> None:
    """Sync activity: pushes, failures and blocked records per hour, the last passes, the pass log.

    Only passes that did something are kept, for 90 days. Hours are UTC."""
    with session(ctx) as s:
        report = activity_service.activity(
            s, range=range_, tenant=tenant, page=page, per_page=per_page
        )
    if json_:
        print_json(report.to_json())
        return
    who = f"tenant '{report.tenant}'" if report.tenant else "all tenants"
    busy = [p for p in report.series if p.pushed or p.failed]
    if busy:
        print_table(
            f"Per hour, last {report.range} ({who}; UTC; hours with pushes or failures)",
            ["hour", "pushed", "failed", "blocked"],
            [[p.hour.strftime("%Y-%m-%d %H:00"), p.pushed, p.failed, p.blocked] for p in busy],
        )
    else:
        console.print(f"No pushes or failures in the last {report.range} ({who}).", markup=False)
    if report.series:
        console.print(f"Blocked records now: {report.series[-1].blocked}.", markup=False)
    if report.last_passes:
        print_table(
            "Last pass per tenant",
            [
                "tenant",
                "finished (UTC)",
                "by",
                "synced",
                "failed",
                "blocked",
                "waiting",
                "deferred",
            ],
            [
                [
                    p.tenant,
                    _at(p.finished_at),
                    f"{p.trigger} {p.worker}",
                    p.counts.synced,
                    p.counts.failed,
                    p.counts.blocked,
                    p.counts.waiting,
                    p.counts.deferred,
                ]
                for p in report.last_passes
            ],
        )
    log = report.log
    if not log.passes:
        console.print("No pass recorded yet: run `booksync sync run` or start `booksync worker`.")
        return
    print_table(
        f"Passes, page {log.page} of {log.pages} ({log.total} in all, newest first)",
        [
            "#",
            "finished (UTC)",
            "by",
            "synced",
            "failed",
            "blocked",
            "waiting",
            "deferred",
            "tenants",
        ],
        [
            [
                p.id,
                _at(p.finished_at),
                f"{p.trigger} {p.worker}",
                p.synced,
                p.failed,
                p.blocked,
                p.waiting,
                p.deferred,
                ", ".join(t.tenant for t in p.tenants),
            ]
            for p in log.passes
        ],
    )
