"""Where the rate budget lives when several worker processes share it: PostgreSQL or Redis.

`counts_for(store)` picks one: Redis when BOOKSYNC_REDIS_URL is set, else the store's PostgreSQL,
else (SQLite) this process's memory, which it says in a log line: a SQLite store has one worker.

- PostgreSQL (`PgCounts`): a row per call counted in a lane's window (`rate_budget_calls`) and a
  row per Retry-After hold (`rate_budget_holds`). One transaction checks every lane of a call under
  transaction-level advisory locks on the lanes, decides with pyrate-limiter's `SlidingWindowLog`,
  and counts the call in all of them or none. Calls in flight are session-level advisory locks, one
  per place (`limit` of them per tenant), each on a pooled connection of its own for the call's
  duration: a worker that dies loses its connection and so its places.
- Redis (`RedisCounts`): pyrate-limiter's `RedisBucket` per lane (a sorted set, checked and written
  by one Lua script), holds as expiring keys, and calls in flight as a sorted-set semaphore whose
  entries expire, so a dead worker's places come back.

Time is the workers' clock (Unix milliseconds), so every machine needs it synchronised (NTP).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import create_engine, delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from booksync.connectors.counts import Counts, LocalCounts
from booksync.connectors.lanes import Lane, decide, wait_ms
from booksync.store.db import Store
from booksync.store.models import RateBudgetCall, RateBudgetHold

log = logging.getLogger(__name__)

REDIS_ENV = "BOOKSYNC_REDIS_URL"
#: Seconds a Redis in-flight place outlives its holder at most (longer than any call's timeout).
PLACE_TTL = 300.0


def counts_for(store: Store, *, concurrency: int = 1) -> Counts:
    """The counts every worker on `store` shares, or this process's own on SQLite (said in a log)."""
    url = os.environ.get(REDIS_ENV)
    if url:
        return RedisCounts(url)
    if store.dialect == "postgresql":
        return PgCounts(store)
    log.warning(
        "rate budget kept in this process only (a SQLite store has one worker): several workers "
        "on this store would each spend the tools' whole limits; use PostgreSQL to share it"
    )
    return LocalCounts()


#: How long a budget transaction waits for a lane's lock, and how long one left open by a paused
#: worker (SIGSTOP) keeps its locks before PostgreSQL ends its session.
LOCK_TIMEOUT, IDLE_TIMEOUT = "2s", "5s"
#: A place's connection idle this long (a worker hung mid-call) is ended by PostgreSQL (ms).
PLACE_IDLE_MS = 600_000
#: The wait said when the budget could not be read (milliseconds): the caller asks again.
BUSY_MS = 200


def _bounded(conn: Connection) -> None:
    conn.execute(
        text(
            "SELECT set_config('lock_timeout', :lock, true), "
            "set_config('idle_in_transaction_session_timeout', :idle, true)"
        ),
        {"lock": LOCK_TIMEOUT, "idle": IDLE_TIMEOUT},
    )


#: A worker's session idle this long inside a transaction is ended by PostgreSQL (milliseconds).
IDLE_SESSION_MS = 10_000


def _bound_idle(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cursor:
        cursor.execute(f"SET idle_in_transaction_session_timeout = {IDLE_SESSION_MS}")
    dbapi_conn.commit()


def end_abandoned_transactions(store: Store) -> None:
    """A worker's transactions are short; one left open by a paused worker (SIGSTOP) would keep its
    row and lane locks from every other worker. On PostgreSQL, the store's new connections ask the
    server to end a session idle that long inside a transaction (its locks go with it)."""
    from sqlalchemy import event

    if store.dialect != "postgresql" or event.contains(store.engine, "connect", _bound_idle):
        return
    event.listen(store.engine, "connect", _bound_idle)
    store.engine.pool.dispose()  # idle pooled connections are opened again, bounded


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for `key`, the same in every process."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class PgCounts:
    """The budget in PostgreSQL, shared by every worker of the store."""

    shared = True
    where = "PostgreSQL"

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        #: An in-flight place is a connection of its own for the call's duration, opened for it
        #: and closed with it (no pool: a place never shares a connection with the store's work).
        self._places = create_engine(store.engine.url, poolclass=NullPool)

    def take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        try:
            return self._take(holds, lanes, now_ms, count)
        except DBAPIError as exc:  # a lane locked too long (a paused worker), or a lost connection
            log.warning("rate budget unavailable for a moment (%s): trying again shortly", exc.orig)
            return BUSY_MS

    def _take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        if not lanes:  # a tool with no rate limits: only a Retry-After can hold it (one read)
            with self.engine.connect() as conn:
                held = conn.scalar(self._held(holds))
            return max(0, int(held or 0) - now_ms)
        with self.engine.begin() as conn:
            _bounded(conn)
            for key in sorted({lane.key for lane in lanes}):
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id(key)})
            held = conn.scalar(self._held(holds))
            if held and held > now_ms:
                return int(held - now_ms)
            wait = 0
            for lane in lanes:
                wait = max(wait, self._wait(conn, lane, now_ms))
            if wait or not count or not lanes:
                return wait
            conn.execute(insert(RateBudgetCall), [{"lane": x.key, "at_ms": now_ms} for x in lanes])
            return 0

    @staticmethod
    def _held(holds: Sequence[str]) -> Any:
        return select(func.max(RateBudgetHold.until_ms)).where(RateBudgetHold.lane.in_(holds))

    def _counted(self, conn: Connection, lane: Lane, now_ms: int) -> int:
        """The lane's calls within its window (older ones are deleted on the way)."""
        start = now_ms - lane.rate.interval
        conn.execute(
            delete(RateBudgetCall).where(
                RateBudgetCall.lane == lane.key, RateBudgetCall.at_ms < start - 1
            )
        )
        counted = conn.scalar(
            select(func.count())
            .select_from(RateBudgetCall)
            .where(RateBudgetCall.lane == lane.key, RateBudgetCall.at_ms >= start)
        )
        return int(counted or 0)

    def _wait(self, conn: Connection, lane: Lane, now_ms: int) -> int:
        def peek(offset: int) -> int | None:
            return conn.scalar(
                select(RateBudgetCall.at_ms)
                .where(RateBudgetCall.lane == lane.key)
                .order_by(RateBudgetCall.at_ms.desc())
                .offset(offset)
                .limit(1)
            )

        return decide(lane, self._counted(conn, lane, now_ms), peek, now_ms)

    def fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        try:
            self._fill(lane, at_least, now_ms)
        except DBAPIError as exc:  # the correction waits for the next answer's headers
            log.warning("rate budget not corrected from the tool's headers: %s", exc.orig)

    def _fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        with self.engine.begin() as conn:
            _bounded(conn)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id(lane.key)})
            missing = min(at_least, lane.limit) - self._counted(conn, lane, now_ms)
            if missing > 0:
                conn.execute(
                    insert(RateBudgetCall), [{"lane": lane.key, "at_ms": now_ms}] * missing
                )

    def hold(self, key: str, until_ms: int) -> None:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(RateBudgetHold).values(lane=key, until_ms=until_ms)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lane"],
            set_={"until_ms": func.greatest(RateBudgetHold.until_ms, stmt.excluded.until_ms)},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def enter(self, key: str, limit: int) -> object | None:
        # The lock is the session's: autocommit, and the connection is kept until `leave`.
        conn = self._places.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            # A worker hung with a place (SIGSTOP) gives it back when PostgreSQL ends its idle
            # session; a call's own idle time is far shorter.
            conn.execute(text(f"SET idle_session_timeout = {PLACE_IDLE_MS}"))
            for place in range(limit):
                got = conn.scalar(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(f"{key}#{place}")}
                )
                if got:
                    return (conn, place, key)
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        conn.close()
        return None

    def leave(self, place: object) -> None:
        assert isinstance(place, tuple)
        conn: Connection = place[0]
        number: int = place[1]
        key: str = place[2]
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(f"{key}#{number}")})
        except Exception:  # the lock must not outlive us on a pooled connection: drop it
            conn.invalidate()
        finally:
            conn.close()

    def close(self) -> None:
        self._places.dispose()


