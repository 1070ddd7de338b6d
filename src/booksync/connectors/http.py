"""The HTTP machinery every cloud connector shares (Xero now, QuickBooks next).

One `HttpClient` over httpx turns a tool's answers into the protocol's errors, so the engine can tell
"retry later" (`TransientError`, with the tool's Retry-After) from "reconnect the tenant"
(`AuthError`) from "find out what happened" (`OutcomeUnknown`: a write that was sent and got no
answer). A `RateBudget` keeps each tenant within the tool's per-minute limit and concurrency, reading
the remaining-calls headers the tool sends so a call waits *before* it would be refused. A recorder
hook sees every exchange with its secrets redacted, for the sync timeline.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

import httpx

from booksync.connectors.protocol import AuthError, ConnectorError, OutcomeUnknown, TransientError
from booksync.sync.pacing import Clock

#: Keys whose values never leave this module in clear text (OAuth bodies, headers).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code",
        "code_verifier",
        "password",
        "authorization",
        "cookie",
        "set-cookie",
    }
)
REDACTED = "***"
#: Methods that never change anything: safe to repeat after any failure.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def redact(value: Any) -> Any:
    """A copy of JSON-like data with every secret-named field's value replaced (case-sensitive keys:
    OAuth's lowercase `code` is a secret, Xero's `Code` is an item code)."""
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if str(k) in SECRET_KEYS or str(k).lower() in _HEADER_SECRETS
                else redact(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


_HEADER_SECRETS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


def parse_json(content: bytes) -> Any:
    """JSON with numbers as Decimal: money from a tool is never a float."""
    return json.loads(content, parse_float=Decimal)


def _body_of(content: bytes, content_type: str) -> Any:
    if not content:
        return None
    if "json" in content_type:
        try:
            return redact(parse_json(content))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return redact(dict(parse_qsl(content.decode(errors="replace"))))
    text = content.decode(errors="replace")
    return text if len(text) <= 2000 else text[:2000] + "…"


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, secrets redacted, as the timeline shows it."""

    method: str
    url: str
    status: int | None
    request_body: Any
    response_body: Any
    elapsed: float
    tenant: str | None
    error: str | None = None


Recorder = Callable[[Exchange], None]


class Authorizer(Protocol):
    """Supplies the Authorization header and gets one chance to repair it after a 401."""

    def authorization(self) -> str: ...

    def unauthorized(self, used: str) -> bool:
        """The tool refused `used`; return True when a fresh credential is worth one more try."""
        ...


# --- the per-tenant budget ------------------------------------------------------------------------


@dataclass(frozen=True)
class RateHeaders:
    """The response headers in which a tool says how many calls remain (None: it does not say)."""

    minute: str | None = None
    day: str | None = None
    app_minute: str | None = None
    problem: str | None = None


APP = "*"


@dataclass
class _Window:
    calls: deque[float] = field(default_factory=deque)
    minute_left: int | None = None
    seen_at: float = 0.0
    #: When the tool said no calls remain: the moment the oldest call it counted leaves its minute.
    frees_at: float = 0.0
    hold_until: float = 0.0
    slots: threading.BoundedSemaphore | None = None


#: Seconds our per-minute window outlasts the tool's (see `RateBudget._wait`).
MARGIN = 0.25
WINDOW = 60.0 + MARGIN


