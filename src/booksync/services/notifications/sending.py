"""Telling someone after a pass: the digest goes to every enabled channel, and each channel keeps
the outcome of its last send (shown on the Notifications page and by `booksync notify list`).

Channels are read in one short transaction and their outcomes written in another: nothing holds
the database while a mail server or a webhook answers. A channel that fails does not stop the
others, nor the pass: its error is kept and logged (without any secret).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from booksync.errors import BooksyncError
from booksync.secrets import SecretBox
from booksync.services.notifications.channels import find_channel
from booksync.services.notifications.delivery import Channel, DeliveryError, send
from booksync.services.notifications.digest import Digest, digest_of, sample_digest
from booksync.store.db import Store
from booksync.store.models import NotificationChannel
from booksync.store.types import utcnow
from booksync.sync.engine import Engine
from booksync.sync.report import PassResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How sending to one channel went: `error` is None when it went through."""

    channel: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "ok": self.ok, "error": self.error}


@dataclass(frozen=True)
class _Target:
    """A channel to send to, read out of the store: opened, or why it cannot be."""

    id: int
    name: str
    channel: Channel | None
    problem: str | None = None


def _read(store: Store, box: SecretBox, name: str | None) -> list[_Target]:
    with store.session() as session:
        if name is not None:
            rows = [find_channel(session, name)]
        else:
            rows = list(
                session.scalars(
                    select(NotificationChannel)
                    .where(NotificationChannel.enabled.is_(True))
                    .order_by(NotificationChannel.name)
                )
            )
        targets = []
        for row in rows:
            try:
                secret = box.open(row.secret) if row.secret else {}
            except BooksyncError as exc:  # sealed under a secret key booksync no longer has
                targets.append(_Target(row.id, row.name, None, str(exc)))
                continue
            channel = Channel(row.name, row.kind, dict(row.settings), secret)
            targets.append(_Target(row.id, row.name, channel))
        return targets


def _send_one(store: Store, target: _Target, digest: Digest) -> Delivery:
    error = target.problem
    if target.channel is not None:
        try:
            send(target.channel, digest)
        except DeliveryError as exc:
            error = str(exc)
    now = utcnow()
    values: dict[str, Any] = {"last_attempt_at": now, "last_error": error}
    if error is None:
        values["last_sent_at"] = now
    with store.session() as session:
        session.execute(
            update(NotificationChannel).where(NotificationChannel.id == target.id).values(**values)
        )
    if error is not None:
        log.warning("notification channel %s: %s", target.name, error)
    return Delivery(target.name, error)


def deliver(
    store: Store, digest: Digest, *, name: str | None = None, box: SecretBox | None = None
) -> list[Delivery]:
    """Send `digest` to the channel `name`, or else to every enabled channel."""
    return [_send_one(store, t, digest) for t in _read(store, box or SecretBox(), name)]


def notify_pass(
    store: Store, result: PassResult, *, box: SecretBox | None = None
) -> list[Delivery]:
    """After a pass: its digest to every enabled channel, if it has something to tell."""
    digest = digest_of(result)
    if digest is None:
        return []
    return deliver(store, digest, box=box)


def send_test(store: Store, name: str, *, box: SecretBox | None = None) -> Delivery:
    """A test message down the channel `name` (enabled or not), to see that it is set up."""
    return deliver(store, sample_digest(), name=name, box=box)[0]


class NotifyingEngine(Engine):
    """An engine whose passes each end with `after_pass`: here its digest goes out (the engine
    every face runs, `services.sync.make_engine`, records the pass there first). Whatever happens
    after it, the pass's result stands."""

    def run_pass(self, *, max_wait: float = 0.0) -> PassResult:
        result = super().run_pass(max_wait=max_wait)
        self.after_pass(result)
        return result

    def after_pass(self, result: PassResult) -> None:
        """Called once after each pass, idle ones too; must not raise."""
        try:
            notify_pass(self.store, result)
        except Exception as exc:  # noqa: BLE001 - telling someone must never undo the pass
            log.warning("could not send the pass's notifications: %s", type(exc).__name__)


__all__ = ["Delivery", "NotifyingEngine", "deliver", "notify_pass", "send_test"]
