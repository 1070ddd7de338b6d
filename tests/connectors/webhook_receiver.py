"""A loopback HTTP receiver for the emulators' signed webhooks: answers each POST with 200 when the
tool's `WebhookFormat` verifies its signature and 401 otherwise, as `booksync serve` must, and
keeps what it received."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from booksync.connectors.two_way import WebhookEvent, WebhookFormat


@dataclass
class Received:
    format: WebhookFormat
    key: str
    bodies: list[bytes] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""

    def events(self) -> list[WebhookEvent]:
        """Every event of the verified POSTs, in order."""
        return [
            event
            for body, status in zip(self.bodies, self.statuses, strict=True)
            if status == 200
            for event in self.format.events(body)
        ]


@contextmanager
def receiver(fmt: WebhookFormat, key: str) -> Iterator[Received]:
    got = Received(fmt, key)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items()}
            status = 200 if fmt.verify(headers, raw, key) else 401
            with lock:
                got.bodies.append(raw)
                got.statuses.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
