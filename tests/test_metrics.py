"""Prometheus metrics: `/metrics` on `booksync serve` (API key required) and on
`booksync worker --metrics-port`, what they count, and the metrics module's place below every layer.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from api_support import Api, new_key
from booksync import metrics
from booksync.api import create_app
from booksync.connectors.tokens import TokenSet
from booksync.connectors.xero import XeroConnector
from booksync.store.db import Store
from booksync_emulators.clock import VirtualClock
from booksync_emulators.xero import ACCOUNTING_PREFIX, TOKEN_PATH
from cli_support import ok
from emulators.conftest import StartEmulator, xero_emulator_factory  # noqa: F401

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
SRC = Path(__file__).resolve().parents[1] / "src" / "booksync"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus' text format (None when it is not there)."""
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    wanted = f"{name}{{{shown}}}" if labels else name
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == wanted or _same_labels(key, name, labels):
            return float(value)
    return None


def _same_labels(key: str, name: str, labels: dict[str, str]) -> bool:
    if not key.startswith(name + "{"):
        return False
    found = dict(re.findall(r'(\w+)="([^"]*)"', key[len(name) :]))
    return found == labels


def test_the_metrics_module_imports_nothing_from_booksync_but_its_errors() -> None:
    tree = ast.parse((SRC / "metrics.py").read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("booksync")
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("booksync")
    }
    assert imported == {"booksync.errors"}, "the connectors and the engine both count into it"


def test_api_metrics_need_a_key_and_count_jobs_by_state(store: Store, tmp_path: Path) -> None:
    db = store.url
    for args in [
        ("integration", "enable", "ledger"),
        ("tenant", "add", "Acme AU", "--integration", "ledger", "--remote-id", "acme-au"),
        ("client", "add", "Acme Ltd", "--tenant", "Acme AU"),
        ("client", "add", "Globex", "--tenant", "Acme AU"),
    ]:
        ok(db, *args)
    app = create_app(store)
    with start_blocking_portal() as portal:
        anonymous = Api(app, portal, {})
        refused = anonymous.get("/metrics")
        assert refused.status_code == 401
        api = Api(app, portal, {"Authorization": f"Bearer {new_key(store)}"})
        answer = api.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    body = answer.text
    assert sample(body, "booksync_sync_jobs", state="pending") == 2
    assert sample(body, "booksync_sync_jobs", state="synced") == 0
    assert sample(body, "booksync_workers", state="alive") == 0
    assert "# TYPE booksync_records_total counter" in body
    assert "# TYPE booksync_rate_limited_total counter" in body
    assert "/metrics" not in str(app.openapi()["paths"]), "for Prometheus, not API clients"


def test_a_429_is_counted_by_the_limit_that_said_no(
    xero_emulator_factory: StartEmulator,  # noqa: F811 - the fixture, imported above
) -> None:
    clock = VirtualClock()
    handle = xero_emulator_factory(tenants=1, clock=clock)
    # A 429 this process could not foresee (another worker spent the tenant's minute).
    handle.emulator.faults.rate_limit_storm(1, retry_after=5, problem="minute")
    tenant = handle.tenants[0]
    before = metrics.value("rate_limited", tool="Xero", problem="minute")
    connector = XeroConnector(
        TokenSet(tenant.access_token, tenant.refresh_token, clock.utcnow() + timedelta(minutes=30)),
        base_url=f"{handle.server.url}{ACCOUNTING_PREFIX}",
        identity_url=f"{handle.server.url}{TOKEN_PATH}",
        client_id=handle.emulator.client.client_id,
        clock=clock,
    )
    try:
        connector.account_codes(tenant.tenant_id)  # 429, then again after 5 s: answered
    finally:
        connector.close()
    assert metrics.value("rate_limited", tool="Xero", problem="minute") == before + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_worker_serves_its_counts_and_the_queue_on_its_metrics_port(
    db_url: str, tmp_path: Path
) -> None:
    for args in [
        ("integration", "enable", "ledger"),
        ("integration", "configure", "ledger", "--entities", "client"),
        ("tenant", "add", "Acme AU", "--integration", "ledger", "--remote-id", "acme-au"),
        ("client", "add", "Acme Ltd", "--tenant", "Acme AU"),
        ("client", "add", "Globex", "--tenant", "Acme AU"),
    ]:
        ok(db_url, *args)
    ok(db_url, "tenant", "connect", "Acme AU", "--ledger-dir", str(tmp_path))
    port = _free_port()
    worker = subprocess.Popen(
        [BOOKSYNC, "--db", db_url, "worker", "--poll", "0.2", "--metrics-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
        cwd=tmp_path,  # anything it writes by default stays out of the working tree
    )
    body = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                body = ""
            if sample(body, "booksync_records_total", outcome="synced") == 2:
                break
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, out
    assert sample(body, "booksync_records_total", outcome="synced") == 2, body
    assert sample(body, "booksync_tool_calls_total") == 1, "two clients, one batch"
    assert sample(body, "booksync_sync_jobs", state="synced") == 2
    assert sample(body, "booksync_workers", state="alive") == 1
