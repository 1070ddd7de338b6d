"""Sending a digest down one channel: SMTP (the standard library's smtplib), a signed webhook, or a
Slack/Teams incoming webhook (httpx).

A failure comes back as `DeliveryError` whose message is safe to store and show: it names the
channel's kind and what went wrong, never a password, a signing key or a Slack URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from booksync import __version__
from booksync.errors import BooksyncError
from booksync.services.notifications.digest import Digest

#: Seconds a send may take (connecting, then each read) before it counts as failed.
TIMEOUT = 10.0
#: The webhook's signature: `sha256=` and the hex HMAC-SHA256 of the raw body under the key.
SIGNATURE_HEADER = "X-Booksync-Signature"
USER_AGENT = f"booksync/{__version__}"


class DeliveryError(BooksyncError):
    """A digest did not reach a channel; the message holds no secret."""


@dataclass(frozen=True)
class Channel:
    """What sending needs, read out of the store: the settings and the opened secret."""

    name: str
    kind: str
    settings: dict[str, Any]
    secret: dict[str, Any]


def sign(key: str, body: bytes) -> str:
    """The value of `SIGNATURE_HEADER` for `body`; a receiver compares it in constant time."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def send(channel: Channel, digest: Digest) -> None:
    """Send `digest` down `channel`, or raise `DeliveryError`."""
    if channel.kind == "email":
        _email(channel, digest)
    elif channel.kind == "webhook":
        body = json.dumps(digest.to_json(), sort_keys=True).encode()
        headers = {SIGNATURE_HEADER: sign(str(channel.secret["key"]), body)}
        _post(str(channel.settings["url"]), body, headers, shown=str(channel.settings["url"]))
    elif channel.kind == "slack":
        body = json.dumps({"text": digest.text()}).encode()
        _post(str(channel.secret["url"]), body, {}, shown=f"the {channel.settings['host']} URL")
    else:  # pragma: no cover - the table holds only the kinds `channels` writes
        raise DeliveryError(f"unknown channel kind {channel.kind!r}")


def _post(url: str, body: bytes, headers: dict[str, str], *, shown: str) -> None:
    """POST `body` as JSON; `shown` is how a failure names the URL (never a secret one)."""
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            answer = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
    except httpx.HTTPError as exc:
        # The exception's text may quote the URL: only its type is kept.
        raise DeliveryError(f"could not reach {shown}: {type(exc).__name__}") from None
    if not answer.is_success:
        raise DeliveryError(f"{shown} answered HTTP {answer.status_code}, not 2xx")


def _email(channel: Channel, digest: Digest) -> None:
    s = channel.settings
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = s["from"]
    message["To"] = ", ".join(s["to"])
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="booksync.invalid")
    message.set_content(digest.text())
    where = f"SMTP server {s['host']}:{s['port']}"
    try:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s["security"] == "ssl":
            smtp = smtplib.SMTP_SSL(s["host"], s["port"], timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(s["host"], s["port"], timeout=TIMEOUT)
        with smtp:
            if s["security"] == "starttls":
                smtp.starttls(context=context)
            if s.get("username"):
                smtp.login(s["username"], str(channel.secret.get("password", "")))
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the user name or password ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise DeliveryError(f"{where} answered {exc.smtp_code} {said}".strip()) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(sorted(exc.recipients))
        raise DeliveryError(f"{where} refused the recipients {refused}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"could not send through {where}: {type(exc).__name__}") from None


__all__ = ["SIGNATURE_HEADER", "TIMEOUT", "Channel", "DeliveryError", "send", "sign"]
