"""`booksync pull`, `booksync payments list|record` and `booksync integration webhook-key KIND`:
what comes back from the tools (a thin face over `booksync.services.inbound`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, handles_errors, print_json, print_table, session, state
from booksync.cli.integrations import integration_app
from booksync.services.inbound import (
    list_payments,
    payment_json,
    pull_now,
    record_payment,
    set_webhook_key,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

payments_app = typer.Typer(
    help="Payments: read from the tools, and recorded here to be written to the tool once.",
    no_args_is_help=True,
)
app.add_typer(payments_app, name="payments")


@app.command("pull")
@handles_errors
def pull(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (name or #id).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Read back from the tools now: handle waiting webhook events, poll each tenant's changes
    since the last clean pass, and write pending payments."""
    done = pull_now(state(ctx).store, tenant)
    if json_:
        print_json(done.to_json())
        return
    polled = done.polled.tenants if done.polled is not None else []
    print_table(
        "Pulled from the tools",
        ["tenant", "since", "states read", "changed", "payments", "calls", "outcome"],
        [
            [
                t.tenant,
                t.since.isoformat() if t.since else "(everything)",
                t.states,
                t.changes,
                t.payments,
                t.calls,
                t.error or t.note or "clean: watermark moved",
            ]
            for t in polled
        ],
    )
    e, p = done.events, done.payments
    console.print(
        f"Webhook events handled: {e.done} ({e.failed} failed, {e.ignored} ignored); "
        f"payments written: {p.sent} (+{p.found} found already there, {p.failed} failed, "
        f"{p.uncertain} not yet known)."
    )
    if any(t.error for t in polled):
        raise typer.Exit(1)


@payments_app.command("list")
@handles_errors
def payments_list(
    ctx: typer.Context,
    document: Annotated[str | None, typer.Option(help="Only this invoice (number).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Payments, newest first, with where each came from and where it stands."""
    with session(ctx) as s:
        rows = [payment_json(p, number) for number, p in list_payments(s, document)]
    if json_:
        print_json(rows)
        return
    print_table(
        "Payments",
        ["invoice", "date", "amount", "reference", "from", "status", "remote id", "error"],
        [
            [
                r["document"],
                r["paid_on"],
                f"{r['amount']} {r['currency']}",
                r["reference"],
                r["source"],
                r["status"],
                r["remote_id"],
                r["error"],
            ]
            for r in rows
        ],
    )


@payments_app.command("record")
@handles_errors
def payments_record(
    ctx: typer.Context,
    invoice: Annotated[str, typer.Argument(help="The invoice's number.")],
    amount: Annotated[str, typer.Option(help='The amount received, e.g. "49.00".')],
    date: Annotated[str, typer.Option("--date", help="The day it was received, YYYY-MM-DD.")],
    account: Annotated[str, typer.Option(help="The tool's code of the bank account, e.g. 090.")],
    reference: Annotated[str, typer.Option(help="The payer's reference.")] = "",
    json_: JsonOpt = False,
) -> None:
    """Record a payment on an invoice; the worker (or `booksync pull`) writes it to the tool once."""
    with session(ctx) as s:
        made = payment_json(record_payment(s, invoice, amount, date, account, reference), invoice)
    if json_:
        print_json(made)
        return
    console.print(
        f"Payment #{made['id']} of {made['amount']} {made['currency']} on {invoice} recorded; "
        "the worker writes it to the tool (or run `booksync pull`)."
    )


@integration_app.command("webhook-key")
@handles_errors
def webhook_key(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="The tool (xero, quickbooks).")],
) -> None:
    """Set the key the tool signs its webhooks with (Xero's webhook key, Intuit's verifier
    token), read from a hidden prompt or standard input; stored encrypted, never shown."""
    if sys.stdin.isatty():
        key = typer.prompt("Webhook key", hide_input=True)
    else:
        key = sys.stdin.readline()
    with session(ctx) as s:
        done = set_webhook_key(s, kind, key)
    console.print(
        f"{done.label} webhook key stored (encrypted). In the {done.label} app, send webhooks to "
        f"https://<this booksync's address>{done.path}"
    )
