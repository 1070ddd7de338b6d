"""Xero's JSON conventions: PascalCase objects, `/Date(ms+0000)/` dates, amounts as exact decimals,
and the envelope every Accounting API response is wrapped in."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from booksync_emulators import jsontext

PROVIDER_NAME = "booksync Xero emulator"

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
CENT = Decimal("0.01")


def dumps(value: Any) -> str:
    """JSON text with Decimals written exactly (never through float) and dates in Xero's form."""
    return jsontext.dumps(value, _xero_value)


def _xero_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return ms_date(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as Xero JSON")


def ms_date(value: date | datetime, *, offset: bool = True) -> str:
    """`/Date(1552262400000+0000)/`; a plain date is midnight UTC, as Xero writes it."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time(), UTC)
    millis = int(moment.timestamp() * 1000)
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def date_string(value: date) -> str:
    """The companion `DateString` field: `2019-03-11T00:00:00`."""
    return f"{value.isoformat()}T00:00:00"


def parse_date(value: Any) -> date:
    """A request date: `2019-03-11`, `2019-03-11T00:00:00` or `/Date(ms+0000)/`.

    Raises ValueError naming what is accepted."""
    if isinstance(value, str):
        text = value.strip()
        match = _MS_DATE.match(text)
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
        try:
            return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD")


def parse_datetime(value: str) -> datetime:
    """An If-Modified-Since value: ISO 8601 (UTC when no offset is given) or `/Date(ms)/`."""
    match = _MS_DATE.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    if "," in value:  # an HTTP date, `Wed, 21 Oct 2026 07:28:00 GMT` (RFC 9110 section 5.6.7)
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(value).astimezone(UTC)
        except (TypeError, ValueError):
            raise ValueError(f"'{value}' is not a date-time") from None
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def decimal(value: Any, field: str) -> Decimal:
    """A request number as Decimal; ValueError names the field and the value."""
    if isinstance(value, bool):
        raise ValueError(f"{field} '{value}' is not a number")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{field} '{value}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{field} '{value}' is not a number")
    return number


def round_to(value: Decimal, places: int) -> Decimal:
    """Round half away from zero to `places` decimals (how Xero's UI rounds amounts)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def envelope(collection: str, items: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The wrapper around every Accounting API answer."""
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_date(now, offset=False),
        collection: items,
    }


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
