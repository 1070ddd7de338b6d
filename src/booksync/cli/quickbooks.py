"""`booksync quickbooks connect`: sign in to QuickBooks Online and create or link the tenant of
the company chosen.

`booksync tenant connect NAME` does the same for one existing QuickBooks tenant.
"""

from __future__ import annotations

import webbrowser
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, err_console, handles_errors, print_table, session
from booksync.services.quickbooks_connect import connect_quickbooks
from booksync.services.tenants import import_from_tool

quickbooks_app = typer.Typer(
    help="QuickBooks Online: sign in and connect companies.", no_args_is_help=True
)
app.add_typer(quickbooks_app, name="quickbooks")


def show_url(url: str) -> None:
    err_console.print("Open this address in a browser to let booksync reach QuickBooks:")
    err_console.print(f"  {url}", soft_wrap=True, markup=False, highlight=False)


@quickbooks_app.command("connect")
@handles_errors
def quickbooks_connect(
    ctx: typer.Context,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the browser to come back.", min=1)
    ] = 300.0,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the address in the default browser.")
    ] = False,
    import_: Annotated[
        bool,
        typer.Option(
            "--import/--no-import",
            help="Import account codes, tax codes, customers, vendors and items right away.",
        ),
    ] = True,
) -> None:
    """Sign in to QuickBooks Online (OAuth 2.0) and connect the company you choose.

    Needs BOOKSYNC_QUICKBOOKS_CLIENT_ID and BOOKSYNC_QUICKBOOKS_CLIENT_SECRET; the app's redirect
    URI must be BOOKSYNC_QUICKBOOKS_REDIRECT_URI (default http://localhost:8765/callback). Run it
    once per company. Tokens are stored encrypted.
    """
    with session(ctx) as s:
        tenant = connect_quickbooks(
            s,
            announce=show_url,
            timeout=timeout,
            open_browser=webbrowser.open if open_browser else None,
        )
        print_table(
            "Connected QuickBooks company",
            ["tenant", "realm id", "currency"],
            [[tenant.name, tenant.remote_tenant_id, tenant.base_currency]],
        )
        if import_:
            from booksync.cli.sync import print_import

            print_import(import_from_tool(s, tenant.name))
    console.print("Tokens are stored encrypted; booksync refreshes them before they expire.")
