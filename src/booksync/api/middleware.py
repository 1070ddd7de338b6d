"""Limits and headers every answer of the web process gets, the API's and the web admin's alike.

`BodyLimit` refuses a request body over `max_bytes` with a 413 before it is read whole: at once when
its Content-Length says so, else as soon as the bytes streamed in pass the limit (a chunked upload
has no length to check). `NoSniff` adds `X-Content-Type-Options: nosniff`, so no browser reads a
JSON answer that echoes input as HTML or script.
"""

from __future__ import annotations

import json
import os

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booksync.services.errors import BadInput

MAX_BODY_ENV = "BOOKSYNC_MAX_BODY_BYTES"
#: Far more than the largest document (1,000 lines) takes as JSON, far less than memory.
DEFAULT_MAX_BODY = 1024 * 1024


def max_body_bytes(value: int | None = None) -> int:
    """The limit: `value`, else BOOKSYNC_MAX_BODY_BYTES, else 1 MiB; a bad setting stops startup."""
    if value is not None:
        return value
    raw = os.environ.get(MAX_BODY_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BODY
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadInput(
            MAX_BODY_ENV, raw, "is not a number of bytes", "a whole number, e.g. 1048576"
        )
    return int(raw)


def too_large(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes; accepted: at most {limit:,} bytes"


class BodyLimit:
    """Answer 413 to a body over `max_bytes`; nothing is read past the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the app, so its own handlers answer in the usual shape.
                    raise HTTPException(413, too_large(self.max_bytes))
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _refuse(send, self.max_bytes)


class NoSniff:
    """Add `X-Content-Type-Options: nosniff` to every answer that does not set it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_header)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    problem = {"type": "too_large", "loc": ["body"], "msg": too_large(limit), "input": None}
    body = json.dumps({"detail": [problem]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