class RateBudget:
    """Paces calls per tenant: never more than `per_minute` in any 60 s, at most `concurrency` at once,
    no call while the tool's own count says none remain (`reserve` kept spare for other workers), and
    none before a Retry-After has passed. A wait longer than `max_wait` is not slept: it is raised as
    `TransientError(retry_after=...)` for the engine to reschedule.
    """

    def __init__(
        self,
        per_minute: int | None,
        concurrency: int = 1,
        *,
        headers: RateHeaders | None = None,
        clock: Clock | None = None,
        reserve: int = 0,
        max_wait: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self.concurrency = max(1, concurrency)
        self.headers = headers or RateHeaders()
        self.clock = clock or Clock()
        self.reserve = reserve
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(
                slots=threading.BoundedSemaphore(self.concurrency)
            )
        return window

    def wait_for(self, key: str) -> float:
        """Seconds until a call to `key` is allowed (0 when it may go now)."""
        with self._lock:
            now = self.clock.now()
            own = self._wait(self._window(key), now, self.per_minute)
            return max(own, self._wait(self._window(APP), now, None))

    def _wait(self, window: _Window, now: float, per_minute: int | None) -> float:
        # A call leaves the tool's minute a little after ours says so: the tool stamps it on arrival
        # and rounds its own way, so our window runs MARGIN longer than 60 s.
        while window.calls and window.calls[0] + WINDOW < now:
            window.calls.popleft()
        wait = window.hold_until - now
        if per_minute and len(window.calls) >= per_minute:
            wait = max(wait, window.calls[len(window.calls) - per_minute] + WINDOW - now)
        if window.minute_left is not None and window.minute_left <= self.reserve:
            # The tool counts calls we cannot see (other workers). Wait until the oldest call it
            # counted leaves its minute, fixed when the header was read: one slot frees then, and the
            # next answer's header says how many are left.
            if now >= window.frees_at:
                window.minute_left = None
            else:
                wait = max(wait, window.frees_at - now)
        return max(0.0, wait)

    @contextmanager
    def slot(self, key: str) -> Iterator[None]:
        """Hold one of the tenant's concurrent slots, after waiting for its budget."""
        window = self._window(key)
        assert window.slots is not None
        window.slots.acquire()
        try:
            while True:
                wait = self.wait_for(key)
                if wait <= 0:
                    break
                if (
                    wait > self.max_wait + MARGIN
                ):  # a full minute of our own window is still waited out
                    raise TransientError(
                        f"the rate limit for this tenant allows the next call in {wait:.0f} s",
                        retry_after=wait,
                    )
                self.clock.sleep(wait)
            with self._lock:
                self._window(key).calls.append(self.clock.now())
                self._window(APP).calls.append(self.clock.now())
            yield
        finally:
            window.slots.release()

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Read the tool's remaining-calls headers from a response."""
        now = self.clock.now()
        with self._lock:
            for name, target in ((self.headers.minute, key), (self.headers.app_minute, APP)):
                value = _int(headers.get(name)) if name else None
                if value is not None:
                    window = self._window(target)
                    window.minute_left, window.seen_at = value, now
                    recent = [t for t in window.calls if t > now - 60.0]
                    window.frees_at = (recent[0] if recent else now) + 60.0

    def hold(self, key: str, seconds: float) -> None:
        """The tool said Retry-After: no call to `key` before it has passed."""
        with self._lock:
            window = self._window(key)
            window.hold_until = max(window.hold_until, self.clock.now() + max(0.0, seconds))
            window.minute_left = None  # the hold replaces what the headers said


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after(value: str | None, clock: Clock) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - clock.utcnow()).total_seconds())


# --- the client -----------------------------------------------------------------------------------

