"""QuickBooks Online's JSON conventions: exact decimal amounts, `YYYY-MM-DD` dates, timestamps in
Intuit's Pacific time with an offset, `{"value", "name"}` references.

QBO writes `MetaData` times and the `time` of every answer in US Pacific time whatever the
company's country (`2026-11-02T01:00:00-08:00`); transaction dates are the company's local date.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from booksync_emulators import jsontext

PACIFIC = ZoneInfo("America/Los_Angeles")
CENT = Decimal("0.01")


def dumps(value: Any) -> str:
    """JSON text with Decimals written exactly (never through float)."""
    return jsontext.dumps(value, _qbo_value)


def _qbo_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return meta_time(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as QuickBooks JSON")


def api_time(moment: datetime) -> str:
    """The `time` of an answer: Pacific time with milliseconds, `2026-11-02T01:00:00.000-08:00`."""
    local = moment.astimezone(PACIFIC)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{offset[:3]}:{offset[3:]}"


def meta_time(moment: datetime) -> str:
    """A `MetaData` time: Pacific time to the second, `2026-11-02T01:00:00-08:00`."""
    return moment.astimezone(PACIFIC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """A timestamp from a query (`2026-11-02T01:00:00-08:00`, `...Z`; without an offset, or a plain
    date, it is Pacific time as QBO reads it); ValueError when it is none of these."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)


def decimal(value: Any) -> Decimal:
    """A request number as Decimal; ValueError for anything else (booleans included)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def round2(value: Decimal) -> Decimal:
    """Round half away from zero to cents, as QBO rounds amounts (1861.075 -> 1861.08)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ref(value: str, name: str | None = None) -> dict[str, str]:
    """A reference as QBO writes it back: `{"value": id, "name": its display name}`."""
    return {"value": value, **({"name": name} if name is not None else {})}
