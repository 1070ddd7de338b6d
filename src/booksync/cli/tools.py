"""`booksync KIND ...`: each installed tool's commands.

Every tool whose tenants are connected by signing in gets `booksync KIND connect` (sign in, then
create or link a tenant for each organisation or company authorised); a tool may add commands of
its own (`Tool.commands()`).
"""

from __future__ import annotations

import webbrowser
from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import console, err_console, handles_errors, print_table, session
from booksync.connectors.registry import tools
from booksync.connectors.tool import ConnectionMethod, Tool


def _connect_command(tool: Tool) -> typer.Typer:
    group = typer.Typer(
        help=f"{tool.label}: sign in and connect {tool.tenant_nouns}.", no_args_is_help=True
    )

    def show_url(url: str) -> None:
        err_console.print(f"Open this address in a browser to let booksync reach {tool.label}:")
        err_console.print(f"  {url}", soft_wrap=True, markup=False, highlight=False)

    @group.command("connect", help=tool.connect_help + " Tokens are stored encrypted.")
    @handles_errors
    def connect(
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
                help="Import account codes, tax types, contacts and items right away.",
            ),
        ] = True,
    ) -> None:
        from booksync.cli.sync import print_import
        from booksync.services.tenants import connect_tool, import_from_tool

        with session(ctx) as s:
            tenants = connect_tool(
                s,
                tool.kind,
                announce=show_url,
                timeout=timeout,
                open_browser=webbrowser.open if open_browser else None,
            )
            print_table(
                f"Connected {tool.label} {tool.tenant_nouns}",
                ["tenant", tool.remote_id_label, "currency"],
                [[t.name, t.remote_tenant_id, t.base_currency] for t in tenants],
            )
            if import_:
                for tenant in tenants:
                    print_import(import_from_tool(s, tenant.name))
        console.print("Tokens are stored encrypted; booksync refreshes them before they expire.")

    return group


def register() -> None:
    for kind, tool in tools().items():
        group = tool.commands()
        if tool.connection is ConnectionMethod.OAUTH:
            connect_group = _connect_command(tool)
            if group is not None:
                connect_group.add_typer(group)
            group = connect_group
        if group is not None:
            app.add_typer(group, name=kind)


register()
