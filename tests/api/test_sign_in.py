"""Sessions that end and sign-ins that are limited, at the service layer: the session generation
that sign-out, disabling and a new password bump; the failed-attempt counters; the hashing pool;
and sign-in holding no database lock while it hashes."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from booksync.services import auth
from booksync.services import sign_in_limits as limits
from booksync.store.db import Store
from booksync.store.models import SignInFailure, User
from booksync.store.types import utcnow

PASSWORD = "correct horse battery"
#: Cheap argon2 parameters for tests about behaviour; the real ones cost ~64 MiB and 3 passes.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", CHEAP)
    auth._dummy_hash.cache_clear()


def _user(store: Store, name: str = "alice") -> int:
    with store.session() as s:
        return auth.create_user(s, name, PASSWORD).id


def test_a_session_stands_until_its_user_signs_out_is_disabled_or_changes_password(
    store: Store,
) -> None:
    user_id = _user(store)
    signed_in = auth.sign_in(store, "alice", PASSWORD, "192.0.2.1")
    assert signed_in is not None and signed_in.user_id == user_id
    generation = signed_in.generation
    for end in (
        lambda s: auth.end_sessions(s, user_id),
        lambda s: auth.set_password(s, "alice", "another good passphrase"),
        lambda s: auth.disable_user(s, "Alice"),
    ):
        with store.session() as s:
            assert auth.session_user(s, user_id, generation) is not None
        with store.session() as s:
            end(s)
        with store.session() as s:
            assert auth.session_user(s, user_id, generation) is None
            generation = s.get(User, user_id).session_generation  # type: ignore[union-attr]
    with store.session() as s:  # disabled: even the current generation names nobody
        assert auth.session_user(s, user_id, generation) is None
        assert auth.authenticate(s, "alice", "another good passphrase") is None
        auth.enable_user(s, "alice")
    with store.session() as s:
        assert auth.authenticate(s, "alice", "another good passphrase") is not None
        assert auth.authenticate(s, "alice", PASSWORD) is None


def test_disabling_a_user_leaves_api_keys_alone_since_keys_belong_to_no_user(
    store: Store,
) -> None:
    _user(store)
    with store.session() as s:
        _key, secret = auth.create_api_key(s, "ci")
        auth.disable_user(s, "alice")
    with store.session() as s:
        assert auth.verify_api_key(s, secret) is not None


def test_failures_count_for_a_minute_per_name_and_address(store: Store) -> None:
    counters = limits.keys("Alice", "192.0.2.1")
    assert counters == limits.keys(" alice ", "192.0.2.1")
    assert PASSWORD not in "".join(counters) and "alice" not in "".join(counters)
    now = utcnow()
    with store.session() as s:
        for age in (61, 70, 80, 90, 100, 110):  # old failures: forgotten
            limits.record_failure(s, counters, now - timedelta(seconds=age))
        limits.refuse_if_throttled(s, counters, now)
        for age in (45, 30, 20, 10):
            limits.record_failure(s, counters, now - timedelta(seconds=age))
        limits.refuse_if_throttled(s, counters, now)  # 4 inside the window: still allowed
        limits.record_failure(s, counters[1:], now)  # the address's 5th
        with pytest.raises(limits.TooManyAttempts) as refused:
            limits.refuse_if_throttled(s, counters, now)
        assert refused.value.retry_after == 15  # when the oldest of the 5 leaves the window
        limits.refuse_if_throttled(s, counters[:1], now)  # the name alone has 4
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 9  # old ones pruned


def test_authenticate_refuses_past_the_limit_even_the_right_password(store: Store) -> None:
    _user(store)
    with store.session() as s:
        for _ in range(limits.MAX_FAILURES):
            assert auth.authenticate(s, "alice", "wrong", address="192.0.2.7") is None
    with store.session() as s, pytest.raises(limits.TooManyAttempts):
        auth.authenticate(s, "alice", PASSWORD, address="198.51.100.1")


def test_hashing_waits_for_one_of_two_slots_then_gives_up(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user(store)
    monkeypatch.setattr(limits, "HASH_WAIT", 0.1)
    assert limits._slots.acquire(timeout=5)
    try:
        assert auth.sign_in(store, "alice", PASSWORD, None) is not None  # one slot is still free
        assert limits._slots.acquire(timeout=5)
        try:
            with pytest.raises(limits.Busy, match="try again in 1 seconds"):
                auth.sign_in(store, "alice", PASSWORD, None)
            with pytest.raises(limits.Busy), store.session() as s:
                auth.create_user(s, "bob", PASSWORD)
        finally:
            limits._slots.release()
    finally:
        limits._slots.release()
    with store.session() as s:
        assert [u.username for u in auth.list_users(s)] == ["alice"]
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 0  # busy is no failure


def test_sign_in_holds_no_database_lock_while_it_hashes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes its write lock at BEGIN: a hash inside a transaction would stall every writer."""
    if store.dialect != "sqlite":
        pytest.skip("the write lock at BEGIN is SQLite's")
    _user(store)
    writes: list[bool] = []

    class Probing(type(CHEAP)):  # type: ignore[misc]
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
            path = store.url.removeprefix("sqlite:///")
            other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writes.append(True)
            except sqlite3.OperationalError:
                writes.append(False)
            finally:
                other.close()
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "_hasher", Probing(time_cost=1, memory_cost=1024, parallelism=1))
    assert auth.sign_in(store, "alice", PASSWORD, "192.0.2.1") is not None
    assert writes == [True]
