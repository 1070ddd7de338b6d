"""Fixtures for the web admin tests: the app on both databases with one user, and a browser."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from argon2 import PasswordHasher
from fastapi import FastAPI

from booksync.api import create_app
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
    """A browser signed in as a web admin user."""
    response = anonymous.sign_in()
    assert response.status_code == 303, response.text
    return anonymous
