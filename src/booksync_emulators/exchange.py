"""What an emulator app sees and answers: one `Request`, one `Response`, and the `Exchange` of the
two that the server records for spec checks and assertions.

An emulator is an `App`: one method, `handle(Request) -> Response`, plain and blocking. Everything
tool-specific (auth, limits, error bodies) lives in the app; everything about sockets lives in
`server` and `asgi`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One HTTP request as the app sees it. Header and query-parameter names are case-insensitive,
    as they are on the real tools."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    base_url: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        base_url: str = "",
    ) -> Request:
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            base_url=base_url,
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, matched case-insensitively."""
        wanted = name.lower()
        for key, values in self.query.items():
            if key.lower() == wanted and values:
                return values[0]
        return None

    def json(self) -> Any:
        """The body parsed with numbers as Decimal (money never passes through float)."""
        return json.loads(self.body.decode("utf-8"), parse_float=Decimal)

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body, first value of each field."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Response:
    """What the app answers.

    `committed=True` says the call reached the tool's data (a write was applied, or failed its own
    validation): only such answers can be lost by the timeout-after-commit fault. `lost` and
    `delay` record what that fault did to it.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    committed: bool = False
    lost: bool = False
    delay: float | None = None

    @classmethod
    def json(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, text.encode("utf-8"), merged)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class App(Protocol):
    def handle(self, request: Request) -> Response: ...


@dataclass(frozen=True)
class Exchange:
    """One request and the response the app produced; `delivered=False` when a fault lost it."""

    request: Request
    response: Response
    delivered: bool


class Recorder:
    """Keeps every exchange in order, for spec validation and assertions; thread-safe."""

    def __init__(self) -> None:
        self._items: list[Exchange] = []
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._items.append(exchange)

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
