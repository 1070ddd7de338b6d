"""Where the rate budget lives when several worker processes share it: PostgreSQL or Redis.

`counts_for(store)` picks one: Redis when BOOKSYNC_REDIS_URL is set, else the store's PostgreSQL,
else (SQLite) this process's memory, which it says in a log line: a SQLite store has one worker.

- PostgreSQL (`PgCounts`): a row per call counted in a lane's window (`rate_budget_calls`) and a
  row per Retry-After hold (`rate_budget_holds`). One statement (a function, migration 0009) locks
  every lane of a call, counts their windows against the bounds pyrate-limiter's `SlidingWindowLog`
  sets (`lanes.bounds`), and counts the call in all of them or none; the wait is then pyrate-limiter's
  `decide` on what it read; a call over is moved to its end (`restamp`, one UPDATE). Calls in
  flight are session-level advisory locks, one per place (`limit` of them per tenant), each on a
  pooled connection kept for the call's duration: a worker that dies loses its connection and so
  its places.
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
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import create_engine, event, func, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from booksync.connectors.counts import Counts, LocalCounts
from booksync.connectors.lanes import Lane, bounds, decide, wait_ms
from booksync.errors import BooksyncError
from booksync.redaction import redact
from booksync.store.db import Store
from booksync.store.models import RateBudgetHold

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
        return PgCounts(store, concurrency=concurrency)
    log.warning(
        "rate budget kept in this process only (a SQLite store has one worker): several workers "
        "on this store would each spend the tools' whole limits; use PostgreSQL to share it"
    )
    return LocalCounts()


#: How long a budget call waits for a lane's lock (another worker's call holds it for one statement).
LOCK_TIMEOUT_MS = 2_000
#: A place's connection idle this long (a worker hung mid-call) is ended by PostgreSQL (ms).
PLACE_IDLE_MS = 600_000
#: The wait said when the budget could not be read (milliseconds): the caller asks again.
BUSY_MS = 200

#: A worker's session idle this long inside a transaction is ended by PostgreSQL (milliseconds).
IDLE_SESSION_MS = 10_000


def _bound_idle(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cursor:
        cursor.execute(f"SET idle_in_transaction_session_timeout = {IDLE_SESSION_MS}")
    dbapi_conn.commit()


def end_abandoned_transactions(store: Store) -> None:
    """A worker's transactions are short; one left open by a paused worker (SIGSTOP) would keep its
    row locks from every other worker. On PostgreSQL, the store's new connections ask the server
    to end a session idle that long inside a transaction (its locks go with it). (A transaction
    paused inside a psycopg pipeline, as an `executemany` runs, is not idle to the server: the
    budget's own calls are single statements for that reason.)"""
    from sqlalchemy import event

    if store.dialect != "postgresql" or event.contains(store.engine, "connect", _bound_idle):
        return
    event.listen(store.engine, "connect", _bound_idle)
    store.engine.pool.dispose()  # idle pooled connections are opened again, bounded


def _bound_budget(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        # A worker hung with a place (SIGSTOP) gives it back when PostgreSQL ends its idle session;
        # a call's own idle time is far shorter.
        cursor.execute(f"SET idle_session_timeout = {PLACE_IDLE_MS}")
        # A count does not wait for its WAL flush (2.8 ms a commit on this machine's disk, three
        # or four a call). A server crash may lose the last fraction of a second of counts: a few
        # calls counted short once, which the tool's 429 and Retry-After cover. The records' and
        # jobs' own writes go through the store's connections, and stay synchronous.
        cursor.execute("SET synchronous_commit = off")


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for `key`, the same in every process."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


_PG_TAKE = text(
    "SELECT held, counted, blocking, taken FROM booksync_budget_take("
    "CAST(:holds AS text[]), CAST(:lanes AS text[]), CAST(:locks AS bigint[]), "
    "CAST(:starts AS bigint[]), CAST(:rooms AS integer[]), CAST(:offsets AS integer[]), "
    "CAST(:now AS bigint), :count)"
)
_PG_FILL = text(
    "SELECT booksync_budget_fill(CAST(:lane AS text), CAST(:lock AS bigint), "
    "CAST(:start AS bigint), CAST(:at_least AS integer), CAST(:now AS bigint))"
)
#: One call counted at `from` in each lane, moved to `to` (the lanes' rows, by their index).
_PG_RESTAMP = text(
    "UPDATE rate_budget_calls SET at_ms = CAST(:to AS bigint) WHERE id IN ("
    "SELECT DISTINCT ON (lane) id FROM rate_budget_calls "
    "WHERE lane = ANY (CAST(:lanes AS text[])) AND at_ms = CAST(:from AS bigint) "
    "ORDER BY lane, id)"
)
_PG_ENTER = text("SELECT booksync_budget_enter(CAST(:places AS bigint[]))")
_PG_LEAVE = text("SELECT pg_advisory_unlock(CAST(:k AS bigint))")


def _peeked(at: int | None) -> Callable[[int], int | None]:
    """pyrate-limiter's look at a lane's n-th newest call: the one the statement read (at the
    offset `lanes.bounds` took from the same policy)."""
    return lambda _offset: at


class PgCounts:
    """The budget in PostgreSQL, shared by every worker of the store.

    Every call is one statement on a small pool of autocommit connections of its own (migration
    0009's functions): a lane's lock is held by the server for that statement only, never across
    a round trip, so no worker (paused, or merely slow) holds the app lane while it runs. An
    in-flight place is a session-level lock on one of those connections, kept out of the pool
    until the call leaves it."""

    shared = True
    where = "PostgreSQL"

    def __init__(self, store: Store, *, concurrency: int = 1) -> None:
        # Pooled: a call reuses an open connection (a place holds one for the call's duration, a
        # count for one statement). Past the pool's size, connections are opened and closed.
        # Autocommit: each call is its own transaction, ended by the server with the statement.
        self.engine = create_engine(
            store.engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=max(2, concurrency + 2),
            max_overflow=-1,
            pool_recycle=PLACE_IDLE_MS / 2000,  # long before the server ends an idle session
        )
        event.listen(self.engine, "connect", _bound_budget)
        # Its connections close with it, whether or not its owner calls `close`.
        self._closed = weakref.finalize(self, self.engine.dispose)

    def take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        try:
            return self._take(holds, lanes, now_ms, count)
        except DBAPIError as exc:  # a lane locked too long, or a lost connection
            log.warning("rate budget unavailable for a moment (%s): trying again shortly", exc.orig)
            return BUSY_MS

    def _take(self, holds: Sequence[str], lanes: Sequence[Lane], now_ms: int, count: bool) -> int:
        checks = [bounds(lane, now_ms) for lane in lanes]
        with self.engine.connect() as conn:
            row = conn.execute(
                _PG_TAKE,
                {
                    "holds": list(holds),
                    "lanes": [lane.key for lane in lanes],
                    "locks": [_lock_id(key) for key in sorted({lane.key for lane in lanes})],
                    "starts": [check.start for check in checks],
                    "rooms": [check.room for check in checks],
                    "offsets": [check.offset for check in checks],
                    "now": now_ms,
                    "count": count,
                },
            ).one()
        if row.held is not None and row.held > now_ms:
            return int(row.held - now_ms)
        if row.taken:
            return 0
        counted: list[int] = row.counted or []
        blocking: list[int | None] = row.blocking or []
        wait = 0
        for i, lane in enumerate(lanes):
            at = blocking[i] if i < len(blocking) else None
            wait = max(wait, decide(lane, counted[i], _peeked(at), now_ms))
        # Not counted although every lane had room (a count asked for): a rare disagreement with
        # the policy's numbers; asking again is always safe.
        return max(wait, 1) if count and lanes and not wait else wait

    def restamp(self, lanes: Sequence[Lane], from_ms: int, to_ms: int) -> None:
        # No lane lock: a stamp only moves later, so a call decided meanwhile was decided on a
        # count no larger than the one it would see now (unless the call outlasted a window).
        try:
            with self.engine.connect() as conn:
                conn.execute(
                    _PG_RESTAMP,
                    {"lanes": [lane.key for lane in lanes], "from": from_ms, "to": to_ms},
                )
        except DBAPIError as exc:  # the call keeps the stamp it was counted at
            log.warning("rate budget: a call's count not moved to its end: %s", exc.orig)

    def fill(self, lane: Lane, at_least: int, now_ms: int) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(
                    _PG_FILL,
                    {
                        "lane": lane.key,
                        "lock": _lock_id(lane.key),
                        "start": bounds(lane, now_ms).start,
                        "at_least": min(at_least, lane.limit),
                        "now": now_ms,
                    },
                )
        except DBAPIError as exc:  # the correction waits for the next answer's headers
            log.warning("rate budget not corrected from the tool's headers: %s", exc.orig)

    def hold(self, key: str, until_ms: int) -> None:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(RateBudgetHold).values(lane=key, until_ms=until_ms)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lane"],
            set_={"until_ms": func.greatest(RateBudgetHold.until_ms, stmt.excluded.until_ms)},
        )
        with self.engine.connect() as conn:
            conn.execute(stmt)

    def enter(self, key: str, limit: int) -> object | None:
        places = [_lock_id(f"{key}#{place}") for place in range(limit)]
        conn = self.engine.connect()
        try:
            number = conn.scalar(_PG_ENTER, {"places": places})
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if number is None:
            conn.close()
            return None
        return (conn, places[number])

    def leave(self, place: object) -> None:
        assert isinstance(place, tuple)
        conn: Connection = place[0]
        lock: int = place[1]
        try:
            if not conn.scalar(_PG_LEAVE, {"k": lock}):
                raise RuntimeError("the place's lock was not held")
        except Exception:  # the lock must not outlive us on a pooled connection: drop it
            conn.invalidate()
        finally:
            conn.close()

    def close(self) -> None:
        self._closed()


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

# Moves one member scored ARGV[1] of each sorted set in KEYS to score ARGV[2].
_RESTAMP = """
for _, key in ipairs(KEYS) do
  local found = redis.call('ZRANGEBYSCORE', key, ARGV[1], ARGV[1], 'LIMIT', 0, 1)
  if found[1] then
    redis.call('ZADD', key, 'XX', ARGV[2], found[1])
  end
end
return 0
"""


class RedisCounts:
    """The budget in Redis (BOOKSYNC_REDIS_URL), shared by every worker pointed at it."""

    shared = True
    where = "Redis"

    def __init__(self, url: str, *, prefix: str = "booksync:budget:") -> None:
        import redis  # the `redis` extra

        try:
            self.redis: Any = redis.Redis.from_url(url)
            self.redis.ping()  # a wrong URL or password is said here, not as a worker's traceback
        except (redis.RedisError, ValueError) as exc:
            raise BooksyncError(
                f"{REDIS_ENV}: the rate budget's Redis at {redact(url)} cannot be used ({exc}); "
                "accepted: a reachable redis://, rediss:// or unix:// URL, with its password; "
                "unset, the budget is kept in the store"
            ) from None
        self.prefix = prefix
        self._buckets: dict[Lane, Any] = {}
        self._enter = self.redis.register_script(_ENTER)
        self._restamp = self.redis.register_script(_RESTAMP)

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

    def restamp(self, lanes: Sequence[Lane], from_ms: int, to_ms: int) -> None:
        keys = [f"{self.prefix}calls:{lane.key}" for lane in lanes]  # `_bucket`'s sorted sets
        self._restamp(keys=keys, args=[from_ms, to_ms])

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
