"""Checking HTTP exchanges against Xero's published OpenAPI specs (tests/specs/xero/), with
openapi-core.

`check_exchange(exchange)` returns the problems found in one recorded request/response pair (an
empty list when both conform); the `xero_emulator` fixture runs it on every exchange of a test.

Where the spec and Xero's documented behaviour part ways, the check follows the behaviour and says
so here:
- The identity spec names the path `/Connections`; Xero serves (and clients call) `/connections`.
- Connection dates come without a UTC offset (`2019-12-07T18:46:19.5165400`, the spec's own
  example) although the schema says `format: date-time`; such values are read as UTC before the
  check, anything else in those fields still fails it.
- Xero reads `/Invoices/{InvoiceNumber}`, `/Items/{Code}` and `/CreditNotes/{CreditNoteNumber}`
  too; the spec declares only the ID forms (uuid), so a client should look up by number with the
  `where`/`InvoiceNumbers` filters instead (the emulator serves both).
- The token, revocation and authorize endpoints are in no spec: a token answer is checked against
  the identity spec's `AccessToken` schema, a refresh request against its `RefreshToken` schema.
- The specs declare only 200/400 (204/404 for connections). Xero also answers 401, 403, 404, 429,
  500 and 503; those are checked against the shapes documented in tests/specs/api-facts.md
  (`DOCUMENTED` below), and 429 must carry Retry-After and X-Rate-Limit-Problem.
- 23 boolean properties of xero_accounting.yaml declare `default: "false"` (a string), so the
  spec fails openapi-spec-validator; it is loaded with spec validation off.
- The spec cannot check security (OAuth2 is not an openapi-core security provider): a bearer
  token in Authorization is checked instead.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from booksync_emulators.exchange import Exchange, Request, Response

REPO_ROOT = Path(__file__).resolve().parents[2]
XERO_HOST = "https://api.xero.com"
ACCOUNTING_PREFIX = "/api.xro/2.0"


def spec_dir() -> Path:
    """Xero's published specs, vendored in tests/specs/xero (MIT, LICENSE beside them)."""
    path = REPO_ROOT / "tests" / "specs" / "xero"
    if not (path / "xero_accounting.yaml").is_file():
        raise FileNotFoundError(f"Xero specs not found at {path}: the repository is incomplete")
    return path


class _BearerRequestValidator(V30RequestValidator):
    """Checks the OAuth2 requirement as "a bearer token is present" instead of warning."""

    def _get_security_value(self, parameters: RequestParameters, scheme_name: str) -> Any:
        header = parameters.header.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise SecurityProviderError("Missing bearer token in Authorization.")
        return header[7:].strip()


@functools.cache
def accounting_spec() -> OpenAPI:
    return _load("xero_accounting.yaml")


@functools.cache
def identity_spec() -> OpenAPI:
    return _load("xero-identity.yaml")


def _load(name: str) -> OpenAPI:
    config = Config(spec_validator_cls=None, request_validator_cls=_BearerRequestValidator)
    return OpenAPI.from_file_path(str(spec_dir() / name), config=config)


@functools.cache
def _identity_schema(name: str) -> OAS30Validator:
    spec = SchemaPath.from_file_path(str(spec_dir() / "xero-identity.yaml"))
    with (spec / "components" / "schemas" / name).open() as schema:
        return OAS30Validator(dict(schema))


# -- adapters to openapi-core's request/response protocols -----------------------------------------


@dataclass
class _SpecRequest:
    host_url: str
    path: str
    path_pattern: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class _SpecResponse:
    status_code: int
    headers: Headers
    data: bytes
    content_type: str


@dataclass(frozen=True)
class _Operation:
    """One spec operation a request path matches, with its path parameters."""

    spec: OpenAPI
    path: str  # the request path as the spec spells it
    pattern: str  # e.g. /api.xro/2.0/Invoices/{InvoiceID}
    params: dict[str, str]
    statuses: frozenset[str]


@functools.cache
def _templates(name: str) -> list[tuple[re.Pattern[str], str, dict[str, frozenset[str]]]]:
    """(regex, spec path, method -> declared statuses) for every path of a spec, literal paths
    first (as openapi-core orders them)."""
    spec = accounting_spec() if name == "accounting" else identity_spec()
    out = []
    paths = spec.spec / "paths"
    for key in paths.str_keys():
        item = paths / key
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", key)
        )
        methods = {
            method: frozenset((item / method / "responses").str_keys())
            for method in ("get", "put", "post", "delete", "patch")
            if method in item
        }
        out.append((re.compile(regex + "$"), key, methods))
    return sorted(out, key=lambda entry: "{" in entry[1])


