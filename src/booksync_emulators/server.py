"""Serving an emulator: uvicorn on a loopback port, on a background thread of its own.

`EmulatorServer(app)` binds its socket at once (so a taken port fails there, and `url` is known
before it starts); `start()` serves on a background thread (tests), `serve_forever()` blocks (the
CLI), and `stop()` returns promptly even while an answer is held back or a call is held in flight:
those connections are closed unanswered. What the app sees and answers (`Request`, `Response`)
and what the server records (`Exchange`, `Recorder`) are in `exchange`, re-exported here.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

import uvicorn

from booksync_emulators.asgi import build_app
from booksync_emulators.exchange import App, Exchange, Recorder, Request, Response
from booksync_emulators.faults import FaultSwitches

__all__ = ["App", "EmulatorServer", "Exchange", "Recorder", "Request", "Response"]

#: Seconds an idle keep-alive connection stays open (uvicorn's default, 5, is shorter than some
#: pauses between a connector's calls; `http.server` never closed one).
KEEP_ALIVE = 300


def _listen(host: str, port: int) -> socket.socket:
    """A listening IPv4 TCP socket, or OSError (a taken port, an unknown host).

    The protocol is named (IPPROTO_TCP, not 0) because asyncio turns Nagle's algorithm off only on
    such sockets; with it on, every answer (headers, then body) waits ~40 ms for a delayed ACK."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, stopped by an event rather than its 0.1 s poll, and stopping at once:
    in-flight calls are cancelled (their connections close unanswered) instead of awaited."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        await self.on_tick(0)  # sets the Date header every answer carries
        self.ready.set()
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=1)
            except TimeoutError:
                await self.on_tick(0)  # a fresh Date each second, as uvicorn's own loop does

    def request_stop(self) -> None:
        """Ask the serving thread to stop; safe from any thread."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle ones close now, busy ones once their call ends
        in_flight = list(self.server_state.tasks)
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.wait(in_flight, timeout=2)
        for server in self.servers:
            await server.wait_closed()


class EmulatorServer:
    """Serves an `App` on `host:port` (port 0 picks a free one); see the module docstring."""

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
        self._socket = _listen(host, port)
        self._address: tuple[str, int] = self._socket.getsockname()
        config = uvicorn.Config(
            build_app(app, self.faults, self.recorder, self.url, log),
            http="h11",
            ws="none",
            interface="asgi3",
            loop="asyncio",
            lifespan="off",
            log_config=None,  # leave the process's logging alone
            proxy_headers=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE,
        )
        self._uvicorn = _Uvicorn(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._address[1]

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self._address[1]}"

    def start(self) -> EmulatorServer:
        """Serve on a background thread; return once it answers."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._uvicorn.serve(sockets=[self._socket])),
            name=f"emulator {self.url}",
            daemon=True,
        )
        self._thread.start()
        while not self._uvicorn.ready.wait(0.01):
            if not self._thread.is_alive():
                raise RuntimeError(f"the emulator server on {self.url} failed to start")
        return self

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl+C reaches the caller as KeyboardInterrupt)."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.2)

    def stop(self) -> None:
        if self._thread is not None:
            if self._thread.is_alive():
                self._uvicorn.request_stop()
            self._thread.join(timeout=5)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
