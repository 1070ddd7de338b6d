"""The shared OAuth pieces: PKCE, the authorisation URL, the one-shot callback receiver, the code
exchange and refresh (Authlib, sent through booksync's HttpClient), and the token keeper's flow."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booksync.clock import VirtualClock
from booksync.connectors.http import Exchange, HttpClient
from booksync.connectors.oauth import (
    CallbackReceiver,
    OAuthApp,
    TokenKeeper,
    TokenSet,
    authorization_request,
    check_callback,
    exchange_code,
    pkce_pair,
    refresh,
    s256,
)
from booksync.connectors.protocol import AuthError, ConnectorError

APP = OAuthApp("client-1", "https://login.test/authorize", "https://id.test/token", ("a", "b"))


def test_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_verifiers_are_fresh_and_within_the_allowed_length() -> None:
    (v1, c1), (v2, _) = pkce_pair(), pkce_pair()
    assert v1 != v2
    assert 43 <= len(v1) <= 128
    assert c1 == s256(v1)


def test_authorization_url_carries_the_challenge_state_and_scopes() -> None:
    request = authorization_request(APP, "http://localhost:8765/callback")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "client-1",
        "redirect_uri": "http://localhost:8765/callback",
        "scope": "a b",
        "state": request.state,
        "code_challenge": s256(request.verifier),
        "code_challenge_method": "S256",
    }
    assert request.verifier not in repr(request)


def test_receiver_takes_exactly_one_callback_on_its_path() -> None:
    with CallbackReceiver("http://127.0.0.1:0/callback") as receiver:
        request = authorization_request(APP, receiver.redirect_uri)
        base = receiver.redirect_uri
        assert httpx.get(base.replace("/callback", "/favicon.ico")).status_code == 404
        first = httpx.get(base, params={"code": "c-1", "state": request.state})
        assert first.status_code == 200 and "connected" in first.text
        second = httpx.get(base, params={"code": "c-2", "state": request.state})
        assert second.status_code == 409
        assert check_callback(receiver.wait(1), request) == "c-1"


def test_receiver_reports_the_tools_error_and_a_missing_callback() -> None:
    with CallbackReceiver("http://localhost:0/cb") as receiver:
        request = authorization_request(APP, receiver.redirect_uri)
        httpx.get(receiver.redirect_uri, params={"error": "access_denied", "state": request.state})
        with pytest.raises(AuthError, match="access_denied"):
            check_callback(receiver.wait(1), request)
    with (
        CallbackReceiver("http://127.0.0.1:0/cb") as idle,
        pytest.raises(ConnectorError, match="no sign-in callback"),
    ):
        idle.wait(0.05)


def test_only_loopback_redirects_are_accepted() -> None:
    with pytest.raises(ConnectorError, match="accepted: http://localhost:PORT/PATH"):
        CallbackReceiver("https://example.com/callback")


def test_token_set_round_trips_and_reads_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tokens = TokenSet.from_response(
        {"access_token": "a", "refresh_token": "r", "expires_in": 1800}, now
    )
    assert TokenSet.from_dict(tokens.to_dict()) == tokens
    assert not tokens.expires_within(120, now)
    assert tokens.expires_within(120, now.replace(minute=29))
    with pytest.raises(ConnectorError, match="access_token"):
        TokenSet.from_response({"expires_in": 10}, now)


# --- the token endpoint, through Authlib and the HttpClient -------------------------------------------


class TokenEndpoint:
    """A token endpoint that issues numbered tokens; `rotate=False` answers without a refresh token."""

    def __init__(self, *, rotate: bool = True, refuse: bool = False) -> None:
        self.forms: list[dict[str, str]] = []
        self.auth: list[str | None] = []
        self.rotate = rotate
        self.refuse = refuse

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/token"
        self.forms.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        self.auth.append(request.headers.get("Authorization"))
        if self.refuse:
            return httpx.Response(400, json={"error": "invalid_grant"})
        n = len(self.forms)
        body = {"access_token": f"AT-{n}", "expires_in": 1800, "token_type": "bearer"}
        if self.rotate:
            body["refresh_token"] = f"RT-{n}"
        return httpx.Response(200, json=body)


def http_for(handler: httpx.MockTransport, clock: VirtualClock, **kwargs: object) -> HttpClient:
    return HttpClient(tool="Tool", transport=handler, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_code_exchange_sends_the_verifier_and_is_recorded_without_secrets() -> None:
    clock, endpoint, seen = VirtualClock(), TokenEndpoint(), list[Exchange]()
    http = http_for(httpx.MockTransport(endpoint), clock, recorder=seen.append)
    request = authorization_request(APP, "http://localhost:8765/callback")
    tokens = exchange_code(http, APP, request, "the-code", clock.utcnow())
    assert endpoint.forms == [
        {
            "grant_type": "authorization_code",
            "code": "the-code",
            "redirect_uri": "http://localhost:8765/callback",
            "code_verifier": request.verifier,
            "client_id": "client-1",  # a public (PKCE) app names itself in the form
        }
    ]
    assert endpoint.auth == [None]
    assert (tokens.access_token, tokens.refresh_token) == ("AT-1", "RT-1")
    assert tokens.expires_at == clock.utcnow() + timedelta(seconds=1800)
    assert [e.status for e in seen] == [200]
    shown = json.dumps([e.__dict__ for e in seen], default=str)
    for secret in ("the-code", request.verifier, "AT-1", "RT-1"):
        assert secret not in shown


def test_a_confidential_app_uses_basic_auth_and_a_refused_grant_means_connect_again() -> None:
    app = OAuthApp(
        "client-1", "https://login.test/authorize", "https://id.test/token", (), "s3cret"
    )
    endpoint = TokenEndpoint(refuse=True)
    http = http_for(httpx.MockTransport(endpoint), VirtualClock())
    with pytest.raises(
        AuthError, match="did not accept the authorisation.*connect the tenant"
    ) as e:
        refresh(http, app, "RT-0", datetime(2026, 1, 1, tzinfo=UTC))
    assert endpoint.forms == [{"grant_type": "refresh_token", "refresh_token": "RT-0"}]
    assert endpoint.auth == ["Basic " + base64.b64encode(b"client-1:s3cret").decode()]
    assert "RT-0" not in str(e.value) and "s3cret" not in str(e.value)


def test_a_tool_that_does_not_rotate_keeps_the_old_refresh_token() -> None:
    http = http_for(httpx.MockTransport(TokenEndpoint(rotate=False)), VirtualClock())
    tokens = refresh(http, APP, "RT-0", datetime(2026, 1, 1, tzinfo=UTC))
    assert (tokens.access_token, tokens.refresh_token) == ("AT-1", "RT-0")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"expires_in": "soon"}, "without an access_token"),
        ({"access_token": "AT-1", "expires_in": "1800.5"}, "could not be read"),
        ({"access_token": "AT-1", "expires_in": "soon"}, "expires_in='soon'"),
    ],
)
def test_an_unreadable_token_answer_is_a_connector_error(body: dict[str, str], reason: str) -> None:
    http = http_for(httpx.MockTransport(lambda r: httpx.Response(200, json=body)), VirtualClock())
    with pytest.raises(ConnectorError, match=reason) as caught:
        refresh(http, APP, "RT-0", datetime(2026, 1, 1, tzinfo=UTC))
    assert "AT-1" not in str(caught.value)


class Api:
    """An API that accepts only the newest access token the endpoint issued (none at first: the
    token booksync starts with was revoked)."""

    def __init__(self, endpoint: TokenEndpoint) -> None:
        self.endpoint = endpoint
        self.seen: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return self.endpoint(request)
        self.seen.append(request.headers.get("Authorization"))
        newest = f"Bearer AT-{len(self.endpoint.forms)}" if self.endpoint.forms else None
        if request.headers.get("Authorization") != newest:
            return httpx.Response(401, json={"Detail": "TokenExpired"})
        return httpx.Response(200, json={"ok": True})


def keeper_for(api: Api, clock: VirtualClock, **kwargs: object) -> TokenKeeper:
    tokens = TokenSet("AT-0", "RT-0", clock.utcnow() + timedelta(minutes=30))
    http = http_for(httpx.MockTransport(api), clock)
    return TokenKeeper(tokens, APP, http, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_the_keeper_is_an_httpx_auth_that_refreshes_once_after_a_401_and_persists_first() -> None:
    clock, saved = VirtualClock(), list[TokenSet]()
    api = Api(TokenEndpoint())
    keeper = keeper_for(api, clock, on_refreshed=saved.append)
    with httpx.Client(transport=httpx.MockTransport(api), auth=keeper) as plain:
        assert plain.get("https://api.test/things").status_code == 200
    assert api.seen == ["Bearer AT-0", "Bearer AT-1"]
    assert [t.refresh_token for t in saved] == ["RT-1"]  # handed over before it was used
    assert keeper.tokens.refresh_token == "RT-1" and keeper.refreshes == 1
    assert "AT-1" not in repr(keeper) and "RT-1" not in repr(keeper)


def test_the_keeper_refreshes_before_expiry_on_the_injected_clock() -> None:
    clock = VirtualClock()
    api = Api(TokenEndpoint())
    keeper = keeper_for(api, clock)
    assert keeper.authorization() == "Bearer AT-0"  # 30 minutes left: no refresh yet
    clock.sleep(29 * 60)  # inside the two-minute margin
    assert keeper.authorization() == "Bearer AT-1"
    assert api.endpoint.forms[-1] == {
        "grant_type": "refresh_token",
        "refresh_token": "RT-0",
        "client_id": "client-1",
    }


def test_the_keeper_takes_another_workers_refresh_instead_of_spending_the_old_token() -> None:
    clock = VirtualClock()
    api = Api(TokenEndpoint())
    theirs = TokenSet("AT-9", "RT-9", clock.utcnow() + timedelta(minutes=60))
    keeper = keeper_for(api, clock, reload=lambda: theirs)
    clock.sleep(29 * 60)
    assert keeper.authorization() == "Bearer AT-9"
    assert api.endpoint.forms == []


def test_recorded_token_refresh_shows_no_token() -> None:
    clock, seen = VirtualClock(), list[Exchange]()
    api = Api(TokenEndpoint())
    tokens = TokenSet("AT-0", "RT-0", clock.utcnow())
    http = http_for(httpx.MockTransport(api), clock, recorder=seen.append)
    keeper = TokenKeeper(tokens, APP, http, clock=clock)
    assert http.request("GET", "https://api.test/things", auth=keeper).status_code == 200
    assert [(e.method, e.status) for e in seen] == [("POST", 200), ("GET", 200)]
    shown = json.dumps([e.__dict__ for e in seen], default=str)
    assert "RT-0" not in shown and "RT-1" not in shown and "AT-1" not in shown
    assert isinstance(seen[0], Exchange)
