"""HTTP plumbing every emulator shares: a threaded stdlib server that starts in-process on a free
port for a test (or in the foreground for the CLI), records every exchange, and carries out the
transport-level faults (a write applied and then its answer lost).

An emulator is an `App`: one method, `handle(Request) -> Response`. Everything tool-specific (auth,
limits, error bodies) lives in the app; everything about sockets lives here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from booksync_emulators.faults import FaultSwitches


@dataclass(frozen=True)
class Request:
    """One HTTP request as the app sees it. Header and query-parameter names are case-insensitive,
    as they are on the real tools."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    base_url: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        base_url: str = "",
    ) -> Request:
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            base_url=base_url,
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, matched case-insensitively."""
        wanted = name.lower()
        for key, values in self.query.items():
            if key.lower() == wanted and values:
                return values[0]
        return None

    def json(self) -> Any:
        """The body parsed with numbers as Decimal (money never passes through float)."""
        return json.loads(self.body.decode("utf-8"), parse_float=Decimal)

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body, first value of each field."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Response:
    """What the app answers.

    `committed=True` says the call reached the tool's data (a write was applied, or failed its own
    validation): only such answers can be lost by the timeout-after-commit fault. `lost` and
    `delay` record what that fault did to it.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    committed: bool = False
    lost: bool = False
    delay: float | None = None

    @classmethod
    def json(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, text.encode("utf-8"), merged)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class App(Protocol):
    def handle(self, request: Request) -> Response: ...


@dataclass(frozen=True)
class Exchange:
    """One request and the response the app produced; `delivered=False` when a fault lost it."""

    request: Request
    response: Response
    delivered: bool


class Recorder:
    """Keeps every exchange in order, for spec validation and assertions; thread-safe."""

    def __init__(self) -> None:
        self._items: list[Exchange] = []
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._items.append(exchange)

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        request = Request.build(self.command, self.path, headers, body, self.server.base_url)
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must still answer something
            response = Response.json(
                500, json.dumps({"Title": "Emulator error", "Detail": repr(exc)})
            )
        fault = None
        if response.committed:
            fault = self.server.faults.take("after_commit", request.method, request.path)
        if fault is not None:
            response.lost, response.delay = True, fault.delay
        self.server.recorder.add(Exchange(request, response, delivered=not response.lost))
        if response.lost and response.delay is None:
            self.close_connection = True  # drop: the client sees the connection closed, no answer
            return
        if response.delay:
            time.sleep(response.delay)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting, which is the point

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        faults: FaultSwitches,
        recorder: Recorder,
        log: Callable[[str], None] | None,
    ) -> None:
        self.app, self.faults, self.recorder, self.log = app, faults, recorder, log
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


class EmulatorServer:
    """Serves an `App` on `host:port` (port 0 picks a free one).

    `start()` runs it on a background thread (tests); `serve_forever()` blocks (the CLI); `stop()`
    closes the socket and returns promptly even if a delayed answer is still sleeping.
    """

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSwitches | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.faults = faults or FaultSwitches()
        self.recorder = Recorder()
        self._server = _Server((host, port), app, self.faults, self.recorder, log)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
