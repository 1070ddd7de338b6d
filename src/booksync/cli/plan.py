"""`booksync sync plan [TYPE REF]` and `booksync link TYPE REF REMOTE_ID`.

The plan writes nothing anywhere: per tenant, what the next pass would do with each record (create,
update with the fields that change, link to an object the tool already has and on what evidence,
hold with the rule and its fix, nothing), the matching report, and how many calls it took. With a
record: its plan, the diff side by side and the exact push item. `sync plan` is added to the `sync`
group by `cli/sync.py`; `link` is a command of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from booksync.cli import _common, app
from booksync.cli._common import fail, handles_errors, print_json, print_table, session, state

if TYPE_CHECKING:
    from booksync.services.plan_model import Plan, RecordPlan, TenantPlan

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
#: Rows of one record's diff shown before "... and N more" (all of them with --json).
MAX_DIFF_ROWS = 60


def say(text: str, style: str | None = None) -> None:
    """A line that may carry user data, printed as plain text (no markup, no :emoji: codes)."""
    _common.console.print(text, markup=False, emoji=False, highlight=False, style=style)


@handles_errors
def sync_plan(
    ctx: typer.Context,
    record_type: Annotated[
        str | None,
        typer.Argument(
            metavar="[TYPE]",
            help="client, supplier, product, invoice, sales-order, purchase-order or credit-note: "
            "the plan of one record, with the exact payload the pass would send. Leave out TYPE "
            "and REF for every record.",
            show_default=False,
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[REF]", help="The record's name, number, code or id.", show_default=False
        ),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Only this tenant (name or id).", show_default=False),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Read nothing from the tools: no diffs, no matching report."
        ),
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Read the tools again rather than use what a plan in the last 5 minutes kept "
            "(kept outside the store, under $XDG_CACHE_HOME/booksync/plan).",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """What the next pass would do with each record, per tenant, without writing anything anywhere
    (not in the store, not in the tools): create, update (with a field-by-field diff against the
    tool's current version), link to an existing object (and on what evidence), hold (with the
    rule and its fix) or nothing; counts per action and record type; the tool's contacts and items
    that look like booksync's records; and the calls it took."""
    from booksync.services import plan as plan_service

    store = state(ctx).store
    if record_type is None:
        if ref is not None:
            raise fail("TYPE: missing before REF; accepted: booksync sync plan TYPE REF")
        result = plan_service.plan(store, tenant=tenant, offline=offline, fresh=fresh)
        if json_:
            print_json(result.to_json())
        else:
            print_plan(result)
        return
    from booksync.services.doctor import parse_type

    entity = parse_type(record_type)
    if ref is None:
        raise fail(
            f"REF: missing after '{record_type}'; accepted: the {entity.label}'s name, number or "
            f"id, e.g. booksync sync plan {record_type} NAME"
        )
    if tenant is not None:
        raise fail("--tenant: not used with TYPE REF; accepted: the record's own tenant")
    record, tenant_plan = plan_service.plan_record(store, entity, ref, offline=offline, fresh=fresh)
    if json_:
        print_json(
            record.to_json(payload=True)
            | {
                "calls": tenant_plan.calls,
                "reads": dict(tenant_plan.reads),
                "matches": [c.to_json() for c in tenant_plan.matches],
            }
        )
    else:
        print_record_plan(record, tenant_plan)


# -- the whole plan ------------------------------------------------------------------------------------


def print_plan(result: Plan) -> None:
    from booksync.services.plan_model import ACTIONS

    for tenant_plan in result.tenants:
        print_tenant(tenant_plan)
    totals = result.counts()
    say(
        "Next pass: "
        + ", ".join(f"{totals[a.value]} {a.value}" for a in ACTIONS)
        + f"; this plan made {result.calls} call(s) to the tools and wrote nothing."
    )


