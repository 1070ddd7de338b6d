"""`booksync integration ...` and `booksync tenant ...`: which tools sync what, and to which tenant."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from booksync.cli import app
from booksync.cli._common import (
    fail,
    handles_errors,
    print_json,
    print_record,
    print_table,
    session,
)
from booksync.cli._record_commands import (
    Opt,
    RecordCommands,
    readable,
    readable_value,
    register,
    say,
)
from booksync.connectors.registry import tool_for
from booksync.connectors.tool import Tool
from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.records import TENANTS, configure_integration, parse_entities
from booksync.services.serialize import to_dict
from booksync.services.tools import tool_view, tool_views

integration_app = typer.Typer(
    help="Integrations (one per installed tool): enabled or not, and which entities they sync.",
    no_args_is_help=True,
)
app.add_typer(integration_app, name="integration")

KindArg = Annotated[
    str,
    typer.Argument(
        help="An installed tool's kind (see `booksync integration list`).",
        metavar="INTEGRATION",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

ALL_ENTITIES = "all"


def _kind(text: str) -> Tool:
    return tool_for(text)


def _entities(text: str) -> list[str]:
    if text.strip().lower() == ALL_ENTITIES:
        return [e.value for e in EntityType]
    try:
        return [e.value for e in parse_entities(text)]
    except BadInput as exc:
        raise BadInput("--entities", exc.value, exc.problem, exc.accepted) from None


def _switch(ctx: typer.Context, kind_text: str, enabled: bool) -> None:
    kind = _kind(kind_text)
    with session(ctx) as s:
        integration = configure_integration(s, kind.kind, {"enabled": enabled})
        tenants = len(integration.tenants)
    state = "enabled" if enabled else "disabled"
    say(f"{kind.label} {state}.")
    if enabled and not tenants:
        say(f"Add a tenant: booksync tenant add NAME --integration {kind.kind}")


@integration_app.command("enable")
@handles_errors
def integration_enable(ctx: typer.Context, kind: KindArg) -> None:
    """Enable an integration (its records start syncing)."""
    _switch(ctx, kind, True)


@integration_app.command("disable")
@handles_errors
def integration_disable(ctx: typer.Context, kind: KindArg) -> None:
    """Disable an integration (nothing syncs to it; queued jobs wait)."""
    _switch(ctx, kind, False)


@integration_app.command("configure")
@handles_errors
def integration_configure(
    ctx: typer.Context,
    kind: KindArg,
    entities: Annotated[
        str | None,
        typer.Option(
            help="Entities to Sync, comma-separated: client, supplier, product, invoice, "
            "sales_order, purchase_order, credit_note; or 'all'; an empty value syncs none.",
            metavar="ENTITIES",
            show_default=False,
        ),
    ] = None,
    show_success_messages: Annotated[
        bool | None,
        typer.Option(
            "--show-success-messages/--no-show-success-messages",
            help="Show a message for each successful sync (errors are always shown).",
            show_default=False,
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Change an integration's settings; only the options given are changed."""
    tool = _kind(kind)
    settings: dict[str, Any] = {}
    if entities is not None:
        settings["entities_to_sync"] = _entities(entities)
    if show_success_messages is not None:
        settings["show_success_messages"] = show_success_messages
    if not settings:
        raise fail(
            "nothing to change; accepted: --entities and/or "
            "--show-success-messages/--no-show-success-messages"
        )
    with session(ctx) as s:
        data = to_dict(configure_integration(s, tool.kind, settings))
    if json_:
        print_json(data)
    else:
        say(f"{tool.label} saved.")
        print_record(tool.label, readable(data))


@integration_app.command("show")
@handles_errors
def integration_show(ctx: typer.Context, kind: KindArg, json_: JsonOpt = False) -> None:
    """Show an integration's settings and tenants."""
    tool = _kind(kind)
    with session(ctx) as s:
        data = tool_view(s, tool.kind)
    if json_:
        print_json(data)
    else:
        print_record(tool.label, readable(data))


@integration_app.command("list")
@handles_errors
def integration_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List every integration, including those never set up (shown as disabled)."""
    with session(ctx) as s:
        rows = tool_views(s)
    if json_:
        print_json(rows)
        return
    columns = ["kind", "enabled", "entities_to_sync", "show_success_messages", "tenants"]
    print_table(
        "Integrations",
        ["integration", "enabled", "entities to sync", "success messages", "tenants"],
        [[readable_value(row[c]) for c in columns] for row in rows],
    )


# -- tenants -------------------------------------------------------------------------------------


def _create_tenant(s: Session, values: dict[str, Any]) -> Any:
    integration = values.pop("integration")
    return TENANTS.create_for(s, integration, values)


TENANT_SPEC = RecordCommands(
    command="tenant",
    label="Tenant",
    help="Tenants: the organisations, companies or ledgers of a tool that records sync to.",
    service=TENANTS,
    key="name",
    key_help="The tenant's name, e.g. 'Acme AU'.",
    options=[
        Opt(
            "integration",
            "The integration it belongs to (an installed tool's kind).",
            required_on_add=True,
            on_edit=False,
        ),
        Opt(
            "remote_tenant_id",
            "The tool's id for it (an organisation id, a realm id, a file name; default: the name).",
            flags="--remote-id",
        ),
        Opt("base_currency", "Its base currency, ISO 4217 (default: AUD).", flags="--currency"),
    ],
    columns=[
        ("id", "id"),
        ("name", "name"),
        ("integration", "integration"),
        ("remote id", "remote_tenant_id"),
        ("currency", "base_currency"),
        ("connection", "connection"),
    ],
    create=_create_tenant,
)

tenant_app = register(app, TENANT_SPEC)
