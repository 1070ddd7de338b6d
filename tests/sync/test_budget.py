"""The one rate budget: lanes per tenant and per app, Retry-After holds, calls in flight, the tool's
remaining-calls headers, and all of it shared by separate processes on PostgreSQL and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from booksync.clock import VirtualClock
from booksync.connectors.budget import LocalCounts, RateBudget, RateHeaders, sharing
from booksync.connectors.protocol import Limits
from booksync.errors import BooksyncError
from booksync.store.db import Store
from booksync.sync.budget_store import PgCounts, RedisCounts, counts_for
from conftest import _redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
XERO_LIKE = Limits({}, calls_per_minute=60, concurrency=5, calls_per_day=5000,
                   app_calls_per_minute=100)  # fmt: skip


@pytest.fixture(params=["local", "postgresql", "redis"])
def ledgers(request: pytest.FixtureRequest) -> Iterator[tuple[object, object]]:
    """Two ledgers over one store of counts, as two worker processes would hold them (the local
    ledger is one process's: both names are the same object)."""
    if request.param == "local":
        ledger = LocalCounts()
        yield ledger, ledger
    elif request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        request.getfixturevalue("db_url")  # emptied
        one, two = Store(url), Store(url)
        counts = PgCounts(one), PgCounts(two)
        yield counts
        for each in counts:
            each.close()
        one.dispose()
        two.dispose()
    else:
        url = _redis_or_skip()
        prefix = f"booksync:test:{uuid.uuid4().hex}:"
        one, two = RedisCounts(url, prefix=prefix), RedisCounts(url, prefix=prefix)
        yield one, two
        for key in one.redis.scan_iter(prefix + "*"):
            one.redis.delete(key)
        one.close()
        two.close()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Only PostgreSQL here: the budget that SQLite keeps is `LocalCounts`."""
    from conftest import _empty_pg

    url = request.getfixturevalue("pg_url")
    _empty_pg(url)
    yield url


def budget(ledger: object, clock: VirtualClock, limits: Limits = XERO_LIKE) -> RateBudget:
    return RateBudget(limits=limits, counts=ledger, scope="xero", clock=clock)  # type: ignore[arg-type]


def test_a_tenants_minute_is_spent_by_both_processes_together(ledgers: tuple) -> None:
    clock = VirtualClock()
    one, two = budget(ledgers[0], clock), budget(ledgers[1], clock)
    taken = [b.try_take("T1") for _ in range(30) for b in (one, two)]
    assert taken.count(0.0) == 60
    assert one.try_take("T1") == pytest.approx(60.25, abs=0.01)  # the first call leaves its minute
    assert two.try_take("T2") == 0.0  # another tenant has a minute of its own
    clock.advance(60.3)
    assert two.try_take("T1") == 0.0


def test_the_app_minute_caps_every_tenant_together(ledgers: tuple) -> None:
    clock = VirtualClock()
    one, two = budget(ledgers[0], clock), budget(ledgers[1], clock)
    admitted = sum(1 for n in range(150) if (one if n % 2 else two).try_take(f"T{n % 5}") == 0.0)
    assert admitted == 100  # five tenants, 30 tries each, 60 each allowed: the app's 100 is the cap


def test_a_retry_after_holds_the_tenant_for_every_process(ledgers: tuple) -> None:
    clock = VirtualClock()
    one, two = budget(ledgers[0], clock), budget(ledgers[1], clock)
    one.hold("T1", 3600)
    assert two.wait_for("T1") == pytest.approx(3600)
    assert two.try_take("T1") == pytest.approx(3600)
    assert two.try_take("T2") == 0.0
    one.hold("T1", 0, app=False)  # a shorter hold never shortens a longer one
    assert two.wait_for("T1") == pytest.approx(3600)


def test_calls_in_flight_are_capped_across_processes(ledgers: tuple) -> None:
    clock = VirtualClock()
    limits = Limits({}, concurrency=2)
    one, two = budget(ledgers[0], clock, limits), budget(ledgers[1], clock, limits)
    first, second = one.permit("T1"), two.permit("T1")
    assert not isinstance(first, float) and not isinstance(second, float)
    assert isinstance(one.permit("T1"), float)  # both places taken, one by each process
    other = two.permit("T2")
    assert not isinstance(other, float)
    other.release()
    first.release()
    third = two.permit("T1")
    assert not isinstance(third, float)
    second.release()
    third.release()


def test_the_tools_remaining_calls_header_corrects_the_count(ledgers: tuple) -> None:
    clock = VirtualClock()
    headers = RateHeaders(minute="X-MinLimit-Remaining", day="X-DayLimit-Remaining")
    one = RateBudget(limits=XERO_LIKE, counts=ledgers[0], scope="xero", clock=clock,
                     headers=headers)  # fmt: skip
    two = budget(ledgers[1], clock)
    assert one.try_take("T1") == 0.0
    # Xero says only 3 remain this minute: calls we never saw (another app) count now.
    one.observe("T1", {"X-MinLimit-Remaining": "3", "X-DayLimit-Remaining": "4000"})
    assert [two.try_take("T1") for _ in range(4)].count(0.0) == 3
    assert two.try_take("T1") > 50


def test_the_engines_permit_pays_for_the_connectors_first_call(ledgers: tuple) -> None:
    clock = VirtualClock()
    limits = Limits({}, calls_per_minute=2, concurrency=1)
    engine_side = budget(ledgers[0], clock, limits)
    with sharing(ledgers[0], "xero", limits):  # as the engine builds a connector
        connector_side = RateBudget(2, 1, clock=clock)
    permit = engine_side.permit("T1")
    assert not isinstance(permit, float)
    with permit, connector_side.slot("T1"):  # the push's call: no second place, no second count
        pass
    assert engine_side.try_take("T1") == 0.0  # the second of two a minute: the first was one call
    assert engine_side.try_take("T1") > 0


def test_a_sqlite_store_keeps_its_budget_in_the_process_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    with caplog.at_level("WARNING"):
        ledger = counts_for(store)
    assert isinstance(ledger, LocalCounts) and not ledger.shared
    assert "rate budget kept in this process only" in caplog.text
    store.dispose()


TAKER = """
import sys
from booksync.clock import Clock
from booksync.connectors.budget import RateBudget
from booksync.connectors.protocol import Limits
from booksync.errors import BooksyncError
from booksync.store.db import Store
from booksync.sync.budget_store import PgCounts
store = Store(sys.argv[1])
limits = Limits({}, calls_per_minute=20, app_calls_per_minute=30)
budget = RateBudget(limits=limits, counts=PgCounts(store), scope="proc", clock=Clock())
got = {"T1": 0, "T2": 0}
for n in range(40):
    tenant = "T1" if n % 2 else "T2"
    got[tenant] += budget.try_take(tenant) == 0.0
print(got["T1"], got["T2"])
"""


def test_worker_processes_share_one_budget_on_postgresql(db_url: str) -> None:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen([sys.executable, "-c", TAKER, db_url], stdout=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    counts = [tuple(map(int, p.communicate(timeout=60)[0].split())) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    t1, t2 = sum(c[0] for c in counts), sum(c[1] for c in counts)
    # 120 tries by three processes: 20 a minute per tenant and 30 for the app, not 3 x that
    assert t1 <= 20 and t2 <= 20 and t1 + t2 == 30


@pytest.mark.parametrize("limit", [1, 3, 60, 5000])
def test_the_bounds_a_store_checks_in_one_statement_are_pyrate_limiters_verdict(limit: int) -> None:
    from booksync.connectors.lanes import Lane, bounds, decide

    lane, now = Lane("xero|T1|m", limit, 60_000), 1_800_000_000_000
    check = bounds(lane, now)
    assert decide(lane, check.room, lambda _: now, now) == 0  # room left for one more call
    # One more in the window: refused, until the call `offset` from the newest leaves it.
    oldest = now - 1_000
    assert decide(lane, check.room + 1, lambda n: oldest if n == check.offset else None, now) == (
        oldest + lane.rate.interval - now + 1
    )
    assert check.start == now - lane.rate.interval


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("redis://:Wrong-Secret-9@{host}/0", "AUTH"),  # the test Redis has no password
        ("redis://:Wrong-Secret-9@127.0.0.1:1/0", "Connection refused"),
        ("http://:Wrong-Secret-9@{host}/0", "scheme"),
    ],
)
def test_a_redis_url_that_cannot_be_used_is_one_message_naming_it_not_a_traceback(
    where: str, why: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A worker given a wrong BOOKSYNC_REDIS_URL (password, port, scheme) stops at the start with
    what to change, its password masked, instead of dying on its first call with a traceback."""
    host = _redis_or_skip().split("//", 1)[1].split("/", 1)[0]
    url = where.format(host=host)
    monkeypatch.setenv("BOOKSYNC_REDIS_URL", url)
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        with pytest.raises(BooksyncError) as refused:
            counts_for(store)
    finally:
        store.dispose()
    message = str(refused.value)
    assert message.startswith("BOOKSYNC_REDIS_URL: ")
    assert why in message and "accepted: " in message
    assert "Wrong-Secret-9" not in message and ":***@" in message
    worker = subprocess.run(
        [str(Path(sys.executable).with_name("booksync")), "--db", f"sqlite:///{tmp_path / 'w.db'}",
         "--log-format", "json", "worker"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "BOOKSYNC_REDIS_URL": url},
    )  # fmt: skip
    assert worker.returncode == 2, worker.stderr
    assert "Traceback" not in worker.stderr and "Wrong-Secret-9" not in worker.stderr
    assert "BOOKSYNC_REDIS_URL: " in worker.stderr
