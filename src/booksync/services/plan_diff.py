"""Field by field: what booksync would send against what the tool holds now.

Both sides are neutral fields named like the payload's (`booksync.connectors.protocol.RemoteFields`):
`payload_fields` flattens a payload that way, a connector's `RemoteRead.fetch` answers that way, and
`diff` lines them up (`payload_fields` lives in `connectors.fields`, beside its JSON-safe twin
`json_fields`, and is re-exported here). Only fields the tool reported are compared; values are compared as what they
mean (49 and "49.00" are one amount, a date and its ISO text one date, None and "" both blank), and
a field booksync leaves blank is not sent (the tool keeps its value), so a row marked changed is a
change the push would really make.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.connectors.fields import payload_fields


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One compared field: booksync's value (what the push sends), the tool's, and whether they differ."""

    field: str
    booksync: str | None
    tool: str | None
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "booksync": self.booksync,
            "tool": self.tool,
            "changed": self.changed,
        }


def shown(value: Any) -> str | None:
    """A value as one line of text for a person (None stays None: blank)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        parts = [f"{k}: {shown(v)}" for k, v in value.items() if shown(v) is not None]
        return "; ".join(parts) or None
    if isinstance(value, list | tuple):
        parts = [p for p in (shown(v) for v in value) if p is not None]
        return ", ".join(parts) or None
    return str(value)


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def same(ours: Any, theirs: Any) -> bool:
    """Whether two values mean the same: amounts by value, dates by day, blanks alike."""
    if shown(ours) is None or shown(theirs) is None:
        return shown(ours) is None and shown(theirs) is None
    if isinstance(ours, Decimal | int) or isinstance(theirs, Decimal | int):
        a, b = _amount(ours), _amount(theirs)
        if a is not None and b is not None:
            return a == b
    if isinstance(ours, Mapping) and isinstance(theirs, Mapping):
        keys = set(ours) | set(theirs)
        return all(same(ours.get(k), theirs.get(k)) for k in keys)
    if isinstance(ours, list | tuple) and isinstance(theirs, list | tuple):
        return len(ours) == len(theirs) and all(
            same(a, b) for a, b in zip(ours, theirs, strict=True)
        )
    return shown(ours) == shown(theirs)


def diff(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[FieldRow]:
    """Every field the tool reported, side by side with booksync's, in the payload's order;
    lines compared position by position (`lines[2].unit_price`)."""
    rows: list[FieldRow] = []
    for name, value in ours.items():
        if name not in theirs:
            continue
        if name == "lines" and isinstance(value, list) and isinstance(theirs[name], list):
            rows += _lines(value, theirs[name])
        else:
            # A blank of booksync's is not sent (the tool keeps its value): not a change.
            moved = shown(value) is not None and not same(value, theirs[name])
            rows.append(FieldRow(name, shown(value), shown(theirs[name]), moved))
    return rows


def _lines(ours: Sequence[Any], theirs: Sequence[Any]) -> list[FieldRow]:
    rows = [FieldRow("lines", str(len(ours)), str(len(theirs)), len(ours) != len(theirs))]
    for index in range(max(len(ours), len(theirs))):
        mine = ours[index] if index < len(ours) else {}
        other = theirs[index] if index < len(theirs) else {}
        if not isinstance(mine, Mapping) or not isinstance(other, Mapping):
            continue
        for name in [*mine, *(k for k in other if k not in mine)]:
            if name not in other and index < len(theirs):
                continue  # a field the tool does not report on its lines
            a, b = mine.get(name), other.get(name)
            moved = not same(a, b) and (shown(a) is not None or index >= len(ours))
            rows.append(FieldRow(f"lines[{index + 1}].{name}", shown(a), shown(b), moved))
    return rows


def changed(rows: Sequence[FieldRow]) -> list[FieldRow]:
    return [r for r in rows if r.changed]


__all__ = ["FieldRow", "changed", "diff", "payload_fields", "same", "shown"]
