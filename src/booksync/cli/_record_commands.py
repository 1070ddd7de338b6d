"""Builds add/edit/show/list/delete for one record type from a declarative list of options.

Every record type offers the same five commands; only their options differ. A `RecordCommands`
spec names those options once (CLI flag, help text, the service field it sets), and `register`
turns it into real Typer commands, so `--help` still lists every option by name with its help.
Errors from the service layer are reported under the flag the user typed (`--date`, not
`issue_date`), on one line, with exit code 2 and nothing written.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from booksync.cli._common import (
    console,
    fail,
    handles_errors,
    print_json,
    print_record,
    print_table,
    session,
)
from booksync.services.errors import BadInput
from booksync.services.input_fields import terms_text, tracking_text
from booksync.services.serialize import to_dict
from booksync.store.models import Base

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

#: A service error's field for one document line, e.g. `lines[2].quantity`.
LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class Opt:
    """One named option of `add`/`edit` and the service field it sets.

    `flags` defaults to `--field-name`; a boolean gives its pair, e.g. `--default/--no-default`.
    `parse` turns the typed text into the service's value (and raises BadInput naming the flag).
    `into` puts the value inside one of the service's structured fields, e.g. `--city` into
    `address`, where an edit changes only the parts given.
    """

    field: str
    help: str
    flags: str | None = None
    kind: type = str
    multiple: bool = False
    parse: Callable[[Any], Any] | None = None
    metavar: str | None = None
    required_on_add: bool = False
    on_add: bool = True
    on_edit: bool = True
    into: str | None = None

    @property
    def param(self) -> str:
        """The command function's parameter for this option (unique within the command)."""
        return f"{self.into}_{self.field}" if self.into else self.field

    @property
    def path(self) -> str:
        """The service's field path, as its errors name it (`address.city`)."""
        return f"{self.into}.{self.field}" if self.into else self.field

    @property
    def decl(self) -> str:
        return self.flags or "--" + self.field.replace("_", "-")

    @property
    def flag(self) -> str:
        """The flag as the user typed it, for error messages."""
        return self.decl.split("/")[0]

    def annotation(self, *, required: bool) -> Any:
        base: Any = list[str] if self.multiple else self.kind
        metavar = (
            None if self.kind is bool else self.metavar or self.flag[2:].upper().replace("-", "_")
        )
        info = typer.Option(self.decl, help=self.help, show_default=False, metavar=metavar)
        return Annotated[base if required else base | None, info]


@dataclass(frozen=True)
class RecordCommands:
    """How one record type appears on the command line."""

    #: The command group, e.g. `item-group`.
    command: str
    #: The label in messages and titles, e.g. `Item group`.
    label: str
    help: str
    #: The service object: RecordType or Documents (get, list, create, update, delete).
    service: Any
    #: The service field named by `add`'s argument (`name`, or `number` for documents).
    key: str
    key_help: str
    options: Sequence[Opt]
    #: The `list` table: (header, key of the record's JSON form).
    columns: Sequence[tuple[str, str]]
    #: Creates the record from the given values; defaults to `service.create`.
    create: Callable[[Session, dict[str, Any]], Base] | None = None
    ref_help: str = "Name or id."

    @property
    def title(self) -> str:
        return self.label + "s"


def register(parent: typer.Typer, spec: RecordCommands) -> typer.Typer:
    """Add `spec.command` with add, edit, show, list and delete to `parent`; return the group."""
    group = typer.Typer(help=spec.help, no_args_is_help=True)
    parent.add_typer(group, name=spec.command)
    group.command("add", help=f"Create {_a(spec.label)}.")(_add(spec))
    group.command("edit", help=_edit_help(spec))(_edit(spec))
    group.command("show", help=f"Show one {spec.label.lower()}.")(_show(spec))
    group.command("list", help=f"List {spec.title.lower()}.")(_list(spec))
    group.command("delete", help=_delete_help(spec))(_delete(spec))
    return group


