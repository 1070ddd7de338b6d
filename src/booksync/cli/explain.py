"""`booksync explain RULE_ID`: a rule's page in the terminal, the same text the docs site publishes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from booksync.cli import app
from booksync.cli._common import handles_errors


@app.command("explain")
@handles_errors
def explain(
    rule_id: Annotated[
        str, typer.Argument(metavar="RULE_ID", help="A rule id, e.g. account_code.code_set.")
    ],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the page's Markdown source as it is.")
    ] = False,
) -> None:
    """A rule's page: what it checks, why it matters, what makes it fail, how to fix it."""
    from booksync.services.rule_docs import rule_page

    page = rule_page(rule_id)
    if markdown:
        typer.echo(page, nl=False)
    else:
        # Not the shared console: its soft wrap would crop Markdown's list items at the edge.
        Console(highlight=False).print(Markdown(page))
