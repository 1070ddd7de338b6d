"""The one-shot sign-in callback receiver on localhost, and the check that a callback answers our
request.

Kept on the standard library's `http.server`: it serves exactly one redirect on a loopback port for
the length of a sign-in, which a thread does without starting an ASGI server and its event loop.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from booksync.connectors.oauth_flow import AuthorizationRequest
from booksync.connectors.protocol import AuthError, ConnectorError


@dataclass(frozen=True)
class Callback:
    """What the browser brought back: a code, or the tool's error."""

    code: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    error: str | None = None
    #: Every query parameter of the redirect (QuickBooks adds `realmId`, the company signed in to).
    params: Mapping[str, str] = field(default_factory=dict, repr=False)


_PAGE = (
    "<!doctype html><meta charset=utf-8><title>booksync</title>"
    "<p style='font-family:sans-serif'>{}</p>"
)


class CallbackReceiver:
    """A loopback HTTP server that waits for exactly one redirect to `redirect_uri`'s path.

    Binds the host and port of the redirect URI (register that exact URI with the tool; port 0 picks a
    free port, then `redirect_uri` reports the real one). Other paths get 404 and are ignored.
    """

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
            raise ConnectorError(
                f"redirect URI {redirect_uri!r} is not accepted; accepted: "
                "http://localhost:PORT/PATH or http://127.0.0.1:PORT/PATH"
            )
        self._host_name = parts.hostname
        self._path = parts.path or "/"
        self._result: Callback | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                if url.path != receiver._path:
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if receiver._done.is_set():
                    self._answer(409, "This sign-in was already handled; you can close this tab.")
                    return
                error = query.get("error")
                receiver._result = Callback(
                    query.get("code"),
                    query.get("state"),
                    (query.get("error_description") or error) if error else None,
                    query,
                )
                receiver._done.set()
                text = (
                    "booksync could not connect: " + receiver._result.error
                    if receiver._result.error
                    else "booksync is connected. You can close this tab."
                )
                self._answer(200, text)

            def _answer(self, status: int, text: str) -> None:
                body = _PAGE.format(
                    text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the query string carries the authorization code."""

        bind = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
        try:
            self._server = HTTPServer((bind, 80 if parts.port is None else parts.port), Handler)
        except OSError as exc:
            raise ConnectorError(
                f"cannot listen on {bind}:{parts.port} for the sign-in callback ({exc.strerror}); "
                "accepted: a free local port in the registered redirect URI"
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        port = self._server.server_address[1]
        return f"http://{self._host_name}:{port}{self._path}"

    def wait(self, timeout: float) -> Callback:
        """The callback, or ConnectorError when none came within `timeout` seconds."""
        if not self._done.wait(timeout):
            raise ConnectorError(
                f"no sign-in callback arrived within {timeout:.0f} s; run the command again"
            )
        assert self._result is not None
        return self._result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CallbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_callback(callback: Callback, request: AuthorizationRequest) -> str:
    """The authorization code, once the callback is shown to answer *our* request."""
    if callback.error:
        raise AuthError(f"the sign-in was not completed: {callback.error}")
    if not callback.state or not secrets.compare_digest(callback.state, request.state):
        raise AuthError("the sign-in callback's state does not match this request; start again")
    if not callback.code:
        raise AuthError("the sign-in callback carried no authorization code; start again")
    return callback.code
