"""`booksync notify add|list|remove|test`: secrets typed hidden or read from stdin, never flags,
never listed; a made signing key printed once, alone on stdout."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from booksync.secrets import KEY_ENV
from booksync.services.notifications import sign
from cli_support import invoke, ok, runner
from support.receivers import http_receiver, smtp_receiver

SLACK_PATH = "/services/T9/B9/cli-secret-path"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


def _with_stdin(db_url: str, text: str, *args: str) -> object:
    from booksync.cli import app

    return runner.invoke(app, ["--db", db_url, *args], input=text)


def test_a_webhook_key_is_printed_once_and_signs_the_test(db_url: str) -> None:
    with http_receiver() as receiver:
        added = ok(db_url, "notify", "add", "webhook", "ops", "--url", receiver.url)
        key = added.stdout.strip()
        assert len(key) >= 40 and "\n" not in key
        listed = ok(db_url, "notify", "list", "--json").stdout
        assert key not in listed and json.loads(listed)[0]["secret_hint"] == "…" + key[-4:]
        sent = ok(db_url, "notify", "test", "ops")
        assert "Test notification sent to 'ops'." in sent.stdout
    [request] = receiver.requests
    assert request.headers["x-booksync-signature"] == sign(key, request.body)


def test_a_slack_url_comes_from_stdin_and_is_never_listed(db_url: str) -> None:
    with http_receiver() as receiver:
        url = receiver.url + SLACK_PATH
        added = _with_stdin(db_url, url + "\n", "notify", "add", "slack", "chat", "--secret-stdin")
        assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
        assert SLACK_PATH not in added.output  # type: ignore[attr-defined]
        table = ok(db_url, "notify", "list").stdout
        assert "chat" in table and SLACK_PATH not in table
        ok(db_url, "notify", "test", "chat")
    assert [r.path for r in receiver.requests] == [SLACK_PATH]


def test_an_smtp_channel_with_a_password_from_stdin_sends_its_test(db_url: str) -> None:
    with smtp_receiver(credentials=("mailer", "smtp pass phrase")) as smtp:
        added = _with_stdin(
            db_url,
            "smtp pass phrase\n",
            "notify", "add", "email", "finance", "--to", "finance@example.com",
            "--from", "booksync@example.com", "--host", smtp.host, "--port", str(smtp.port),
            "--security", "none", "--username", "mailer", "--secret-stdin",
        )  # fmt: skip
        assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
        ok(db_url, "notify", "test", "finance")
    assert smtp.logins == [("mailer", "smtp pass phrase")]
    assert smtp.messages[0]["Subject"] == "booksync: test notification"


def test_a_failed_test_send_exits_1_and_bad_input_exits_2(db_url: str) -> None:
    with http_receiver() as receiver:
        receiver.status = 404
        ok(db_url, "notify", "add", "webhook", "ops", "--url", receiver.url)
        failed = invoke(db_url, "notify", "test", "ops")
    assert failed.exit_code == 1 and "answered HTTP 404" in failed.output
    bad = invoke(db_url, "notify", "add", "webhook", "w", "--url", "ftp://nowhere")
    assert bad.exit_code == 2 and "url: 'ftp://nowhere' is not an http(s) URL" in bad.output
    missing = invoke(db_url, "notify", "remove", "nope")
    assert missing.exit_code == 2 and "'ops'" in missing.output
    assert "Channel 'ops' removed." in ok(db_url, "notify", "remove", "ops").stdout
