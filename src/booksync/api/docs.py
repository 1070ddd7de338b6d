"""`/api/docs`: the API's reference as one plain HTML page rendered from its own OpenAPI document.

FastAPI's Swagger UI loads its script and styles from a CDN, so every visit would tell a third
party who reads the docs and would run whatever that CDN serves next to the admin's cookie. This
page needs nothing but itself: no script, no outside asset, and a policy that forbids both.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

DOCS_URL = "/api/docs"
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "code,pre{background:#f4f4f4;padding:.1rem .3rem}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
#: Nothing runs and nothing loads: the page is text, links and its own style sheet.
HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    return escape(str(schema.get("type", "any")))


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    rows = [
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{_type(p.get('schema', {}))}</td>"
        f"<td>{'required' if p.get('required') else ''}</td>"
        f"<td>{escape(p.get('description') or p.get('schema', {}).get('description', ''))}</td></tr>"
        for p in op.get("parameters", [])
    ]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    answers = ", ".join(
        f"{escape(code)} {escape(answer.get('description', ''))}"
        for code, answer in op.get("responses", {}).items()
    )
    html = [
        f'<h3 id="{escape(op.get("operationId", ""))}">{method.upper()} <code>{escape(path)}</code>'
        f"</h3><p>{escape(op.get('summary', ''))}</p>"
    ]
    if op.get("description"):
        html.append(f"<pre>{escape(op['description'])}</pre>")
    if rows:
        html.append("<table>" + "".join(rows) + "</table>")
    if body:
        html.append(f"<p>Body: {_type(body.get('schema', {}))}</p>")
    html.append(f"<p>Answers: {answers}</p>")
    return "".join(html)


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(field)}</code></td><td>{_type(spec)}</td>"
        f"<td>{'required' if field in required else ''}</td>"
        f"<td>{escape(spec.get('description', ''))}</td></tr>"
        for field, spec in schema.get("properties", {}).items()
    )
    return f'<h3 id="schema-{escape(name)}">{escape(name)}</h3><table>{rows}</table>'


def render(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    operations = [
        _operation(method, path, op)
        for path, ops in spec.get("paths", {}).items()
        for method, op in ops.items()
    ]
    schemas = [_schema(n, s) for n, s in spec.get("components", {}).get("schemas", {}).items()]
    title = f"{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}"
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title} API</title>"
        f"<style>{STYLE}</style><h1>{title} API</h1>"
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>'
        f"<pre>{escape(info.get('description', ''))}</pre><h2>Operations</h2>"
        + "".join(operations)
        + "<h2>Schemas</h2>"
        + "".join(schemas)
        + "</html>"
    )


def install(app: FastAPI) -> None:
    """Serve the page at `/api/docs`, outside the API's key check (it holds no data)."""

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        return HTMLResponse(render(request.app.openapi()), headers=HEADERS)
