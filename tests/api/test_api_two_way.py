"""The webhook receiver (no API key: the signature authenticates) and the payments API."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from api_support import Api, problem
from booksync.secrets import KEY_ENV
from booksync.services.inbound import set_webhook_key
from booksync.store.db import Store
from booksync.store.models import InboundEvent
from services.two_way_support import (
    WEBHOOK_KEY,
    PayingTool,
    signed,
    synced_books,
    xero_body,
    xero_tenant,
)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())


def stored(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(InboundEvent.remote_id)))


def test_a_signed_webhook_needs_no_api_key_and_gets_an_empty_200(
    anonymous: Api, store: Store
) -> None:
    xero_tenant(store)
    with store.session() as s:
        set_webhook_key(s, "xero", WEBHOOK_KEY)
    body = xero_body(("INVOICE", "inv-1"))
    answer = anonymous.post("/api/v1/webhooks/xero", content=body, headers=signed(body))
    assert (answer.status_code, answer.content) == (200, b"")
    assert stored(store) == ["inv-1"]


def test_a_forged_webhook_is_401_and_nothing_is_stored(anonymous: Api, store: Store) -> None:
    xero_tenant(store)
    with store.session() as s:
        set_webhook_key(s, "xero", WEBHOOK_KEY)
    body = xero_body(("INVOICE", "inv-1"))
    forged = anonymous.post(
        "/api/v1/webhooks/xero", content=body, headers=signed(body, key="guessed")
    )
    unsigned = anonymous.post("/api/v1/webhooks/xero", content=body)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert stored(store) == []


def test_a_tool_that_sends_no_webhooks_is_404(anonymous: Api) -> None:
    assert anonymous.post("/api/v1/webhooks/ledger", content=b"{}").status_code == 404


def test_payments_are_recorded_and_listed_with_the_invoices_standing(
    api: Api, store: Store
) -> None:
    synced_books(store, PayingTool())
    made = api.ok(
        "POST",
        "/api/v1/payments",
        201,
        json={"invoice": "INV-1000", "amount": "2.50", "date": "2026-11-03", "account": "090"},
    )
    assert (made["amount"], made["source"], made["status"]) == ("2.50", "booksync", "pending")
    listed = api.ok("GET", "/api/v1/payments", params={"document": "INV-1000"})
    assert [p["id"] for p in listed["payments"]] == [made["id"]]
    assert listed["document"]["status"] is None  # nothing read back from the tool yet


def test_a_bad_payment_names_the_field(api: Api, store: Store) -> None:
    synced_books(store, PayingTool())
    answer = api.post(
        "/api/v1/payments",
        json={"invoice": "INV-1000", "amount": "-1", "date": "2026-11-03", "account": "090"},
    )
    assert answer.status_code == 422
    assert problem(answer)["loc"] == ["body", "amount"]
