"""/api/v1/notifications: channels added, listed without their secrets, test-sent and removed."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from api_support import Api
from booksync.secrets import KEY_ENV
from booksync.services.notifications import sign
from support.receivers import http_receiver


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


def test_a_webhook_gets_its_key_once_and_test_sends_signed(api: Api) -> None:
    with http_receiver() as receiver:
        made = api.post(
            "/api/v1/notifications", json={"kind": "webhook", "name": "ops", "url": receiver.url}
        )
        assert made.status_code == 201, made.text
        key = made.json()["signing_key"]
        listed = api.get("/api/v1/notifications").json()
        assert [c["name"] for c in listed] == ["ops"] and key not in str(listed)
        assert listed[0]["secret_hint"] == "…" + key[-4:]
        sent = api.post("/api/v1/notifications/ops/test")
        assert sent.json() == {"channel": "ops", "ok": True, "error": None}
    [request] = receiver.requests
    assert request.headers["x-booksync-signature"] == sign(key, request.body)
    assert api.delete("/api/v1/notifications/ops").status_code == 200
    assert api.get("/api/v1/notifications").json() == []


def test_bad_channels_answer_422_naming_the_field_and_unknown_ones_404(api: Api) -> None:
    slack = api.post(
        "/api/v1/notifications",
        json={"kind": "slack", "name": "chat", "url": "hooks.slack.test/SECRET-PART"},
    )
    assert slack.status_code == 422
    [problem] = slack.json()["detail"]
    assert problem["loc"] == ["body", "url"] and "SECRET-PART" not in slack.text
    email = api.post(
        "/api/v1/notifications",
        json={"kind": "email", "name": "m", "host": "smtp.test", "from": "a@b.test", "to": ["x"]},
    )
    assert email.status_code == 422 and email.json()["detail"][0]["loc"] == ["body", "to"]
    missing = api.post("/api/v1/notifications/nope/test")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "name"]


def test_channels_need_an_api_key(anonymous: Api) -> None:
    assert anonymous.get("/api/v1/notifications").status_code == 401
