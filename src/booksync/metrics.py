"""Prometheus metrics: one definition of each, for every part of booksync that counts something.

Neutral like `booksync.clock`: it imports nothing from booksync but its errors, so the connectors
(which see each 429) and the sync engine (which sees each outcome) count into the same registry
without pointing a layer up. prometheus-client is optional (the `metrics` extra) and imported on
the first count, not with this module: without it every count is a no-op, and only `/metrics` and
`booksync worker --metrics-port` refuse, naming the extra.

What each process counts itself (counters, since it started): calls to the tools, records handled
by outcome, 429s by which limit said no. What the database knows (gauges, read at each scrape by
`booksync.services.operations.StoreCollector`): jobs by state, workers, jobs each worker holds.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

from booksync.errors import BooksyncError

#: Every metric's name starts with it.
PREFIX = "booksync"
#: Whether prometheus-client is installed (looked up, not imported).
AVAILABLE = importlib.util.find_spec("prometheus_client") is not None

#: name -> (help, label names): the counters every process keeps.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tool_calls": ("Calls made to accounting tools (answered or not).", ()),
    "records": (
        "Records a worker handled, by outcome: synced (pushed), failed (rejected or given up), "
        "waiting (to try again), blocked (held by a rule).",
        ("outcome",),
    ),
    "rate_limited": (
        "Calls a tool refused with 429, by the limit that said no (minute, day, appminute, "
        "concurrent, or unknown).",
        ("tool", "problem"),
    ),
}

_lock = threading.Lock()
_registry: Any = None
_counters: dict[str, Any] = {}


def registry() -> Any:
    """booksync's own registry of this process's counters (not prometheus-client's global default,
    so another library's metrics are never served by accident)."""
    global _registry
    require()
    with _lock:
        if _registry is None:
            from prometheus_client import CollectorRegistry, Counter

            _registry = CollectorRegistry(auto_describe=True)
            for name, (doc, labels) in COUNTERS.items():
                _counters[name] = Counter(f"{PREFIX}_{name}", doc, labels, registry=_registry)
    return _registry


def _inc(name: str, amount: float = 1, **labels: str) -> None:
    if not AVAILABLE:
        return
    if _registry is None:
        registry()
    counter = _counters[name]
    (counter.labels(**labels) if labels else counter).inc(amount)


def handled(outcome: str, count: int = 1) -> None:
    """`count` records reached `outcome` (synced, failed, waiting, blocked)."""
    _inc("records", count, outcome=outcome)


def called() -> None:
    """One call made to a tool, answered or not."""
    _inc("tool_calls")


def rate_limited(tool: str, problem: str | None) -> None:
    """The tool answered 429; `problem` is which of its limits (its X-Rate-Limit-Problem header)."""
    _inc("rate_limited", tool=tool, problem=(problem or "unknown").lower())


def value(name: str, **labels: str) -> float:
    """A counter's value in this process (0 when never counted, or without prometheus-client)."""
    if not AVAILABLE:
        return 0.0
    found = registry().get_sample_value(f"{PREFIX}_{name}_total", labels or None)
    return float(found or 0.0)


def _combined(collectors: tuple[Any, ...]) -> Any:
    """`registry()` and `collectors` (read at each scrape) as one registry, made for one use."""
    from prometheus_client import CollectorRegistry

    combined = CollectorRegistry(auto_describe=False)  # nothing is read until a scrape
    combined.register(registry())
    for collector in collectors:
        combined.register(collector)
    return combined


def exposition(*collectors: Any) -> tuple[bytes, str]:
    """(body, content type) of a scrape of this process's counters and `collectors`."""
    require()
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(_combined(collectors)), CONTENT_TYPE_LATEST


def serve(port: int, *collectors: Any, host: str = "0.0.0.0") -> Any:
    """Serve `/metrics` (this process's counters and `collectors`) on `host:port` from a thread of
    its own (`booksync worker --metrics-port`); returns the server, whose `shutdown()` stops it."""
    require()
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=_combined(collectors))
    return server


class MetricsUnavailable(BooksyncError):
    """prometheus-client is not installed."""


def require() -> None:
    if not AVAILABLE:
        raise MetricsUnavailable(
            "metrics need prometheus-client; install it with `pip install 'booksync[metrics]'`"
        )


__all__ = [
    "AVAILABLE",
    "COUNTERS",
    "MetricsUnavailable",
    "called",
    "exposition",
    "handled",
    "rate_limited",
    "registry",
    "require",
    "serve",
    "value",
]
