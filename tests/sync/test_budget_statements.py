"""The rate budget on PostgreSQL spends one statement per call: no lane's lock is held across a
round trip, so a worker stopped (SIGSTOP) or slow between two of its statements keeps nothing from
the others; and an in-flight place reuses a pooled connection, leaving it without its lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from booksync.connectors.lanes import Lane
from booksync.store.db import Store
from booksync.sync.budget_store import PgCounts

NOW = 1_800_000_000_000
TENANT = Lane("xero|T1|m", 60, 60_000)
APP = Lane("xero|*|m", 100, 60_000)


@pytest.fixture
def two(pg_url: str) -> Iterator[tuple[PgCounts, PgCounts]]:
    """Two budgets over one database, as two worker processes hold them."""
    from conftest import _empty_pg

    _empty_pg(pg_url)
    stores = Store(pg_url), Store(pg_url)
    counts = PgCounts(stores[0]), PgCounts(stores[1])
    yield counts
    for each in counts:
        each.close()
    for store in stores:
        store.dispose()


class Stopper:
    """Stops the budget's thread after its n-th statement, as SIGSTOP would stop a worker there,
    until `resume`; and notes whether any statement ran as an executemany (which psycopg runs as a
    pipeline: a worker stopped inside one leaves the server waiting, its locks held, no timeout)."""

    def __init__(self, counts: PgCounts, after: int) -> None:
        self.after, self.seen, self.many = after, 0, False
        self.stopped, self.resumed = threading.Event(), threading.Event()
        event.listen(counts.engine, "after_cursor_execute", self._executed)

    def _executed(self, *args: Any) -> None:
        self.many = self.many or bool(args[-1])
        self.seen += 1
        if self.seen == self.after:
            self.stopped.set()
            self.resumed.wait(30)


OPERATIONS: dict[str, Callable[[PgCounts], object]] = {
    "take": lambda c: c.take(["xero|T1", "xero|*"], [APP, TENANT], NOW, True),
    "peek": lambda c: c.take(["xero|T1", "xero|*"], [APP, TENANT], NOW, False),
    "fill": lambda c: c.fill(TENANT, 30, NOW),
    "hold": lambda c: c.hold("xero|T1", NOW - 1),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_worker_stopped_between_its_budget_statements_holds_no_lane(
    two: tuple[PgCounts, PgCounts], operation: str
) -> None:
    stopped_one, other = two
    after = 1
    while True:
        stopper = Stopper(stopped_one, after)
        run = threading.Thread(target=OPERATIONS[operation], args=(stopped_one,))
        run.start()
        try:
            while run.is_alive() and not stopper.stopped.wait(0.01):
                pass
            if not stopper.stopped.is_set():
                break  # it ran to the end: every point between its statements was tried
            # The other worker counts a call in both lanes at once (not BUSY_MS after a lock wait).
            assert other.take(["xero|T2", "xero|*"], [APP, TENANT], NOW, True) == 0
        finally:
            stopper.resumed.set()
            run.join(30)
            event.remove(stopped_one.engine, "after_cursor_execute", stopper._executed)
        assert not stopper.many, "an executemany: psycopg pipelines it"
        after += 1
    assert after > 1, "the operation ran no statement"


def test_a_place_left_is_free_for_every_process_and_its_connection_is_reused(
    two: tuple[PgCounts, PgCounts],
) -> None:
    one, other = two
    opened: list[object] = []
    event.listen(one.engine, "connect", lambda *_: opened.append(1))
    for _ in range(20):
        places = [one.enter("xero|T1", 2), one.enter("xero|T1", 2)]
        assert all(p is not None for p in places) and one.enter("xero|T1", 2) is None
        for place in places:
            one.leave(place)
    assert len(opened) <= 3  # two places held and a third asked for: opened once each, reused
    taken = [other.enter("xero|T1", 2) for _ in range(2)]  # the locks went, not with the pool
    assert all(p is not None for p in taken)
    for place in taken:
        other.leave(place)
