"""The shared HTTP machinery: error mapping, pacing before a 429, Retry-After, refresh, redaction."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import httpx
import pytest

from booksync.connectors.http import (
    Exchange,
    HttpClient,
    RateBudget,
    RateHeaders,
    dumps,
    parse_json,
    redact,
    retry_after,
)
from booksync.connectors.protocol import AuthError, OutcomeUnknown, TransientError
from booksync.sync.pacing import VirtualClock

HEADERS = RateHeaders(minute="X-MinLimit-Remaining", problem="X-Rate-Limit-Problem")
URL = "https://tool.test/api/things"


def client(
    handler: httpx.MockTransport | None = None,
    *,
    clock: VirtualClock | None = None,
    budget: RateBudget | None = None,
    **kwargs: object,
) -> HttpClient:
    return HttpClient(
        tool="Tool",
        transport=handler,
        clock=clock or (budget.clock if budget else VirtualClock()),  # type: ignore[arg-type]
        budget=budget,
        **kwargs,  # type: ignore[arg-type]
    )


class LimitedTool:
    """A tool that allows `limit` calls in any 60 virtual seconds and says how many remain."""

    def __init__(self, clock: VirtualClock, limit: int = 5) -> None:
        self.clock = clock
        self.limit = limit
        self.calls: list[float] = []
        self.refused = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now()
        recent = [t for t in self.calls if t > now - 60]
        if len(recent) >= self.limit:
            self.refused += 1
            wait = recent[0] + 60 - now
            return httpx.Response(
                429, headers={"Retry-After": str(int(wait) + 1), "X-Rate-Limit-Problem": "minute"}
            )
        self.calls.append(now)
        left = self.limit - len(recent) - 1
        return httpx.Response(200, json={"ok": True}, headers={"X-MinLimit-Remaining": str(left)})


# --- pacing -----------------------------------------------------------------------------------------


def test_remaining_calls_header_makes_the_client_wait_instead_of_getting_a_429() -> None:
    clock = VirtualClock()
    tool = LimitedTool(clock, limit=5)
    # The budget itself would allow 100 a minute: only the tool's header can hold it back.
    http = client(
        httpx.MockTransport(tool), budget=RateBudget(100, 5, headers=HEADERS, clock=clock)
    )
    for _ in range(12):
        assert http.request("GET", URL, tenant="t1").status_code == 200
    assert tool.refused == 0
    assert len(tool.calls) == 12
    assert clock.now() >= 120  # three minutes' worth of calls: two full minutes were waited out


def test_own_per_minute_window_paces_a_tool_that_sends_no_headers() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now())
        return httpx.Response(200, json={})

    http = client(httpx.MockTransport(handler), budget=RateBudget(3, 1, clock=clock))
    for _ in range(4):
        http.request("GET", URL, tenant="t1")
    assert seen[:3] == [0.0, 0.0, 0.0]
    assert seen[3] >= 60.0


def test_budgets_are_per_tenant() -> None:
    clock = VirtualClock()
    http = client(
        httpx.MockTransport(lambda r: httpx.Response(200, json={})),
        budget=RateBudget(2, 1, clock=clock),
    )
    for tenant in ("a", "a", "b", "b"):
        http.request("GET", URL, tenant=tenant)
    assert clock.now() == 0.0


def test_a_wait_longer_than_max_wait_is_handed_back_as_transient() -> None:
    clock = VirtualClock()
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    budget = RateBudget(60, 1, clock=clock, max_wait=30)
    http = client(httpx.MockTransport(handler), budget=budget)
    budget.hold("t1", 3600)
    with pytest.raises(TransientError) as caught:
        http.request("GET", URL, tenant="t1")
    assert caught.value.retry_after == pytest.approx(3600)
    assert calls == []  # nothing was sent while the tool had asked us to wait


def test_concurrency_is_capped_per_tenant() -> None:
    active, peak = 0, 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return httpx.Response(200, json={})

    http = client(httpx.MockTransport(handler), budget=RateBudget(None, 2, clock=VirtualClock()))
    threads = [
        threading.Thread(target=http.request, args=("GET", URL), kwargs={"tenant": "t1"})
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


# --- 429 and Retry-After ------------------------------------------------------------------------------


def test_short_retry_after_is_honoured_then_the_call_succeeds() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now())
        if len(seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, json={"ok": True})

    http = client(httpx.MockTransport(handler), budget=RateBudget(60, 5, clock=clock))
    assert http.request("GET", URL, tenant="t1").json() == {"ok": True}
    assert seen[1] - seen[0] >= 7


def test_long_retry_after_raises_transient_with_it_and_names_the_limit() -> None:
    clock = VirtualClock()
    http = client(
        httpx.MockTransport(
            lambda r: httpx.Response(
                429, headers={"Retry-After": "5000", "X-Rate-Limit-Problem": "day"}
            )
        ),
        budget=RateBudget(60, 5, headers=HEADERS, clock=clock),
    )
    with pytest.raises(TransientError, match=r"per-day limit") as caught:
        http.request("POST", URL, json_body={}, tenant="t1")
    assert caught.value.retry_after == 5000
    # And the tenant stays held: the next call does not go out either.
    with pytest.raises(TransientError):
        http.request("GET", URL, tenant="t1")


def test_retry_after_as_an_http_date() -> None:
    clock = VirtualClock()
    when = "Thu, 01 Jan 2026 00:01:30 GMT"  # VirtualClock starts at 2026-01-01T00:00:00Z
    assert retry_after(when, clock) == 90
    assert retry_after("garbage", clock) is None


# --- failures and outcomes ----------------------------------------------------------------------------


def test_reads_are_retried_on_5xx_and_timeouts() -> None:
    answers: list[object] = [
        httpx.Response(502),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json={"ok": 1}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    http = client(httpx.MockTransport(handler))
    assert http.request("GET", URL).json() == {"ok": 1}


def test_backoff_between_attempts_is_slept_on_the_injected_clock() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now())
        return httpx.Response(502 if len(seen) < 3 else 200, json={})

    assert client(httpx.MockTransport(handler), clock=clock).request("GET", URL).status_code == 200
    assert seen == [0.0, 1.0, 3.0]  # 1 s, then 2 s: no real time was spent


def test_a_503s_retry_after_is_waited_before_the_next_attempt() -> None:
    clock = VirtualClock()
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now())
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "5"})
        return httpx.Response(200, json={})

    client(httpx.MockTransport(handler), clock=clock).request("GET", URL)
    assert seen == [0.0, 5.0]


def test_reads_give_up_with_transient_after_the_retries() -> None:
    http = client(httpx.MockTransport(lambda r: httpx.Response(503)), retries=1)
    with pytest.raises(TransientError, match="503"):
        http.request("GET", URL)


def test_a_write_without_an_answer_is_outcome_unknown() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    http = client(httpx.MockTransport(handler))
    with pytest.raises(OutcomeUnknown, match="may or may not"):
        http.request("POST", URL, json_body={"a": 1})


def test_a_write_that_got_a_500_is_outcome_unknown() -> None:
    http = client(httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(OutcomeUnknown):
        http.request("POST", URL, json_body={}, headers={"Idempotency-Key": "k"})


def test_a_write_that_never_left_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    http = client(httpx.MockTransport(handler))
    with pytest.raises(TransientError, match="could not reach Tool"):
        http.request("POST", URL, json_body={})


def test_an_idempotent_write_is_replayed_with_the_same_key_after_a_timeout() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"ok": True})

    http = client(httpx.MockTransport(handler))
    http.request("POST", URL, json_body={}, headers={"Idempotency-Key": "bs-1"})
    assert keys == ["bs-1", "bs-1"]


class Keeper:
    def __init__(self, fixes: bool) -> None:
        self.token = "old"
        self.fixes = fixes
        self.asked = 0

    def authorization(self) -> str:
        return f"Bearer {self.token}"

    def unauthorized(self, used: str) -> bool:
        self.asked += 1
        if self.fixes:
            self.token = "new"
        return self.fixes


def test_401_gets_one_refresh_and_retry() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer new":
            return httpx.Response(200, json={})
        return httpx.Response(401, json={"Detail": "TokenExpired: token expired at 01/01/2026"})

    keeper = Keeper(fixes=True)
    assert client(httpx.MockTransport(handler)).request("GET", URL, auth=keeper).status_code == 200
    assert keeper.asked == 1


def test_401_that_a_refresh_cannot_fix_is_an_auth_error_with_the_tools_reason() -> None:
    handler = httpx.MockTransport(
        lambda r: httpx.Response(401, json={"Detail": "AuthenticationUnsuccessful"})
    )
    with pytest.raises(AuthError, match="AuthenticationUnsuccessful"):
        client(handler).request("GET", URL, auth=Keeper(fixes=True))


def test_each_exchange_of_an_auth_flow_is_paced_and_recorded() -> None:
    clock, seen = VirtualClock(), list[Exchange]()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer new":
            return httpx.Response(200, json={})
        return httpx.Response(401, json={"Detail": "TokenExpired"})

    budget = RateBudget(1, 1, clock=clock)
    http = client(httpx.MockTransport(handler), budget=budget, recorder=seen.append)
    assert http.request("GET", URL, auth=Keeper(fixes=True), tenant="t1").status_code == 200
    assert [e.status for e in seen] == [401, 200]
    assert clock.now() >= 60  # the repeated request waited for its own place in the minute


def test_403_is_an_auth_error() -> None:
    handler = httpx.MockTransport(lambda r: httpx.Response(403, json={"Title": "Forbidden"}))
    with pytest.raises(AuthError, match="refused access"):
        client(handler).request("GET", URL)


def test_validation_answers_are_returned_to_the_caller() -> None:
    handler = httpx.MockTransport(lambda r: httpx.Response(400, json={"Message": "bad"}))
    assert client(handler).request("POST", URL, json_body={}).status_code == 400


# --- recording and encoding ---------------------------------------------------------------------------


def test_recorder_sees_bodies_with_secrets_redacted() -> None:
    exchanges: list[Exchange] = []
    handler = httpx.MockTransport(
        lambda r: httpx.Response(200, json={"access_token": "AT-SECRET", "expires_in": 1800})
    )
    http = client(handler, recorder=exchanges.append)
    http.request(
        "POST",
        URL,
        form={"grant_type": "authorization_code", "code": "CODE-SECRET", "code_verifier": "V"},
        headers={"Authorization": "Basic SECRET"},
    )
    http.request("POST", URL, json_body={"Items": [{"Code": "P-1"}]})
    shown = json.dumps([e.__dict__ for e in exchanges], default=str)
    for secret in ("AT-SECRET", "CODE-SECRET", "Basic SECRET"):
        assert secret not in shown
    assert exchanges[0].request_body["grant_type"] == "authorization_code"
    assert exchanges[1].request_body == {"Items": [{"Code": "P-1"}]}  # Xero's Code is not a secret


def test_redact_keeps_structure() -> None:
    assert redact({"a": [{"refresh_token": "x", "b": 1}]}) == {
        "a": [{"refresh_token": "***", "b": 1}]
    }


def test_decimals_are_sent_exactly_and_floats_refused() -> None:
    assert dumps({"UnitAmount": Decimal("12.50"), "Qty": Decimal("0.0001")}) == (
        '{"UnitAmount":12.50,"Qty":0.0001}'
    )
    assert parse_json(b'{"a": 0.1}') == {"a": Decimal("0.1")}
    with pytest.raises(TypeError):
        dumps({"x": 0.1})
