"""Pacing and backoff: a tenant's calls-per-minute limit, Retry-After, jitter within bounds."""

from __future__ import annotations

import random
from collections import Counter

from booksync.clock import VirtualClock
from booksync.store.db import Store
from booksync.sync.engine import Engine
from booksync.sync.pacing import Backoff, Pacer
from booksync_emulators.recording import RecordingTool
from support.books import ready_books


def test_pacer_spaces_calls_to_the_per_minute_limit() -> None:
    clock = VirtualClock()
    pacer = Pacer(clock)
    for _ in range(61):
        pacer.wait("t1", 60)
    assert clock.elapsed == 60.0  # 61 calls at 60/min: the 61st starts a minute after the first


def test_pacer_keeps_tenants_apart() -> None:
    clock = VirtualClock()
    pacer = Pacer(clock)
    pacer.wait("a", 1)
    waited = pacer.wait("b", 1)
    assert waited == 0.0 and clock.elapsed == 0.0


def test_retry_after_holds_the_tenant_back() -> None:
    clock = VirtualClock()
    pacer = Pacer(clock)
    pacer.wait("t1", None)
    pacer.pause("t1", 30)
    assert pacer.ready_in("t1") == 30
    pacer.wait("t1", None)
    assert clock.elapsed == 30


def test_backoff_grows_with_jitter_within_its_cap_and_respects_retry_after() -> None:
    backoff = Backoff(base=2, cap=60, max_attempts=5)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (6, 60), (20, 60)]:
        delays = [backoff.delay(attempts, rng=rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        assert len(set(delays)) > 100  # jittered, not a fixed schedule
    assert backoff.delay(1, retry_after=45, rng=rng) == 45
    assert not backoff.exhausted(4) and backoff.exhausted(5)


def test_engine_stays_within_the_tools_rate_limit(store: Store) -> None:
    tool = RecordingTool(batch_size=2, calls_per_minute=60)
    ready_books(store, tool, clients=6, products=2, invoices=10)
    clock = VirtualClock()
    result = Engine(store, lambda tenant: tool, clock=clock).run_pass()
    calls = tool.push_calls()
    assert calls == result.calls == 3 + 1 + 1 + 5  # clients, supplier, products, invoices in pairs
    # never more than one call per second: the calls span at least (calls - 1) virtual seconds
    assert clock.elapsed >= calls - 1
    assert Counter(o["entity"] for o in tool.objects())["invoice"] == 10
