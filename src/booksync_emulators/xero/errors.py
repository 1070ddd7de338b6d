"""Xero's error answers, in the shapes Xero sends them.

Two families: the Accounting API's own `ApiException` (`{ErrorNumber, Type, Message, Elements}`, on
400) and the gateway's problem details (`{Type, Title, Status, Detail, Instance, Extensions}`, on
401/403/404/429/5xx). The 400, 401, 403 and 500 shapes are Xero's as seen in public reports; the
404, 429 and 503 bodies are not documented anywhere we could find, so they reuse the gateway shape
(clients should branch on the status code and headers, never on those bodies).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booksync_emulators.exchange import Response
from booksync_emulators.xero.wire import dumps

VALIDATION = (10, "ValidationException", "A validation exception occurred")


class XeroError(Exception):
    """Raised inside a handler to answer with `response` instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def api_exception(
    number: int, kind: str, message: str, elements: list[Any] | None = None
) -> Response:
    body: dict[str, Any] = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return Response.json(400, dumps(body))


def validation_failed(elements: list[dict[str, Any]]) -> Response:
    """The summarised 400: only the elements that failed, each with its ValidationErrors."""
    return api_exception(*VALIDATION, elements=elements)


def invalid_json(detail: str) -> Response:
    return api_exception(14, "PostDataInvalidException", f"Invalid Json data: {detail}")


def no_data(element: str) -> Response:
    return api_exception(
        17,
        "NoDataProcessedException",
        f"No data has been processed for this endpoint. This endpoint is expecting {element} data "
        "to be specifed in the request body.",
    )


def query_error(message: str) -> Response:
    return api_exception(16, "QueryParseException", message)


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return Response.json(status, dumps(body), headers)


def token_expired(expired_at: datetime) -> Response:
    stamp = expired_at.strftime("%m/%d/%Y %H:%M:%S")
    return problem(
        401,
        "Unauthorized",
        f"TokenExpired: token expired at {stamp}",
        {
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="The token expired at \'{stamp}\'"'
        },
    )


def unauthenticated() -> Response:
    return problem(
        401,
        "Unauthorized",
        "AuthenticationUnsuccessful",
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def forbidden() -> Response:
    """A tenant the token has no connection to: never connected, revoked, or no xero-tenant-id."""
    return problem(403, "Forbidden", "AuthenticationUnsuccessful")


def not_found() -> Response:
    return problem(404, "Not Found", "The resource you're looking for cannot be found")


def server_error(status: int = 500) -> Response:
    if status == 503:
        return problem(503, "Service Unavailable", "The Xero API is temporarily unavailable.")
    return problem(
        status,
        "An error occurred",
        "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
        "for current service status.",
    )


def too_many_requests(problem_name: str, retry_after: float, headers: dict[str, str]) -> Response:
    seconds = max(1, int(-(-retry_after // 1)))  # whole seconds, rounded up
    merged = {**headers, "Retry-After": str(seconds), "X-Rate-Limit-Problem": problem_name}
    return problem(429, "Too Many Requests", f"Rate limit exceeded: {problem_name}", merged)
