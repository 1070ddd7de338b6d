"""`booksync --log-format json`: one JSON object per line on standard error, for log shippers.

Each line has `time` (UTC, ISO 8601), `level`, `logger`, `message`, any `extra` fields the caller
gave, and `error` with the traceback when there is one. Secrets never reach it: bearer tokens,
passwords in URLs and `token=`/`secret=`/`password=`/`key=` values are masked in every field, and
an extra field whose name says it holds a secret is dropped. `--log-format text` (the default)
leaves logging as Python sets it up: warnings and errors on standard error.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from booksync.redaction import redact

FORMATS = ("text", "json")
#: The attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
#: Extra fields that only repeat the message: uvicorn's copy of it with terminal colour codes.
_REPEATS = {"color_message"}
_SECRET_NAMES = re.compile(r"token|secret|password|passwd|credential|api_?key|authorization", re.I)

_active = False


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in vars(record).items():
            skipped = name in _STANDARD or name in _REPEATS or name.startswith("_")
            if skipped or _SECRET_NAMES.search(name):
                continue
            entry[name] = _clean(value)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class Redacting(logging.Filter):
    """Masks secrets in the records of a logger whose lines booksync does not format itself:
    uvicorn's access log prints each request's path with its query string, where a client may
    have put `api_key=` or `token=`. The message's arguments stay arguments (uvicorn's access
    formatter reads them by position), each masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Set up logging for `log_format` (see the module docstring)."""
    global _active
    if log_format != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_booksync", False):
            root.removeHandler(old)
    handler._booksync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    _active = True


def json_active() -> bool:
    """Whether this process logs JSON lines (then commands log what they would print)."""
    return _active


__all__ = ["FORMATS", "JsonFormatter", "Redacting", "configure", "json_active"]
