"""The Notifications page (add, test-send, pause, remove; secrets never shown back) and the banner
every page shows while no worker has been seen for a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from booksync.secrets import KEY_ENV
from booksync.services import notifications
from booksync.store.db import Store
from booksync.store.models import Worker
from booksync.store.types import utcnow
from booksync.sync.workers import WorkerRegistry
from support.receivers import http_receiver
from web.html_support import parse
from web.web_support import WebClient

SLACK_PATH = "/services/T1/B2/verysecretpart"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


def test_a_webhook_added_from_the_page_shows_its_key_once_and_test_sends(web: WebClient) -> None:
    page = parse(web.page("/notifications"))
    assert page.unlabelled_controls() == [] and page.unnamed_buttons() == []
    with http_receiver() as receiver:
        added = web.post("/notifications/add/webhook", {"name": "ops", "url": receiver.url})
        assert added.status_code == 200
        shown = parse(added.text).by_id("signing-key")
        assert shown is not None
        key = shown.text.split()[-1]
        assert len(key) >= 40
        again = web.page("/notifications")
        assert key not in again and f"…{key[-4:]}" in again
        sent = web.post("/notifications/test", {"channel": "ops"})
        assert sent.status_code == 303
        assert parse(web.page("/notifications")).notices("success") == [
            "✓ Success: Test notification sent to 'ops'."
        ]
    [request] = receiver.requests
    assert request.headers["x-booksync-signature"] == notifications.sign(key, request.body)


def test_a_slack_url_is_never_shown_back_even_after_an_error(web: WebClient) -> None:
    web.page("/notifications")
    refused = web.post(
        "/notifications/add/slack", {"name": "", "url": "https://h.test" + SLACK_PATH}
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    assert page.notices("error") == [
        "name: '' is not a channel name; accepted: 1 to 100 printable characters"
    ]
    assert SLACK_PATH not in refused.text
    added = web.post(
        "/notifications/add/slack", {"name": "chat", "url": "https://h.test" + SLACK_PATH}
    )
    assert added.status_code == 303
    listing = web.page("/notifications")
    assert SLACK_PATH not in listing, listing
    assert "https://h.test/…part" in listing


def test_an_email_form_error_keeps_what_was_typed_but_the_password(web: WebClient) -> None:
    web.page("/notifications")
    refused = web.post(
        "/notifications/add/email",
        {
            "name": "finance",
            "to": "finance at example",
            "from": "booksync@example.com",
            "host": "smtp.example.com",
            "security": "starttls",
            "username": "mailer",
            "password": "hunter2-hunter2",
        },
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    assert "to: 'finance at example' is not an e-mail address" in page.notices("error")[0]
    to = page.by_id("email-to")
    assert to is not None and to.attrs["value"] == "finance at example"
    assert "hunter2-hunter2" not in refused.text


def test_a_channel_can_be_paused_and_removed(web: WebClient, store: Store) -> None:
    with store.session() as s:
        notifications.add_webhook(s, "ops", url="https://example.com/h", signing_key="k" * 32)
    web.page("/notifications")
    assert web.post("/notifications/enabled", {"channel": "ops", "enabled": "0"}).status_code == 303
    assert "(paused)" in web.page("/notifications")
    assert web.post("/notifications/delete", {"channel": "ops"}).status_code == 303
    page = parse(web.page("/notifications"))
    assert page.notices("success") == ["✓ Success: Channel 'ops' removed."]
    with store.session() as s:
        assert notifications.list_channels(s) == []


def _banner(web: WebClient, path: str = "/health") -> str | None:
    found = parse(web.page(path)).by_id("worker-banner")
    return " ".join(found.text.split()) if found is not None else None


def test_the_banner_shows_while_no_worker_has_been_seen_for_a_minute(
    web: WebClient, store: Store
) -> None:
    shown = _banner(web)
    assert shown is not None and shown.startswith("ℹ No worker is running: records sync only")
    assert "booksync serve --worker" in shown and "Last worker seen" not in shown
    registry = WorkerRegistry(store, "test-worker").start()
    try:
        assert _banner(web) is None and _banner(web, "/clients") is None
    finally:
        registry.stop()
    assert _banner(web) is not None  # it stopped cleanly: its row is gone
    with store.session() as s:
        s.add(
            Worker(
                name="died",
                host="h",
                pid=1,
                started_at=utcnow() - timedelta(hours=1),
                heartbeat_at=utcnow() - timedelta(minutes=2),
                jobs_held=0,
                concurrency=1,
            )
        )
    stale = _banner(web)
    assert stale is not None and "Last worker seen" in stale


def test_the_banner_is_not_shown_to_someone_not_signed_in(anonymous: WebClient) -> None:
    assert parse(anonymous.page("/sign-in")).by_id("worker-banner") is None
