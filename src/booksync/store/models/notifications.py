"""Where booksync tells someone that records failed or a tenant disconnected: notification channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base
from booksync.store.types import UTCDateTime, utcnow


class NotificationChannel(Base):
    """One place a pass's digest goes: an e-mail (SMTP), a signed webhook, or a Slack/Teams
    incoming webhook.

    `settings` holds what may be shown (host, port, addresses, a webhook's URL); `secret` holds,
    encrypted with `booksync.secrets`, what may not (an SMTP password, a webhook's signing key, a
    Slack URL, which is itself a credential); `secret_hint` is the little of it a person may see
    to tell two apart (its last characters).
    """

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: email | webhook | slack
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_hint: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last attempt to send to it, and its outcome (None: delivered).
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
