"""What every page handler needs: the store, the templates, flash messages and safe redirects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket

from booksync.store.db import Store

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/assets"
STATE_KEY = "booksync_web"

#: Main navigation, in the order the seed guide walks through the screens.
NAV: tuple[tuple[str, str], ...] = (
    ("/integrations", "Integrations"),
    ("/clients", "Clients"),
    ("/suppliers", "Suppliers"),
    ("/products", "Products"),
    ("/item-groups", "Item groups"),
    ("/tax-rates", "Tax rates"),
    ("/account-codes", "Account codes"),
    ("/invoices", "Invoices"),
    ("/sales-orders", "Sales orders"),
    ("/purchase-orders", "Purchase orders"),
    ("/credit-notes", "Credit notes"),
    ("/health", "Health"),
    ("/drift", "Drift"),
    ("/activity", "Sync activity"),
)

#: Headers on every page: no framing (clickjacking), scripts and styles only from the package.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def fix_label(page: str | None) -> str:
    """Where a fix link goes, in words: `/account-codes/7#code` -> `account code #7, code`."""
    if not page:
        return ""
    path, _, anchor = page.partition("#")
    parts = path.split("?")[0].strip("/").split("/")
    if parts[0] == "integrations" and len(parts) > 1:
        where = f"{parts[1]} integration"
    elif len(parts) > 1:
        where = f"{parts[0].removesuffix('s').replace('-', ' ')} #{parts[1]}"
    else:
        where = parts[0].replace("-", " ")
    return where + (f", {anchor.replace('_', ' ')}" if anchor else "")


class _CompiledTemplates(BytecodeCache):
    """The templates' compiled code, kept in memory for every environment of the process: each
    app has an environment of its own (its globals read its store), and compiling the templates
    takes 300 ms; loading their code, 6 ms. Jinja checks each template's source against the code
    it was compiled from, so a changed template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("booksync.web", "templates"),
        bytecode_cache=_COMPILED,
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["nav"] = NAV
    env.globals["static"] = lambda path: f"{STATIC_URL}/{path}"
    env.filters["fix_label"] = fix_label
    env.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
    return env


@dataclass
class Web:
    """The web admin's state on one app: its store and its template environment."""

    store: Store
    env: Environment
    #: Sign-ins hashing at once (an `anyio.Semaphore`, made on first use inside the event loop).
    hashing_turns: Any = None

    @classmethod
    def create(cls, store: Store) -> Web:
        return cls(store, _environment())

    def page(
        self, request: Request, template: str, *, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render a template; one named `_*.html` is a fragment for htmx and leaves flashes queued."""
        session = request.scope.get("session") or {}
        fragment = template.startswith("_")
        values = {
            "request": request,
            "path": request.url.path,
            "user": session.get("user"),
            "csrf_token": session.get("csrf", ""),
            "flashes": [] if fragment else take_flashes(request),
            "title": "",
        }
        values.update(context)
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def web_of(request: Request) -> Web:
    web: Web = getattr(request.app.state, STATE_KEY)
    return web


#: Bytes of messages kept in the session cookie. Browsers drop a cookie over 4 KB, and with it
#: every message (a 444-record pass once wrote 82 KB): past this, messages are only counted.
FLASH_BUDGET = 1500
FLASH_TEXT_LIMIT = 400


def _size(flashes: list[dict[str, Any]]) -> int:
    return len(json.dumps(flashes, ensure_ascii=False).encode())


def flash(request: Request, level: str, text: str, fix: str | None = None) -> None:
    """A message shown on the next page rendered for this browser (success, error or info).

    The messages stay under `FLASH_BUDGET`: the first ones are kept, an error makes room by
    dropping the latest success, and what does not fit is counted, to be shown as one summary
    line by `take_flashes`."""
    if len(text) > FLASH_TEXT_LIMIT:
        text = text[: FLASH_TEXT_LIMIT - 1] + "…"
    flashes: list[dict[str, Any]] = request.session.setdefault("flashes", [])
    more: dict[str, int] = request.session.setdefault("flashes_more", {})
    flashes.append({"level": level, "text": text, "fix": fix})
    while _size(flashes) > FLASH_BUDGET:
        drop = next((f for f in reversed(flashes) if f["level"] == "success"), flashes[-1])
        flashes.remove(drop)
        more[drop["level"]] = more.get(drop["level"], 0) + 1
    request.session["flashes"] = flashes  # reassigned: the session is saved only when set
    request.session["flashes_more"] = more


def _more_text(more: dict[str, int]) -> str:
    words = {"success": ("success", "successes"), "error": ("error", "errors")}
    parts = [
        f"{n} {words.get(level, ('message', 'messages'))[n != 1]}"
        for level, n in sorted(more.items(), key=lambda kv: kv[0] != "error")
        if n
    ]
    return f"…and {', '.join(parts)} more, not shown: Health has every record's sync state."


def take_flashes(request: Request) -> list[dict[str, Any]]:
    if "session" not in request.scope:
        return []
    flashes: list[dict[str, Any]] = request.session.pop("flashes", [])
    more: dict[str, int] = request.session.pop("flashes_more", {})
    if any(more.values()):
        level = "error" if more.get("error") else "info"
        flashes.append({"level": level, "text": _more_text(more), "fix": None, "link": "/health"})
    return flashes


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: redirects never leave the admin."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def redirect(request: Request, target: str) -> Response:
    """See other: a normal 303, or for htmx an HX-Redirect so the whole page moves."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
