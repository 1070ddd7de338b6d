"""Wake-ups: on PostgreSQL a saved record NOTIFYs when its transaction commits, and an idle worker
LISTENing (`booksync.sync.wakeup`) is woken by it, from another process, without polling; on SQLite,
or without a LISTEN connection, waiting is plain polling.

How fast is measured by `python -m bench scale` (wake-up latency); here only that it happens, with
a poll interval so long that only a NOTIFY explains a worker that picked the record up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booksync.services.records import CLIENTS, TENANTS, configure_integration
from booksync.store.db import Store
from booksync.store.models import SyncJob
from booksync.sync.wakeup import Wakeup
from cli_support import ok

BOOKSYNC = str(Path(sys.executable).with_name("booksync"))
LONG_POLL = 30.0


def _tenant(store: Store) -> None:
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True, "entities_to_sync": ["client"]})
        TENANTS.create_for(
            s, "ledger", {"name": "Acme AU", "remote_tenant_id": "acme-au", "base_currency": "AUD"}
        )


def _save_client_elsewhere(db_url: str, name: str) -> subprocess.CompletedProcess[str]:
    """Another process saves a client, as a person at the CLI or the web admin would."""
    return subprocess.run(
        [BOOKSYNC, "--db", db_url, "client", "add", name, "--tenant", "Acme AU"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    from conftest import _empty_pg

    _empty_pg(pg_url)
    opened = Store(pg_url)
    yield opened
    opened.dispose()


def test_a_record_saved_by_another_process_wakes_a_listening_worker(pg_store: Store) -> None:
    _tenant(pg_store)
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        assert wakeup.listening
        saved = _save_client_elsewhere(pg_store.url, "Acme Ltd")
        assert saved.returncode == 0, saved.stderr
        # Saved before the wait began: the NOTIFY waits on the connection, it is not lost.
        assert wakeup.wait(LONG_POLL, stop) is True
        assert wakeup.notifications >= 1


def test_a_burst_of_saves_wakes_once_and_a_rolled_back_save_not_at_all(pg_store: Store) -> None:
    _tenant(pg_store)
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        for i in range(5):
            with pg_store.session() as s:
                CLIENTS.create(s, {"name": f"Client {i}", "tenant": "Acme AU"})
        # The server hands each commit's NOTIFY to the listening connection on its own schedule;
        # on a loaded machine the fifth may still be on its way when the first is read. What
        # `wait` promises is that every notification already queued is taken at once.
        time.sleep(0.5)
        assert wakeup.wait(LONG_POLL, stop) is True
        assert wakeup.notifications == 5
        assert wakeup.wait(0.3, stop) is False, "the burst's other notifications were taken too"

        with pytest.raises(RuntimeError), pg_store.session() as s:
            CLIENTS.create(s, {"name": "Never saved", "tenant": "Acme AU"})
            raise RuntimeError("the person cancelled")
        assert wakeup.wait(0.3, stop) is False, "a NOTIFY is sent only when its save commits"


def test_a_retry_asked_for_wakes_a_listening_worker(pg_store: Store) -> None:
    from sqlalchemy import update

    from booksync.services import sync as sync_service

    _tenant(pg_store)
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        with pg_store.session() as s:
            CLIENTS.create(s, {"name": "Acme Ltd", "tenant": "Acme AU"})
        assert wakeup.wait(LONG_POLL, stop) is True
        with pg_store.session() as s:  # the tool refused it (an engine write: no NOTIFY)
            s.execute(update(SyncJob).values(status="failed"))
        assert wakeup.wait(0.3, stop) is False
        with pg_store.session() as s:
            sync_service.retry(s, "client", "Acme Ltd")
        assert wakeup.wait(LONG_POLL, stop) is True


def test_a_lost_listen_connection_is_reopened_and_the_worker_looks_meanwhile(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    import booksync.sync.wakeup as wakeup_module

    monkeypatch.setattr(wakeup_module, "RETRY", 0.1)
    _tenant(pg_store)
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        pid = wakeup._conn.info.backend_pid
        with pg_store.engine.begin() as conn:  # the database restarts, a proxy drops it...
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert wakeup.wait(LONG_POLL, stop) is True, "lost: look now, a NOTIFY may be missed"
        assert not wakeup.listening
        assert wakeup.wait(LONG_POLL, stop) is True, "listening again: look once more"
        assert wakeup.listening and wakeup._conn.info.backend_pid != pid
        with pg_store.session() as s:
            CLIENTS.create(s, {"name": "Acme Ltd", "tenant": "Acme AU"})
        assert wakeup.wait(LONG_POLL, stop) is True
        assert wakeup.notifications == 1


def test_stop_ends_a_long_wait(pg_store: Store) -> None:
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        threading.Timer(0.2, stop.set).start()
        assert wakeup.wait(LONG_POLL, stop) is False
        assert stop.is_set()


def test_on_sqlite_waiting_is_polling(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'booksync.db'}")
    _tenant(store)
    stop = threading.Event()
    with Wakeup(store) as wakeup:
        assert not wakeup.listening
        with store.session() as s:
            CLIENTS.create(s, {"name": "Acme Ltd", "tenant": "Acme AU"})
        assert wakeup.wait(0.05, stop) is False
    store.dispose()


def test_an_unreachable_listen_connection_falls_back_to_polling(pg_store: Store) -> None:
    pg_store.url = pg_store.url.replace("127.0.0.1:5432", "127.0.0.1:1")  # nothing listens there
    stop = threading.Event()
    with Wakeup(pg_store) as wakeup:
        assert not wakeup.listening
        assert wakeup.wait(0.05, stop) is False


@pytest.mark.slow
def test_an_idle_worker_on_postgresql_pushes_a_record_saved_elsewhere_without_polling(
    pg_url: str, tmp_path: Path
) -> None:
    from conftest import _empty_pg

    _empty_pg(pg_url)
    store = Store(pg_url)
    _tenant(store)
    ok(pg_url, "tenant", "connect", "Acme AU", "--ledger-dir", str(tmp_path))
    poll = 120.0  # so long that under any load only a NOTIFY explains a pick-up within a minute
    worker = subprocess.Popen(
        [BOOKSYNC, "--db", pg_url, "worker", "--poll", str(poll), "--lease", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
        cwd=tmp_path,  # anything it writes by default stays out of the working tree
    )
    try:
        # Idle: it has started, looked once, found nothing, and now waits (up to 30 s).
        deadline = time.monotonic() + 30
        while not _worker_registered(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert _save_client_elsewhere(pg_url, "Acme Ltd").returncode == 0
        saved_at = time.monotonic()
        while _synced(store) < 1 and time.monotonic() - saved_at < poll:
            time.sleep(0.02)
        waited = time.monotonic() - saved_at
        assert _synced(store) == 1, "the worker did not pick the record up"
        # Not a speed assertion: the worker's next look is about two minutes after its first, so
        # a pick-up within one is a NOTIFY's doing (bench/scale.py measures how fast).
        assert waited < poll / 2, f"picked up after {waited:.1f} s: only the poll found it"
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
        store.dispose()
    assert worker.returncode == 0, out


def _worker_registered(store: Store) -> bool:
    from booksync.store.models import Worker

    with store.session() as s:
        return bool(s.scalar(select(func.count()).select_from(Worker)))


def _synced(store: Store) -> int:
    with store.session() as s:
        return (
            s.scalar(select(func.count()).select_from(SyncJob).where(SyncJob.status == "synced"))
            or 0
        )
