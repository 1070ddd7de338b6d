"""QuickBooks Online's error answers, in the shapes QBO sends them.

The data API answers `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"},
"time"}`: HTTP 400 for a single call, HTTP 200 inside each failed item of a batch. The gateway in
front of it answers authentication failures in a different, lower-case shape
(`{"fault": {"error": [{"message", "detail", "code", "element"}], "type": "AUTHENTICATION"}, ...}`).

Codes and wording marked "seen" are QBO's as quoted in public bug reports and SDK issues; the others
are the emulator's wording for a rule whose exact text we could not find. A client should branch on
`code` (and the HTTP status), never on the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booksync_emulators.exchange import Response
from booksync_emulators.quickbooks.wire import api_time, dumps

VALIDATION = "ValidationFault"


@dataclass(frozen=True)
class FaultError:
    """One `Error` of a Fault."""

    code: str
    message: str
    detail: str
    element: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


class Fault(Exception):
    """Raised by a handler to answer with a Fault (400 alone, 200 inside a batch item)."""

    def __init__(self, *errors: FaultError, kind: str = VALIDATION) -> None:
        super().__init__("; ".join(f"{e.code} {e.detail}" for e in errors))
        self.errors = errors
        self.kind = kind

    @property
    def code(self) -> str:
        return self.errors[0].code

    def body(self) -> dict[str, Any]:
        return {"Error": [e.as_json() for e in self.errors], "type": self.kind}

    def response(self, now: datetime, status: int = 400) -> Response:
        return Response.json(status, dumps({"Fault": self.body(), "time": api_time(now)}))


class GatewayError(Exception):
    """Raised before the data API is reached (authentication, authorisation): answer `response`."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


# -- data API faults (ValidationFault unless noted) --------------------------------------------------


def duplicate_name(detail: str) -> Fault:
    """6240 (seen): a name already used by another customer, vendor or employee (or item)."""
    return Fault(FaultError("6240", "Duplicate Name Exists Error", detail))


NAME_TAKEN = (
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this name. Please use a different name."
)  # seen
ITEM_NAME_TAKEN = (
    "The name supplied already exists. : Another product or service is already using this name. "
    "Please use a different name."
)  # emulator wording


def stale_object() -> Fault:
    """5010 (seen): the SyncToken sent is not the object's current one."""
    return Fault(
        FaultError(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and another user were working on this at the same time. "
            "The other user finished before you did, so your work was not saved.",
        )
    )


def object_not_found(entity: str, object_id: str) -> Fault:
    """610 (seen): no such object (never created, or deleted)."""
    return Fault(
        FaultError(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. Check the "
            f"fields with accounts, customers, items, vendors or employees. ({entity} Id={object_id})",
        )
    )


def duplicate_doc_number(number: str, txn_type: str, txn_id: str) -> Fault:
    """6140 (seen): DocNumber already used by another transaction of the type."""
    return Fault(
        FaultError(
            "6140",
            "Duplicate Document Number Error",
            "Duplicate Document Number Error : You must specify a different number. This number "
            f"has already been used. DocNumber={number} is assigned to TxnType={txn_type} with "
            f"TxnId={txn_id}",
        )
    )


def period_closed() -> Fault:
    """6210 (seen): a posting transaction dated on or before the books' close date. Words as
    Harvest's support page quotes them ("Account Period Closed Cannot Update Through Services
    API: The account period has closed and the account books cannot be updated through the QBO
    Services API. Please use the QBO website to make these changes."); code as Intuit's list of
    frequent errors gives it (https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-
    online-api-errors-and-how-to-handle-them, item 11)."""
    return Fault(
        FaultError(
            "6210",
            "Account Period Closed, Cannot Update Through Services API",
            "The account period has closed and the account books cannot be updated through the "
            "QBO Services API. Please use the QBO website to make these changes.",
        )
    )


def business(detail: str, element: str = "") -> Fault:
    """6000 (seen): a business rule refused the object; `detail` says which."""
    return Fault(
        FaultError(
            "6000",
            "A business validation error has occurred while processing your request",
            f"Business Validation Error: {detail}",
            element,
        )
    )


def required(param: str) -> Fault:
    """2020 (seen): a required field is missing."""
    return Fault(
        FaultError(
            "2020",
            "Required param missing, need to supply the required value for the API",
            f"Required parameter {param} is missing in the request",
            param,
        )
    )


