"""JSON text for emulator answers, with money written exactly: a Decimal goes out as its own
digits (`12.50`, never `12.5000000001`), as the real tools write amounts.

Each tool plugs in its own conventions for other types (Xero's `/Date(ms)/`, ...) with `convert`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Convert = Callable[[Any], Any]


def dumps(value: Any, convert: Convert | None = None) -> str:
    """`value` as JSON text. Types JSON has no name for are passed to `convert`, whose result is
    written instead; without one (or if it returns the same type) they raise TypeError."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v, convert)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v, convert) for v in value) + "]"
    if convert is not None:
        converted = convert(value)
        if type(converted) is not type(value):
            return dumps(converted, convert)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