def _operations(request: Request) -> list[_Operation]:
    """Every spec operation the request could be (several where the spec has twin templates such
    as /Contacts/{ContactID} and /Contacts/{ContactNumber}); [] when there is none."""
    lower = request.path.lower()
    if lower.startswith(ACCOUNTING_PREFIX.lower() + "/"):
        name, prefix, relative = (
            "accounting",
            ACCOUNTING_PREFIX,
            request.path[len(ACCOUNTING_PREFIX) :],
        )
    elif lower == "/connections" or lower.startswith("/connections/"):
        name, prefix, relative = (
            "identity",
            "",
            "/Connections" + request.path[len("/connections") :],
        )
    else:
        return []
    spec = accounting_spec() if name == "accounting" else identity_spec()
    found = []
    for regex, key, methods in _templates(name):
        match = regex.match(relative)
        if match and request.method.lower() in methods:
            found.append(
                _Operation(
                    spec,
                    prefix + relative,
                    prefix + key,
                    match.groupdict(),
                    methods[request.method.lower()],
                )
            )
    return found


def _spec_request(request: Request, operation: _Operation) -> _SpecRequest:
    pairs = [(k, v) for k, values in request.query.items() for v in values]
    headers = Headers(list(request.headers.items()))
    return _SpecRequest(
        host_url=XERO_HOST,
        path=operation.path,
        path_pattern=operation.pattern,
        method=request.method.lower(),
        parameters=RequestParameters(
            query=ImmutableMultiDict(pairs),
            header=headers,
            cookie=ImmutableMultiDict(),
            path=dict(operation.params),
        ),
        body=request.body or None,
        content_type=(request.header("content-type") or "").lower(),
    )


def _spec_response(response: Response) -> _SpecResponse:
    content_type = (response.header("content-type") or "").lower()
    return _SpecResponse(
        response.status, Headers(list(response.headers.items())), response.body, content_type
    )


def _describe(exc: BaseException) -> str:
    details = []
    cause: BaseException | None = exc
    while cause is not None:
        for error in getattr(cause, "schema_errors", ()) or ():
            where = "/".join(str(p) for p in error.absolute_path)
            details.append(f"{where or '(body)'}: {error.message}")
        for error in getattr(cause, "errors", ()) or ():
            details.append(f"{type(error).__name__}: {error}")
        cause = cause.__cause__
    text = f"{type(exc).__name__}: {exc}"
    return f"{text} [{'; '.join(details)}]" if details else text


# -- what the specs cannot check: Xero's documented gateway answers ----------------------------------

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["Title", "Status", "Detail"],
    "properties": {
        "Title": {"type": "string"},
        "Status": {"type": "integer"},
        "Detail": {"type": "string"},
    },
}
_API_EXCEPTION: dict[str, Any] = {
    "type": "object",
    "required": ["ErrorNumber", "Type", "Message"],
    "properties": {
        "ErrorNumber": {"type": "integer"},
        "Type": {"type": "string"},
        "Message": {"type": "string"},
    },
}
DOCUMENTED: dict[int, dict[str, Any]] = {
    400: _API_EXCEPTION,  # on reads the spec declares only 200; Xero answers bad queries so
    401: {
        **_PROBLEM,
        "properties": {
            **_PROBLEM["properties"],
            "Title": {"enum": ["Unauthorized"]},
            "Detail": {"type": "string", "pattern": "^(TokenExpired: |AuthenticationUnsuccessful)"},
        },
    },
    403: {**_PROBLEM, "properties": {**_PROBLEM["properties"], "Title": {"enum": ["Forbidden"]}}},
    404: _PROBLEM,
    405: _PROBLEM,
    429: _PROBLEM,
    500: _PROBLEM,
    503: _PROBLEM,
}
RATE_PROBLEMS = {"minute", "day", "appminute", "concurrent"}
REMAINING = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")


