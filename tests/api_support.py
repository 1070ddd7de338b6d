"""Helpers for REST API tests: an in-process HTTP client carrying an API key, and error answers."""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI

from booksync.services.auth import create_api_key
from booksync.store.db import Store


class Api:
    """Calls the app as an HTTP client would (headers, JSON, status codes), without a socket."""

    def __init__(self, app: FastAPI, portal: BlockingPortal, headers: dict[str, str]) -> None:
        self.app = app
        self.portal = portal
        self.headers = headers

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://booksync.test", headers=self.headers
            ) as client:
                return await client.request(method, url, **kwargs)

        return self.portal.call(call)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def ok(self, method: str, url: str, expect: int = 200, **kwargs: Any) -> Any:
        """The JSON of a call that must succeed with `expect`."""
        response = self.request(method, url, **kwargs)
        assert response.status_code == expect, (
            f"{method} {url}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


def new_key(store: Store, name: str = "tests") -> str:
    with store.session() as s:
        _key, secret = create_api_key(s, name)
    return secret


def problem(response: httpx.Response) -> dict[str, Any]:
    """The first problem of an error answer (every error carries a list of them)."""
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, response.text
    first: dict[str, Any] = detail[0]
    return first