def print_tenant(tp: TenantPlan) -> None:
    from booksync.services.plan_model import ACTIONS

    counts = tp.counts()
    tool = f" ({tp.tool})" if tp.tool else ""
    calls = f"{tp.calls} call(s)" + (" (the rest from the plan cache)" if tp.cached else "")
    say(
        f"Tenant '{tp.name}'{tool}: " + ", ".join(f"{counts[a]} {a}" for a in counts) + f"; {calls}"
    )
    if tp.remote_note:
        say(f"  tool: {tp.remote_note}", style="yellow")
    rows = [[e, *(c[a.value] for a in ACTIONS)] for e, c in tp.by_type().items()]
    if rows:
        print_table(f"{tp.name}: by record type", ["type", *(a.value for a in ACTIONS)], rows)
    if tp.records:
        print_table(
            f"{tp.name}: what the next pass does",
            ["action", "record", "why / what"],
            [[r.action.value, r.label, detail(r)] for r in tp.records],
        )
    if tp.matches:
        print_table(
            f"{tp.name}: the tool's contacts and items that look like booksync's",
            ["booksync", "in the tool", "match", "to link"],
            [
                [
                    f"{c.local.entity.label} '{c.local.name}'",
                    f"'{c.remote.name}' ({c.remote.remote_id})",
                    c.evidence,
                    c.link_command,
                ]
                for c in tp.matches
            ],
        )


def detail(r: RecordPlan) -> str:
    """One cell saying why: the evidence, the hold's reasons and fixes, the changes, the notes."""
    from booksync.services.plan_model import Action

    parts: list[str] = []
    if r.action is Action.LINK:
        parts.append(f"→ {r.remote_id} (evidence: {r.evidence})")
    if r.action in (Action.UPDATE, Action.LINK) and r.diff is not None:
        changed = [d for d in r.diff if d.changed]
        parts.append(
            f"{len(changed)} field(s) change: "
            + ", ".join(f"{d.field} {d.tool!s} → {d.booksync!s}" for d in changed[:4])
            + (" ..." if len(changed) > 4 else "")
            if changed
            else "no field changes"
        )
    for reason in r.reasons:
        fix = f"; fix: {reason['fix']}" if reason.get("fix") else ""
        parts.append(f"{reason['id']}: {reason['detail']}{fix}")
    if r.waits_on:
        parts.append("after " + ", ".join(r.waits_on))
    parts += r.notes
    return "\n".join(parts)


# -- one record ----------------------------------------------------------------------------------------


def print_record_plan(r: RecordPlan, tp: TenantPlan) -> None:
    say(
        f"{r.label[:1].upper()}{r.label[1:]} → tenant '{r.tenant}': {r.action.value.upper()}",
        style="bold",
    )
    for line in detail(r).splitlines():
        say(f"  {line}")
    for reason in r.reasons:
        if reason.get("fix_page"):
            say(f"  web: {reason['fix_page']}")
    if r.diff is not None:
        rows = [[("≠" if d.changed else "="), d.field, d.booksync, d.tool] for d in r.diff]
        shown = rows[:MAX_DIFF_ROWS]
        print_table("Field by field", ["", "field", "booksync sends", "the tool has"], shown)
        if len(rows) > MAX_DIFF_ROWS:
            say(f"  ... and {len(rows) - MAX_DIFF_ROWS} more (--json shows all)")
    if r.item is not None:
        from booksync.sync.gating import plain

        say("The exact push item the pass would send:", style="bold")
        print_json(plain(r.item))
    else:
        say("Nothing would be sent for it.")
    say(f"This plan made {tp.calls} call(s) to the tool and wrote nothing.")


# -- link ------------------------------------------------------------------------------------------------


@app.command("link")
@handles_errors
def link(
    ctx: typer.Context,
    record_type: Annotated[
        str,
        typer.Argument(metavar="TYPE", help="client, supplier, product, invoice, sales-order, ..."),
    ],
    ref: Annotated[str, typer.Argument(help="The record's name, number, code or id.")],
    remote_id: Annotated[
        str,
        typer.Argument(
            metavar="REMOTE_ID",
            help="The tool's ID of the object, as `booksync sync plan` lists it.",
        ),
    ],
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Ask the tool (read only) that it has the object before linking, where it can say.",
        ),
    ] = True,
    json_: JsonOpt = False,
) -> None:
    """Link a record to an object already in its tenant's tool, so the next pass updates that object
    instead of creating another (refused when another record already uses that remote ID)."""
    from booksync.services.linking import link as link_record

    with session(ctx) as s:
        linked = link_record(s, record_type, ref, remote_id, check=check)
    if json_:
        print_json(linked.to_json())
        return
    was = f" (was {linked.previous})" if linked.previous and linked.previous != remote_id else ""
    same = linked.previous == linked.remote_id
    verb = "is already linked to" if same else "linked to"
    checked = " (the tool has it)" if linked.checked else ""
    say(
        f"{linked.entity.label[:1].upper()}{linked.entity.label[1:]} '{linked.ref}' {verb} {linked.remote_id} in tenant "
        f"'{linked.tenant}'{checked}{was}; the next pass updates it there."
    )
