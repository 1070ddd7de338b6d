"""Sessions that end when they should, sign-ins that cannot be used to guess or to exhaust the
server, and a session cookie that is Secure wherever a network could read it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal
from argon2 import PasswordHasher
from fastapi import FastAPI

from booksync.api import create_app
from booksync.services import auth
from booksync.services import sign_in_limits as limits
from booksync.store.db import Store
from cli_support import invoke, ok, runner
from web.web_support import PASSWORD, USERNAME, WebClient

COOKIE = "booksync_session"
NEW_PASSWORD = "a brand new passphrase"


def browser(
    app: FastAPI, portal: BlockingPortal, address: str = "127.0.0.1", **kw: Any
) -> WebClient:
    """A browser connecting from `address` (the in-process transport says 127.0.0.1 otherwise),
    over HTTPS unless told: from another machine the session cookie is Secure."""
    client = WebClient(app, portal)
    base_url = kw.get("base_url", "https://booksync.test")

    async def reopen() -> httpx.AsyncClient:
        await client.client.aclose()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)

    client.client = portal.call(reopen)
    return client


@pytest.fixture
def browsers(app: FastAPI, portal: BlockingPortal) -> Iterator[list[WebClient]]:
    opened: list[WebClient] = []
    yield opened
    for client in opened:
        client.close()


def _open(
    browsers: list[WebClient], app: FastAPI, portal: BlockingPortal, address: str
) -> WebClient:
    browsers.append(browser(app, portal, address))
    return browsers[-1]


def _with_cookie(anonymous: WebClient, cookie: str, path: str = "/clients") -> httpx.Response:
    """A request carrying a copy of someone's session cookie, as a thief would send it."""
    return anonymous.portal.call(
        lambda: anonymous.client.get(path, headers={"Cookie": f"{COOKIE}={cookie}"})
    )


