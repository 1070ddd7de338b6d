"""A worker's life on the real clock: its heartbeat keeps its lease through a long call, another
worker takes over when the heartbeat stops, and SIGTERM ends it promptly even in a long
Retry-After pause, handing back what it holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.clock import Clock
from booksync.connectors.protocol import PushItem, PushResult
from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import SyncJob
from booksync.sync import jobs
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool
from support.books import ready_books

WORKER = Path(__file__).with_name("kill_worker.py")
ROOT = Path(__file__).resolve().parents[2]
LEASE = timedelta(seconds=1)


def _claim_as(store: Store, worker: str) -> list[int]:
    with store.session() as s:
        return [j.id for j in jobs.claim(s, worker, limit=50, now=Clock().utcnow(), lease=LEASE)]


def test_the_heartbeat_keeps_the_lease_through_a_long_call_and_another_worker_takes_over_when_it_stops(
    store: Store,
) -> None:
    tool = RecordingTool(batch_size=50)
    ready_books(store, tool, clients=3, products=0, invoices=0)
    calling, answer = threading.Event(), threading.Event()
    push = tool.push

    def slow(tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        calling.set()
        answer.wait(30)  # a call far longer than the lease
        return push(tenant, entity, items)

    tool.push = slow  # type: ignore[method-assign]
    first = Engine(store, lambda tenant: tool, worker="first", lease=LEASE)
    worker = threading.Thread(target=first.run_pass)
    worker.start()
    try:
        assert calling.wait(10)
        time.sleep(LEASE.total_seconds() * 2.5)
        assert first.heartbeat.beats >= 3, "the heartbeat ran while the call was in flight"
        assert _claim_as(store, "second") == [], "the lease was lost during a long call"

        first.heartbeat.stop()  # what a hung or dead worker looks like from outside
        time.sleep(LEASE.total_seconds() * 1.5)
        taken = _claim_as(store, "second")
        assert len(taken) == 4, "the second worker took over every job the first held"
    finally:
        answer.set()
        worker.join(30)
    with store.session() as s:
        owners = Counter(s.scalars(select(SyncJob.claimed_by).where(SyncJob.status == "in_flight")))
    assert owners["first"] == 0


def _statuses(store: Store) -> list[tuple[str, int, str | None]]:
    with store.session() as s:
        return [(j.status, j.attempts, j.claimed_by) for j in s.scalars(select(SyncJob))]


@pytest.mark.slow
def test_sigterm_during_a_long_retry_after_exits_within_seconds_and_hands_back_its_jobs(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    tool_file = tmp_path / "tool.sqlite"
    tool = RecordingTool(tool_file)
    ready_books(store, tool, clients=60, products=0, invoices=0)
    env = os.environ | {"PYTHONPATH": str(ROOT / "tests")}
    args = [sys.executable, str(WORKER), db_url, str(tool_file), "--forever", "--lease", "30"]
    args += ["--batch-size", "10", "--faults", "transient", "--retry-after", "120"]
    proc = subprocess.Popen(args, env=env)
    try:
        deadline = time.monotonic() + 60
        while tool.push_calls() == 0:  # the first batch is answered 429, Retry-After: 120
            assert time.monotonic() < deadline and proc.poll() is None, "the worker never pushed"
            time.sleep(0.05)
        time.sleep(1.0)  # now it sleeps on the Retry-After before the next batch
        assert proc.poll() is None
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"SIGTERM to exit under a 120 s Retry-After: {took:.2f} s")
    assert code == 0
    assert took < 5, f"took {took:.1f} s to stop"
    assert tool.push_calls() == 1, "it pushed after the signal"
    got = _statuses(store)
    assert Counter(status for status, _, _ in got) == {"pending": 61}
    assert all(owner is None for _, _, owner in got)
    assert Counter(attempts for _, attempts, _ in got) == {0: 51, 1: 10}  # no attempt counted
    store.dispose()
