"""The REST API in-process over ASGI, on both databases; `api` carries a fresh API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from api_support import Api, new_key
from booksync.api import create_app
from booksync.store.db import Store


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as opened:
        yield opened


@pytest.fixture
def app(store: Store) -> FastAPI:
    return create_app(store)


@pytest.fixture
def anonymous(app: FastAPI, portal: BlockingPortal) -> Api:
    return Api(app, portal, {})


@pytest.fixture
def api(app: FastAPI, portal: BlockingPortal, store: Store) -> Api:
    return Api(app, portal, {"Authorization": f"Bearer {new_key(store)}"})
