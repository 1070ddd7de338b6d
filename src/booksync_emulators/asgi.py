"""The Starlette app every emulator is served through.

It turns an HTTP request into a `Request`, runs the emulator's blocking `App.handle` on a worker
thread (an app may hold a call in flight until a test opens a gate), records the `Exchange`, and
carries out the faults that act on the wire once the tool has answered: a committed write whose
answer is dropped (the client sees the connection close with no answer) or held back `delay`
seconds, past the client's timeout.

ASGI has no message for "close the connection without answering". uvicorn closes the connection
when an application returns a value instead of `None` (and logs that as a mistake), so the
outermost layer returns `DROP` for a dropped answer, and a logging filter keeps uvicorn quiet
about exactly that value.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import PlainTextResponse
from starlette.responses import Response as HttpResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from booksync_emulators.exchange import App, Exchange, Recorder, Request, Response
from booksync_emulators.faults import FaultSwitches

#: The methods an emulator answers; any other is refused with 501, as `http.server` did.
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
#: Calls an app may hold in flight at once (each waits on a worker thread).
WORKER_THREADS = 256

_DROPPED = "booksync_emulators.dropped"


class _Drop:
    def __repr__(self) -> str:
        return "<emulator: answer dropped>"


#: Returned to uvicorn to make it close the connection with nothing sent.
DROP = _Drop()


def _not_about_a_drop(record: logging.LogRecord) -> bool:
    return not (isinstance(record.args, tuple) and any(arg is DROP for arg in record.args))


logging.getLogger("uvicorn.error").addFilter(_not_about_a_drop)


class _NoAnswer(HttpResponse):
    """Sends nothing and marks the scope, so the outer layer has the connection dropped."""

    def __init__(self) -> None:
        super().__init__(status_code=204)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_DROPPED] = True


class _Droppable:
    """The outermost ASGI layer: returns `DROP` to uvicorn for a dropped answer, and for a call
    still in flight when the server stops (its task is cancelled)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            return DROP  # the server is stopping: close the connection, answer nothing
        return DROP if scope.get(_DROPPED) else None


class _Endpoint:
    """Answers every path: the app's answer, recorded, then as the after-commit fault leaves it."""

    def __init__(
        self,
        app: App,
        faults: FaultSwitches,
        recorder: Recorder,
        base_url: str,
        log: Callable[[str], None] | None,
    ) -> None:
        self.app, self.faults, self.recorder = app, faults, recorder
        self.base_url, self.log = base_url, log
        self._limiter: anyio.CapacityLimiter | None = None

    async def answer(self, http: HttpRequest) -> HttpResponse:
        if http.method not in METHODS:
            return PlainTextResponse(f"Unsupported method ({http.method!r})", 501)
        target = _target(http.scope)
        headers = dict(http.headers.items())
        request = Request.build(http.method, target, headers, await http.body(), self.base_url)
        if self._limiter is None:  # made on the server's loop, by its first call
            self._limiter = anyio.CapacityLimiter(WORKER_THREADS)
        response = await anyio.to_thread.run_sync(
            self._handle, request, limiter=self._limiter, abandon_on_cancel=True
        )
        fault = None
        if response.committed:
            fault = self.faults.take("after_commit", request.method, request.path)
        if fault is not None:
            response.lost, response.delay = True, fault.delay
        self.recorder.add(Exchange(request, response, delivered=not response.lost))
        self._log(http, target, response)
        if response.lost and response.delay is None:
            return _NoAnswer()
        if response.delay:
            await anyio.sleep(response.delay)
        return HttpResponse(response.body, response.status, headers=response.headers)

    def _handle(self, request: Request) -> Response:
        try:
            return self.app.handle(request)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must still answer something
            return Response.json(500, json.dumps({"Title": "Emulator error", "Detail": repr(exc)}))

    def _log(self, http: HttpRequest, target: str, response: Response) -> None:
        if self.log is None:
            return
        client = http.client.host if http.client else "-"
        version = http.scope.get("http_version", "1.1")
        fate = ""
        if response.lost:
            held = f"held back {response.delay:g} s" if response.delay else "dropped"
            fate = f" (answer {held})"
        self.log(f'{client} "{http.method} {target} HTTP/{version}" {response.status}{fate}')


def _target(scope: Scope) -> str:
    """The request target as the client sent it: the path still percent-encoded, and the query."""
    raw = scope.get("raw_path") or quote(scope["path"]).encode()
    query = scope.get("query_string", b"")
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


def build_app(
    app: App,
    faults: FaultSwitches,
    recorder: Recorder,
    base_url: str,
    log: Callable[[str], None] | None = None,
) -> ASGIApp:
    """An ASGI app serving `app` at every path, for uvicorn."""
    endpoint = _Endpoint(app, faults, recorder, base_url, log)
    every = [*METHODS, "HEAD", "OPTIONS"]  # those two reach the endpoint to be refused with 501
    return _Droppable(Starlette(routes=[Route("/{path:path}", endpoint.answer, methods=every)]))