def _edit_help(spec: RecordCommands) -> str:
    return (
        f"Change {_a(spec.label)}: only the options given are changed; "
        "an empty value clears an optional one."
    )


def _delete_help(spec: RecordCommands) -> str:
    return f"Delete {_a(spec.label)} (refused while other records still use it)."


# -- building commands from signatures -------------------------------------------------------------

CTX = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def _command(params: list[inspect.Parameter], run: Callable[..., None]) -> Callable[..., None]:
    """A function Typer reads like a hand-written command: `params` become its signature."""

    def command(ctx: typer.Context, **values: Any) -> None:
        handles_errors(run)(ctx, values)

    ordered = [CTX] + sorted(params, key=lambda p: p.default is not inspect.Parameter.empty)
    command.__signature__ = inspect.Signature(ordered)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in ordered}
    return command


def _key_argument(help_text: str, metavar: str) -> Any:
    return Annotated[str, typer.Argument(help=help_text, show_default=False, metavar=metavar)]


def _a(label: str) -> str:
    """'a client', 'an invoice'."""
    label = label.lower()
    return ("an " if label[0] in "aeiou" else "a ") + label


def _options(spec: RecordCommands, *, adding: bool) -> list[inspect.Parameter]:
    params = []
    for opt in spec.options:
        if not (opt.on_add if adding else opt.on_edit):
            continue
        required = adding and opt.required_on_add
        default = inspect.Parameter.empty if required else None
        params.append(_param(opt.param, opt.annotation(required=required), default))
    return params


def _values(spec: RecordCommands, given: dict[str, Any], *, adding: bool) -> dict[str, Any]:
    """The service's input: only the options the user typed, each parsed by its Opt."""
    values: dict[str, Any] = {}
    for opt in spec.options:
        if not (opt.on_add if adding else opt.on_edit):
            continue
        raw = given.get(opt.param)
        if raw is None or (opt.multiple and not raw):
            continue
        value = opt.parse(raw) if opt.parse is not None else raw
        if opt.into:
            values.setdefault(opt.into, {})[opt.field] = value
        else:
            values[opt.field] = value
    return values


def _as_typed(spec: RecordCommands, exc: BadInput, lines: Sequence[str] = ()) -> BadInput:
    """The same error, naming the flag the user typed instead of the service's field."""
    name = exc.field
    match = LINE_FIELD.match(name)
    if match and lines:
        index = int(match.group(1)) - 1
        raw = lines[index] if 0 <= index < len(lines) else ""
        name = f"--line '{raw}' {match.group(2) or ''}".rstrip()
    else:
        for opt in spec.options:
            if name in (opt.path, opt.flag.removeprefix("--").replace("-", "_")) or (
                opt.into and name.startswith(opt.path + "[")
            ):
                name = opt.flag
                break
    if name == exc.field:
        return exc
    return type(exc)(name, exc.value, exc.problem, exc.accepted)


def _raw_lines(given: dict[str, Any]) -> Sequence[str]:
    lines = given.get("lines")
    return lines if isinstance(lines, list) else ()


def _add(spec: RecordCommands) -> Callable[..., None]:
    key = _param(spec.key, _key_argument(spec.key_help, spec.key.upper()))
    json_ = _param("json_", JsonOpt, False)

    def run(ctx: typer.Context, given: dict[str, Any]) -> None:
        values = {spec.key: given[spec.key], **_values(spec, given, adding=True)}
        try:
            with session(ctx) as s:
                create = spec.create or spec.service.create
                data = to_dict(create(s, values))
        except BadInput as exc:
            raise _as_typed(spec, exc, _raw_lines(given)) from None
        if given["json_"]:
            print_json(data)
        else:
            say(f"{spec.label} '{data[spec.key]}' created (id {data['id']}).")

    return _command([key, *_options(spec, adding=True), json_], run)


