"""Exactly once: a worker SIGKILLed at any point during a sync of a few hundred records, then
restarted, leaves every record in the tool once and none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import SYNCABLE_MODELS, SyncJob
from booksync_emulators.recording import RecordingTool
from support.books import ready_books

WORKER = Path(__file__).with_name("kill_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def run_worker(db_url: str, tool_file: Path, *extra: str, kill_after: float | None = None) -> int:
    env = os.environ | {"PYTHONPATH": str(ROOT / "tests")}
    proc = subprocess.Popen([sys.executable, str(WORKER), db_url, str(tool_file), *extra], env=env)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=120)


def assert_exactly_once(store: Store, tool: RecordingTool, records: int) -> None:
    objects = tool.objects()
    per_reference = Counter((o["entity"], o["reference"]) for o in objects)
    doubled = {k: n for k, n in per_reference.items() if n > 1}
    assert not doubled, f"created twice: {doubled}"
    assert len(objects) == records, f"{records - len(objects)} records never reached the tool"
    remote = {o["remote_id"]: o for o in objects}
    with store.session() as s:
        jobs = s.scalars(select(SyncJob)).all()
        assert Counter(j.status for j in jobs) == {"synced": records}
        for job in jobs:
            model = SYNCABLE_MODELS[EntityType(job.entity_type)]
            remote_id = s.scalar(select(model.remote_id).where(model.id == job.record_id))
            assert remote_id in remote and remote[remote_id]["entity"] == job.entity_type


@pytest.mark.slow
@pytest.mark.parametrize("idempotency", [True, False], ids=["with-keys", "lookup-only"])
def test_killed_at_every_stage_of_a_push_nothing_lost_nothing_doubled(
    db_url: str, tmp_path: Path, idempotency: bool
) -> None:
    store = Store(db_url)
    tool_file = tmp_path / "tool.sqlite"
    tool = RecordingTool(tool_file)
    names = ready_books(store, tool, clients=20, products=10, invoices=270)
    records = 20 + 1 + 10 + 270
    flags = [] if idempotency else ["--no-idempotency"]
    # Kill before a call reaches the tool (= right after the previous batch was committed), and
    # after the tool applied a batch but before its answer was recorded, at several batches.
    for kill_at, when in [
        (1, "after"),
        (2, "before"),
        (3, "after"),
        (5, "after"),
        (8, "before"),
        (11, "after"),
    ]:
        code = run_worker(db_url, tool_file, "--kill-at", str(kill_at), "--kill-when", when, *flags)
        assert code == -signal.SIGKILL
    assert run_worker(db_url, tool_file, *flags) == 0
    assert_exactly_once(store, tool, records)
    assert len(names["invoices"]) == 270
    store.dispose()


@pytest.mark.slow
def test_killed_at_random_moments_nothing_lost_nothing_doubled(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    tool_file = tmp_path / "tool.sqlite"
    tool = RecordingTool(tool_file)
    ready_books(store, tool, clients=20, products=10, invoices=270)
    rng = random.Random(20261126)
    codes = [
        run_worker(
            db_url,
            tool_file,
            "--no-idempotency",
            "--batch-size",
            "5",
            # 60 pushes of 0.25 s: more work than six runs of at most 2.5 s can finish, so every
            # run is really killed mid-way
            "--pace",
            "0.25",
            kill_after=rng.uniform(0.8, 2.5),
        )
        for _ in range(6)
    ]
    # A worker that finished before its kill proves nothing: most must really have been killed.
    assert codes.count(-signal.SIGKILL) == 6, codes
    assert run_worker(db_url, tool_file, "--no-idempotency", "--batch-size", "5") == 0
    assert_exactly_once(store, tool, 20 + 1 + 10 + 270)
    store.dispose()


@pytest.mark.slow
def test_two_workers_share_the_queue_without_doubling(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    tool_file = tmp_path / "tool.sqlite"
    tool = RecordingTool(tool_file)
    ready_books(store, tool, clients=20, products=10, invoices=170)
    env = os.environ | {"PYTHONPATH": str(ROOT / "tests")}
    # A lease far longer than any pause here: neither worker may take over the other's claims.
    args = [sys.executable, str(WORKER), db_url, str(tool_file)]
    args += ["--no-idempotency", "--batch-size", "5", "--lease", "60"]
    procs = [subprocess.Popen(args, env=env) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert_exactly_once(store, tool, 20 + 1 + 10 + 170)
    store.dispose()
