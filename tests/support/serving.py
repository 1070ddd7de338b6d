"""`booksync serve` as people run it: a process of its own on a free loopback port, stopped with
SIGTERM as a service manager stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.receivers import free_port

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
#: Seconds `serve` may take to answer, and to stop (handing back what its worker holds).
START_WAIT = 60.0
STOP_WAIT = 60.0


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    #: What it printed, once it has stopped.
    output: str = ""


@contextmanager
def serving(db_url: str, *args: str, cwd: Path) -> Iterator[Served]:
    """`booksync --db DB_URL serve --port P ARGS`, until the block ends; then SIGTERM, and the
    process must exit 0 (a clean stop)."""
    port = free_port()
    process = subprocess.Popen(
        [BOOKSYNC, "--db", db_url, "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "250"},
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + START_WAIT
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(served.url + "/sign-in", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "booksync serve did not answer"
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            served.output = process.communicate(timeout=STOP_WAIT)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            served.output = process.communicate()[0]
            raise
    assert process.returncode == 0, served.output
