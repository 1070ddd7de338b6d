"""The `booksync` command line: a thin face over the service layer.

Each command group lives in its own module and adds itself to `app`. The root group loads a module
only when one of its commands runs (`LazyGroup`), so `booksync --help` and a one-record doctor do not
pay for SQLAlchemy, FastAPI or every tool's connector; the root's own help is plain text (no Rich).
`COMMANDS` lists each command's modules and its one line of help; tests/cli/test_lazy_cli.py checks
it against the commands themselves and what the two paths import (`python -m bench cli` times them).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from booksync import __version__
from booksync.cli._common import State, missing_extra

#: name -> (the modules that define it, its one line of help), in the order `--help` lists them.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "doctor": (
        ("booksync.cli.doctor",),
        "Why isn't this record syncing, and what do I change? Without a record: the whole books.",
    ),
    "explain": (
        ("booksync.cli.explain",),
        "A rule's page: what it checks, why it matters, what makes it fail, how to fix it.",
    ),
    "sync": (("booksync.cli.sync",), "Push changes to the accounting tools."),
    "worker": (
        ("booksync.cli.sync",),
        "Keep syncing: picks up new changes within a second; stops cleanly on SIGTERM or Ctrl-C "
        "(within seconds, even in a long Retry-After pause, handing back the jobs it holds unsent).",
    ),
    "status": (
        ("booksync.cli.sync",),
        "Where every sync job stands, per tenant, and the latest errors with their fixes.",
    ),
    "activity": (
        ("booksync.cli.activity",),
        "Sync activity: pushes, failures and blocked records per hour, the last passes, the pass log.",
    ),
    "log": (
        ("booksync.cli.sync",),
        "The sync timeline of one record: each change, evaluation and attempt, what was sent and "
        "what came back.",
    ),
    "pull": (
        ("booksync.cli.two_way",),
        "Read back from the tools now: handle waiting webhook events, poll each tenant's changes "
        "since the last clean pass, and write pending payments.",
    ),
    "payments": (
        ("booksync.cli.two_way",),
        "Payments: read from the tools, and recorded here to be written to the tool once.",
    ),
    "link": (
        ("booksync.cli.plan",),
        "Link a record to an object already in its tenant's tool, so the next pass updates that "
        "object instead of creating another (refused when another record already uses that remote "
        "ID).",
    ),
    "demo": (
        ("booksync.cli.demo",),
        "Load the sample MSP books, connect embedded ledgers, sync them, and show what stayed "
        "blocked.",
    ),
    "integration": (
        ("booksync.cli.integrations", "booksync.cli.two_way"),
        "Integrations (one per installed tool): enabled or not, and which entities they sync.",
    ),
    "tenant": (
        ("booksync.cli.records", "booksync.cli.integrations", "booksync.cli.sync"),
        "Tenants: the organisations, companies or ledgers of a tool that records sync to.",
    ),
    "client": (("booksync.cli.records",), "Clients (customers)."),
    "supplier": (("booksync.cli.records",), "Suppliers (vendors)."),
    "product": (
        ("booksync.cli.records",),
        "Products (items) sold on invoices and bought on purchase orders.",
    ),
    "item-group": (
        ("booksync.cli.records",),
        "Item groups: a tax rate and account codes their products can inherit.",
    ),
    "tax-rate": (
        ("booksync.cli.records",),
        "Tax rates, and their tax type in each tenant's tool (`tax-rate map`).",
    ),
    "account-code": (
        ("booksync.cli.records",),
        "Account codes: ledger accounts whose code must match one in the tenant's tool.",
    ),
    "invoice": (
        ("booksync.cli.records", "booksync.cli.drift"),
        "Invoices: documents raised to a client, with lines.",
    ),
    "sales-order": (
        ("booksync.cli.records",),
        "Sales orders: documents raised to a client, with lines.",
    ),
    "purchase-order": (
        ("booksync.cli.records",),
        "Purchase orders: documents raised to a supplier, with lines.",
    ),
    "credit-note": (
        ("booksync.cli.records",),
        "Credit notes: documents raised to a client, with lines.",
    ),
    "drift": (
        ("booksync.cli.drift",),
        "What was changed in the tool after booksync pushed it, field by field; accept the tool's "
        "version, push booksync's again, or leave it.",
    ),
    "notify": (
        ("booksync.cli.notify",),
        "Notifications: a digest per sync pass of failed records and disconnected tenants, by "
        "e-mail, signed webhook or Slack/Teams.",
    ),
    "sample": (("booksync.cli.sample",), "Sample books to try booksync on."),
    "serve": (
        ("booksync.cli.serve",),
        "Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web admin.",
    ),
    "user": (("booksync.cli.serve",), "Users who sign in to the web admin."),
    "apikey": (("booksync.cli.serve",), "API keys for the REST API (`Authorization: Bearer KEY`)."),
    "db": (("booksync.cli.db",), "The database: migrations."),
}


def command_table() -> dict[str, tuple[tuple[str, ...], str]]:
    """`COMMANDS`, then one group per installed tool that has commands (`booksync KIND ...`)."""
    from booksync.connectors.registry import tools

    return COMMANDS | {
        kind: (("booksync.cli.tools",), f"{tool.label}: sign in and connect {tool.tenant_nouns}.")
        for kind, tool in tools().items()
        if tool.has_commands
    }


class LazyGroup(TyperGroup):
    """The root group: lists every command from `command_table()` and imports a command's modules
    only when it is run (or its own help is asked for)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(command_table())

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is not None:
            return found
        entry = command_table().get(cmd_name)
        if entry is None:
            return None
        # A stand-in that only lists the command in `booksync --help`; running it loads it.
        return TyperCommand(cmd_name, help=entry[1], short_help=entry[1])

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """`booksync --help` as plain text: Typer's Rich help imports Markdown, Pygments and Rich's
        tracebacks, which cost more than the rest of the answer. A command's own help stays Rich."""
        super(TyperGroup, self).format_help(ctx, formatter)

    def resolve_command(self, ctx: Any, args: Sequence[str]) -> Any:
        # Load even a command already listed: it may have been converted before every module that
        # adds to it was imported (`tenant` gains `connect` from the sync module).
        if args and args[0] in command_table():
            try:
                self.commands[args[0]] = load(args[0])
            except ModuleNotFoundError as exc:
                raise missing_extra(exc) from None
        return super().resolve_command(ctx, list(args))


