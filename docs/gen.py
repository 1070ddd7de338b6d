"""The docs site's generated pages, written at build time so they can never be committed stale.

MkDocs loads this file as a hook (`hooks:` in mkdocs.yml): `on_config` lists one page per rule in
the navigation and `on_files` adds the pages themselves, made from the code:
- `rules/<id>.md` and `rules/index.md`, and the troubleshooting guide (`booksync.services.rule_docs`,
  from `RULES`: the same text `booksync explain` prints);
- `reference/cli.md`, from the Typer app's click command tree;
- `reference/rest.md`, from the OpenAPI document `booksync.api.create_app()` serves.

`python docs/gen.py OUT_DIR` writes the same pages to a folder, to read them without MkDocs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

RULES_SECTION = "Troubleshooting"


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


# --- the CLI reference ------------------------------------------------------------------------------


def _param_row(param: Any, ctx: Any) -> str:
    """One row for an option or argument, typed as `--help` shows it."""
    if param.param_type_name == "option":
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        details = [param.help or ""]
        if param.envvar:
            details.append(f"env: `{param.envvar}`")
        default = param.get_default(ctx)
        if param.required:
            details.append("required")
        elif param.show_default and default not in (None, False, (), "") and not param.is_flag:
            details.append(f"default: `{default}`")
    else:
        names = f"`{(param.metavar or param.name or '').strip('[]').upper()}`"
        details = [param.help or "", "required" if param.required else "optional"]
    kind = param.display_type(ctx).strip("<>")
    return f"| {names} | {_cell(kind)} | {_cell(' · '.join(d for d in details if d))} |"


def _command_section(cmd: Any, path: list[str], parent: Any) -> list[str]:
    ctx = cmd.context_class(cmd, info_name=path[-1], parent=parent)
    name = " ".join(path)
    lines = [f"{'#' * min(len(path), 4)} `{name}`", ""]
    if cmd.help:
        lines += [cmd.help.strip().split("\n\n")[0].replace("\n", " "), ""]
    lines += ["```text", f"{ctx.command_path} {' '.join(cmd.collect_usage_pieces(ctx))}", "```", ""]
    params = [p for p in cmd.params if not getattr(p, "hidden", False) and p.name != "help"]
    if params:
        lines += ["| argument or option | type | what it does |", "|---|---|---|"]
        lines += [_param_row(p, ctx) for p in params]
        lines.append("")
    if hasattr(cmd, "list_commands"):
        for sub in cmd.list_commands(ctx):
            child = cmd.get_command(ctx, sub)
            if child is not None and not child.hidden:
                lines += _command_section(child, [*path, sub], ctx)
    return lines


def cli_reference() -> str:
    """Every command of `booksync`, walked from the Typer app (the root group loads lazily)."""
    from booksync.cli import app, command_table, load

    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="booksync")
    lines = [
        "# CLI reference",
        "",
        "Generated from the `booksync` command itself; `booksync COMMAND --help` says the same.",
        "",
        "```text",
        f"booksync {' '.join(root.collect_usage_pieces(ctx))}",
        "```",
        "",
        "| option | type | what it does |",
        "|---|---|---|",
        *(_param_row(p, ctx) for p in root.params if p.name != "help"),
        "",
    ]
    for name in command_table():
        lines += _command_section(load(name), ["booksync", name], ctx)
    return "\n".join(lines) + "\n"


# --- the REST reference -----------------------------------------------------------------------------


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _schema_name(schema["allOf"][0])
    if schema.get("type") == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"object of {_schema_name(extra) if isinstance(extra, dict) else 'any'}"
    return str(schema.get("type", "any"))


def _operation(method: str, path: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if op.get("summary"):
        lines += [f"**{op['summary']}**", ""]
    if op.get("description"):
        lines += [op["description"].strip(), ""]
    params = op.get("parameters", [])
    if params:
        lines += ["| parameter | in | type | what it is |", "|---|---|---|---|"]
        for p in params:
            required = " (required)" if p.get("required") else ""
            lines.append(
                f"| `{p['name']}`{required} | {p['in']} | {_cell(_schema_name(p.get('schema', {})))}"
                f" | {_cell(p.get('description', ''))} |"
            )
        lines.append("")
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        lines += [f"Body ({media}): {_schema_name(content.get('schema', {}))}", ""]
    lines += ["| status | meaning | body |", "|---|---|---|"]
    for status, response in op.get("responses", {}).items():
        media_types: dict[str, Any] = response.get("content", {})
        first: dict[str, Any] = next(iter(media_types.values()), {})
        schema = first.get("schema")
        shown = _schema_name(schema) if schema else ""
        lines.append(f"| {status} | {_cell(response.get('description', ''))} | {_cell(shown)} |")
    return [*lines, ""]


def rest_reference(spec: dict[str, Any] | None = None) -> str:
    """Every path and schema of the REST API, from its OpenAPI document."""
    if spec is None:
        from booksync.api import create_app
        from booksync.store.db import Store

        store = Store("sqlite://")  # the document does not read the store
        try:
            spec = create_app(store).openapi()
        finally:
            store.dispose()
    info = spec["info"]
    lines = [
        "# REST API reference",
        "",
        f"Generated from the OpenAPI document of {info['title']} {info['version']}, which "
        "`booksync serve` serves at `/openapi.json` (and as a page at `/api/docs`).",
        "",
        info.get("description", "").strip(),
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method, path, op))
    for tag, ops in by_tag.items():
        lines += [f"## {tag}", ""]
        for method, path, op in ops:
            lines += _operation(method, path, op)
    lines += ["## Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [" ".join(schema["description"].split()), ""]
        props = schema.get("properties", {})
        if props:
            required = set(schema.get("required", []))
            lines += ["| field | type | what it is |", "|---|---|---|"]
            for field, prop in props.items():
                mark = "" if field in required else " (optional)"
                lines.append(
                    f"| `{field}`{mark} | {_cell(_schema_name(prop))} | "
                    f"{_cell(prop.get('description', ''))} |"
                )
            lines.append("")
        elif "enum" in schema:
            lines += [", ".join(f"`{v}`" for v in schema["enum"]), ""]
    return "\n".join(lines) + "\n"


# --- every generated page ---------------------------------------------------------------------------


def pages() -> dict[str, str]:
    """docs/-relative path -> Markdown, for every generated page."""
    from booksync.services import rule_docs

    found = {rule_docs.page_path(r): rule_docs.rule_page(r) for r in rule_docs.rule_ids()}
    found["rules/index.md"] = rule_docs.rules_index_page()
    found["troubleshooting.md"] = rule_docs.guide_page()
    found["reference/cli.md"] = cli_reference()
    found["reference/rest.md"] = rest_reference()
    return found


# --- the MkDocs hooks -------------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """List each rule's page under the troubleshooting section, in the checklist's order."""
    from booksync.services import rule_docs

    for entry in config["nav"] or []:
        if isinstance(entry, dict) and RULES_SECTION in entry:
            entry[RULES_SECTION].extend({r: rule_docs.page_path(r)} for r in rule_docs.rule_ids())
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, text in pages().items():
        if files.get_file_from_path(path) is not None:
            raise RuntimeError(f"docs/{path} is generated; remove the file from docs/")
        files.append(File.generated(config, path, content=text))
    return files


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path("site-pages")
    for path, text in pages().items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"wrote {len(pages())} pages under {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
