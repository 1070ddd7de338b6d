"""A browser-like client for the web admin in-process over ASGI: it keeps its cookies, signs in,
and sends each form with the CSRF token of the page it came from."""

from __future__ import annotations

import re
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI

USERNAME = "alice"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """One browser: a cookie jar and the CSRF token of the last page it was shown."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self.portal = portal

        async def open_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://booksync.test"
            )

        self.client = portal.call(open_client)
        self.csrf = ""

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.portal.call(lambda: self.client.request(method, url, **kwargs))
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def page(self, url: str) -> str:
        """A page that must render (following redirects), as HTML."""
        response = self.get(url, follow_redirects=True)
        assert response.status_code == 200, f"GET {url}: {response.status_code}\n{response.text}"
        return response.text

    def post(
        self, url: str, data: dict[str, Any] | list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A form as the browser submits it: with the CSRF token, unless `csrf=None`."""
        token = kwargs.pop("csrf", self.csrf)
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        if token is not None:
            items.append(("csrf_token", token))
        return self.request("POST", url, data=_flatten(items), **kwargs)

    def sign_in(self, username: str = USERNAME, password: str = PASSWORD) -> httpx.Response:
        self.get("/sign-in")
        return self.post("/sign-in", {"username": username, "password": password})

    def close(self) -> None:
        self.portal.call(self.client.aclose)


def _flatten(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """httpx takes repeated fields as lists; checkboxes left off are simply not sent."""
    out: dict[str, Any] = {}
    for key, value in items:
        if value is None or value is False:
            continue
        value = "1" if value is True else str(value)
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out
