"""Counting what booksync asks of a tool, for reports that set it against a bound (`sync plan`,
`booksync pull`): each HTTP request the connector's client sends (token refreshes included),
through the client's exchange recorder, or, for a tool read without HTTP, each read by kind."""

from __future__ import annotations

from collections import Counter
from typing import Any

from booksync.connectors.http import HttpClient
from booksync.connectors.protocol import Connector


class CallCounter:
    """The calls made to one tool: HTTP requests where it is reached over HTTP, else the reads
    `read()` is told of."""

    def __init__(self) -> None:
        self.reads: Counter[str] = Counter()
        self.requests = 0
        self.http = False

    def attach(self, connector: Connector) -> None:
        client = getattr(connector, "http", None)
        if not isinstance(client, HttpClient):
            return
        self.http = True
        previous = client.recorder

        def record(exchange: Any) -> None:
            self.requests += 1
            if previous is not None:
                previous(exchange)

        client.recorder = record

    def read(self, kind: str = "read") -> None:
        self.reads[kind] += 1

    @property
    def calls(self) -> int:
        """HTTP requests for a tool reached over HTTP; reads of its books otherwise."""
        return self.requests if self.http else sum(self.reads.values())


__all__ = ["CallCounter"]
