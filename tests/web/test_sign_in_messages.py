"""What sign-in and sign-out say: a throttled sign-in names what is limited (the user name, the
address, or both) and how long to wait; signing out says so on the page it lands on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI

from booksync.services import sign_in_limits as limits
from booksync.store.db import Store
from booksync.store.types import utcnow
from web.html_support import parse
from web.web_support import USERNAME, WebClient


def _from(app: FastAPI, portal: BlockingPortal, address: str) -> WebClient:
    client = WebClient(app, portal)

    async def reopen() -> httpx.AsyncClient:
        await client.client.aclose()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="https://booksync.test")

    client.client = portal.call(reopen)
    return client


@pytest.fixture
def clients(app: FastAPI, portal: BlockingPortal) -> Iterator[list[WebClient]]:
    opened: list[WebClient] = []
    yield opened
    for client in opened:
        client.close()


def _error(response: httpx.Response) -> str:
    found = parse(response.text).by_id("sign-in-error")
    assert found is not None, response.text
    return " ".join(found.text.split())


def test_a_user_name_held_up_says_so_and_how_long_to_wait(
    app: FastAPI, portal: BlockingPortal, clients: list[WebClient]
) -> None:
    for n in range(limits.MAX_FAILURES):
        clients.append(_from(app, portal, f"192.0.2.{n + 1}"))
        assert clients[-1].sign_in(password="not the password").status_code == 401
    clients.append(_from(app, portal, "192.0.2.99"))
    refused = clients[-1].sign_in()
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert _error(refused) == (
        f"Too many failed sign-ins for this user name ({limits.MAX_FAILURES} within 1 minute); "
        f"wait {limits.wait_words(wait)}, then try again."
    )


def test_an_address_held_up_says_so(
    app: FastAPI, portal: BlockingPortal, clients: list[WebClient]
) -> None:
    clients.append(_from(app, portal, "198.51.100.7"))
    guesser = clients[-1]
    for n in range(limits.MAX_FAILURES):
        assert guesser.sign_in(username=f"user{n}", password="wrong").status_code == 401
    refused = guesser.sign_in(username="someone-else", password="wrong")
    assert refused.status_code == 429
    assert _error(refused).startswith("Too many failed sign-ins from this address (")


def test_both_limits_at_once_are_both_named(store: Store) -> None:
    counters = limits.keys(USERNAME, "203.0.113.5")
    now = utcnow()
    with store.session() as s:
        for _ in range(limits.MAX_FAILURES):
            limits.record_failure(s, counters, now - timedelta(seconds=20))
    with store.session() as s, pytest.raises(limits.TooManyAttempts) as refused:
        limits.refuse_if_throttled(s, counters, now)
    assert refused.value.retry_after == 40
    assert str(refused.value) == (
        "too many failed sign-ins for this user name and from this address "
        f"({limits.MAX_FAILURES} within 1 minute); wait 40 seconds, then try again"
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (42, "42 seconds"), (60, "1 minute"), (120, "2 minutes")],
)
def test_waits_are_said_as_a_person_says_them(seconds: int, words: str) -> None:
    assert limits.wait_words(seconds) == words


def test_signing_out_says_so_once(web: WebClient) -> None:
    web.page("/clients")
    out = web.post("/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert parse(web.page("/sign-in")).notices("info") == ["ℹ Note: You have signed out."]
    assert "You have signed out." not in web.page("/sign-in")  # said once, not on every visit
