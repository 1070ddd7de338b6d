"""Create, edit, show, list and delete for every record type (`booksync client add ...`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from booksync.cli import app
from booksync.cli._common import (
    console,
    handles_errors,
    print_json,
    print_record,
    print_table,
    session,
)
from booksync.services.records import CLIENTS
from booksync.services.serialize import to_dict

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _given(**values: Any) -> dict[str, Any]:
    """Only the options the user typed, so an edit leaves everything else as it was."""
    return {k: v for k, v in values.items() if v is not None}


client_app = typer.Typer(help="Clients (customers).", no_args_is_help=True)
app.add_typer(client_app, name="client")


@client_app.command("add")
@handles_errors
def client_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The client's name.")],
    email: Annotated[str | None, typer.Option(help="Billing email.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 currency, e.g. AUD.")] = None,
    tax_rate: Annotated[str | None, typer.Option(help="Tax rate for this client (name).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Accounting tenant (name).")] = None,
    remote_id: Annotated[str | None, typer.Option(help="The tool's unique ID for this client.")] = None,
    exclude_from_accounting: Annotated[
        bool | None,
        typer.Option(
            "--exclude-from-accounting/--include-in-accounting",
            help="Exclude from Accounting Integration.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a client."""
    with session(ctx) as s:
        client = CLIENTS.create(
            s,
            _given(
                name=name,
                email=email,
                currency=currency,
                tax_rate=tax_rate,
                tenant=tenant,
                remote_id=remote_id,
                exclude_from_accounting=exclude_from_accounting,
            ),
        )
        data = to_dict(client)
    if json_:
        print_json(data)
    else:
        console.print(f"Client '{data['name']}' created (id {data['id']}).")


@client_app.command("list")
@handles_errors
def client_list(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Only names containing this text.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_: JsonOpt = False,
) -> None:
    """List clients."""
    with session(ctx) as s:
        rows = [to_dict(c) for c in CLIENTS.list(s, search=search, limit=limit, offset=offset)]
    if json_:
        print_json(rows)
        return
    print_table(
        "Clients",
        ["id", "name", "tenant", "tax rate", "excluded", "remote id"],
        [[r["id"], r["name"], r["tenant"], r["tax_rate"], r["exclude_from_accounting"], r["remote_id"]]
         for r in rows],
    )


@client_app.command("show")
@handles_errors
def client_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Name or id.")],
    json_: JsonOpt = False,
) -> None:
    """Show one client."""
    with session(ctx) as s:
        data = to_dict(CLIENTS.get(s, ref))
    if json_:
        print_json(data)
    else:
        print_record(f"Client '{data['name']}'", data)
