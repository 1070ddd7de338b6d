"""`booksync serve --worker`: a worker in the server's process, on by default for a SQLite file; it
syncs records on its own, shows in the workers registry, and stops cleanly with the server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.services.embedded_worker import EmbeddedWorker, default_on
from booksync.services.records import CLIENTS, TENANTS, configure_integration
from booksync.services.worker_presence import presence
from booksync.store.db import Store
from booksync.store.models import SyncJob, Worker
from cli_support import ok
from support.serving import serving

pytestmark = pytest.mark.slow


def _books(db_url: str, ledgers: Path, clients: int = 2) -> None:
    store = Store(db_url)
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": ["client"]})
        TENANTS.create_for(s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au"})
        for i in range(clients):
            CLIENTS.create(s, {"name": f"Client {i}", "tenant": "Acme AU"})
    store.dispose()
    ok(db_url, "tenant", "connect", "Acme AU", "--ledger-dir", str(ledgers))


def _statuses(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(s.scalars(select(SyncJob.status)))


def _workers(store: Store) -> list[Worker]:
    with store.session() as s:
        return list(s.scalars(select(Worker)))


def test_serve_on_a_sqlite_file_syncs_on_its_own_and_stops_cleanly(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'booksync.db'}"
    _books(db_url, tmp_path)
    store = Store(db_url)
    try:
        with serving(db_url, cwd=tmp_path) as served:
            deadline = time.monotonic() + 60
            while _statuses(store) != ["synced", "synced"]:
                assert time.monotonic() < deadline, _statuses(store)
                time.sleep(0.2)
            [worker] = _workers(store)
            assert worker.pid == served.process.pid
            with store.session() as s:
                assert presence(s).seen
        assert "worker" in served.output and "syncing" in served.output
        assert "booksync worker stopped." in served.output
        assert _workers(store) == []  # it left the registry: it stopped cleanly
    finally:
        store.dispose()


def test_serve_with_no_worker_leaves_records_for_sync_now(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'booksync.db'}"
    _books(db_url, tmp_path, clients=1)
    store = Store(db_url)
    try:
        with serving(db_url, "--no-worker", cwd=tmp_path) as served:
            assert _workers(store) == []
            with store.session() as s:
                assert not presence(s).seen
        assert _statuses(store) == ["pending"]
        assert "no worker" in served.output
    finally:
        store.dispose()


def test_the_worker_is_on_by_default_only_for_the_embedded_store(store: Store) -> None:
    assert default_on(store) == (store.dialect == "sqlite")


def test_an_embedded_worker_registers_while_it_runs(store: Store) -> None:
    with EmbeddedWorker(store, poll=0.05) as worker:
        assert worker.running
        assert [w.name for w in _workers(store)] == [worker.name]
    assert not worker.running and worker.error is None
    assert _workers(store) == []
