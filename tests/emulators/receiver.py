"""A webhook receiver for the emulators' tests: a loopback HTTP server that records every POST
(raw body and headers) and answers with the statuses a test queues (200 once the queue is empty),
optionally verifying a signature the way a real receiver must (200 good, 401 bad)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`url` to configure; `received` in arrival order; `answers` statuses to give, in turn;
    `verify_with=(header, key)` answers 401 to a bad signature; `hold` blocks answers until set."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    verify_with: tuple[str, str] | None = None
    hold: threading.Event | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/webhooks"

    def events(self) -> list[dict[str, Any]]:
        """Every Xero event / QBO legacy entity / CloudEvent received, flattened."""
        out: list[dict[str, Any]] = []
        for item in self.received:
            body = item.json()
            if isinstance(body, list):
                out += body
            elif "eventNotifications" in body:
                for note in body["eventNotifications"]:
                    out += [
                        {**e, "realmId": note["realmId"]}
                        for e in note["dataChangeEvent"]["entities"]
                    ]
            else:
                out += body["events"]
        return out

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        if self.hold is not None:
            self.hold.wait(5)
        if self.verify_with is not None:
            header, key = self.verify_with
            expected = base64.b64encode(
                hmac.new(key.encode(), body, hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(expected, headers.get(header, "")):
                return 401
        return self.answers.pop(0) if self.answers else 200


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver = holder["r"]
            receiver.received.append(Received(body, headers))
            status = receiver.answer(headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["r"]
