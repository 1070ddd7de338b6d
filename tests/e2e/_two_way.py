"""booksync running as a person runs it, for the two-way end-to-end tests (issue 13).

`Running`: `booksync serve` (the API, where the tools send their webhooks) and `booksync worker`
(pushes, and handles what comes back) as real processes on one store, plus the CLI and the REST API
the way a user reaches them. The webhook key and an API key are set through the CLI. The worker polls
once when it starts and then only every hour (BOOKSYNC_PULL_INTERVAL), so what reaches booksync
during a test came by webhook, or by the `booksync pull` the test runs.

`wait_for` waits for something a running process does (a liveness bound, not a timing assertion:
how fast is measured in bench/two_way.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select

from booksync.store.db import Store
from booksync.store.models import InboundEvent, SyncJob

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
#: Long enough for a cold process on a busy 2-core machine; only a hung one takes it.
PATIENCE = 20.0
WEBHOOK_KEY = "e2e-webhook-key-not-a-real-one"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = PATIENCE) -> T:
    """`probe()`'s first truthy answer, asked every 50 ms; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@dataclass
class Running:
    """`booksync serve` and `booksync worker` on `db_url`; stop() ends both (SIGTERM)."""

    db_url: str
    store: Store
    port: int = field(default_factory=free_port)
    api_key: str = ""
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def webhook_url(self, kind: str) -> str:
        return f"{self.base}/api/v1/webhooks/{kind}"

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> Any:
        """Run `booksync --db URL ARGS`; the parsed JSON when `--json` is among the args."""
        done = subprocess.run(
            [BOOKSYNC, "--db", self.db_url, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            env=os.environ | {"COLUMNS": "200"},
        )
        if check:
            assert done.returncode == 0, f"booksync {' '.join(args)}: {done.stdout}{done.stderr}"
        if "--json" in args and done.returncode == 0:
            return json.loads(done.stdout)
        return done

    def start(self, kind: str, env: dict[str, str] | None = None) -> None:
        """Set the webhook key and an API key (CLI), then start serve and a worker."""
        self.cli("integration", "webhook-key", kind, stdin=WEBHOOK_KEY + "\n")
        self.api_key = self.cli("apikey", "create", "e2e").stdout.strip().splitlines()[-1]
        environ = os.environ | {"COLUMNS": "200", "BOOKSYNC_PULL_INTERVAL": "3600"} | (env or {})
        # serve first: a push the worker made before serve answers would be echoed into the void
        self._spawn(["serve", "--port", str(self.port), "--no-worker"], environ)
        wait_for("booksync serve to answer", self._answering)
        self._spawn(["worker", "--poll", "0.2"], environ)

    def _spawn(self, args: list[str], environ: dict[str, str]) -> None:
        self.processes.append(
            subprocess.Popen(
                [BOOKSYNC, "--db", self.db_url, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=environ,
            )
        )

    def _answering(self) -> bool:
        assert all(p.poll() is None for p in self.processes), self.stop()
        try:
            return httpx.get(f"{self.base}/openapi.json", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> str:
        """SIGTERM both processes; their output (for a failing test's message)."""
        out = []
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                text, _ = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                text, _ = process.communicate()
            out.append(text or "")
        self.processes.clear()
        return "\n".join(out)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        return httpx.request(
            method, f"{self.base}/api/v1{path}", headers=headers, timeout=10, **kwargs
        )

    def standing(self, number: str) -> dict[str, Any]:
        """What the API says of an invoice in its tool: status, amounts, payments."""
        answer = self.api("GET", "/payments", params={"document": number})
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()["document"]
        found["payments"] = [p for p in answer.json()["payments"] if p["document"] == number]
        return found

    # -- the store, read the way a test checks a running system ------------------------------------

    def jobs(self) -> dict[tuple[str, int], SyncJob]:
        with self.store.session() as s:
            found = {(j.entity_type, j.record_id): j for j in s.scalars(select(SyncJob))}
            s.expunge_all()
        return found

    def all_synced(self) -> bool:
        jobs = self.jobs().values()
        return bool(jobs) and all(j.status == "synced" for j in jobs)

    def inbound(self, *statuses: str) -> int:
        """Webhook events stored (in any of `statuses`, or all)."""
        stmt = select(func.count()).select_from(InboundEvent)
        if statuses:
            stmt = stmt.where(InboundEvent.status.in_(statuses))
        with self.store.session() as s:
            return s.scalar(stmt) or 0

    def settled(self) -> bool:
        """Every stored webhook event handled (none pending or waiting to retry)."""
        return self.inbound("pending", "failed") == 0
