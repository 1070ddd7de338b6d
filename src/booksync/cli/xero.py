"""`booksync xero connect`: sign in to Xero and create or link a tenant for each organisation.

`booksync tenant connect NAME` does the same for one existing Xero tenant.
"""

from __future__ import annotations

import webbrowser
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, err_console, handles_errors, print_table, session
from booksync.services.tenants import import_from_tool
from booksync.services.xero_connect import connect_xero

xero_app = typer.Typer(help="Xero: sign in and connect organisations.", no_args_is_help=True)
app.add_typer(xero_app, name="xero")


def show_url(url: str) -> None:
    err_console.print("Open this address in a browser to let booksync reach Xero:")
    err_console.print(f"  {url}", soft_wrap=True, markup=False, highlight=False)


@xero_app.command("connect")
@handles_errors
def xero_connect(
    ctx: typer.Context,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the browser to come back.", min=1)
    ] = 300.0,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the address in the default browser.")
    ] = False,
    import_: Annotated[
        bool,
        typer.Option("--import/--no-import", help="Import account codes and tax types right away."),
    ] = True,
) -> None:
    """Sign in to Xero (OAuth 2.0 with PKCE) and connect every organisation you authorise.

    Needs BOOKSYNC_XERO_CLIENT_ID; the app's redirect URI must be BOOKSYNC_XERO_REDIRECT_URI
    (default http://localhost:8765/callback). Tokens are stored encrypted.
    """
    with session(ctx) as s:
        tenants = connect_xero(
            s,
            announce=show_url,
            timeout=timeout,
            open_browser=webbrowser.open if open_browser else None,
        )
        print_table(
            "Connected Xero organisations",
            ["tenant", "Xero tenant id", "currency"],
            [[t.name, t.remote_tenant_id, t.base_currency] for t in tenants],
        )
        if import_:
            from booksync.cli.sync import print_import

            for tenant in tenants:
                print_import(import_from_tool(s, tenant.name))
    console.print("Tokens are stored encrypted; booksync refreshes them before they expire.")
