"""The RecordingTool's change feed and "in the tool" edits (issue 13): what a bookkeeper does
behind booksync's back (pay, part-pay, void, edit, delete, archive, merge) shows in
`changes_since`, and booksync's own pushes are logged as its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from booksync.domain.types import EntityType
from booksync_emulators.recording import RecordingTool

E = EntityType
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_payments_voids_and_edits_come_back_in_the_feed() -> None:
    clock = Clock()
    tool = RecordingTool(clock=clock)
    client = "c-1"
    tool.add_object("t1", E.CLIENT, client, "CL-1", {"name": "Acme", "number": "CL-1"})
    invoice = tool.add_document("t1", E.INVOICE, "INV-1", contact_remote_id=client,
                                total=Decimal("110.00"))  # fmt: skip
    other = tool.add_document("t1", E.INVOICE, "INV-2", contact_remote_id=client,
                              total=Decimal("50.00"))  # fmt: skip
    clock.now += timedelta(minutes=5)
    tool.mark_paid(invoice, Decimal("10.00"))
    part = tool.fetch("t1", E.INVOICE, [invoice])[invoice]
    assert (part["status"], part["amount_paid"], part["amount_due"]) == (
        "part_paid",
        "10.00",
        "100.00",
    )
    tool.mark_paid(invoice)
    tool.mark_voided(other)
    clock.now += timedelta(minutes=5)
    tool.edit(other, number="INV-2B")
    tool.mark_deleted(other)

    feed = tool.changes_since("t1", START + timedelta(minutes=1))
    assert [(c.remote_id, c.kind) for c in feed] == [
        (invoice, "part_paid"), (invoice, "paid"), (other, "voided"), (other, "edited"),
        (other, "deleted"),
    ]  # fmt: skip
    assert feed[1].fields["status"] == "paid" and feed[1].fields["amount_due"] == "0.00"
    later = tool.changes_since("t1", START + timedelta(minutes=10))
    assert [c.kind for c in later] == ["edited", "deleted"]
    assert tool.changes_since("t2", START) == []
    with pytest.raises(ValueError, match="at most the total"):
        tool.mark_paid(invoice, Decimal("1.00"))


def test_archive_and_merge_contacts() -> None:
    tool = RecordingTool(clock=Clock())
    for remote_id in ("a", "b"):
        tool.add_object("t1", E.CLIENT, remote_id, remote_id.upper(), {"name": remote_id})
    doc = tool.add_document("t1", E.INVOICE, "INV-9", contact_remote_id="a", total=Decimal("1"))
    tool.archive_contact("b")
    tool.merge_contacts("a", "b")
    kinds = [(c.remote_id, c.kind) for c in tool.changes_since("t1", START)]
    assert kinds == [("b", "archived"), (doc, "edited"), ("a", "merged")]
    assert tool.fetch("t1", E.INVOICE, [doc])[doc]["contact_remote_id"] == "b"
    assert tool.fetch("t1", E.CLIENT, ["a"])["a"]["merged_into"] == "b"
    assert tool.request_kinds().count("changes") == 1
    with pytest.raises(ValueError, match="timezone-aware"):
        tool.changes_since("t1", datetime(2026, 11, 2))  # noqa: DTZ001 - the point of the test


def test_the_tool_answers_booksyncs_two_way_protocols() -> None:
    from booksync.connectors.two_way import ChangeFeed, RemoteStatus, StateRead

    clock = Clock()
    tool = RecordingTool(clock=clock)
    assert isinstance(tool, StateRead) and isinstance(tool, ChangeFeed)
    doc = tool.add_document("t1", E.INVOICE, "INV-7", contact_remote_id=None, total=Decimal("20"))
    tool.mark_paid(doc, Decimal("5"))
    states = tool.states("t1", E.INVOICE, [doc, "gone"])
    assert (states[doc].status, states[doc].amount_due) == (RemoteStatus.PART_PAID, Decimal("15"))
    assert states["gone"].status is RemoteStatus.DELETED
    clock.now += timedelta(minutes=1)
    tool.mark_voided(doc)
    feed = list(tool.changes("t1", [E.INVOICE], START + timedelta(seconds=30)))
    assert [(s.remote_id, s.status, s.updated_at) for s in feed] == [
        (doc, RemoteStatus.VOIDED, START + timedelta(minutes=1))
    ]