def load(name: str) -> Any:
    """The real command `name`: its modules imported, then converted from `app` as Typer would,
    that command alone (converting the whole app costs a quarter of a second once every command's
    module is imported, as in a long-lived process)."""
    for module in command_table()[name][0]:
        importlib.import_module(module)
    found: Any = None
    for group in app.registered_groups:  # the last registration of a name wins, as in Typer
        if (group.name or (group.typer_instance and group.typer_instance.info.name)) == name:
            found = typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    for command in app.registered_commands:
        callback = command.callback
        named = command.name or (callback and typer.main.get_command_name(callback.__name__))
        if named == name:
            found = typer.main.get_command_from_info(
                command,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    return found if found is not None else typer.main.get_group(app).commands[name]


app = typer.Typer(
    name="booksync",
    cls=LazyGroup,
    help="Keep your accounting tool in step with your billing, and see why any record is not syncing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"booksync {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="BOOKSYNC_DATABASE_URL",
            help="Database URL or SQLite file path (default: ./booksync.db).",
            show_envvar=True,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            envvar="BOOKSYNC_LOG_FORMAT",
            metavar="text|json",
            help="json: logs as one JSON object per line on standard error, secrets masked (for "
            "log shippers); a worker then logs what it would print.",
            show_envvar=True,
        ),
    ] = "text",
) -> None:
    if log_format not in ("text", "json"):
        raise typer.BadParameter(
            f"'{log_format}' is not a log format; accepted: text, json", param_hint="--log-format"
        )
    if log_format == "json":
        from booksync.cli._logging import configure

        configure(log_format)
    state = State(db)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    app()