# -- sessions end ----------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_stops_working(
    web: WebClient, app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    copied = web.client.cookies[COOKIE]
    thief = _open(browsers, app, portal, "198.51.100.7")
    assert _with_cookie(thief, copied).status_code == 200  # the copy works while signed in
    web.page("/clients")  # the sign-out button's form carries this session's CSRF token
    assert web.post("/sign-out").status_code == 303
    response = _with_cookie(thief, copied)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_signing_out_ends_every_session_of_that_user(
    web: WebClient, app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    laptop = _open(browsers, app, portal, "127.0.0.1")
    assert laptop.sign_in().status_code == 303
    assert laptop.get("/clients").status_code == 200
    web.page("/clients")
    assert web.post("/sign-out").status_code == 303
    assert laptop.get("/clients").status_code == 303
    assert laptop.sign_in().status_code == 303  # signing in again starts a new session
    assert laptop.get("/clients").status_code == 200


def test_a_disabled_user_is_signed_out_at_once_and_cannot_sign_in(
    web: WebClient, db_url: str, app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    copied = web.client.cookies[COOKIE]
    result = ok(db_url, "user", "disable", "ALICE")
    assert "disabled" in result.stdout
    assert web.get("/clients").status_code == 303
    other = _open(browsers, app, portal, "203.0.113.9")
    assert _with_cookie(other, copied).status_code == 303
    refused = other.sign_in()
    assert refused.status_code == 401 and "do not match a user" in refused.text
    listed = ok(db_url, "user", "list", "--json").stdout
    assert '"disabled_at": null' not in listed

    ok(db_url, "user", "enable", "alice")
    assert _with_cookie(other, copied).status_code == 303  # enabling revives no old session
    assert other.sign_in().status_code == 303
    assert other.get("/clients").status_code == 200


def test_a_new_password_ends_sessions_and_replaces_the_old_one(
    web: WebClient, db_url: str, app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    result = runner.invoke(
        _cli(), ["--db", db_url, "user", "password", "alice", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert web.get("/clients").status_code == 303
    other = _open(browsers, app, portal, "203.0.113.10")
    assert other.sign_in(password=PASSWORD).status_code == 401
    assert other.sign_in(password=NEW_PASSWORD).status_code == 303


def test_user_commands_refuse_an_unknown_user_or_a_short_password(
    db_url: str, app: FastAPI
) -> None:
    for command in ("disable", "enable", "password"):
        unknown = invoke(db_url, "user", command, "nobody")
        assert unknown.exit_code == 2, unknown.output
        assert "'nobody' is not a user" in unknown.stderr and "'alice'" in unknown.stderr
    short = runner.invoke(
        _cli(), ["--db", db_url, "user", "password", "alice", "--password-stdin"], input="tiny-pw\n"
    )
    assert short.exit_code == 2 and "at least 12" in short.output and "tiny-pw" not in short.output


def _cli() -> Any:
    from booksync.cli import app

    return app


# -- sign-in cannot be used to guess ---------------------------------------------------------------


def _fail(client: WebClient, username: str = USERNAME) -> httpx.Response:
    return client.sign_in(username=username, password="not the password")


def test_failed_sign_ins_are_limited_per_user_name(
    app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    for n in range(limits.MAX_FAILURES):
        assert _fail(_open(browsers, app, portal, f"192.0.2.{n + 1}")).status_code == 401
    elsewhere = _open(browsers, app, portal, "192.0.2.100")
    refused = elsewhere.sign_in()  # the right password, from a fresh address: still refused
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Too many failed sign-ins" in refused.text
    assert elsewhere.get("/clients").status_code == 303
    assert _fail(elsewhere, "mallory").status_code == 401  # another name is not held up


def test_failed_sign_ins_are_limited_per_address(
    app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    guesser = _open(browsers, app, portal, "192.0.2.50")
    for n in range(limits.MAX_FAILURES):
        assert _fail(guesser, f"user{n}").status_code == 401
    assert guesser.sign_in().status_code == 429
    assert _open(browsers, app, portal, "192.0.2.51").sign_in().status_code == 303


def test_a_successful_sign_in_clears_its_user_names_failures(
    app: FastAPI, portal: BlockingPortal, browsers: list[WebClient]
) -> None:
    addresses = iter(f"198.51.100.{n}" for n in range(1, 50))
    for _round in range(2):
        for _ in range(limits.MAX_FAILURES - 1):
            assert _fail(_open(browsers, app, portal, next(addresses))).status_code == 401
        assert _open(browsers, app, portal, next(addresses)).sign_in().status_code == 303


# -- sign-in cannot exhaust the server --------------------------------------------------------------


class CountingHasher(PasswordHasher):
    """argon2 as booksync uses it, noting how many verifications run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.1)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def test_concurrent_sign_ins_hash_at_most_two_at_a_time(
    app: FastAPI, portal: BlockingPortal, browsers: list[WebClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    monkeypatch.setattr(limits, "HASH_WAIT", 60.0)  # a slow machine must not turn waits into 503s
    crowd = [_open(browsers, app, portal, f"203.0.113.{n}") for n in range(1, 9)]
    for client in crowd:
        client.get("/sign-in")

    async def all_at_once() -> list[httpx.Response]:
        return await asyncio.gather(
            *(
                c.client.post(
                    "/sign-in",
                    data={"username": USERNAME, "password": PASSWORD, "csrf_token": c.csrf},
                )
                for c in crowd
            )
        )

    answers = portal.call(all_at_once)
    assert [a.status_code for a in answers] == [303] * len(crowd)
    assert hasher.most == limits.HASH_SLOTS


def test_no_free_hashing_slot_answers_503_with_retry_after(
    anonymous: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HASH_WAIT", 0.05)
    slots = limits._slots
    held = [slots.acquire(timeout=5) for _ in range(limits.HASH_SLOTS)]
    waits: list[float | None] = []

    class Watched:
        """The slots, noting how long each caller is willing to wait for one."""

        def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return slots.acquire(blocking, timeout)

        def release(self) -> None:
            slots.release()

    monkeypatch.setattr(limits, "_slots", Watched())
    try:
        assert all(held)
        response = anonymous.sign_in()
        assert waits == [0.05]  # gave up after HASH_WAIT, not the default 2 s
    finally:
        for _ in held:
            slots.release()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert "Too many sign-ins at once" in response.text
    assert anonymous.sign_in().status_code == 303


# -- the cookie ------------------------------------------------------------------------------------


def _set_cookie(app: FastAPI, portal: BlockingPortal, address: str, base_url: str) -> str:
    client = browser(app, portal, address, base_url=base_url)
    try:
        response = client.get("/sign-in")
        return str(response.headers.get("set-cookie", ""))
    finally:
        client.close()


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


@pytest.mark.parametrize(
    ("env", "address", "base_url", "secure"),
    [
        ({}, "127.0.0.1", "http://127.0.0.1:8000", False),
        ({}, "::1", "http://localhost:8000", False),
        ({}, "192.0.2.8", "http://booksync.example", True),
        ({}, "192.0.2.8", "https://booksync.example", True),
        ({}, "127.0.0.1", "https://booksync.example", True),
        ({"BOOKSYNC_WEB_INSECURE_COOKIE": "1"}, "192.0.2.8", "http://booksync.example", False),
        ({"BOOKSYNC_WEB_SECURE_COOKIE": "1"}, "127.0.0.1", "http://127.0.0.1:8000", True),
    ],
    ids=["loopback", "loopback v6", "lan http", "https", "loopback https", "insecure", "secure"],
)
def test_the_session_cookie_is_secure_unless_plain_http_on_loopback(
    store: Store, portal: BlockingPortal, monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str], address: str, base_url: str, secure: bool,
) -> None:  # fmt: skip
    for name in ("BOOKSYNC_WEB_INSECURE_COOKIE", "BOOKSYNC_WEB_SECURE_COOKIE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cookie = _set_cookie(create_app(store), portal, address, base_url)
    assert cookie.startswith(f"{COOKIE}="), cookie
    assert {"httponly", "samesite=lax"} <= _flags(cookie)
    assert ("secure" in _flags(cookie)) is secure, cookie
