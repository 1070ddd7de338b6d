"""Pacing and backoff: the engine within a tenant's calls-per-minute limit, jitter within bounds."""

from __future__ import annotations

import random
from collections import Counter

from booksync.clock import VirtualClock
from booksync.store.db import Store
from booksync.sync.engine import Engine
from booksync.sync.pacing import Backoff
from booksync_emulators.recording import RecordingTool
from support.books import ready_books


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
    tool = RecordingTool(batch_size=2, calls_per_minute=10)
    ready_books(store, tool, clients=6, products=2, invoices=40)
    clock = VirtualClock()
    sent: list[float] = []
    push = tool.push

    def timed(*call: object) -> object:
        sent.append(clock.now())
        return push(*call)  # type: ignore[arg-type]

    tool.push = timed  # type: ignore[method-assign]
    result = Engine(store, lambda tenant: tool, clock=clock).run_pass(max_wait=600)
    calls = tool.push_calls()
    assert calls == result.calls == 3 + 1 + 1 + 20  # clients, supplier, products, invoices in pairs
    # never more than 10 calls in any 60 s: the calls span at least two full minutes
    assert max(sum(1 for t in sent if s <= t < s + 60) for s in sent) <= 10
    assert clock.elapsed >= 120
    assert Counter(o["entity"] for o in tool.objects())["invoice"] == 40
