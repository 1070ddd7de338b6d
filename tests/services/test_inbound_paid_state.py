"""An invoice's status in its tool and the payments behind it are read as one (PostgreSQL).

A recording writes a state and its payments in one transaction, but on PostgreSQL each statement
of a reader's transaction sees what was committed when it started (READ COMMITTED). GET
/payments?document= reads the invoice's payments (`list_payments`) and then its status
(`standing`): a poll or a webhook that committed "paid" and its payment between the two answered
"paid" with no payment (seen in tests/e2e/test_two_way_xero.py). A reader now waits for a recording
of the document in flight, and a recording for a read in flight. SQLite needs none of it: every
transaction there takes the one write lock at BEGIN (`store.db._sqlite_begin`), reads included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from booksync.connectors.two_way import RemoteState
from booksync.domain.types import EntityType
from booksync.services.inbound import list_payments, record_states, standing
from booksync.services.inbound.payments import INVOICES
from booksync.store.db import Store
from booksync.store.models import Tenant
from services.two_way_support import TENANT, PayingTool, synced_books
from support.books import REMOTE_TENANT

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def until(what: str, probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def waiting_on_a_lock(store: Store) -> bool:
    """Whether a connection to the test's database waits for a lock another one holds."""
    with store.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def record(store: Store, state: RemoteState) -> None:
    """What a webhook's worker or a poll does with what it read: record it, commit."""
    with store.session() as s:
        tenant = s.scalars(select(Tenant).where(Tenant.name == TENANT)).one()
        record_states(s, tenant, [state], "webhook")


def read_as_the_api_does(store: Store, number: str, between: Callable[[], None]) -> dict[str, Any]:
    """GET /payments?document=NUMBER's reads, in its order, in one transaction; `between` runs
    after the payments are read and before the status is."""
    with store.session() as s:
        listed = [p.remote_id for _, p in list_payments(s, number)]
        between()
        shown = standing(s, INVOICES.get(s, number))
        return {
            "status": shown.status,
            "listed": listed,
            "payments": [p.remote_id for p in shown.payments],
        }


def paid_in_tool(store: Store, *, seen_before: bool) -> tuple[PayingTool, str, RemoteState]:
    """One synced invoice, paid in full in the tool: (tool, number, the state a read finds)."""
    tool = PayingTool()
    ((number, remote),) = synced_books(store, tool, invoices=1).items()
    (before,) = tool.states(REMOTE_TENANT, EntityType.INVOICE, [remote]).values()
    if seen_before:
        record(store, before)  # booksync's own push, back by webhook
    assert before.total is not None and before.total > Decimal(0)
    tool.pay(remote, before.total, payment_id="pay-1")
    (paid,) = tool.states(REMOTE_TENANT, EntityType.INVOICE, [remote]).values()
    assert paid.status.value == "paid" and [p.remote_id for p in paid.payments] == ["pay-1"]
    return tool, number, paid


def agrees(shown: dict[str, Any]) -> bool:
    """What one read showed holds together: "paid" with the payment that explains it, or the
    status from before (none yet, or what booksync's push left) with no payment."""
    return shown["listed"] == shown["payments"] and (
        (shown["status"] == "paid" and shown["listed"] == ["pay-1"])
        or (shown["status"] != "paid" and shown["listed"] == [])
    )


def then_paid(store: Store, number: str) -> None:
    with store.session() as s:
        after = standing(s, INVOICES.get(s, number))
        assert after.status == "paid"
        assert [p.remote_id for p in after.payments] == ["pay-1"]


@pytest.mark.parametrize("seen_before", [True, False], ids=["known", "first-seen"])
def test_paid_recorded_between_the_payments_and_the_status_is_not_read_half(
    store: Store, seen_before: bool
) -> None:
    _, number, paid = paid_in_tool(store, seen_before=seen_before)
    recording = threading.Thread(target=record, args=(store, paid))

    def poll_lands() -> None:
        recording.start()
        until(
            "the recording to commit or wait for the read",
            lambda: not recording.is_alive() or waiting_on_a_lock(store),
        )

    shown = read_as_the_api_does(store, number, poll_lands)
    recording.join(timeout=10)
    assert not recording.is_alive()

    assert agrees(shown), shown
    then_paid(store, number)


def test_a_read_while_paid_is_being_recorded_waits_for_it(store: Store) -> None:
    _, number, paid = paid_in_tool(store, seen_before=True)
    listed, go = threading.Event(), threading.Event()
    shown: dict[str, Any] = {}

    def read() -> None:
        def after_listing() -> None:
            listed.set()
            go.wait(timeout=10)

        shown.update(read_as_the_api_does(store, number, after_listing))

    reader = threading.Thread(target=read)
    with store.session() as s:
        tenant = s.scalars(select(Tenant).where(Tenant.name == TENANT)).one()
        record_states(s, tenant, [paid], "webhook")  # written, not committed yet
        reader.start()
        until(
            "the read to list the payments or wait for the recording",
            lambda: listed.is_set() or waiting_on_a_lock(store),
        )
    go.set()
    reader.join(timeout=10)
    assert not reader.is_alive()

    assert agrees(shown), shown
    assert shown["status"] == "paid"  # it waited for the recording, then read all of it
    then_paid(store, number)
