"""The budget counts a call before it is sent (the engine's permit comes before the push is marked
sent and its payload built); the tool counts it when it arrives, later by a delay that grows with
the load. Our window must never end before the tool's: a call's count moves to the moment the call
is over, so whatever the delays, the tool (the Xero emulator's own limiter here, on the same clock)
refuses nothing that the budget allowed, across two processes' budgets sharing one store."""

from __future__ import annotations

import contextvars
import heapq
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pytest

from booksync.clock import VirtualClock
from booksync.connectors.budget import LocalCounts, Permit, RateBudget, sharing
from booksync.connectors.protocol import Limits
from booksync.store.db import Store
from booksync.sync.budget_store import PgCounts, RedisCounts
from booksync_emulators.xero.limits import RateLimiter, XeroLimits
from conftest import REDIS_URL, _redis_or_skip

#: Xero's limits divided by 20, as `python -m bench scale` runs them: 3 a minute per tenant.
TOOL = XeroLimits().scaled(20)
LIMITS = Limits({}, calls_per_minute=TOOL.per_minute, concurrency=TOOL.concurrent,
                calls_per_day=TOOL.per_day, app_calls_per_minute=12)  # fmt: skip
TENANTS = ("T1", "T2", "T3", "T4", "T5", "T6")


@pytest.fixture(params=["local", "postgresql", "redis"])
def ledgers(request: pytest.FixtureRequest) -> Iterator[tuple[object, object]]:
    """Two processes' counts over one store (the local one is one process's: the same object)."""
    if request.param == "local":
        ledger = LocalCounts()
        yield ledger, ledger
    elif request.param == "postgresql":
        from conftest import _empty_pg

        url = request.getfixturevalue("pg_url")
        _empty_pg(url)
        stores = Store(url), Store(url)
        counts = PgCounts(stores[0]), PgCounts(stores[1])
        yield counts
        for each in (*counts, *stores):
            each.close() if isinstance(each, PgCounts) else each.dispose()
    else:
        _redis_or_skip()
        prefix = f"booksync:test:{uuid.uuid4().hex}:"
        one, two = RedisCounts(REDIS_URL, prefix=prefix), RedisCounts(REDIS_URL, prefix=prefix)
        yield one, two
        for key in one.redis.scan_iter(prefix + "*"):
            one.redis.delete(key)
        one.close()
        two.close()


def _budgets(ledger: object, clock: VirtualClock) -> tuple[RateBudget, RateBudget]:
    """The engine's budget and the connector's (built inside `sharing`, as the engine builds it)."""
    engine_side = RateBudget(limits=LIMITS, counts=ledger, scope="xero", clock=clock)  # type: ignore[arg-type]
    with sharing(ledger, "xero", LIMITS):  # type: ignore[arg-type]
        connector_side = RateBudget(LIMITS.calls_per_minute, clock=clock)
    return engine_side, connector_side


def _permit(budget: RateBudget, tenant: str, clock: VirtualClock) -> Permit:
    while True:
        got = budget.permit(tenant)
        if not isinstance(got, float):
            return got
        clock.advance(got)


def test_a_permit_counted_long_before_its_call_arrives_never_draws_a_429(ledgers: tuple) -> None:
    """Three calls a minute: the first is counted, then the push takes 2 s (marking the batch sent,
    building the payload) before it reaches the tool. The fourth call, allowed a window after the
    first was counted, would reach the tool 2 s inside the tool's minute of the first."""
    clock = VirtualClock()
    tool = RateLimiter(clock, TOOL)
    engine_side, connector_side = _budgets(ledgers[0], clock)
    for before_sending in (2.0, 0.0, 0.0, 0.0):
        with _permit(engine_side, "T1", clock):
            clock.advance(before_sending)
            with connector_side.slot("T1"):
                admission = tool.acquire("T1")
                clock.advance(0.3)  # the tool works on the batch
                tool.release("T1")
        assert admission.allowed, (admission.problem, clock.now())
    assert clock.now() >= 62.0  # the fourth waited for the tool's minute of the first call


@dataclass(order=True)
class _Step:
    at: float
    seq: int
    run: Callable[[], None] = field(compare=False)


def test_calls_of_two_processes_with_random_delays_never_draw_a_429(ledgers: tuple) -> None:
    """Two processes, four calls in flight each, six tenants at 3 a minute and an app limit of 12:
    each call waits a random time between its permit and its arrival (0-3 s) and takes 0-1.5 s at
    the tool. A discrete-event run on one virtual clock; every call's permit, arrival and end is an
    event, in the thread (context) that took the permit, as the engine's pool runs them."""
    clock = VirtualClock()
    tool = RateLimiter(clock, TOOL)
    rnd = random.Random(20261204)
    processes = [_budgets(ledgers[0], clock), _budgets(ledgers[1], clock)]
    queue: list[_Step] = []
    seq = iter(range(10**9))
    refused: list[tuple[float, str, str | None]] = []
    calls = 0

    def at(when: float, run: Callable[[], None]) -> None:
        heapq.heappush(queue, _Step(when, next(seq), run))

    def thread(engine_side: RateBudget, connector_side: RateBudget) -> Callable[[], None]:
        context = contextvars.copy_context()

        def ask() -> None:
            tenant = rnd.choice(TENANTS)
            got = context.run(engine_side.permit, tenant)
            if isinstance(got, float):
                at(clock.now() + min(got, 5.0), ask)
                return
            context.run(got.__enter__)
            at(clock.now() + rnd.uniform(0.0, 3.0), lambda: arrive(tenant, got))

        def arrive(tenant: str, permit: Permit) -> None:
            slot: AbstractContextManager[None] = connector_side.slot(tenant)
            context.run(slot.__enter__)
            admission = tool.acquire(tenant)
            if not admission.allowed:
                refused.append((clock.now(), tenant, admission.problem))
            at(clock.now() + rnd.uniform(0.0, 1.5), lambda: over(tenant, permit, slot, admission))

        def over(
            tenant: str, permit: Permit, slot: AbstractContextManager[None], admission: object
        ) -> None:
            nonlocal calls
            if getattr(admission, "allowed", False):
                tool.release(tenant)
                calls += 1
            context.run(slot.__exit__, None, None, None)
            context.run(permit.__exit__, None, None, None)
            at(clock.now(), ask)

        return ask

    for budgets in processes:
        for _ in range(4):
            at(0.0, thread(*budgets))
    while queue and clock.now() < 300.0:
        step = heapq.heappop(queue)
        if step.at > clock.now():
            clock.advance(step.at - clock.now())
        step.run()
    assert refused == []
    assert calls >= 12 * 4  # the app's 12 a minute, kept busy for the 5 minutes (less the first)
