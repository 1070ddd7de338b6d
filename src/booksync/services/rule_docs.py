"""The rule pages: one Markdown page per rule id, and the troubleshooting guide rebuilt from them.

Each page is assembled from the rule set itself (`RULES`: the id, the question, what it applies to,
the seed guide's heading), the prose in `rule_prose`, each fix rendered as the doctor renders it
(`services.fixes`), and a real finding from the demo books (`rule_examples`). `booksync explain`
prints a page in the terminal and the docs site publishes the same text, so neither can drift from
what the doctor checks. `docs_url` is where a finding's page lives, for the doctor's JSON.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import replace
from typing import TYPE_CHECKING

from booksync.domain.fixes import Fix
from booksync.domain.records import Subject
from booksync.domain.rulebook import RuleInfo, Scope
from booksync.domain.rules import RULES, RULES_BY_ID
from booksync.domain.types import EntityType
from booksync.errors import BadInput
from booksync.services.fixes import command_line, web_page
from booksync.services.rule_prose import PROSE, FixNote

if TYPE_CHECKING:
    from booksync.services.rule_examples import Example

#: Where the docs site is published (e.g. https://docs.example.com/booksync/); unset, a finding's
#: `docs` is the page's path inside the site that `make docs` builds.
DOCS_URL_ENV = "BOOKSYNC_DOCS_URL"
GUIDE_TITLE = "Accounting tool not syncing"
#: The database `make demo` leaves behind, which the examples are taken from.
DEMO_DB = "demo/booksync.db"

SCOPES = {
    Scope.TARGET: "the integration and tenant the record syncs to",
    Scope.RECORD: "the record itself",
    Scope.LINE: "each line's product (and each product on its own)",
    Scope.OWN: "the record's own fields against its tenant's settings in the tool",
    Scope.PUSH: "the tool's answer to the record's last push",
}


def rule_ids() -> list[str]:
    return [r.id for r in RULES]


def page_path(rule_id: str) -> str:
    """The page's source path in the docs site (docs/ relative)."""
    return f"rules/{rule_id}.md"


def docs_url(rule_id: str, base: str | None = None) -> str:
    """Where `rule_id`'s page is published: under `BOOKSYNC_DOCS_URL`, or its path in the site."""
    base = os.environ.get(DOCS_URL_ENV, "") if base is None else base
    path = f"rules/{rule_id}.html"
    return f"{base.rstrip('/')}/{path}" if base else path


def known_rule(rule_id: str) -> str:
    """`rule_id` if `RULES` has it; otherwise BadInput naming the accepted ids."""
    if rule_id not in RULES_BY_ID:
        raise BadInput("rule", rule_id, "is not a rule id", ", ".join(rule_ids()))
    return rule_id


def _plural(entity: EntityType) -> str:
    return f"{entity.label}s"


def _web(fix: Fix) -> str | None:
    """The web admin page of a fix on a record the page cannot name: `/clients/ID#tenant`."""
    subject = fix.subject
    if subject.id is not None or subject.type == "integration":
        return web_page(fix)
    page = web_page(replace(fix, subject=Subject(subject.type, 0, subject.ref)))
    return re.sub(r"/0(?=#|$)", "/ID", page) if page else None


def _fix_line(note: FixNote) -> str:
    if note.fix is None:
        return f"- {_sentence(note.when)}"
    page = _web(note.fix)
    where = f" — web admin: `{page}`" if page else ""
    return f"- {_sentence(note.when)}: `{command_line(note.fix)}`{where}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _origin(info: RuleInfo) -> str:
    if not info.seed:
        return f'Not in the guide "{GUIDE_TITLE}": booksync adds it.'
    headings = ", ".join(f"*{h}*" for h in info.seed)
    return f'From the guide "{GUIDE_TITLE}": {headings}'