# Frees expired places, then takes one if fewer than ARGV[1] are held. KEYS[1]: the sorted set.
_ENTER = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class RedisCounts:
    """The budget in Redis (BOOKSYNC_REDIS_URL), shared by every worker pointed at it."""

    shared = True
    where = "Redis"

    def __init__(self, url: str, *, prefix: str = "booksync:budget:") -> None:
        import redis  # the `redis` extra

        self.redis: Any = redis.Redis.from_url(url)
        self.prefix = prefix
        self._buckets: dict[Lane, Any] = {}
        self._enter = self.redis.register_script(_ENTER)

    def _bucket(self, lane: Lane) -> Any:
        from pyrate_limiter import RedisBucket

        bucket = self._buckets.get(lane)
        if bucket is None:
            bucket = RedisBucket.init([lane.rate], self.redis, f"{self.prefix}calls:{lane.key}")
            self._buckets[lane] = bucket
        return bucket

    def take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        from pyrate_limiter import RateItem

        until = [int(v) for v in self.redis.mget([self.prefix + "hold:" + k for k in holds]) if v]
        if until and max(until) > now_ms:
            return max(until) - now_ms
        wait = 0
        for lane in lanes:  # the widest lanes first: a call refused there spends nothing else
            item = RateItem("call", now_ms)
            if not count:
                wait = max(wait, self._peek(lane, now_ms))
                continue
            decision = self._bucket(lane).put_decision(item)
            if not decision.allowed:
                # Lanes already passed keep the call: conservative, never over the limit.
                return max(1, decision.retry_after_ms or 1)
        return wait

    def _peek(self, lane: Lane, now_ms: int) -> int:
        key = f"{self.prefix}calls:{lane.key}"
        start = now_ms - lane.rate.interval
        times = [int(s) for _, s in self.redis.zrangebyscore(key, start, "+inf", withscores=True)]
        return wait_ms(lane, sorted(times), now_ms)

    def fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        from pyrate_limiter import RateItem

        key = f"{self.prefix}calls:{lane.key}"
        counted = self.redis.zcount(key, now_ms - lane.rate.interval, "+inf")
        missing = min(at_least, lane.limit) - int(counted)
        if missing > 0:
            self._bucket(lane).put(RateItem("phantom", now_ms, weight=missing))

    def hold(self, key: str, until_ms: int) -> None:
        name = self.prefix + "hold:" + key
        current = self.redis.get(name)
        if current is None or int(current) < until_ms:
            self.redis.set(name, until_ms, px=max(1, until_ms - _now_ms()) + 60_000)

    def enter(self, key: str, limit: int) -> object | None:
        token = uuid.uuid4().hex
        name = f"{self.prefix}inflight:{key}"
        now = _now_ms()
        expires = now + int(PLACE_TTL * 1000)
        if self._enter(keys=[name], args=[limit, now, expires, token, int(PLACE_TTL * 2000)]):
            return (name, token)
        return None

    def leave(self, place: object) -> None:
        assert isinstance(place, tuple)
        name: str = place[0]
        token: str = place[1]
        self.redis.zrem(name, token)

    def close(self) -> None:
        self.redis.close()


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


__all__ = ["REDIS_ENV", "PgCounts", "RedisCounts", "end_abandoned_transactions", "counts_for"]
