"""Refuse text no database can store before it reaches one.

PostgreSQL cannot store a NUL character and neither database can store an unpaired surrogate;
either would otherwise surface as a database error. JSON can carry both (`\\u0000`, `\\ud800`, or a
surrogate's raw UTF-8 bytes, which Python's JSON reader lets through), and so can a percent-encoded
URL, so every path and query parameter and every string in a JSON body is checked, and the first
offender is refused with a 422 naming where it is.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from booksync.api.errors import ApiError, Loc
from booksync.services.text import shown, storable

PROBLEM = "contains a character that cannot be stored (NUL or an unpaired surrogate)"


def _first_unstorable(value: Any, loc: list[str | int]) -> tuple[list[str | int], str] | None:
    if isinstance(value, str):
        return None if storable(value) else (loc, value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, [*loc, index])
            if found:
                return found
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_unstorable(key, [*loc, key]) or _first_unstorable(item, [*loc, key])
            if found:
                return found
    return None


def _refuse(loc: Loc, value: str) -> ApiError:
    # Echo it escaped: the answer itself must be valid UTF-8 JSON (`ApiError` escapes `loc` too).
    return ApiError(422, loc, PROBLEM, input_=shown(value))


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def reject_unstorable_text(request: Request) -> None:
    """A router dependency: 422 for the first path, query or body string that cannot be stored."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and not storable(value):
            raise _refuse(["path", name], value)
    for name, value in request.query_params.multi_items():
        if not storable(name) or not storable(value):
            raise _refuse(["query", name], value)
    body = await request.body()
    if b"\\u" not in body and _utf8(body):  # else NUL and surrogates can only arrive escaped
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own validation answers that
    found = _first_unstorable(data, ["body"])
    if found:
        raise _refuse(*found)
