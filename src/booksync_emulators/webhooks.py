"""Signed webhook delivery shared by the emulators: a queue, a background sender, retries, and
switches that lose events on purpose so a client's gap recovery (polling) can be tested.

The API call that changes a record only queues a `Change` (`emit`), so its answer never waits
for the receiver. A daemon thread gathers what arrived within `batch_window` (both tools send
several events in one POST: Xero's payload has an `events` list with first/last sequence numbers,
tests/specs/xero/xero-webhooks.yaml line 110; Intuit "put[s] them all together and send[s] them in
the order they happened", https://blogs.intuit.com/2024/12/02/introducing-our-new-webhooks-page),
signs the raw body with HMAC-SHA256 under the app's key, base64-encoded, in the tool's header, and
POSTs it. A non-2xx answer or a timeout is retried after each of `retry_intervals` in turn (Intuit
retries "at the following intervals: 0s, 10s, 20s, 30s, 5m, 20m, 2h, 4h, 6h",
https://blogs.a.intuit.com/2025/10/14/introducing-enhanced-webhooks-monitoring; tests configure
short ones); after the last the batch is given up (`failed`) and only polling finds it.

Each tool's payload shape is its subclass's `payloads` (xero/webhooks.py, quickbooks/webhooks.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

#: Retry waits (seconds) when none are configured: Intuit's first four steps (see above).
DEFAULT_RETRIES = (0.0, 10.0, 20.0, 30.0)


def sign(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key, raw body)): how both tools sign a webhook (api-facts.md)."""
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Change:
    """One change to one record, as a tool's webhook reports it.

    `tenant`: Xero tenant id / QBO realm id; `kind`: Xero event category (INVOICE, CONTACT,
    CREDITNOTE) or QBO entity name (Invoice, Customer, ...); `operation`: Xero CREATE/UPDATE or
    QBO Create/Update/Delete/Void/Merge; `extra`: shape-specific data (credit note Type/Status,
    a merge's deleted id)."""

    tenant: str
    kind: str
    resource_id: str
    operation: str
    at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def _same(a: Change, b: Change) -> bool:
    return (a.tenant, a.kind, a.resource_id, a.operation) == (
        b.tenant,
        b.kind,
        b.resource_id,
        b.operation,
    )


@dataclass(frozen=True)
class Sent:
    """One POST attempt: what was sent and what came back (status None: timeout or no answer)."""

    body: bytes
    headers: dict[str, str]
    status: int | None
    events: int


class WebhookDelivery:
    """Queue, batch, sign, POST and retry; see the module docstring. Subclasses set `header` and
    implement `payloads`."""

    header = "x-signature"

    def __init__(self) -> None:
        self.url: str | None = None
        self.key: str | None = None
        self.retry_intervals: tuple[float, ...] = DEFAULT_RETRIES
        self.timeout = 5.0
        self.batch_window = 0.05
        self.max_batch = 100
        self.stats = {
            "events": 0,
            "delivered": 0,
            "dropped": 0,
            "retried": 0,
            "failed": 0,
            "posts": 0,
        }
        self.sent: list[Sent] = []
        self._queue: list[Change] = []
        self._busy = False
        self._paused = False
        self._drop_next = 0
        self._drop_all = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- set-up and switches -------------------------------------------------------------------------

    def configure(
        self,
        url: str,
        key: str,
        *,
        retry_intervals: Sequence[float] | None = None,
        timeout: float | None = None,
        batch_window: float | None = None,
        max_batch: int | None = None,
    ) -> None:
        """Deliver to `url`, signed with `key`; starts the sender thread."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url '{url}' must start with http:// or https://")
        if not key:
            raise ValueError("webhook key must not be empty")
        if max_batch is not None and max_batch < 1:
            raise ValueError(f"max_batch={max_batch} must be at least 1")
        with self._cond:
            self.url, self.key = url, key
            if retry_intervals is not None:
                self.retry_intervals = tuple(float(s) for s in retry_intervals)
            if timeout is not None:
                self.timeout = timeout
            if batch_window is not None:
                self.batch_window = batch_window
            if max_batch is not None:
                self.max_batch = max_batch
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name=f"webhooks {type(self).__name__}", daemon=True
                )
                self._thread.start()

    @property
    def configured(self) -> bool:
        return self.url is not None and self.key is not None

    def drop_next(self, count: int) -> None:
        """Lose the next `count` events (the data still changes; only the POST is lost)."""
        if count < 0:
            raise ValueError(f"count={count} must not be negative")
        with self._cond:
            self._drop_next = count

    def drop_all(self, on: bool = True) -> None:
        """Lose every event from now on (until `drop_all(False)`)."""
        with self._cond:
            self._drop_all = on

    def pause(self) -> None:
        """Hold events in the queue (they go out, batched, on `resume`)."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being sent; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or (self._paused and not self._busy):
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop the sender thread (queued events are abandoned)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- what the emulator calls -------------------------------------------------------------------

    def emit(self, change: Change) -> None:
        """Queue one change (called under the tenant's lock: never blocks on the network)."""
        with self._cond:
            if not self.configured:
                return
            if any(_same(change, queued) for queued in self._queue):
                return  # one call touching a record twice is one event
            self.stats["events"] += 1
            if self._drop_all or self._drop_next > 0:
                self._drop_next = max(0, self._drop_next - 1)
                self.stats["dropped"] += 1
                return
            self._queue.append(change)
            self._cond.notify_all()

    # -- per tool ------------------------------------------------------------------------------------

    def payloads(self, changes: list[Change]) -> list[tuple[bytes, int]]:
        """The POST bodies for a batch, each with how many events it carries."""
        raise NotImplementedError

    # -- the sender thread ------------------------------------------------------------------------

    def _take(self) -> list[Change] | None:
        with self._cond:
            while not self._stop.is_set() and (not self._queue or self._paused):
                self._cond.wait(0.5)
            if self._stop.is_set():
                return None
            self._busy = True
        self._stop.wait(self.batch_window)  # let a burst of changes gather into one POST
        with self._cond:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            return batch

    def _run(self) -> None:
        with httpx.Client() as http:
            while not self._stop.is_set():
                batch = self._take()
                if batch is None:
                    break
                try:
                    for body, count in self.payloads(batch):
                        self._deliver(http, body, count)
                finally:
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()

    def post(
        self, http: httpx.Client, body: bytes, key: str | None = None, events: int = 0
    ) -> int | None:
        """One signed POST (signed with `key`, else the configured key); the status or None."""
        assert self.url is not None and self.key is not None
        headers = {"Content-Type": "application/json", self.header: sign(key or self.key, body)}
        try:
            status: int | None = http.post(
                self.url, content=body, headers=headers, timeout=self.timeout
            ).status_code
        except httpx.HTTPError:
            status = None
        with self._cond:
            self.stats["posts"] += 1
            self.sent.append(Sent(body, headers, status, events))
        return status

    def _deliver(self, http: httpx.Client, body: bytes, count: int) -> None:
        waits = list(self.retry_intervals)
        while True:
            status = self.post(http, body, events=count)
            if status is not None and 200 <= status < 300:
                with self._cond:
                    self.stats["delivered"] += count
                return
            if not waits or self._stop.is_set():
                with self._cond:
                    self.stats["failed"] += count
                return
            with self._cond:
                self.stats["retried"] += 1
            self._stop.wait(waits.pop(0))
