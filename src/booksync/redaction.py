"""Secrets masked in free text: log lines, and error messages that name a URL. One set of patterns,
so what a log line hides an error message hides too: a password in a URL (the user may be empty,
as in Redis's `redis://:PASSWORD@host`), a bearer token, and `token=`/`secret=`/`password=`/
`api_key=` values."""

from __future__ import annotations

import re

MASK = "***"
_SECRET_VALUES = [
    # postgresql://user:PASSWORD@host, redis://:PASSWORD@host
    re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.I),
    re.compile(r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.I),
    re.compile(
        r"(?P<keep>\b(?:access_token|refresh_token|id_token|client_secret|password|api_?key"
        r"|token|secret)\b[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;}]+",
        re.I,
    ),
]


def redact(text: str) -> str:
    """`text` with every secret it seems to hold masked."""
    for pattern in _SECRET_VALUES:
        text = pattern.sub(rf"\g<keep>{MASK}", text)
    return text


__all__ = ["MASK", "redact"]
