"""The server every emulator runs on: what reaches the app, what the client sees when a fault eats
the answer, and a stop that does not wait for answers still held back."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from booksync_emulators.exchange import Request, Response
from booksync_emulators.faults import FaultSwitches
from booksync_emulators.server import EmulatorServer


class Echo:
    """An app that answers every call with what it saw, as a committed write."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.seen.append(request)
        answer = Response.json(200, '{"ok": true}', {"X-Seen": request.path})
        answer.committed = request.method != "GET"
        return answer


def test_the_app_sees_the_path_as_sent_and_every_exchange_is_recorded() -> None:
    app = Echo()
    with EmulatorServer(app) as server, httpx.Client(base_url=server.url) as http:
        answer = http.get("/Items/SVC%201", params={"where": 'Code=="A B"'})
        assert answer.status_code == 200 and answer.headers["x-seen"] == "/Items/SVC%201"
        assert app.seen[0].param("WHERE") == 'Code=="A B"'
        assert app.seen[0].base_url == server.url
        assert http.head("/Items").status_code == 501  # only the five methods the tools use
        assert [(e.request.path, e.delivered) for e in server.recorder] == [
            ("/Items/SVC%201", True)
        ]


def test_a_dropped_answer_closes_the_connection_and_the_next_call_is_answered() -> None:
    faults = FaultSwitches()
    with EmulatorServer(Echo(), faults=faults) as server, httpx.Client(base_url=server.url) as http:
        faults.timeout_after_commit()
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            http.put("/Contacts", content=b"{}")
        assert http.put("/Contacts", content=b"{}").status_code == 200
        assert [e.delivered for e in server.recorder] == [False, True]


def test_stop_returns_at_once_while_an_answer_is_held_back_and_the_client_sees_it_closed() -> None:
    faults = FaultSwitches()
    server = EmulatorServer(Echo(), faults=faults).start()
    faults.timeout_after_commit(delay=30)
    seen: list[BaseException] = []

    def call() -> None:
        try:
            httpx.put(server.url + "/Invoices", content=b"{}", timeout=60)
        except httpx.HTTPError as exc:
            seen.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while len(server.recorder) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    caller.join(5)
    assert [type(e) for e in seen] == [httpx.RemoteProtocolError]
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/Invoices")
