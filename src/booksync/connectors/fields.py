"""A payload as neutral fields, named like the payload's (`protocol.RemoteFields`).

`payload_fields` flattens a payload the way a connector's reads answer (`RemoteRead.fetch`,
`two_way.RemoteState.fields`), so booksync's version and the tool's line up field by field.
`json_fields` is the same made JSON-safe (money as text, dates in ISO form), for what is stored:
`sync_jobs.pushed_fields`, what the last push sent, which drift is measured against; `json_text`
is that as JSON text, as a push stores it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from booksync.connectors.protocol import Payload

#: Payload fields that are not a value the tool stores (the record type is the endpoint).
NOT_STORED = frozenset({"entity"})


def payload_fields(payload: Payload) -> dict[str, Any]:
    """The payload as neutral fields: nested dataclasses as mappings, pairs (tracking) as mappings,
    lines as a list of mappings."""
    return {
        name: _neutral(getattr(payload, name), name)
        for name in _field_names(type(payload)) or ()
        if name not in NOT_STORED
    }


#: type -> its dataclass field names, or None for any other type.
_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type), read once per class: a pass walks
    tens of thousands of payloads of a handful of classes."""
    if cls not in _NAMES:
        dataclass = dataclasses.is_dataclass(cls)
        _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclass else None
    return _NAMES[cls]


def _neutral(value: Any, name: str = "") -> Any:
    names = _field_names(type(value))
    if names is not None:
        return {n: _neutral(getattr(value, n), n) for n in names}
    if name == "tracking" and isinstance(value, tuple):
        return {str(k): str(v) for k, v in value}
    if isinstance(value, tuple | list):
        return [_neutral(v) for v in value]
    return value


#: Values JSON takes as they are (exactly these types: an enum of str goes through `json_safe`).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _safe_neutral(value: Any, name: str = "") -> Any:
    """`json_safe(_neutral(value, name))` in one walk, for what each push stores."""
    cls = type(value)
    if cls in _AS_IS:
        return value
    if cls is Decimal:
        return format(value, "f")
    names = _field_names(cls)
    if names is not None:
        return {n: _safe_neutral(getattr(value, n), n) for n in names}
    if name == "tracking" and isinstance(value, tuple):
        return {str(k): str(v) for k, v in value}
    if cls is tuple or cls is list:
        return [_safe_neutral(v) for v in value]
    return json_safe(_neutral(value, name))


def json_safe(value: Any) -> Any:
    """`value` with money as text ("49.00"), dates and times in ISO form, and mappings and
    sequences walked; anything else JSON already takes is left as it is."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe(_neutral(value))
    return str(value)


def json_fields(payload: Payload) -> dict[str, Any]:
    """`payload_fields(payload)`, JSON-safe: what a push sent, as stored for drift."""
    return {
        name: _safe_neutral(getattr(payload, name), name)
        for name in _field_names(type(payload)) or ()
        if name not in NOT_STORED
    }


def json_text(payload: Payload) -> str:
    """`json_fields(payload)` as JSON text, written by the encoder in one pass: only dataclasses,
    money and dates reach Python (`_encodable`), where `json_fields` walks every value."""
    names = _field_names(type(payload)) or ()
    return json.dumps(
        _tracked({name: getattr(payload, name) for name in names if name not in NOT_STORED}),
        default=_encodable,
    )


def _tracked(fields: dict[str, Any]) -> dict[str, Any]:
    """A dataclass's fields with its tracking pairs as a mapping (as `_neutral` has them)."""
    tracking = fields.get("tracking")
    if isinstance(tracking, tuple):
        fields["tracking"] = {str(k): str(v) for k, v in tracking}
    return fields


def _encodable(value: Any) -> Any:
    """What the encoder cannot write itself, as `json_safe` would have it."""
    names = _field_names(type(value))
    if names is not None:
        return _tracked({n: getattr(value, n) for n in names})
    if isinstance(value, Decimal):
        return format(value, "f")
    return json_safe(value)


__all__ = ["NOT_STORED", "json_fields", "json_safe", "json_text", "payload_fields"]
