"""`booksync drift`: what the bookkeeper changed in the tool after booksync pushed it, and the three
choices (accept, push, leave); and `booksync invoice reissue`, for an invoice the tool will not let
booksync edit."""

from __future__ import annotations

from typing import Annotated

import typer

from booksync.cli import app
from booksync.cli._common import handles_errors, print_json, print_table, session
from booksync.cli._record_commands import say
from booksync.cli.records import GROUPS

HELP = (
    "What was changed in the tool after booksync pushed it, field by field; accept the tool's "
    "version, push booksync's again, or leave it."
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
TypeArg = Annotated[
    str, typer.Argument(metavar="TYPE", help="client, supplier, product, invoice, ...")
]
RefArg = Annotated[str, typer.Argument(help="Name, number, code or id.")]

drift_app = typer.Typer(help=HELP, invoke_without_command=True)
app.add_typer(drift_app, name="drift")


@drift_app.callback()
@handles_errors
def drift(
    ctx: typer.Context,
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant's records (name or id).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """What was changed in the tool after booksync pushed it, field by field; accept the tool's
    version, push booksync's again, or leave it."""
    if ctx.invoked_subcommand is not None:
        return
    from booksync.services.drift import list_drift

    with session(ctx) as s:
        found = [d.to_json() for d in list_drift(s, tenant=tenant)]
    if json_:
        print_json(found)
        return
    if not found:
        say("No drift: the tools hold what booksync last pushed.")
        return
    for item in found:
        rows = [
            [r["field"], r["booksync"] or "", r["tool"] or ""]
            for r in item["fields"]
            if r["changed"]
        ]
        print_table(
            f"{item['type'].replace('_', ' ')} '{item['ref']}' in '{item['tenant']}' "
            f"({item['tool_status']} in the tool)",
            ["field", "booksync", "tool"],
            rows,
        )
        ref = item["ref"]
        say(f"  booksync drift accept|push|leave {item['type']} '{ref}'")


def _choice(name: str, doc: str) -> None:
    @drift_app.command(name, help=doc)
    @handles_errors
    def command(ctx: typer.Context, type_: TypeArg, ref: RefArg, json_: JsonOpt = False) -> None:
        from booksync.services.drift import settle_drift

        with session(ctx) as s:
            done = settle_drift(s, type_, ref, name)
        if json_:
            print_json(done.to_json())
        else:
            say(done.message)


_choice("accept", "Take the tool's version into booksync; nothing is pushed back.")
_choice("push", "Push booksync's version again, over the tool's (not over a paid or voided one).")
_choice("leave", "Leave both versions as they are; the record is no longer listed.")


@GROUPS["invoice"].command("reissue")
@handles_errors
def reissue(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="NUMBER", help="Number or id.")],
    json_: JsonOpt = False,
) -> None:
    """Reissue an invoice paid in the tool: a credit note for what the tool holds, a new invoice
    NUMBER-R1 with booksync's lines, and the original back to the tool's version."""
    from booksync.services.reissue import reissue as reissue_invoice

    with session(ctx) as s:
        done = reissue_invoice(s, ref)
    if json_:
        print_json(done.to_json())
    else:
        say(done.message)
