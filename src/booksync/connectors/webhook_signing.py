"""What the tools' webhooks share: a body signed with base64(HMAC-SHA256(key, raw body)) in one
header (Xero's `x-xero-signature`, Intuit's `intuit-signature`), checked in constant time, and a
JSON body whose events each get a key unique across redeliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from booksync.errors import BadInput

#: The longest key booksync stores (inbound_events.key); longer ones are digested.
MAX_KEY = 255


def signature(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key, body)), as Xero and Intuit compute it."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any letter case (a plain dict as well as HTTP headers)."""
    found = headers.get(name)
    if found is None:
        found = next((v for k, v in headers.items() if k.lower() == name), None)
    return found


def verify_signature(headers: Mapping[str, str], body: bytes, key: str, name: str) -> bool:
    """Whether header `name` holds base64(HMAC-SHA256(key, body)); False without a key."""
    given = header_value(headers, name)
    if not key or not given:
        return False
    return hmac.compare_digest(signature(key, body).encode(), given.strip().encode())


def event_key(*parts: str) -> str:
    """The parts joined; digested past MAX_KEY (the first part, the tool, kept readable)."""
    key = ":".join(parts)
    return key if len(key) <= MAX_KEY else parts[0] + ":" + hashlib.sha256(key.encode()).hexdigest()


def load(body: bytes, tool: str) -> Any:
    """The body as JSON, or BadInput naming it."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        shown = body[:80].decode("utf-8", "replace")
        raise BadInput("body", shown, f"is not JSON ({exc})", f"a {tool} webhook payload") from None
