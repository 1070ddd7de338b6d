"""The one redactor of free text (log lines, error messages naming a URL)."""

from __future__ import annotations

import pytest

from booksync.redaction import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://booksync:S3cret@db/books", "postgresql://booksync:***@db/books"),
        ("redis://:S3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("GET /metrics?api_key=S3cret&token=S3cret", "GET /metrics?api_key=***&token=***"),
        ("Authorization: Bearer S3cret", "Authorization: Bearer ***"),
    ],
)
def test_a_secret_in_text_is_masked_and_the_rest_kept(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_a_url_without_a_password_is_left_as_it_is() -> None:
    assert redact("redis://127.0.0.1:6379/0 and https://example.com/a@b") == (
        "redis://127.0.0.1:6379/0 and https://example.com/a@b"
    )
