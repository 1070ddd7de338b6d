"""`booksync sync run`, `worker`, `status`, `log`, `sync retry`, `tenant connect|import`, `demo`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from beancount import loader

from booksync.store.db import Store
from cli_support import invoke, ok

BOOKSYNC = [str(Path(sys.executable).with_name("booksync"))]


def small_books(db_url: str, ledger_dir: Path) -> None:
    for args in [
        ("integration", "enable", "ledger"),
        (
            "integration",
            "configure",
            "ledger",
            "--entities",
            "client,product,invoice",
            "--show-success-messages",
        ),
        (
            "tenant",
            "add",
            "Acme AU",
            "--integration",
            "ledger",
            "--remote-id",
            "acme-au",
            "--currency",
            "AUD",
        ),
        ("tax-rate", "add", "GST on Income", "--percent", "10"),
        ("tax-rate", "map", "GST on Income", "--tenant", "Acme AU", "--tax-type", "OUTPUT"),
        ("account-code", "add", "Sales", "--kind", "income"),
        ("client", "add", "Acme Ltd", "--tenant", "Acme AU"),
        (
            "product",
            "add",
            "Backup 1TB",
            "--price",
            "49",
            "--income-account",
            "Sales",
            "--tax-rate",
            "GST on Income",
            "--tenant",
            "Acme AU",
        ),
        (
            "invoice",
            "add",
            "INV-1001",
            "--client",
            "Acme Ltd",
            "--line",
            "Backup 1TB:2:49.00",
            "--date",
            "2026-10-05",
        ),
    ]:
        ok(db_url, *args)
    out = ok(db_url, "tenant", "connect", "Acme AU", "--ledger-dir", str(ledger_dir)).stdout
    assert "Imported from 'Acme AU': 18 account codes, 5 tax types" in out


def test_the_tour_from_the_readme(db_url: str, tmp_path: Path) -> None:
    small_books(db_url, tmp_path)
    first = ok(db_url, "sync", "run")
    assert "✓ Client Acme Ltd → Ledger 'Acme AU' as " in first.stdout
    assert "1 synced, 2 blocked, 0 failed" in first.stdout
    doctor = invoke(db_url, "doctor", "invoice", "INV-1001", "--json")
    assert doctor.exit_code == 1
    report = json.loads(doctor.stdout)
    assert [b["id"] for b in report["blockers"]] == ["account_code.code_set"]
    assert report["blockers"][0]["fix"] == "booksync account-code edit 1 --code CODE"
    ok(db_url, "account-code", "edit", "Sales", "--code", "200")
    second = ok(db_url, "sync", "run")
    assert "2 synced, 0 blocked, 0 failed" in second.stdout
    assert ok(db_url, "doctor", "invoice", "INV-1001").exit_code == 0
    status = json.loads(ok(db_url, "status", "--json").stdout)
    assert status["totals"]["synced"] == 3 and status["tenants"]["Acme AU"]["synced"] == 3
    log = json.loads(ok(db_url, "log", "invoice", "INV-1001", "--json").stdout)
    kinds = [e["kind"] for e in log["events"]]
    assert kinds == ["changed", "blocked", "synced"]
    assert log["events"][-1]["request"]["number"] == "INV-1001"
    entries, errors, _ = loader.load_file(str(tmp_path / "acme-au.beancount"))
    assert errors == []
    txns = [e for e in entries if getattr(e, "links", None) and "INV-1001" in e.links]
    assert len(txns) == 1 and str(txns[0].date) == "2026-10-05"


def test_retry_requeues_a_rejected_record(db_url: str, tmp_path: Path) -> None:
    small_books(db_url, tmp_path)
    ok(db_url, "account-code", "edit", "Sales", "--code", "200")
    ok(db_url, "sync", "run")
    ok(db_url, "sync", "retry", "invoice", "INV-1001")
    log = json.loads(ok(db_url, "log", "invoice", "INV-1001", "--json").stdout)
    assert log["job"]["status"] == "pending"
    again = ok(db_url, "sync", "run")
    assert "1 synced" in again.stdout
    entries, errors, _ = loader.load_file(str(tmp_path / "acme-au.beancount"))
    assert errors == [] and sum(1 for e in entries if "INV-1001" in getattr(e, "links", ())) == 1


def test_retry_of_an_unknown_record_is_bad_input(db_url: str, tmp_path: Path) -> None:
    result = invoke(db_url, "sync", "retry", "invoice", "INV-404")
    assert result.exit_code == 2 and "'INV-404' is not a known invoice" in result.output


@pytest.mark.slow
def test_worker_picks_up_a_change_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    small_books(db_url, tmp_path)
    ok(db_url, "account-code", "edit", "Sales", "--code", "200")
    worker = subprocess.Popen(
        [*BOOKSYNC, "--db", db_url, "worker", "--poll", "0.2", "--lease", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
    )
    store = Store(db_url)
    try:
        deadline = time.monotonic() + 30
        while _synced(store) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _synced(store) == 3
        ok(db_url, "client", "edit", "Acme Ltd", "--email", "billing@acme.example")
        # How fast is measured in bench/engine.py; here only that the running worker picks it up.
        deadline = time.monotonic() + 30
        while (_synced(store) < 3 or _pending(store)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _synced(store) == 3 and not _pending(store), "the worker did not pick up the change"
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=20)
        store.dispose()
    assert worker.returncode == 0, out
    assert "booksync worker stopped." in out
    assert "(lease 7 s)" in out


def _synced(store: Store) -> int:
    return _count(store, "synced")


def _pending(store: Store) -> int:
    return _count(store, "pending") + _count(store, "in_flight")


def _count(store: Store, status: str) -> int:
    from sqlalchemy import func, select

    from booksync.store.models import SyncJob

    with store.session() as s:
        return s.scalar(select(func.count()).where(SyncJob.status == status)) or 0


def test_demo_syncs_the_sample_into_valid_ledgers(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = ok(db_url, "demo", "--dir", str(tmp_path))
    out = result.stdout
    assert "Imported from 'Northwind IT AU'" in out and "Imported from 'Northwind IT NZ'" in out
    assert "valid (beancount's loader: no errors)" in out
    assert "fava " in out
    assert "account code 'Project Income' has an empty Code" in out
    for ledger in ("northwind-au", "northwind-nz"):
        entries, errors, _ = loader.load_file(str(tmp_path / "ledgers" / f"{ledger}.beancount"))
        assert errors == []
        assert any(getattr(e, "links", None) for e in entries)
    again = invoke(db_url, "demo", "--dir", str(tmp_path))
    assert again.exit_code == 2 and "needs an empty database" in again.output
