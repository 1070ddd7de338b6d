"""Verification after every push: what the tool booked against what booksync computed.

A tool that books a different total, tax, line count, contact or currency is never silent: the
job keeps both figures (`sync_jobs.verification`), the timeline says it, the log warns, and the
pass reports it to the person watching.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.connectors.protocol import Booked, DocumentPayload
from booksync.domain.types import EntityType
from booksync.services.doctor import diagnose
from booksync.services.records import DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import SyncEvent, SyncJob
from booksync.sync.engine import Engine
from booksync.sync.verification import describe, differences
from booksync_emulators.recording import RecordingTool
from support.books import ready_books

E = EntityType
D = Decimal


def engine_for(store: Store, tool: RecordingTool) -> Engine:
    return Engine(store, lambda tenant: tool, clock=VirtualClock())  # type: ignore[arg-type]


def per_gb(store: Store, number: str = "INV-1000") -> None:
    """Per-GB billing: 1,000 GB at 0.0125 is 12.50, 13.75 with GST."""
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(
            s,
            number,
            {"lines": [{"product": "Product 000", "quantity": "1000", "unit_price": "0.0125"}]},
        )


def verification(store: Store, number: str = "INV-1000") -> object:
    with store.session() as s:
        invoice = DOCUMENTS[E.INVOICE].get(s, number)
        return s.scalars(
            select(SyncJob.verification).where(
                SyncJob.entity_type == "invoice", SyncJob.record_id == invoice.id
            )
        ).one()


def events(store: Store, kind: str) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(SyncEvent.message).where(SyncEvent.kind == kind)))


def test_what_the_tool_booked_as_computed_leaves_nothing_to_report(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=2, invoices=3)
    per_gb(store)
    result = engine_for(store, tool).run_pass()
    assert result.count("synced") == 2 + 1 + 2 + 3 and result.mismatched == 0
    with store.session() as s:
        assert set(s.scalars(select(SyncJob.verification))) == {None}
    assert events(store, "mismatch") == []
    assert not [n for n in result.notices if n.level == "warning"]


def test_a_tool_that_books_four_place_prices_at_two_is_caught_with_both_figures(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    # Xero without unitdp=4 books 1,000 x 0.0125 as 1,000 x 0.01: 11.00 instead of 13.75.
    tool = RecordingTool(price_places=2)
    ready_books(store, tool, clients=1, products=1, invoices=2)
    per_gb(store)
    with caplog.at_level(logging.WARNING, logger="booksync.sync"):
        result = engine_for(store, tool).run_pass()
    assert verification(store) == [
        {"field": "total", "booksync": "13.75", "tool": "11.00"},
        {"field": "tax", "booksync": "1.25", "tool": "1.00"},
    ]
    assert verification(store, "INV-1001") is None  # whole-cent prices book the same
    assert result.count("synced") == 5 and result.mismatched == 1  # synced, and said so
    [warning] = [n for n in result.notices if n.level == "warning"]
    assert "Invoice INV-1000" in warning.text and "total booksync 13.75, tool 11.00" in warning.text
    assert warning.fix == "booksync doctor invoice 'INV-1000'"
    [event] = events(store, "mismatch")
    assert "tax booksync 1.25, tool 1.00" in event
    assert any("13.75" in r.getMessage() and "11.00" in r.getMessage() for r in caplog.records)
    with store.session() as s:  # the doctor shows it with both figures: tool.totals_match
        checks = {c.rule.id: c for c in diagnose(s, "invoice", "INV-1000").checks()}
        found = checks["tool.totals_match"]
        assert found.status.value == "blocked"
        assert "13.75" in found.detail and "11.00" in found.detail
        assert checks["tool.accepted"].status.value == "ok"


def test_a_push_booked_right_afterwards_clears_the_difference(store: Store) -> None:
    tool = RecordingTool(price_places=2)
    ready_books(store, tool, clients=1, products=1, invoices=1)
    per_gb(store)
    engine = engine_for(store, tool)
    engine.run_pass()
    assert verification(store) is not None
    tool.price_places = None  # the tool now keeps four places (Xero with unitdp=4)
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(s, "INV-1000", {"reference": "edited"})
    assert engine.run_pass().mismatched == 0
    assert verification(store) is None


def test_contact_line_count_and_currency_are_compared_too(store: Store) -> None:
    def wrong(booked: Booked) -> Booked:
        return replace(booked, contact_remote_id="someone-else", line_count=1, currency="NZD")

    tool = RecordingTool(tamper=wrong)
    ready_books(store, tool, clients=1, products=2, invoices=1)
    engine_for(store, tool).run_pass()
    found = verification(store)
    assert isinstance(found, list)
    assert [d["field"] for d in found] == ["line_count", "contact", "currency"]
    assert found[0] == {"field": "line_count", "booksync": "2", "tool": "1"}
    assert found[1]["tool"] == "someone-else" and found[2] == {
        "field": "currency",
        "booksync": "AUD",
        "tool": "NZD",
    }


def test_an_answer_that_says_nothing_of_what_was_booked_verifies_nothing(store: Store) -> None:
    tool = RecordingTool(tamper=lambda booked: None)
    ready_books(store, tool, clients=1, products=1, invoices=1)
    result = engine_for(store, tool).run_pass()
    assert result.count("synced") == 4 and result.mismatched == 0
    assert verification(store) is None


def test_differences_compare_only_what_both_sides_say() -> None:
    payload = DocumentPayload(
        E.INVOICE, "INV-1", "c-1", "Acme", None, None, "AUD", "authorised", None, (),  # type: ignore[arg-type]
        tax_total=D("1.25"), total=D("13.75"),
    )  # fmt: skip
    assert differences(payload, None) is None
    assert differences(payload, Booked(total=D("13.7500"), tax=None)) is None
    found = differences(payload, Booked(total=D("11"), line_count=2))
    assert found == [
        {"field": "total", "booksync": "13.75", "tool": "11.00"},
        {"field": "line_count", "booksync": "0", "tool": "2"},
    ]
    assert describe(found) == "total booksync 13.75, tool 11.00; line count booksync 0, tool 2"
