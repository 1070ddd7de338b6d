"""Polling from a watermark (advanced only after a clean pass) and payments written once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.errors import BadInput
from booksync.services.inbound import pull, push_payments, record_payment
from booksync.services.inbound.polling import OVERLAP
from booksync.store.db import Store
from booksync.store.models import Payment, RemoteState, Watermark
from services.two_way_support import PayingTool, at, synced_books


class Feed(PayingTool):
    """Counts what the feed is asked, and can fail part-way through once."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[datetime | None] = []
        self.fail_after: int | None = None

    def changes(
        self, tenant: str, entities: Sequence[EntityType], since: datetime | None
    ) -> Iterator[Any]:
        self.asked.append(since)
        for n, state in enumerate(super().changes(tenant, entities, since)):
            if self.fail_after is not None and n >= self.fail_after:
                self.fail_after = None
                raise ConnectionError("the feed broke off")
            yield state


def watermark(store: Store) -> Watermark | None:
    with store.session() as s:
        return s.scalars(select(Watermark)).first()


def test_the_watermark_moves_only_after_a_clean_pass(store: Store) -> None:
    tool = Feed()
    invoices = synced_books(store, tool)
    first = pull(store.session, connectors=lambda t: tool, now=at(9))
    assert tool.asked == [None] and first.clean
    assert first.tenants[0].states >= len(invoices)
    mark = watermark(store)
    assert mark is not None and mark.position == at(9)

    tool.pay(invoices["INV-1000"], Decimal("1.00"), payment_id="p-1")
    tool.pay(invoices["INV-1001"], Decimal("1.00"), payment_id="p-2")
    tool.fail_after = 1
    broken = pull(store.session, connectors=lambda t: tool, now=at(10))
    assert not broken.clean and "the feed broke off" in (broken.tenants[0].error or "")
    mark = watermark(store)
    assert mark is not None and mark.position == at(9)  # left where it was
    assert "failed" in (mark.last_result or "")

    again = pull(store.session, connectors=lambda t: tool, now=at(11))
    assert again.clean and tool.asked[-1] == at(9) - OVERLAP
    mark = watermark(store)
    assert mark is not None and mark.position == at(11)
    with store.session() as s:
        statuses = dict(s.execute(select(RemoteState.remote_id, RemoteState.status)).all())
        assert statuses[invoices["INV-1000"]] == "part_paid"
        assert statuses[invoices["INV-1001"]] == "part_paid"
        assert sorted(s.scalars(select(Payment.remote_id))) == ["p-1", "p-2"]


def test_a_watermark_older_than_the_feed_window_reads_everything(store: Store) -> None:
    tool = Feed()
    synced_books(store, tool)
    tool.feed_window_days = 30  # type: ignore[misc]
    pull(store.session, connectors=lambda t: tool, now=at(9))
    report = pull(store.session, connectors=lambda t: tool, now=at(9) + timedelta(days=31))
    assert tool.asked == [None, None]
    assert "30-day window" in (report.tenants[0].note or "")


# --- payments recorded in booksync ---------------------------------------------------------------


def test_a_payment_is_written_once_across_a_lost_answer(store: Store) -> None:
    tool = PayingTool()
    invoices = synced_books(store, tool)
    with store.session() as s:
        payment = record_payment(s, "INV-1000", "4.50", "2026-11-03", "090", "EFT 77")
        pid = payment.id
    tool.lose_answers = 1
    lost = push_payments(store.session, connectors=lambda t: tool)
    assert (lost.sent, lost.uncertain, tool.payment_writes) == (0, 1, 1)
    # Within the lease nobody writes it again (the first write may still be answering) ...
    assert push_payments(store.session, connectors=lambda t: tool).sent == 0
    # ... after it, the next attempt finds it in the tool instead of writing it again.
    later = push_payments(
        store.session,
        connectors=lambda t: tool,
        lease=timedelta(0),
        now=at(23) + timedelta(days=3650),
    )
    assert (later.found, later.sent, tool.payment_writes) == (1, 0, 1)
    with store.session() as s:
        row = s.get(Payment, pid)
        assert row is not None and (row.status, row.remote_id, row.uncertain) == (
            "sent",
            "pay-1",
            False,
        )
    assert push_payments(store.session, connectors=lambda t: tool, lease=timedelta(0)).sent == 0
    assert tool.payment_writes == 1 and len(tool.paid[invoices["INV-1000"]]) == 1


def test_a_payment_is_written_with_a_stable_key(store: Store) -> None:
    seen: list[str] = []

    class Keyed(PayingTool):
        def push_payment(self, tenant: str, payment: Any) -> Any:
            seen.append(payment.key)
            return super().push_payment(tenant, payment)

    tool = Keyed()
    synced_books(store, tool)
    with store.session() as s:
        pid = record_payment(s, "INV-1001", "2", "2026-11-03", "090").id
    assert push_payments(store.session, connectors=lambda t: tool).sent == 1
    assert seen == [f"booksync-payment-{pid}"]


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (("INV-1000", "0", "2026-11-03", "090"), "amount", "not more than zero"),
        (("INV-1000", "-3", "2026-11-03", "090"), "amount", "negative"),
        (("INV-1000", "abc", "2026-11-03", "090"), "amount", "not a number"),
        (("INV-1000", "1.001", "2026-11-03", "090"), "amount", "decimal places"),
        (("INV-1000", "5", "3 Nov", "090"), "date", "YYYY-MM-DD"),
        (("INV-1000", "5", "2026-11-03", " "), "account", "is required"),
        (("INV-1000", "999", "2026-11-03", "090"), "amount", "still due"),
        (("INV-404", "5", "2026-11-03", "090"), "invoice", "INV-404"),
    ],
)
def test_a_payment_the_tool_would_refuse_is_not_stored(
    store: Store, args: tuple[str, str, str, str], field: str, words: str
) -> None:
    tool = PayingTool()
    invoices = synced_books(store, tool)
    tool.pay(invoices["INV-1000"], Decimal("1.00"), payment_id="p-1")
    pull(store.session, connectors=lambda t: tool)  # the tool's amount due is known
    with pytest.raises(BadInput) as caught, store.session() as s:
        record_payment(s, *args)
    assert caught.value.field == field and words in str(caught.value)
    with store.session() as s:
        assert s.scalars(select(Payment).where(Payment.source == "booksync")).all() == []


def test_no_payment_on_an_invoice_voided_in_the_tool(store: Store) -> None:
    tool = PayingTool()
    invoices = synced_books(store, tool)
    tool.mark_voided(invoices["INV-1002"])
    pull(store.session, connectors=lambda t: tool)
    with pytest.raises(BadInput, match="is voided in the tool"), store.session() as s:
        record_payment(s, "INV-1002", "1", "2026-11-03", "090")