def _example(info: RuleInfo, example: Example | None) -> list[str]:
    if example is None and info.scope is Scope.PUSH:
        return [
            "The demo books have no record that fails this rule: only the tool itself can refuse "
            "a push or book it differently. `booksync status` lists such records and "
            "`booksync log TYPE REF` shows what the tool answered."
        ]
    if example is None:
        return [
            "The demo books have no record that fails this rule on purpose: it turns on what the "
            "tenant's tool holds (its settings, contacts and documents). `booksync doctor TYPE "
            "REF` shows it on any record."
        ]
    noun = example.record_type.replace("_", "-")
    command = f"booksync --db {DEMO_DB} doctor {noun} {shlex.quote(example.reference)}"
    shown = [f"{example.status}: {example.detail}"]
    if example.fix:
        shown.append(f"fix: {example.fix}")
    if example.fix_page:
        shown.append(f"web admin: {example.fix_page}")
    return [
        f"In the demo books (`make demo`, which runs `booksync --db {DEMO_DB} demo --dir demo`), "
        f"`{command}` says of this rule:",
        "",
        "```text",
        *shown,
        "```",
    ]


def rule_page(rule_id: str) -> str:
    """The Markdown page of `rule_id` (BadInput for an id `RULES` does not have)."""
    # The examples read the demo books: imported here, not by the doctor's `docs_url`.
    from booksync.services.rule_examples import kept_examples

    info, prose = RULES_BY_ID[known_rule(rule_id)], PROSE[rule_id]
    applies = ", ".join(_plural(e) for e in EntityType if e in info.applies_to)
    unknown = (
        "holds the record back" if info.holds_when_unknown else "is shown but holds nothing back"
    )
    lines = [
        f"# {info.id}",
        "",
        f"**Question:** {info.question}",
        "",
        _origin(info),
        "",
        f"Checked for {applies}, on {SCOPES[info.scope]}. When it passes the doctor says "
        f'"{info.passed}"; while it cannot be known yet, it {unknown}.',
        "",
        "## Why it matters",
        "",
        prose.why,
        "",
        "## What makes it fail",
        "",
        *(f"- {f}" for f in prose.fails),
        "",
        "## How to fix it",
        "",
        *(_fix_line(n) for n in prose.fixes),
        "",
        "## Example from the demo books",
        "",
        *_example(info, kept_examples().get(rule_id)),
    ]
    if prose.screenshot:
        name, caption = prose.screenshot
        lines += ["", f"![{caption}](../screenshots/{name}.png)"]
    return "\n".join(lines) + "\n"


def seed_headings() -> list[str]:
    """The seed guide's headings, in its order (the order `RULES` first answers them)."""
    return list(dict.fromkeys(h for r in RULES for h in r.seed))


def guide_page() -> str:
    """The troubleshooting guide: the seed's headings in order, each with the rules answering it."""
    lines = [
        f"# {GUIDE_TITLE}",
        "",
        "The vendor guide booksync grew out of, rebuilt from the rules the doctor runs. Start with "
        "`booksync doctor TYPE REF`: it walks this whole list for one record and names the fix. "
        "`booksync doctor` alone ranks the root causes over all the books, and "
        "`booksync explain RULE_ID` prints a rule's page in the terminal.",
    ]

    def section(title: str, rules: list[RuleInfo]) -> None:
        lines.extend(["", f"## {title}", ""])
        for info in rules:
            prose = PROSE[info.id]
            offered = [n.fix for n in prose.fixes if n.fix is not None]
            # Under "Are the products connected?", the product's fix rather than the client's.
            first = next((f for f in offered if f.subject.type in title.lower()), None)
            first = first or next(iter(offered), None)
            fix = f" Fix: `{command_line(first)}`." if first else ""
            lines.append(f"- [{info.question}](rules/{info.id}.md) (`{info.id}`).{fix}")

    for heading in seed_headings():
        section(heading, [r for r in RULES if heading in r.seed])
    section("Beyond the guide", [r for r in RULES if not r.seed])
    return "\n".join(lines) + "\n"


def rules_index_page() -> str:
    lines = ["# Rules", "", "Every check the doctor runs, in the order it runs them.", ""]
    lines += ["| rule | question |", "|---|---|"]
    lines += [f"| [`{r.id}`]({r.id}.md) | {r.question.replace('|', '/')} |" for r in RULES]
    return "\n".join(lines) + "\n"
