"""What crosses the wire to a tool and back: exact JSON, the tool's stated reason, and the redacted
record of each exchange that the sync timeline shows.

Money never passes through a float (`parse_json` reads numbers as Decimal, `dumps` writes Decimals
exactly and refuses floats), and no secret leaves in clear text (`redact`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import httpx

#: Keys whose values never leave this module in clear text (OAuth bodies, headers).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code",
        "code_verifier",
        "password",
        "authorization",
        "cookie",
        "set-cookie",
    }
)
REDACTED = "***"
_HEADER_SECRETS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


def redact(value: Any) -> Any:
    """A copy of JSON-like data with every secret-named field's value replaced (case-sensitive keys:
    OAuth's lowercase `code` is a secret, Xero's `Code` is an item code)."""
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if str(k) in SECRET_KEYS or str(k).lower() in _HEADER_SECRETS
                else redact(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def parse_json(content: bytes) -> Any:
    """JSON with numbers as Decimal: money from a tool is never a float."""
    return json.loads(content, parse_float=Decimal)


def dumps(value: Any) -> str:
    """JSON text with Decimals written exactly as numbers (`12.50`, never via float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as a JSON number")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not sent: amounts must be Decimal")
    return json.dumps(value)


def problem_detail(response: httpx.Response) -> str:
    """The reason a tool gave, from the usual error shapes (problem+json, OAuth, Xero, QBO Fault)."""
    try:
        body = parse_json(response.content)
    except ValueError:
        text = response.text.strip()
        return text[:300] or f"{response.status_code} {response.reason_phrase}"
    if isinstance(body, dict):
        for key in (
            "Detail",
            "detail",
            "error_description",
            "Message",
            "message",
            "Title",
            "error",
        ):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        # QuickBooks: {"Fault": {"Error": [...]}}, and on 401s {"fault": {"error": [...]}}.
        fault = body.get("Fault") or body.get("fault")
        errors = (fault.get("Error") or fault.get("error")) if isinstance(fault, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(
                first.get("Detail")
                or first.get("detail")
                or first.get("Message")
                or first.get("message")
            )
    return f"{response.status_code} {response.reason_phrase}"


def body_of(content: bytes, content_type: str) -> Any:
    """A request or response body as the timeline shows it: parsed when it can be, redacted, and
    cut short when it is long text."""
    if not content:
        return None
    if "json" in content_type:
        try:
            return redact(parse_json(content))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return redact(dict(parse_qsl(content.decode(errors="replace"))))
    text = content.decode(errors="replace")
    return text if len(text) <= 2000 else text[:2000] + "…"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, secrets redacted, as the timeline shows it."""

    method: str
    url: str
    status: int | None
    request_body: Any
    response_body: Any
    elapsed: float
    tenant: str | None
    error: str | None = None


Recorder = Callable[[Exchange], None]


def describe(error: BaseException) -> str:
    """An exception as one line for a message: its type, and its text when it has one."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
