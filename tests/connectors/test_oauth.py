"""The shared OAuth pieces: PKCE, the authorisation URL, the one-shot callback receiver."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booksync.connectors.oauth import (
    CallbackReceiver,
    OAuthApp,
    TokenSet,
    authorization_request,
    check_callback,
    pkce_pair,
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
