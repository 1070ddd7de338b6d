"""Every refusal as FastAPI's own 422s look: `{"detail": [{"type", "loc", "msg", "input"}]}`.

The service layer names the field at fault (`lines[2].quantity`); a route says where that field
came from (the path, the query or the body) and this module turns it into a `loc` such as
`["body", "lines", 1, "quantity"]`. Statuses: 404 for the record named in the URL path, 409 for a
conflict with other records, 422 for any other bad input, 502 when the accounting tool failed.
Database errors a check missed become a 409 or 422 too: no input yields a 500.

Every answer is strict JSON whatever the input was: what a refusal echoes passes through `echo()`,
which writes NaN and the infinities as strings, unpaired surrogates as escapes, and cuts long text.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from booksync.services.errors import BadInput, BooksyncError, Conflict, NotFound
from booksync.services.text import shown

log = logging.getLogger(__name__)

Loc = Sequence[str | int]
#: `lines[2]` in a service field: the 2nd line, which is index 1 in the JSON body.
_INDEX = re.compile(r"^(\w+)\[(\d+)\]$")
#: An echoed string is cut here: a refusal names the value, it need not return a megabyte of it.
ECHO_CHARS = 200
#: Integers wider than this are echoed as a description (Python will not even print 5,000 digits).
ECHO_INT_BITS = 256


def echo(value: Any) -> Any:
    """`value` as strict JSON can carry it: what an answer may safely repeat of the input."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int):
        if value.bit_length() > ECHO_INT_BITS:
            return f"an integer of {value.bit_length()} bits"
        return value
    if isinstance(value, bytes):
        return echo(value.decode("utf-8", "backslashreplace"))
    if isinstance(value, str):
        text = shown(value)
        if len(text) > ECHO_CHARS:
            return f"{text[:ECHO_CHARS]}... ({len(value):,} characters)"
        return text
    if isinstance(value, Mapping):
        return {str(echo(str(k))): echo(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [echo(item) for item in value]
    try:
        return echo(jsonable_encoder(value))
    except (TypeError, ValueError):
        return echo(repr(value))


class ApiError(Exception):
    """A refusal with its HTTP status and where in the request the fault is."""

    def __init__(
        self,
        status: int,
        loc: Loc,
        msg: str,
        *,
        type_: str = "value_error",
        input_: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.loc = list(loc)
        self.msg = msg
        self.type = type_
        self.input = input_
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"detail": [problem(self.type, self.loc, self.msg, self.input)]}


def problem(type_: str, loc: Loc, msg: str, input_: Any) -> dict[str, Any]:
    """One entry of `detail`, safe to send whatever the request held."""
    return {
        "type": type_,
        "loc": [part if isinstance(part, int) else echo(str(part)) for part in loc],
        "msg": shown(msg),
        "input": echo(input_),
    }


def field_loc(field: str) -> list[str | int]:
    """`lines[2].quantity` -> ["lines", 1, "quantity"] (service positions count from 1)."""
    loc: list[str | int] = []
    for part in field.split("."):
        match = _INDEX.match(part)
        if match:
            loc += [match.group(1), int(match.group(2)) - 1]
        elif part:
            loc.append(part)
    return loc


def status_of(exc: BadInput) -> int:
    return 409 if isinstance(exc, Conflict) else 422


def from_bad_input(exc: BadInput, loc: Loc, *, status: int | None = None) -> ApiError:
    kind = (
        "conflict"
        if isinstance(exc, Conflict)
        else "not_found"
        if isinstance(exc, NotFound)
        else "value_error"
    )
    return ApiError(status or status_of(exc), loc, str(exc), type_=kind, input_=exc.value)


@contextmanager
def in_body() -> Iterator[None]:
    """Errors raised inside name a field of the JSON body."""
    try:
        yield
    except BadInput as exc:
        raise from_bad_input(exc, ["body", *field_loc(exc.field)]) from None


@contextmanager
def in_place(*loc: str | int, status: int | None = None) -> Iterator[None]:
    """Errors raised inside are about one path or query parameter, e.g. ("path", "ref")."""
    try:
        yield
    except BadInput as exc:
        raise from_bad_input(exc, loc, status=status) from None


@contextmanager
def path_record(name: str = "ref") -> Iterator[None]:
    """Looking up the record the URL names: not finding it is a 404."""
    try:
        yield
    except NotFound as exc:
        raise from_bad_input(exc, ["path", name], status=404) from None


def _respond(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), error.status, headers=error.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    """FastAPI's 422 in the same shape, but safe for any input: its own handler echoes NaN or a
    lone surrogate as they came and then fails to serialise them (a 500 instead of a 422)."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        problem(
            str(error.get("type", "value_error")),
            error.get("loc", ()),
            str(error.get("msg", "")).removeprefix("Value error, "),
            error.get("input"),
        )
        for error in exc.errors()
    ]
    return JSONResponse({"detail": problems}, 422)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(exc)


async def _bad_input(_request: Request, exc: Exception) -> JSONResponse:
    # A route that did not say where its input came from: name the service's field as it is.
    assert isinstance(exc, BadInput)
    return _respond(from_bad_input(exc, field_loc(exc.field)))


async def _booksync_error(_request: Request, exc: Exception) -> JSONResponse:
    # Not bad input but a tool that failed (unreachable, refused the connection, ...).
    return _respond(ApiError(502, [], str(exc), type_="tool_error"))


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Two requests raced past a uniqueness check; the later one is refused, nothing is written.
    log.info("integrity error answered with 409: %s", type(exc).__name__)
    return _respond(
        ApiError(
            409,
            [],
            "conflicts with a change saved meanwhile; reload and try again",
            type_="conflict",
        )
    )


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database refused a value (answered 422): %s", getattr(exc, "orig", exc))
    return _respond(ApiError(422, [], "a value is out of the range the database can store"))


def _http_error(prefix: str) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        """FastAPI's own refusals on API paths in the same shape; a body it cannot even decode
        (not UTF-8) is bad input like a body that is not JSON, so 422 as FastAPI answers that."""
        assert isinstance(exc, HTTPException)
        if not request.url.path.startswith(prefix):
            return await http_exception_handler(request, exc)  # the web admin's pages
        status = 422 if exc.status_code == 400 else exc.status_code
        loc = ["body"] if exc.status_code in (400, 413) else []
        detail = exc.detail if isinstance(exc.detail, str) else "the request is not accepted"
        return _respond(ApiError(status, loc, detail, headers=exc.headers))

    return handle


def install(app: FastAPI, prefix: str) -> None:
    """Answer every refusal on `prefix` paths in one shape (others keep FastAPI's)."""
    app.add_exception_handler(HTTPException, _http_error(prefix))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(BadInput, _bad_input)
    app.add_exception_handler(BooksyncError, _booksync_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
