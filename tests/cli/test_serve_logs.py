"""`booksync serve`'s own log lines (uvicorn's start, stop and access log): a request's query string
is logged with its secrets masked, and with `--log-format json` every line is one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from support.serving import serving

pytestmark = pytest.mark.slow

SECRETS = ("bsk_TopSecret1", "Tok3n-Value")


def _request_with_secrets_in_the_query(url: str) -> None:
    answer = httpx.get(f"{url}/metrics", params={"api_key": SECRETS[0], "token": SECRETS[1]})
    assert answer.status_code == 401  # refused: a key goes in a header, never in the address


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_access_log_masks_a_key_or_token_put_in_the_query_string(
    log_format: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKSYNC_LOG_FORMAT", log_format)
    with serving(f"sqlite:///{tmp_path / 'booksync.db'}", "--no-worker", cwd=tmp_path) as served:
        _request_with_secrets_in_the_query(served.url)
    output = served.output
    assert not [s for s in SECRETS if s in output], output
    [access] = [line for line in output.splitlines() if "GET /metrics?" in line]
    assert "api_key=***&token=***" in access
    if log_format == "json":
        lines = [line for line in output.splitlines() if line.startswith("{")]
        entries = [json.loads(line) for line in lines]
        served_by = {e["logger"] for e in entries}
        assert {"uvicorn.access", "uvicorn.error"} <= served_by, output
        assert all("color_message" not in e for e in entries)
