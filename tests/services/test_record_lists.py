"""The record lists' service: each record's sync state (the doctor's readiness joined with its job),
lists filtered by state, by a state in the tool (paid, drifted) or root cause, searched by number,
client and reference, sorted and paged; and what disabling an integration holds and leaves as it
was."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.integration_usage import integration_holdings
from booksync.services.record_bulk import queue_records
from booksync.services.record_list_query import PAGE_SIZES, ListQuery, parse_list_query
from booksync.services.record_lists import list_records
from booksync.services.record_states import SyncState, record_states, state_counts
from booksync.services.record_tool_states import ToolState, tool_state_counts
from booksync.services.records import configure_integration
from booksync.services.sync import run_pass
from booksync.store.db import Store
from booksync.store.models import Document, SyncJob
from services.record_lists_support import INVOICES, stuck_books, tool_facts

INVOICE = EntityType.INVOICE


@pytest.fixture
def books(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("BOOKSYNC_LEDGER_DIR", str(tmp_path / "ledgers"))
    stuck_books(store)
    return store


def _numbers(store: Store, query: ListQuery) -> list[str]:
    with store.session() as s:
        return [row.number for row, _ in list_records(s, INVOICE, query).rows]


def _states(store: Store, entity: EntityType) -> dict[str, str]:
    with store.session() as s:
        found = list_records(s, entity, ListQuery(page_size=200))
        return {row.reference: state.state.value for row, state in found.rows if state}


def test_before_the_first_pass_the_doctor_decides_and_after_it_the_jobs_do(books: Store) -> None:
    assert _states(books, INVOICE) == {
        "INV-1001": "blocked",  # its product's account code is not in the ledger's chart
        "INV-1002": "waiting",  # on its client, which the pass pushes first
        "INV-1003": "waiting",
    }
    assert _states(books, EntityType.CLIENT)["Nowhere Ltd"] == "blocked"
    run_pass(books)
    assert _states(books, INVOICE) == {
        "INV-1001": "blocked",
        "INV-1002": "synced",
        "INV-1003": "synced",
    }
    with books.session() as s:
        counts = state_counts(s)
    assert counts.totals == {SyncState.SYNCED: 5, SyncState.BLOCKED: 3}
    assert counts.by_tenant["Acme AU"] == {SyncState.SYNCED: 5, SyncState.BLOCKED: 2}


def test_a_failed_job_shows_as_failed_whatever_the_rules_say(books: Store) -> None:
    with books.session() as s:
        invoice_id = INVOICES.get(s, "INV-1002").id
        s.execute(
            SyncJob.__table__.update()
            .where(SyncJob.entity_type == "invoice", SyncJob.record_id == invoice_id)
            .values(status="dead", last_error="the tool said no")
        )
    assert _states(books, INVOICE)["INV-1002"] == "failed"
    assert _numbers(books, ListQuery(sync_state=SyncState.FAILED)) == ["INV-1002"]


def test_lists_filter_by_state_and_cause_and_search_number_client_and_reference(
    books: Store,
) -> None:
    assert _numbers(books, ListQuery(sync_state=SyncState.BLOCKED)) == ["INV-1001"]
    assert _numbers(books, ListQuery(sync_state=SyncState.WAITING, sort="-number")) == [
        "INV-1003",
        "INV-1002",
    ]
    with books.session() as s:
        (cause,) = record_states(s, (INVOICE,))[(INVOICE, INVOICES.get(s, "INV-1001").id)].causes
    assert cause.startswith("account_code.matches_tool:account_code:")
    assert _numbers(books, ListQuery(cause=cause)) == ["INV-1001"]
    assert _numbers(books, ListQuery(search="1002")) == ["INV-1002"]
    assert _numbers(books, ListQuery(search="BETA")) == ["INV-1002"]  # the client's name
    assert _numbers(books, ListQuery(search="po-77")) == ["INV-1003"]  # the reference
    assert _numbers(books, ListQuery(sort="-client")) == ["INV-1002", "INV-1001", "INV-1003"]
    assert _numbers(books, ListQuery(sort="-sync_state")) == ["INV-1001", "INV-1002", "INV-1003"]


def test_paid_and_drifted_are_facts_beside_the_sync_state(books: Store) -> None:
    run_pass(books)
    tool_facts(books)
    with books.session() as s:
        found = list_records(s, INVOICE, ListQuery())
        shown = {
            row.number: (state.state.value if state else None, found.tool_of(row.id))
            for row, state in found.rows
        }
    assert shown == {
        "INV-1001": ("blocked", ()),
        "INV-1002": ("synced", (ToolState.PAID,)),  # the older link's void and drift say nothing
        "INV-1003": ("synced", (ToolState.DRIFTED,)),
    }
    assert _numbers(books, ListQuery(tool_state=ToolState.PAID)) == ["INV-1002"]
    assert _numbers(books, ListQuery(tool_state=ToolState.DRIFTED)) == ["INV-1003"]
    assert _numbers(books, ListQuery(tool_state=ToolState.VOIDED)) == []
    # The two filters combine: both conditions hold.
    both = ListQuery(sync_state=SyncState.SYNCED, tool_state=ToolState.PAID)
    assert _numbers(books, both) == ["INV-1002"]
    assert _numbers(books, replace(both, sync_state=SyncState.BLOCKED)) == []
    with books.session() as s:
        drifted_clients = list_records(
            s, EntityType.CLIENT, ListQuery(tool_state=ToolState.DRIFTED)
        )
        assert drifted_clients.rows == []  # Acme's drift was left as it is
        assert tool_state_counts(s) == {INVOICE: {ToolState.PAID: 1, ToolState.DRIFTED: 1}}


def test_the_web_reads_a_tool_state_in_the_sync_state_filter_and_the_api_points_to_it() -> None:
    typed = parse_list_query(INVOICE, sync_state="Paid", strict=False)
    assert (typed.sync_state, typed.tool_state) == (None, ToolState.PAID)
    assert parse_list_query(INVOICE, tool_state="part paid").tool_state is ToolState.PART_PAID
    assert parse_list_query(INVOICE, tool_state="voided in tool").tool_state is ToolState.VOIDED
    with pytest.raises(BadInput) as caught:
        parse_list_query(INVOICE, sync_state="drifted", strict=True)
    assert caught.value.field == "sync_state" and "tool_state=drifted" in caught.value.problem
    with pytest.raises(BadInput) as caught:
        parse_list_query(EntityType.CLIENT, tool_state="paid", strict=True)
    assert (caught.value.field, caught.value.accepted) == ("tool_state", "'drifted'")
    assert parse_list_query(EntityType.CLIENT, tool_state="paid", strict=False).tool_state is None


def test_pages_are_clamped_and_sized(books: Store) -> None:
    with books.session() as s:
        last = list_records(s, INVOICE, ListQuery(page=9, page_size=10))
        assert (last.total, last.page, last.pages, len(last.rows)) == (3, 1, 1, 3)
        found = list_records(s, INVOICE, parse_list_query(INVOICE, page="abc", strict=False))
        assert found.page == 1


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"sync_state": "stuck"}, "sync_state"),
        ({"tool_state": "lost"}, "tool_state"),
        ({"sort": "colour"}, "sort"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "7"}, "page_size"),
    ],
)
def test_the_api_query_names_a_bad_value(given: dict[str, str], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_list_query(INVOICE, strict=True, **given)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.accepted
    lenient = parse_list_query(INVOICE, strict=False, **given)  # type: ignore[arg-type]
    assert lenient.page_size in PAGE_SIZES  # a typed size is taken as the nearest offered
    assert replace(lenient, page_size=ListQuery().page_size) == ListQuery()


def test_the_health_page_names_the_states_it_filters_by() -> None:
    assert parse_list_query(INVOICE, sync_state="not yet known").sync_state is SyncState.UNKNOWN
    assert [s.label for s in SyncState] == [
        "synced", "ready", "waiting", "not yet known", "blocked", "failed",
    ]  # fmt: skip


def test_queue_records_requeues_the_chosen_and_sync_skips_the_synced(books: Store) -> None:
    run_pass(books)
    with books.session() as s:
        ids = [INVOICES.get(s, n).id for n in ("INV-1001", "INV-1002")]
        done = queue_records(s, INVOICE, ids, skip_synced=True)
    assert done.queued == [str(ids[0])]
    assert done.skipped == [f"#{ids[1]}: already synced"]
    with books.session() as s:
        status = s.scalar(
            select(SyncJob.status).where(
                SyncJob.entity_type == "invoice", SyncJob.record_id == ids[0]
            )
        )
    assert status == "pending"


def test_disabling_holds_blocked_jobs_as_blocked_and_counts_what_it_holds(books: Store) -> None:
    run_pass(books)
    with books.session() as s:
        held = integration_holdings(s, "ledger")
        configure_integration(s, "ledger", {"enabled": False})
    assert held.tenants == ["Acme AU"]
    assert held.records == {EntityType.CLIENT: 2, EntityType.PRODUCT: 2, INVOICE: 3}
    assert held.jobs == {"synced": 5, "blocked": 2}
    with books.session() as s:
        statuses = dict(
            s.execute(
                select(Document.number, SyncJob.status).join(
                    Document,
                    (SyncJob.entity_type == "invoice") & (SyncJob.record_id == Document.id),
                )
            ).all()
        )
    assert statuses["INV-1001"] == "blocked"  # not "pending" next to the doctor's "Blocked"
    assert _states(books, INVOICE)["INV-1001"] == "blocked"