def _edit(spec: RecordCommands) -> Callable[..., None]:
    ref = _param("ref", _key_argument(spec.ref_help, "REF"))
    json_ = _param("json_", JsonOpt, False)
    rename = Opt(spec.key, f"A new {spec.key} for the {spec.label.lower()}.", metavar="NEW")
    edited = replace(spec, options=[rename, *spec.options])

    def run(ctx: typer.Context, given: dict[str, Any]) -> None:
        values = _values(edited, given, adding=False)
        if not values:
            flags = ", ".join(o.flag for o in edited.options if o.on_edit)
            raise fail(f"nothing to change; accepted: at least one of {flags}")
        try:
            with session(ctx) as s:
                data = to_dict(spec.service.update(s, given["ref"], values))
        except BadInput as exc:
            raise _as_typed(edited, exc, _raw_lines(given)) from None
        if given["json_"]:
            print_json(data)
        else:
            say(f"{spec.label} '{data[spec.key]}' saved (id {data['id']}).")

    return _command([ref, *_options(edited, adding=False), json_], run)


def _show(spec: RecordCommands) -> Callable[..., None]:
    ref = _param("ref", _key_argument(spec.ref_help, "REF"))
    json_ = _param("json_", JsonOpt, False)

    def run(ctx: typer.Context, given: dict[str, Any]) -> None:
        with session(ctx) as s:
            data = to_dict(spec.service.get(s, given["ref"]))
        if given["json_"]:
            print_json(data)
        else:
            print_record(f"{spec.label} '{data[spec.key]}'", readable(data))

    return _command([ref, json_], run)


def _list(spec: RecordCommands) -> Callable[..., None]:
    params = [
        _param(
            "search",
            Annotated[
                str | None,
                typer.Option(help="Only records whose name, number or code contains this text."),
            ],
            None,
        ),
        _param(
            "limit", Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")], 100
        ),
        _param("offset", Annotated[int, typer.Option(min=0, help="Skip this many first.")], 0),
        _param("json_", JsonOpt, False),
    ]

    def run(ctx: typer.Context, given: dict[str, Any]) -> None:
        with session(ctx) as s:
            found = spec.service.list(
                s, search=given["search"], limit=given["limit"], offset=given["offset"]
            )
            rows = [to_dict(record) for record in found]
        if given["json_"]:
            print_json(rows)
            return
        print_table(
            spec.title,
            [header for header, _ in spec.columns],
            [[readable_field(key, row.get(key)) for _, key in spec.columns] for row in rows],
        )

    return _command(params, run)


def _delete(spec: RecordCommands) -> Callable[..., None]:
    ref = _param("ref", _key_argument(spec.ref_help, "REF"))
    yes = _param(
        "yes",
        Annotated[
            bool, typer.Option("--yes", "-y", help="Accepted for scripts; delete never asks.")
        ],
        False,
    )

    def run(ctx: typer.Context, given: dict[str, Any]) -> None:
        with session(ctx) as s:
            record = spec.service.get(s, given["ref"])
            shown, record_id = getattr(record, spec.key), record.id
            spec.service.delete(s, given["ref"])
        say(f"{spec.label} '{shown}' deleted (id {record_id}).")

    return _command([ref, yes], run)


def say(text: str) -> None:
    """Print a line that may carry user input, as plain text (no markup, no :emoji: codes)."""
    console.print(text, markup=False, emoji=False)


def readable_value(value: Any) -> str:
    """A JSON value as a person reads it in a table: mappings as `key: value`, lists joined."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def readable_field(key: str, value: Any) -> str:
    """A field as a person reads it: payment terms and addresses in words, the rest as values."""
    if key == "payment_terms" and isinstance(value, dict):
        return terms_text(value)
    if key == "address" and isinstance(value, dict):
        parts = [*value.get("lines", ())]
        parts += [value[k] for k in ("city", "region", "postal_code", "country") if value.get(k)]
        return ", ".join(str(p) for p in parts)
    if key == "tracking" and isinstance(value, dict):
        return tracking_text(value)
    return readable_value(value)


def readable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if k == "lines" else readable_field(k, v)) for k, v in data.items()}
