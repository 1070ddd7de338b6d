"""`booksync status` lists the workers (from the registry each worker writes) and each tenant's
backlog; `--log-format json` logs one JSON object per line with secrets masked."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from booksync.cli._logging import JsonFormatter, redact
from booksync.clock import Clock
from booksync.services.records import CLIENTS, TENANTS, configure_integration
from booksync.store.db import Store
from booksync.store.models import Worker
from booksync.sync import jobs
from booksync.sync.workers import INTERVAL, STALE_AFTER, WorkerRegistry
from cli_support import invoke, ok

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))


def _books(store: Store, clients: int = 3) -> None:
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": ["client"]})
        TENANTS.create_for(s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"})
        TENANTS.create_for(s, "ledger", {"name": "Globex NZ", "remote_tenant_id": "globex-nz"})
        for i in range(clients):
            CLIENTS.create(s, {"name": f"Client {i}", "tenant": "Acme AU"})


def test_status_lists_each_worker_with_the_jobs_it_holds_and_each_tenants_backlog(
    store: Store,
) -> None:
    _books(store)
    with store.session() as s:
        held = jobs.claim(
            s, "web-1:4242", limit=2, now=Clock().utcnow(), lease=timedelta(minutes=5)
        )
        assert len(held) == 2
    registry = WorkerRegistry(store, "web-1:4242", concurrency=4)
    registry.beat()
    data = json.loads(ok(store.url, "status", "--json").stdout)
    (worker,) = data["workers"]
    assert worker["name"] == "web-1:4242" and worker["pid"] == registry.pid
    assert worker["host"] == registry.host
    assert worker["jobs_held"] == 2 and worker["concurrency"] == 4 and worker["alive"] is True
    assert data["backlog"]["Acme AU"] == {"jobs": 3, "budget_left": None}
    assert "Globex NZ" not in data["backlog"], "a tenant with no job has no backlog row"
    assert data["totals"]["pending"] == 1 and data["totals"]["in_flight"] == 2

    table = ok(store.url, "status").stdout
    assert "Workers" in table and registry.host in table and str(registry.pid) in table
    assert "alive" in table
    assert "Backlog" in table and "Acme AU" in table


def test_a_worker_silent_for_three_beats_is_shown_as_such_and_a_clean_stop_leaves_no_row(
    store: Store,
) -> None:
    _books(store, clients=0)
    registry = WorkerRegistry(store, "gone:1").start()
    with store.session() as s:
        s.execute(
            update(Worker).values(
                heartbeat_at=Clock().utcnow() - timedelta(seconds=INTERVAL * STALE_AFTER + 1)
            )
        )
    registry._stop.set()  # stops beating, as a dead worker would, without removing its row
    registry._thread.join(10)  # type: ignore[union-attr]
    (worker,) = json.loads(ok(store.url, "status", "--json").stdout)["workers"]
    assert worker["alive"] is False
    assert "silent (died?)" in ok(store.url, "status").stdout

    registry.stop()
    with store.session() as s:
        assert s.scalars(select(Worker)).all() == []
    assert "No worker is running" in ok(store.url, "status").stdout


def test_the_worker_registers_itself_and_leaves_on_sigterm(db_url: str, tmp_path: Path) -> None:
    import signal
    import time

    store = Store(db_url)
    _books(store, clients=0)
    worker = subprocess.Popen(
        [BOOKSYNC, "--db", db_url, "worker", "--poll", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        rows: list[Worker] = []
        while not rows and time.monotonic() < deadline:
            with store.session() as s:
                rows = list(s.scalars(select(Worker)))
            time.sleep(0.05)
        assert [(w.pid, w.jobs_held) for w in rows] == [(worker.pid, 0)]
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, out
        with store.session() as s:
            assert s.scalars(select(Worker)).all() == []
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        store.dispose()


# -- --log-format json ------------------------------------------------------------------------------


def test_json_logs_are_one_object_a_line_with_what_would_be_printed(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    _books(store, clients=2)
    with store.session() as s:
        configure_integration(s, "ledger", {"show_success_messages": True})
    store.dispose()
    ok(db_url, "tenant", "connect", "Acme AU", "--ledger-dir", str(tmp_path))
    done = subprocess.run(
        [BOOKSYNC, "--log-format", "json", "--db", db_url, "sync", "run", "--wait", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # each line is one whole JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    synced = [e for e in entries if e["logger"] == "booksync.sync" and e["outcome"] == "success"]
    assert len(synced) == 2, done.stderr
    assert all(e["level"] == "info" and "Client" in e["message"] for e in synced)


def test_the_json_formatter_masks_secrets_in_messages_and_drops_secret_fields() -> None:
    record = logging.LogRecord(
        "booksync.test",
        logging.WARNING,
        __file__,
        1,
        "refresh failed for postgresql://sync:hunter2@db/booksync with Bearer eyJabc.def "
        "and refresh_token=rt-123&client_secret: 's3cr3t'",
        (),
        None,
    )
    record.access_token = "at-456"
    record.tenant = "Acme AU"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    for secret in ("hunter2", "eyJabc", "rt-123", "s3cr3t", "at-456"):
        assert secret not in line
    assert "access_token" not in entry and entry["tenant"] == "Acme AU"
    assert entry["level"] == "warning" and entry["logger"] == "booksync.test"
    assert "postgresql://sync:***@db/booksync" in entry["message"]
    assert redact("3 tokens: fine") == "3 tokens: fine"


def test_an_unknown_log_format_is_refused_naming_what_is_accepted(tmp_path: Path) -> None:
    result = invoke(f"sqlite:///{tmp_path / 'b.db'}", "--log-format", "xml", "status")
    assert result.exit_code == 2
    assert "'xml' is not a log format; accepted: text, json" in result.output


def test_status_shows_the_budget_every_worker_shares_on_postgresql(pg_url: str) -> None:
    from booksync.connectors.budget import RateBudget
    from booksync.connectors.registry import tools
    from booksync.sync.budget_store import PgCounts
    from conftest import _empty_pg

    _empty_pg(pg_url)
    store = Store(pg_url)
    with store.session() as s:
        configure_integration(s, "xero", {"enabled": True, "entities_to_sync": ["client"]})
        TENANTS.create_for(s, "xero", {"name": "Northwind", "remote_tenant_id": "org-1"})
        CLIENTS.create(s, {"name": "Acme Ltd", "tenant": "Northwind"})
    limits = tools()["xero"].limits
    counts = PgCounts(store)
    try:  # three calls another worker made to this tenant, as the engine counts them
        budget = RateBudget(limits=limits, counts=counts, scope="xero")
        assert [budget.try_take("org-1") for _ in range(3)] == [0.0, 0.0, 0.0]
    finally:
        counts.close()
    store.dispose()
    data = json.loads(ok(pg_url, "status", "--json").stdout)
    assert data["backlog"]["Northwind"]["budget_left"] == {
        "minute": limits.calls_per_minute - 3,
        "day": limits.calls_per_day - 3,
    }
    assert data["app_budget_left"] == {"xero": {"minute": limits.app_calls_per_minute - 3}}
    table = ok(pg_url, "status").stdout
    assert f"{limits.calls_per_minute - 3} this minute" in table