#: Failures where the request never reached the tool.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
#: Failures after the request (or part of it) was sent: a write may have been applied.
_AFTER_SEND = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class HttpClient:
    """httpx with the protocol's error mapping, rate budget, bounded retries and exchange recording.

    Retries happen here only when repeating is harmless: reads, and writes that carry an
    Idempotency-Key (the tool replays its first answer). A wait longer than the budget's `max_wait`
    is handed to the engine as `TransientError(retry_after)` instead of being slept.
    """

    def __init__(
        self,
        *,
        tool: str,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = 30.0,
        budget: RateBudget | None = None,
        recorder: Recorder | None = None,
        clock: Clock | None = None,
        retries: int = 2,
        backoff: float = 1.0,
        user_agent: str = "booksync",
    ) -> None:
        self.tool = tool
        self.clock = clock or (budget.clock if budget else Clock())
        self.budget = budget
        self.recorder = recorder
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Authorizer | None = None,
        tenant: str | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send one request; return the response for 2xx and 4xx other than 401/403/429 (the caller
        reads validation errors and 404s), raise the protocol's errors for everything else.

        `idempotent` marks a write the tool deduplicates by a key sent elsewhere than an
        Idempotency-Key header (QuickBooks' `requestid` query parameter): it may be repeated too."""
        method = method.upper()
        sent_headers = dict(headers or {})
        write = method not in SAFE_METHODS
        repeatable = (
            not write or idempotent or any(k.lower() == "idempotency-key" for k in sent_headers)
        )
        content = dumps(json_body).encode() if json_body is not None else None
        if content is not None:
            sent_headers["Content-Type"] = "application/json"
        attempt, reauthorised = 0, False
        while True:
            attempt += 1
            used = auth.authorization() if auth else None
            if used:
                sent_headers["Authorization"] = used
            request = self._http.build_request(
                method, url, params=params, content=content, data=form, headers=sent_headers
            )
            response, error = self._send(request, tenant)
            if error is not None:
                last = attempt > self.retries or not repeatable
                if isinstance(error, _NOT_SENT):
                    message = f"could not reach {self.tool}: {_describe(error)}"
                    if last:
                        raise TransientError(message) from error
                elif write and last:
                    raise OutcomeUnknown(
                        f"{self.tool} did not answer ({_describe(error)}); the change may or may not "
                        "have been applied"
                    ) from error
                elif last:
                    raise TransientError(
                        f"{self.tool} did not answer: {_describe(error)}"
                    ) from error
                self.clock.sleep(self._delay(attempt))
                continue
            assert response is not None
            status = response.status_code
            if status == 401:
                if auth is not None and used is not None and not reauthorised:
                    reauthorised = True
                    if auth.unauthorized(used):
                        attempt -= 1
                        continue
                raise AuthError(f"{self.tool} refused the connection: {problem_detail(response)}")
            if status == 403:
                raise AuthError(
                    f"{self.tool} refused access to this tenant: {problem_detail(response)}",
                    revoked=True,
                )
            if status == 429:
                wait = retry_after(response.headers.get("Retry-After"), self.clock)
                if self.budget is not None and tenant is not None:
                    self.budget.hold(tenant, wait if wait is not None else 60.0)
                limit = self._problem(response)
                max_wait = self.budget.max_wait if self.budget else 60.0
                if attempt <= self.retries and wait is not None and wait <= max_wait:
                    if self.budget is None or tenant is None:
                        self.clock.sleep(wait)
                    continue
                raise TransientError(
                    f"{self.tool} rate limit reached{limit}; retry after {wait or 60:.0f} s",
                    retry_after=wait if wait is not None else 60.0,
                )
            if status >= 500:
                message = f"{self.tool} answered {status} {response.reason_phrase}".rstrip()
                if write and status != 503:
                    raise OutcomeUnknown(f"{message}; the change may or may not have been applied")
                if attempt <= self.retries and repeatable:
                    self.clock.sleep(
                        retry_after(response.headers.get("Retry-After"), self.clock)
                        or self._delay(attempt)
                    )
                    continue
                raise TransientError(
                    message,
                    retry_after=retry_after(response.headers.get("Retry-After"), self.clock),
                )
            return response

    def _send(
        self, request: httpx.Request, tenant: str | None
    ) -> tuple[httpx.Response | None, httpx.HTTPError | None]:
        started = time.monotonic()
        response: httpx.Response | None = None
        error: httpx.HTTPError | None = None
        guard = self.budget.slot(tenant) if self.budget and tenant else _no_slot()
        with guard:
            try:
                response = self._http.send(request)
                response.read()
            except (httpx.TimeoutException, httpx.NetworkError, httpx.ProtocolError) as exc:
                error = exc
            except httpx.HTTPError as exc:
                raise ConnectorError(f"{self.tool} request failed: {_describe(exc)}") from exc
        if response is not None and self.budget is not None and tenant is not None:
            self.budget.observe(tenant, response.headers)
        if self.recorder is not None:
            self.recorder(
                Exchange(
                    method=request.method,
                    url=str(request.url),
                    status=response.status_code if response is not None else None,
                    request_body=_body_of(request.content, request.headers.get("content-type", "")),
                    response_body=(
                        _body_of(response.content, response.headers.get("content-type", ""))
                        if response is not None
                        else None
                    ),
                    elapsed=time.monotonic() - started,
                    tenant=tenant,
                    error=_describe(error) if error is not None else None,
                )
            )
        return response, error

    def _delay(self, attempt: int) -> float:
        return float(min(self.backoff * (2 ** (attempt - 1)), 30.0))

    def _problem(self, response: httpx.Response) -> str:
        name = self.budget.headers.problem if self.budget else None
        which = response.headers.get(name) if name else None
        return f" (per-{which.lower()} limit)" if which else ""


@contextmanager
def _no_slot() -> Iterator[None]:
    yield


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def dumps(value: Any) -> str:
    """JSON text with Decimals written exactly as numbers (`12.50`, never via float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as a JSON number")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not sent: amounts must be Decimal")
    return json.dumps(value)


def problem_detail(response: httpx.Response) -> str:
    """The reason a tool gave, from the usual error shapes (problem+json, OAuth, Xero, QBO Fault)."""
    try:
        body = parse_json(response.content)
    except ValueError:
        text = response.text.strip()
        return text[:300] or f"{response.status_code} {response.reason_phrase}"
    if isinstance(body, dict):
        for key in (
            "Detail",
            "detail",
            "error_description",
            "Message",
            "message",
            "Title",
            "error",
        ):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        # QuickBooks: {"Fault": {"Error": [...]}}, and on 401s {"fault": {"error": [...]}}.
        fault = body.get("Fault") or body.get("fault")
        errors = (fault.get("Error") or fault.get("error")) if isinstance(fault, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(
                first.get("Detail")
                or first.get("detail")
                or first.get("Message")
                or first.get("message")
            )
    return f"{response.status_code} {response.reason_phrase}"
