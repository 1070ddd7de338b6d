"""The HTTP machinery every cloud connector shares (Xero, QuickBooks, and the next tool).

One `HttpClient` over httpx turns a tool's answers into the protocol's errors, so the engine can tell
"retry later" (`TransientError`, with the tool's Retry-After) from "reconnect the tenant"
(`AuthError`) from "find out what happened" (`OutcomeUnknown`: a write that was sent and got no
answer). Each exchange waits for the tenant's `RateBudget` (budget.py) and is handed, redacted, to a
recorder for the sync timeline (wire.py). Credentials are an `httpx.Auth` flow (bearer.py); the
bounded in-request retries are tenacity's, sleeping on the injectable clock.

Everything that used to live here is still importable from here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import tenacity

from booksync import metrics
from booksync.clock import Clock
from booksync.connectors.bearer import Authorizer, BearerAuth, as_auth
from booksync.connectors.budget import (
    APP,
    MARGIN,
    WINDOW,
    RateBudget,
    RateHeaders,
    retry_after,
)
from booksync.connectors.protocol import AuthError, ConnectorError, OutcomeUnknown, TransientError
from booksync.connectors.wire import (
    REDACTED,
    SECRET_KEYS,
    Exchange,
    Recorder,
    body_of,
    describe,
    dumps,
    parse_json,
    problem_detail,
    redact,
)

__all__ = [
    "APP",
    "MARGIN",
    "REDACTED",
    "SAFE_METHODS",
    "SECRET_KEYS",
    "WINDOW",
    "Authorizer",
    "BearerAuth",
    "Exchange",
    "HttpClient",
    "RateBudget",
    "RateHeaders",
    "Recorder",
    "ThroughClient",
    "dumps",
    "parse_json",
    "problem_detail",
    "redact",
    "retry_after",
]

#: Methods that never change anything: safe to repeat after any failure.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Failures where the request never reached the tool.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
#: Longest pause between two attempts when the tool names none (seconds).
_MAX_BACKOFF = 30.0


class _Retry(Exception):
    """An attempt failed in a way worth repeating; `final` is what the caller gets when no attempt
    is left, `wait` the pause the tool asked for (None: exponential backoff)."""

    def __init__(self, final: ConnectorError, wait: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.wait = wait


class HttpClient:
    """httpx with the protocol's error mapping, rate budget, bounded retries and exchange recording.

    Retries happen here only when repeating is harmless: reads, and writes that carry an
    Idempotency-Key (the tool replays its first answer); a 429 is repeated for any call, since the
    tool applied nothing. A wait longer than the budget's `max_wait` is handed to the engine as
    `TransientError(retry_after)` instead of being slept.
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
        self.timeout = timeout
        self.user_agent = user_agent
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
        auth: httpx.Auth | Authorizer | None = None,
        tenant: str | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send one request; return the response for 2xx and 4xx other than 401/403/429 (the caller
        reads validation errors and 404s), raise the protocol's errors for everything else.

        `idempotent` marks a write the tool deduplicates by a key sent elsewhere than an
        Idempotency-Key header (QuickBooks' `requestid` query parameter): it may be repeated too."""
        sent_headers = dict(headers or {})
        content = dumps(json_body).encode() if json_body is not None else None
        if content is not None:
            sent_headers["Content-Type"] = "application/json"
        request = self._http.build_request(
            method.upper(), url, params=params, content=content, data=form, headers=sent_headers
        )
        return self.send(request, auth=auth, tenant=tenant, idempotent=idempotent)

    def send(
        self,
        request: httpx.Request,
        *,
        auth: httpx.Auth | Authorizer | None = None,
        tenant: str | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send an already built request with `request`'s error mapping, retries and recording
        (what `ThroughClient` forwards)."""
        write = request.method not in SAFE_METHODS
        repeatable = not write or idempotent or "idempotency-key" in request.headers
        retrying = tenacity.Retrying(
            sleep=self.clock.sleep,
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=self._pause,
            retry=tenacity.retry_if_exception_type(_Retry),
            reraise=True,
        )
        try:
            return retrying(self._attempt, request, as_auth(auth), tenant, write, repeatable)
        except _Retry as exhausted:
            raise exhausted.final from exhausted.__cause__

    def _pause(self, state: tenacity.RetryCallState) -> float:
        """The tool's Retry-After when it gave one, else exponential backoff (1 s, 2 s, … 30 s)."""
        failed = state.outcome.exception() if state.outcome else None
        if isinstance(failed, _Retry) and failed.wait is not None:
            return failed.wait
        return float(tenacity.wait_exponential(multiplier=self.backoff, max=_MAX_BACKOFF)(state))

    def _attempt(
        self,
        request: httpx.Request,
        auth: httpx.Auth | None,
        tenant: str | None,
        write: bool,
        repeatable: bool,
    ) -> httpx.Response:
        """One attempt: the answer, a final error, or `_Retry` when another attempt may help."""
        response, error = self._exchange(request, auth, tenant)
        if error is not None:
            raise self._unanswered(error, write, repeatable) from error
        assert response is not None
        status = response.status_code
        if status == 401:
            raise AuthError(f"{self.tool} refused the connection: {problem_detail(response)}")
        if status == 403:
            raise AuthError(
                f"{self.tool} refused access to this tenant: {problem_detail(response)}",
                revoked=True,
            )
        if status == 429:
            raise self._rate_limited(response, tenant)
        if status >= 500:
            message = f"{self.tool} answered {status} {response.reason_phrase}".rstrip()
            if write and status != 503:
                raise OutcomeUnknown(f"{message}; the change may or may not have been applied")
            hinted = retry_after(response.headers.get("Retry-After"), self.clock)
            final = TransientError(message, retry_after=hinted)
            raise _Retry(final, wait=hinted or None) if repeatable else final
        return response

    def _unanswered(self, error: httpx.HTTPError, write: bool, repeatable: bool) -> Exception:
        if isinstance(error, _NOT_SENT):
            final: ConnectorError = TransientError(
                f"could not reach {self.tool}: {describe(error)}"
            )
        elif write:
            final = OutcomeUnknown(
                f"{self.tool} did not answer ({describe(error)}); the change may or may not "
                "have been applied"
            )
        else:
            final = TransientError(f"{self.tool} did not answer: {describe(error)}")
        return _Retry(final) if repeatable else final

    def _rate_limited(self, response: httpx.Response, tenant: str | None) -> Exception:
        """A 429 applied nothing: wait for its Retry-After when that is short (the budget's hold
        does the waiting when there is one), otherwise hand the wait to the engine."""
        wait = retry_after(response.headers.get("Retry-After"), self.clock)
        name = self.budget.headers.problem if self.budget else None
        metrics.rate_limited(self.tool, response.headers.get(name) if name else None)
        held = False
        if self.budget is not None and tenant is not None:
            self.budget.hold(tenant, wait if wait is not None else 60.0)
            held = True
        final = TransientError(
            f"{self.tool} rate limit reached{self._problem(response)}; "
            f"retry after {wait or 60:.0f} s",
            retry_after=wait if wait is not None else 60.0,
        )
        max_wait = self.budget.max_wait if self.budget else 60.0
        if wait is not None and wait <= max_wait:
            return _Retry(final, wait=0.0 if held else wait)
        return final

    def _exchange(
        self, request: httpx.Request, auth: httpx.Auth | None, tenant: str | None
    ) -> tuple[httpx.Response | None, httpx.HTTPError | None]:
        """Drive the auth flow, sending (pacing, recording) each request it yields."""
        if auth is None:
            return self._send(request, tenant)
        flow = auth.sync_auth_flow(request)
        outgoing = next(flow)
        while True:
            response, error = self._send(outgoing, tenant)
            if response is None:
                flow.close()
                return None, error
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return response, None

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
                raise ConnectorError(f"{self.tool} request failed: {describe(exc)}") from exc
        if response is not None and self.budget is not None and tenant is not None:
            self.budget.observe(tenant, response.headers)
        if self.recorder is not None:
            self.recorder(
                Exchange(
                    method=request.method,
                    url=str(request.url),
                    status=response.status_code if response is not None else None,
                    request_body=body_of(request.content, request.headers.get("content-type", "")),
                    response_body=(
                        body_of(response.content, response.headers.get("content-type", ""))
                        if response is not None
                        else None
                    ),
                    elapsed=time.monotonic() - started,
                    tenant=tenant,
                    error=describe(error) if error is not None else None,
                )
            )
        return response, error

    def _problem(self, response: httpx.Response) -> str:
        name = self.budget.headers.problem if self.budget else None
        which = response.headers.get(name) if name else None
        return f" (per-{which.lower()} limit)" if which else ""


#: Headers that describe the bytes on the wire, not the decoded content handed on.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class ThroughClient(httpx.BaseTransport):
    """An httpx transport that sends through an `HttpClient`, so a library built on httpx (Authlib's
    OAuth client) gets the same error mapping, retries and redacted recording as booksync's calls."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.http.send(request)
        headers = [
            (k, v) for k, v in answer.headers.multi_items() if k.lower() not in _WIRE_HEADERS
        ]
        return httpx.Response(
            answer.status_code,
            headers=headers,
            content=answer.content,
            extensions={"reason_phrase": answer.reason_phrase.encode()},
        )


@contextmanager
def _no_slot() -> Iterator[None]:
    yield
