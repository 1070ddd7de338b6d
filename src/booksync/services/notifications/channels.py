"""Notification channels: add, list, remove. Where a pass's digest goes, and with what credentials.

Three kinds: `email` (SMTP, with an optional user name and password), `webhook` (a POST of the
digest as JSON, signed with HMAC-SHA256 of the body under a key booksync keeps), `slack` (a Slack
or Microsoft Teams incoming webhook, sent `{"text": ...}`; its URL is itself the credential).
Secrets are sealed with `booksync.secrets` (the key that seals tenants' tokens); a view shows only
their last characters (`secret_hint`), a password not even that. A webhook's signing key is shown
once, when booksync makes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.errors import BadInput, Conflict, NotFound, one_of
from booksync.secrets import SecretBox
from booksync.services.text import check_text
from booksync.store.models import NotificationChannel

KINDS = {
    "email": "E-mail (SMTP)",
    "webhook": "Signed webhook",
    "slack": "Slack or Teams incoming webhook",
}
#: How the SMTP connection is secured: STARTTLS on a plain port (587), TLS from the first byte
#: (465), or none (a relay on this machine or a trusted network; port 25).
SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
NAME_MAX = 100
#: Characters of a secret a view shows (never of a password).
HINT_CHARS = 4
#: A generated signing key's random bytes (256 bits).
KEY_BYTES = 32


@dataclass(frozen=True)
class ChannelView:
    """A channel as every face shows it: no secret, only its hint."""

    id: int
    name: str
    kind: str
    enabled: bool
    target: str
    secret_hint: str | None
    last_attempt_at: datetime | None
    last_sent_at: datetime | None
    last_error: str | None

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def ok(self) -> bool | None:
        """Whether the last send went through (None: never tried)."""
        return None if self.last_attempt_at is None else self.last_error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "enabled": self.enabled,
            "target": self.target,
            "secret_hint": self.secret_hint,
            "last_attempt_at": self.last_attempt_at.isoformat() if self.last_attempt_at else None,
            "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
            "last_error": self.last_error,
        }


def _target(channel: NotificationChannel) -> str:
    s = channel.settings
    if channel.kind == "email":
        return f"{', '.join(s['to'])} via {s['host']}:{s['port']} ({s['security']})"
    if channel.kind == "webhook":
        return str(s["url"])
    return f"https://{s['host']}/{channel.secret_hint or '…'}"


def view(channel: NotificationChannel) -> ChannelView:
    return ChannelView(
        channel.id,
        channel.name,
        channel.kind,
        channel.enabled,
        _target(channel),
        channel.secret_hint,
        channel.last_attempt_at,
        channel.last_sent_at,
        channel.last_error,
    )


# -- checking what is typed ------------------------------------------------------------------------


def _name(session: Session, text: str) -> str:
    name = check_text("name", text).strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise BadInput(
            "name", text, "is not a channel name", f"1 to {NAME_MAX} printable characters"
        )
    taken = session.scalars(
        select(NotificationChannel.id).where(NotificationChannel.name == name)
    ).first()
    if taken is not None:
        raise Conflict("name", name, "is already a channel", "a name not in use")
    return name


def _url(field: str, text: str, *, secret: bool = False) -> str:
    """An http(s) URL with a host; a secret one is never echoed back in the message."""
    url = check_text(field, text).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = "(hidden)" if secret else url
        raise BadInput(field, shown, "is not an http(s) URL", "https://host/path")
    return url


def _address(field: str, text: str) -> str:
    """`name@example.com` or `Name <name@example.com>`."""
    _display, address = parseaddr(text.strip())
    local, _, domain = address.rpartition("@")
    # A line break would let a value add headers of its own to the e-mail.
    broken = any(not c.isprintable() for c in text.strip())
    if broken or not local or "." not in domain or any(c.isspace() for c in address):
        raise BadInput(
            field, text, "is not an e-mail address", "name@example.com or Name <name@example.com>"
        )
    return text.strip()


def _addresses(field: str, text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else text.replace(";", ",").split(",")
    found = [_address(field, item) for item in items if item.strip()]
    if not found:
        raise BadInput(field, text, "names no address", "one or more, comma-separated")
    return found


def _hint(secret: str) -> str:
    return "…" + secret[-HINT_CHARS:]


def _add(
    session: Session,
    name: str,
    kind: str,
    settings: dict[str, Any],
    secret: dict[str, str] | None,
    hint: str | None,
    box: SecretBox | None,
) -> ChannelView:
    channel = NotificationChannel(
        name=name,
        kind=kind,
        enabled=True,
        settings=settings,
        secret=(box or SecretBox()).seal(secret) if secret else None,
        secret_hint=hint,
    )
    session.add(channel)
    session.flush()
    return view(channel)


# -- the three kinds -------------------------------------------------------------------------------


def add_email(
    session: Session,
    name: str,
    *,
    host: str,
    sender: str,
    to: str | list[str],
    port: int | None = None,
    security: str = "starttls",
    username: str | None = None,
    password: str | None = None,
    box: SecretBox | None = None,
) -> ChannelView:
    """An SMTP channel: each digest is one e-mail from `sender` to every address in `to`."""
    checked = _name(session, name)
    server = check_text("host", host).strip()
    if not server or " " in server or "/" in server:
        raise BadInput("host", host, "is not a host name", "the SMTP server, e.g. smtp.example.com")
    if security not in SECURITY:
        raise BadInput("security", security, "is not a way to secure SMTP", one_of(SECURITY))
    port = DEFAULT_PORTS[security] if port is None else port
    if not 1 <= port <= 65535:
        raise BadInput("port", port, "is not a port", "1-65535 (587 STARTTLS, 465 TLS, 25)")
    user = (username or "").strip() or None
    if password and not user:
        raise BadInput("username", "", "is empty though a password is given", "the SMTP user name")
    settings = {
        "host": server,
        "port": port,
        "security": security,
        "username": user,
        "from": _address("from", sender),
        "to": _addresses("to", to),
    }
    secret = {"password": password} if password else None
    return _add(
        session, checked, "email", settings, secret, "(password set)" if secret else None, box
    )


def add_webhook(
    session: Session,
    name: str,
    *,
    url: str,
    signing_key: str | None = None,
    box: SecretBox | None = None,
) -> tuple[ChannelView, str | None]:
    """A signed webhook; with no `signing_key`, booksync makes one and returns it: show it once,
    it is not shown again."""
    checked = _name(session, name)
    target = _url("url", url)
    key = (signing_key or "").strip()
    made = None
    if not key:
        key = made = secrets.token_urlsafe(KEY_BYTES)
    elif len(key) < 16:
        raise BadInput(
            "signing key",
            f"({len(key)} characters, hidden)",
            "is too short",
            "16 characters or more",
        )
    view_ = _add(session, checked, "webhook", {"url": target}, {"key": key}, _hint(key), box)
    return view_, made


def add_slack(
    session: Session, name: str, *, url: str, box: SecretBox | None = None
) -> ChannelView:
    """A Slack or Teams incoming webhook: its URL (a credential: anyone holding it may post) is
    sealed, and only its host and last characters shown."""
    checked = _name(session, name)
    target = _url("url", url, secret=True)
    host = urlsplit(target).hostname or ""
    return _add(session, checked, "slack", {"host": host}, {"url": target}, _hint(target), box)


# -- listing and removing --------------------------------------------------------------------------


def list_channels(session: Session) -> list[ChannelView]:
    rows = session.scalars(select(NotificationChannel).order_by(NotificationChannel.name)).all()
    return [view(c) for c in rows]


def find_channel(session: Session, name: str) -> NotificationChannel:
    text = check_text("channel", name).strip()
    found = session.scalars(
        select(NotificationChannel).where(NotificationChannel.name == text)
    ).first()
    if found is None:
        raise NotFound(
            "channel",
            text,
            "is not a notification channel",
            one_of(c.name for c in list_channels(session)),
        )
    return found


def remove_channel(session: Session, name: str) -> ChannelView:
    channel = find_channel(session, name)
    shown = view(channel)
    session.delete(channel)
    session.flush()
    return shown


def set_enabled(session: Session, name: str, enabled: bool) -> ChannelView:
    channel = find_channel(session, name)
    channel.enabled = enabled
    session.flush()
    return view(channel)


__all__ = [
    "DEFAULT_PORTS",
    "KINDS",
    "SECURITY",
    "ChannelView",
    "add_email",
    "add_slack",
    "add_webhook",
    "find_channel",
    "list_channels",
    "remove_channel",
    "set_enabled",
    "view",
]
