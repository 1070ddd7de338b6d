"""A syncing process collects garbage cycles less often than CPython's default, and a worker sets
its store's connections up before it starts its threads."""

from __future__ import annotations

import gc
import subprocess
import sys

from sqlalchemy import event

from booksync.services import sync as sync_service
from booksync.store.db import Store
from booksync.sync.budget_store import _bound_idle
from booksync.sync.collector import THRESHOLDS, tune_for_sync


def test_tuning_sets_the_thresholds_for_the_whole_process() -> None:
    before = gc.get_threshold()
    try:
        tune_for_sync()
        assert gc.get_threshold() == THRESHOLDS
        assert THRESHOLDS[0] > before[0]
    finally:
        gc.set_threshold(*before)


def test_the_worker_and_a_sync_pass_tune_it_before_they_sync() -> None:
    """Both commands call it first (run in a child: the setting is the whole process's)."""
    probe = (
        "import gc, sys\n"
        "from typer.testing import CliRunner\n"
        "from booksync.cli import app\n"
        "import booksync.cli.sync as face\n"
        "seen = []\n"
        "face.run_with_progress = lambda *a, **k: (seen.append(gc.get_threshold()), sys.exit(0))\n"
        "face.sync_service.make_engine = face.run_with_progress\n"
        "for command in (['sync', 'run'], ['worker']):\n"
        "    gc.set_threshold(700, 10, 10)\n"
        "    CliRunner().invoke(app, ['--db', sys.argv[1], *command])\n"
        "print(seen)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, "sqlite:///:memory:"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str([THRESHOLDS, THRESHOLDS])


def test_a_worker_sets_up_its_store_connections_before_any_thread_opens_one(store: Store) -> None:
    """`booksync worker` starts the two-way loop's thread after making its engine: the setting
    added to new connections must be in place by then, not added while that thread connects."""
    engine = sync_service.make_worker(store)
    try:
        added = event.contains(store.engine, "connect", _bound_idle)
        assert added is (store.dialect == "postgresql")
    finally:
        engine.close()