def invalid_reference(element: str, *, inactive: bool = False) -> Fault:
    """2500 (seen): a reference to an object that does not exist, or was made inactive."""
    detail = (
        "Invalid Reference Id : Something you're trying to use has been made inactive. Check the "
        "fields with accounts, customers, items, vendors or employees."
        if inactive
        else f"Invalid Reference Id : {element}"
    )
    return Fault(FaultError("2500", "Invalid Reference Id", detail, element))


def too_long(field: str, maximum: int, supplied: int) -> Fault:
    """2050 (seen): a text field over its length limit."""
    return Fault(
        FaultError(
            "2050",
            "String length is either shorter or longer than supported by specification",
            f"String length specified does not match the supported length. Min:0 Max:{maximum} "
            f"supported. Supplied length:{supplied}",
            field,
        )
    )


def invalid_property(field: str, why: str = "") -> Fault:
    """2010 (seen): a field QBO cannot read (wrong type, unknown value, unsupported here)."""
    detail = f"Property Name:{field} specified is unsupported or invalid"
    return Fault(
        FaultError(
            "2010",
            "Request has invalid or unsupported property",
            f"{detail}{f' ({why})' if why else ''}",
            field,
        )
    )


def amount_mismatch(supplied: Any) -> Fault:
    """6070 (seen): a line's Amount is not UnitPrice x Qty rounded to cents."""
    return Fault(
        FaultError(
            "6070",
            "Amount is not equal to UnitPrice * Qty",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
        )
    )


def unsupported_operation(detail: str) -> Fault:
    """500 (seen, code only): an operation this entity does not have (deleting a customer)."""
    return Fault(FaultError("500", "Unsupported Operation", detail))


def query_parse(detail: str) -> Fault:
    """4000 (seen): the query is not in QBO's SQL subset."""
    return Fault(FaultError("4000", "Error parsing query", f"QueryParserError: {detail}"))


def query_invalid(detail: str) -> Fault:
    """4001 (seen): the query names something that cannot be queried."""
    return Fault(FaultError("4001", "Invalid query", f"QueryValidationError: {detail}"))


def request_id_too_long(value: str, limit: int) -> Fault:
    """6000 (seen): a `requestid` over its length limit (50; 36 on a batch)."""
    return business(
        f"You cannot enter more than {limit} characters in the request_id field. You tried "
        f"entering {value[:10]}..., which is {len(value)} characters."
    )


# -- gateway answers ------------------------------------------------------------------------------------


def authentication_failed(detail: str, now: datetime) -> Response:
    """401 (seen): no, unknown, expired or revoked access token, in the gateway's lower-case shape."""
    body: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(now.timestamp() * 1000),
        "status": None,
        "cdcresponse": [],
    }
    return Response.json(401, dumps(body), {"WWW-Authenticate": 'Bearer realm="Intuit"'})


def authorization_failed(realm_id: str, now: datetime) -> Response:
    """403 AuthorizationFault 120 (code and message seen): the token does not reach this company."""
    fault = Fault(
        FaultError(
            "120",
            "Authorization Failure",
            f"AuthorizationFailure: the access token is not authorized for company {realm_id}, "
            "statusCode: 403",
        ),
        kind="AuthorizationFault",
    )
    return fault.response(now, 403)


def insufficient_scope(now: datetime) -> Response:
    """403 (seen): the token lacks the com.intuit.quickbooks.accounting scope."""
    body = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthorizationFailed; errorCode=003100; statusCode=403",
                    "detail": "The access token does not have sufficient scope",
                    "code": "3100",
                    "element": None,
                }
            ],
            "type": "SERVICE",
        },
        "time": int(now.timestamp() * 1000),
    }
    return Response.json(403, dumps(body))


def throttled(now: datetime) -> Response:
    """429 (seen): over the per-minute, batch or concurrency limit. QBO sends no Retry-After; its
    documentation says to wait 60 seconds."""
    fault = Fault(
        FaultError(
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.  Try again later",
        ),
        kind="SERVICE",
    )
    return fault.response(now, 429)


def system_failure(status: int, now: datetime) -> Response:
    """5xx SystemFault 10000 (seen): the service failed before doing anything."""
    fault = Fault(
        FaultError(
            "10000",
            "An application error has occurred while processing your request",
            f"System Failure Error: the service answered {status}; nothing was applied",
        ),
        kind="SystemFault",
    )
    return fault.response(now, status)


def no_such_path(method: str, path: str, now: datetime) -> Response:
    """An endpoint the emulator does not serve (emulator wording; 400 Unsupported Operation)."""
    return unsupported_operation(f"Operation {method} {path} is not supported.").response(now)
