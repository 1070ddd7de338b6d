"""Notifications end to end: a real pass's failures reach a local SMTP server (aiosmtpd), a signed
webhook and a Slack-style receiver, one digest per pass; secrets stay sealed and out of messages."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.errors import BadInput, Conflict, NotFound
from booksync.secrets import KEY_ENV
from booksync.services import notifications
from booksync.store.db import Store
from booksync.store.models import NotificationChannel
from booksync.sync.report import Notice, PassResult
from booksync_emulators.recording import RecordingTool
from support.books import TENANT, ready_books
from support.receivers import free_port, http_receiver, smtp_receiver

SLACK_PATH = "/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, key)
    return key


def _engine(store: Store, tool: RecordingTool) -> notifications.NotifyingEngine:
    return notifications.NotifyingEngine(store, lambda tenant: tool, clock=VirtualClock())


def _rejecting_invoice(number: str) -> RecordingTool:
    return RecordingTool(
        reject=lambda item: (
            "Account code '200' is not a valid code" if item.reference == number else None
        )
    )


def test_a_pass_with_a_failed_record_emails_one_digest_with_the_fix(store: Store) -> None:
    tool = _rejecting_invoice("INV-1001")
    ready_books(store, tool, clients=1, products=1, invoices=2)
    with smtp_receiver(credentials=("booksync", "mail pass phrase")) as smtp:
        with store.session() as s:
            notifications.add_email(
                s,
                "finance",
                host=smtp.host,
                port=smtp.port,
                security="none",
                username="booksync",
                password="mail pass phrase",
                sender="booksync@example.com",
                to="finance@example.com, ops@example.com",
            )
        engine = _engine(store, tool)
        engine.run_pass()
        engine.run_pass()  # nothing new fails: nothing more is sent
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["Subject"] == "booksync: 1 record failed to sync"
    assert smtp.envelopes == [("booksync@example.com", ["finance@example.com", "ops@example.com"])]
    assert smtp.logins == [("booksync", "mail pass phrase")]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"- {TENANT}: 1 failed" in body
    assert "INV-1001" in body and "Account code '200' is not a valid code" in body
    with store.session() as s:
        [channel] = notifications.list_channels(s)
    assert channel.ok and channel.last_sent_at is not None


def test_a_disconnected_tenant_reaches_a_signed_webhook(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=0, invoices=0)
    tool.faults = ["auth"]
    with http_receiver() as receiver:
        with store.session() as s:
            _view, key = notifications.add_webhook(s, "ops", url=receiver.url + "/hook")
        assert key is not None and len(key) >= 40
        _engine(store, tool).run_pass()
    [sent] = receiver.requests
    signature = "sha256=" + hmac.new(key.encode(), sent.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent.headers[notifications.SIGNATURE_HEADER.lower()], signature)
    digest = sent.json()
    assert digest["event"] == "booksync.sync_pass"
    assert digest["subject"] == "booksync: 1 tenant disconnected"
    [problem] = digest["disconnected"]
    assert TENANT in problem["text"] and problem["fix"] == f"booksync tenant connect {TENANT!r}"


def test_a_slack_url_is_sealed_never_shown_and_gets_text(store: Store) -> None:
    with http_receiver() as receiver:
        url = receiver.url + SLACK_PATH
        with store.session() as s:
            view = notifications.add_slack(s, "chat", url=url)
            row = s.scalars(select(NotificationChannel)).one()
            assert row.secret is not None and SLACK_PATH.encode() not in row.secret
            assert SLACK_PATH not in str(row.settings)
        assert "secret" not in view.target and view.target.endswith("…XXXX")
        sent = notifications.send_test(store, "chat")
    assert sent.ok
    [request] = receiver.requests
    assert request.path == SLACK_PATH
    assert set(request.json()) == {"text"} and "test notification" in request.json()["text"]


def test_a_failing_channel_keeps_its_error_without_secrets_and_others_still_get_it(
    store: Store,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}{SLACK_PATH}"  # nothing listens there
    with http_receiver() as receiver:
        with store.session() as s:
            notifications.add_slack(s, "a-dead-chat", url=dead)
            notifications.add_webhook(s, "b-ops", url=receiver.url, signing_key="k" * 32)
        result = PassResult()
        result.tally[TENANT]["failed"] += 1
        result.notices.append(Notice("error", "Invoice INV-9 was rejected: no", "fix it"))
        deliveries = notifications.notify_pass(store, result)
    assert [d.channel for d in deliveries] == ["a-dead-chat", "b-ops"]
    assert not deliveries[0].ok and deliveries[1].ok and len(receiver.requests) == 1
    error = deliveries[0].error or ""
    assert "could not reach the 127.0.0.1 URL" in error and SLACK_PATH not in error
    with store.session() as s:
        shown = {c.name: c for c in notifications.list_channels(s)}
    assert shown["a-dead-chat"].last_error == error and shown["a-dead-chat"].ok is False
    assert shown["b-ops"].last_sent_at is not None


def test_a_webhook_answering_an_error_counts_as_failed(store: Store) -> None:
    with http_receiver() as receiver:
        receiver.status = 500
        with store.session() as s:
            notifications.add_webhook(s, "ops", url=receiver.url, signing_key="k" * 32)
        sent = notifications.send_test(store, "ops")
    assert sent.error == f"{receiver.url} answered HTTP 500, not 2xx"


def test_a_wrong_smtp_password_is_reported_without_the_password(store: Store) -> None:
    with smtp_receiver(credentials=("booksync", "right")) as smtp:
        with store.session() as s:
            notifications.add_email(
                s,
                "finance",
                host=smtp.host,
                port=smtp.port,
                security="none",
                username="booksync",
                password="the-wrong-one",
                sender="booksync@example.com",
                to="finance@example.com",
            )
        sent = notifications.send_test(store, "finance")
    assert not sent.ok and "refused the user name or password (535)" in (sent.error or "")
    assert "the-wrong-one" not in (sent.error or "") and smtp.messages == []


def test_a_pass_with_nothing_failed_tells_nobody() -> None:
    result = PassResult()
    result.tally[TENANT]["synced"] += 3
    result.notices.append(Notice("success", "Invoice INV-1 → Acme as 1"))
    assert notifications.digest_of(result) is None


def test_a_digest_lists_at_most_fifty_problems() -> None:
    result = PassResult()
    result.tally[TENANT]["failed"] += 60
    result.notices += [Notice("error", f"Invoice INV-{i} was rejected") for i in range(60)]
    digest = notifications.digest_of(result)
    assert digest is not None
    assert digest.subject == "booksync: 60 records failed to sync"
    assert "INV-49" in digest.text() and "INV-50" not in digest.text()
    assert "... and 10 more" in digest.text() and digest.to_json()["more"] == 10


@pytest.fixture
def channels(store: Store) -> Iterator[None]:
    with store.session() as s:
        notifications.add_webhook(s, "ops", url="https://example.com/hook", signing_key="k" * 32)
    yield


@pytest.mark.usefixtures("channels")
def test_bad_input_names_the_field_and_hides_secrets(store: Store) -> None:
    with store.session() as s:
        with pytest.raises(Conflict, match="name: 'ops' is already a channel"):
            notifications.add_slack(s, "ops", url="https://hooks.slack.com/x")
        with pytest.raises(BadInput) as slack:
            notifications.add_slack(s, "chat", url="hooks.slack.com/services/SECRET")
        assert "SECRET" not in str(slack.value) and "url: '(hidden)'" in str(slack.value)
        with pytest.raises(BadInput, match="url: 'ftp://x' is not an http"):
            notifications.add_webhook(s, "w", url="ftp://x")
        with pytest.raises(BadInput) as short:
            notifications.add_webhook(s, "w", url="https://x.test", signing_key="tiny-key")
        assert "tiny-key" not in str(short.value) and "16 characters" in str(short.value)
        with pytest.raises(BadInput, match="to: 'not-an-address' is not an e-mail address"):
            notifications.add_email(
                s, "m", host="smtp.test", sender="a@b.test", to="not-an-address"
            )
        with pytest.raises(BadInput, match="is not an e-mail address") as injected:
            notifications.add_email(
                s, "m", host="smtp.test", sender="a@b.test\nBcc: x@y.test", to="c@d.test"
            )
        assert injected.value.field == "from"
        with pytest.raises(BadInput, match="security: 'tls' is not a way to secure SMTP"):
            notifications.add_email(
                s, "m", host="smtp.test", sender="a@b.test", to="c@d.test", security="tls"
            )
        with pytest.raises(NotFound, match="channel: 'nope' is not a notification channel"):
            notifications.remove_channel(s, "nope")
