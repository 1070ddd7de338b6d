"""Fixtures for the web admin tests: the app on both databases with one user, and a browser."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from argon2 import PasswordHasher
from fastapi import FastAPI

from booksync.api import create_app
from booksync.services import auth
from booksync.store.db import Store
from booksync.store.models import User
from web.web_support import PASSWORD, USERNAME, WebClient


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as opened:
        yield opened


@functools.cache
def _password_hash() -> str:
    """The user's argon2 hash, computed once: hashing is slow on purpose, and every test signs in."""
    return PasswordHasher().hash(PASSWORD)  # booksync.services.auth's own parameters


@functools.cache
def _checked() -> bool:
    """The user's password checked against its hash once per process, by argon2 itself."""
    return PasswordHasher().verify(_password_hash(), PASSWORD)


class _RememberingHasher:
    """booksync's own hasher, but the user's password against the user's hash is answered from
    `_checked` (argon2 ran it once): checking takes 0.2-0.3 s, and every test of a signed-in page
    signs in. Any other password or hash goes to argon2."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real

    def verify(self, hash: str, password: str) -> bool:
        if hash == _password_hash() and password == PASSWORD:
            return _checked()
        return self.real.verify(hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def app(store: Store) -> FastAPI:
    with store.session() as s:
        s.add(User(username=USERNAME, password_hash=_password_hash()))
    return create_app(store)


@pytest.fixture
def anonymous(app: FastAPI, portal: BlockingPortal) -> Iterator[WebClient]:
    client = WebClient(app, portal)
    yield client
    client.close()


@pytest.fixture
def web(anonymous: WebClient) -> WebClient:
    """A browser signed in as a web admin user, through the sign-in form (the tests of signing in
    itself use `anonymous`, whose sign-ins argon2 checks every time)."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(auth, "_hasher", _RememberingHasher(auth._hasher))
        response = anonymous.sign_in()
    assert response.status_code == 303, response.text
    return anonymous
