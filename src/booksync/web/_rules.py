"""`/rules/<id>`: a rule's page in the web admin, the same text as `booksync explain` and the docs
site, so the checklist and the health page can link to it without a published site."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from booksync.domain.rules import RULES_BY_ID
from booksync.services.rule_docs import rule_page
from booksync.web._context import web_of
from booksync.web._security import User

router = APIRouter(include_in_schema=False)
#: Raw HTML in the Markdown is shown as text; tables as in the docs site.
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
#: The docs site's screenshots are not served here.
IMAGE = re.compile(r"^!\[.*\]\(.*\)$", re.MULTILINE)


@router.get("/rules/{rule_id}")
def rule(request: Request, rule_id: str, user: User) -> Response:
    rule_id = rule_id.removesuffix(".md")  # the pages link to each other as `<id>.md`
    web = web_of(request)
    if rule_id not in RULES_BY_ID:
        return web.page(request, "not_found.html", status_code=404, title="Not found")
    html = MARKDOWN.render(IMAGE.sub("", rule_page(rule_id)))
    return web.page(request, "rule.html", title=rule_id, body=Markup(html))
