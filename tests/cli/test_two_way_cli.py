"""`booksync integration webhook-key`, `booksync payments record|list` and `booksync pull`."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from booksync.cli import app
from booksync.cli._common import console
from booksync.secrets import KEY_ENV
from booksync.store.db import Store
from booksync.store.models import Integration
from cli_support import WIDTH, invoke, ok, runner
from services.two_way_support import PayingTool, synced_books


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


def test_webhook_key_is_read_from_stdin_stored_encrypted_and_never_printed(
    store: Store, db_url: str
) -> None:
    console.width = WIDTH
    result = runner.invoke(
        app, ["--db", db_url, "integration", "webhook-key", "xero"], input="s3cret-key\n"
    )
    assert result.exit_code == 0, result.output
    assert "/api/v1/webhooks/xero" in result.output and "s3cret-key" not in result.output
    with store.session() as s:
        blob = s.scalar(select(Integration.webhook_key).where(Integration.kind == "xero"))
    assert blob is not None and b"s3cret-key" not in blob


def test_webhook_key_for_a_tool_without_webhooks_is_refused(db_url: str) -> None:
    result = runner.invoke(
        app, ["--db", db_url, "integration", "webhook-key", "ledger"], input="k\n"
    )
    assert result.exit_code == 2 and "sends no webhooks" in result.output


def test_payments_record_then_list(store: Store, db_url: str) -> None:
    synced_books(store, PayingTool())
    args = ["--amount", "3.00", "--date", "2026-11-03", "--account", "090"]
    ok(db_url, "payments", "record", "INV-1001", *args, "--reference", "EFT 9")
    listed = json.loads(ok(db_url, "payments", "list", "--document", "INV-1001", "--json").stdout)
    assert [(p["document"], p["amount"], p["status"], p["reference"]) for p in listed] == [
        ("INV-1001", "3.00", "pending", "EFT 9")
    ]


def test_a_bad_amount_exits_2_naming_the_field(store: Store, db_url: str) -> None:
    synced_books(store, PayingTool())
    result = invoke(
        db_url, "payments", "record", "INV-1001", "--amount", "lots", "--date", "2026-11-03",
        "--account", "090",
    )  # fmt: skip
    assert result.exit_code == 2 and "amount: 'lots'" in result.output


def test_pull_with_no_connected_tenant_reads_nothing(db_url: str) -> None:
    done = json.loads(ok(db_url, "pull", "--json").stdout)
    assert done["polled"] == {"changes": 0, "payments": 0, "calls": 0, "tenants": []}