def _check_documented(response: Response) -> list[str]:
    schema = DOCUMENTED.get(response.status)
    if schema is None:
        return [
            f"status {response.status} is neither in the spec nor among Xero's documented answers"
        ]
    try:
        body = json.loads(response.body)
    except ValueError:
        return [f"{response.status} body is not JSON: {response.body[:80]!r}"]
    problems = [
        f"{response.status} body: {e.message}" for e in OAS30Validator(schema).iter_errors(body)
    ]
    if schema is not _API_EXCEPTION and body.get("Status") != response.status:
        problems.append(f"{response.status} body says Status {body.get('Status')}")
    if response.status == 401 and not response.header("WWW-Authenticate"):
        problems.append("401 without WWW-Authenticate")
    if response.status == 429:
        if not (response.header("Retry-After") or "").isdigit():
            problems.append(
                f"429 Retry-After {response.header('Retry-After')!r} is not whole seconds"
            )
        if response.header("X-Rate-Limit-Problem") not in RATE_PROBLEMS:
            problems.append(f"429 X-Rate-Limit-Problem {response.header('X-Rate-Limit-Problem')!r}")
    return problems


def _check_remaining(response: Response) -> list[str]:
    if response.status in (401, 403):
        return []
    return [
        f"{name} missing or not a count"
        for name in REMAINING
        if not (response.header(name) or "").isdigit()
    ]


# -- the checks ----------------------------------------------------------------------------------------------


def check_request(request: Request) -> list[str]:
    """Problems with a request as the client sent it, against the spec for its path."""
    lower = request.path.lower()
    if lower == "/connect/token":
        form = request.form()
        if form.get("grant_type") == "refresh_token":
            return [
                f"token request: {e.message}"
                for e in _identity_schema("RefreshToken").iter_errors(form)
            ]
        return [] if form.get("grant_type") else ["token request without grant_type"]
    if lower in ("/connect/revocation", "/identity/connect/authorize"):
        return []  # in no spec
    operations = _operations(request)
    if not operations:
        return [f"request {request.method} {request.path}: no such operation in the spec"]
    first_failure = ""
    for operation in operations:
        try:
            operation.spec.validate_request(_spec_request(request, operation))
        except Exception as exc:  # noqa: BLE001 - every openapi-core failure is a finding
            first_failure = first_failure or _describe(exc)
            continue
        return []
    return [f"request {request.method} {request.path}: {first_failure}"]


def check_response(request: Request, response: Response) -> list[str]:
    """Problems with the emulator's answer: the spec where it declares the status, else Xero's
    documented shapes."""
    lower = request.path.lower()
    if lower == "/connect/token":
        if response.status != 200:
            return (
                []
                if "error" in json.loads(response.body or b"{}")
                else ["token error without 'error'"]
            )
        body = json.loads(response.body)
        return [
            f"token response: {e.message}"
            for e in _identity_schema("AccessToken").iter_errors(body)
        ]
    if lower in ("/connect/revocation", "/identity/connect/authorize"):
        return []
    accounting = lower.startswith(ACCOUNTING_PREFIX.lower() + "/")
    problems = _check_remaining(response) if accounting else []
    operations = [o for o in _operations(request) if str(response.status) in o.statuses]
    if not operations:
        return problems + _check_documented(response)
    if not accounting and response.status == 200:
        response = _with_utc_offsets(response)
    first_failure = ""
    for operation in operations:
        try:
            operation.spec.validate_response(
                _spec_request(request, operation), _spec_response(response)
            )
        except Exception as exc:  # noqa: BLE001
            first_failure = first_failure or _describe(exc)
            continue
        return problems
    return problems + [
        f"response {response.status} to {request.method} {request.path}: {first_failure}"
    ]


_NO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


def _with_utc_offsets(response: Response) -> Response:
    """The connections answer with Xero's offset-less timestamps marked as UTC ("Z")."""
    body = json.loads(response.body)
    if isinstance(body, list):
        for connection in body:
            for name in ("createdDateUtc", "updatedDateUtc"):
                value = connection.get(name) if isinstance(connection, dict) else None
                if isinstance(value, str) and _NO_OFFSET.match(value):
                    connection[name] = value + "Z"
    return Response(response.status, json.dumps(body).encode(), dict(response.headers))


def check_exchange(exchange: Exchange) -> tuple[list[str], list[str]]:
    """(request problems, response problems) of one recorded exchange."""
    return check_request(exchange.request), check_response(exchange.request, exchange.response)
