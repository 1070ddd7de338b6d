"""Sync activity: each pass that did something is recorded with its outcomes per tenant, idle
passes are not, old ones are pruned, and the series, last passes and log read them back."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booksync.clock import EPOCH, VirtualClock
from booksync.domain.types import EntityType
from booksync.errors import BadInput
from booksync.services import activity
from booksync.services.activity_recording import RETENTION, RecordingEngine, record_pass
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import SyncPass, SyncPassTenant
from booksync.sync.report import PassResult
from booksync_emulators.recording import RecordingTool
from support.books import TENANT, ready_books


def _engine(
    store: Store, tool: RecordingTool, clock: VirtualClock, **kw: object
) -> RecordingEngine:
    return RecordingEngine(store, lambda tenant: tool, clock=clock, worker="w1", **kw)  # type: ignore[arg-type]


def _passes(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(SyncPass)) or 0


def _rejecting(number: str) -> RecordingTool:
    return RecordingTool(
        reject=lambda item: (
            "Account code '200' is not a valid code" if item.reference == number else None
        )
    )


def test_a_pass_is_recorded_per_tenant_and_an_idle_one_is_not(store: Store) -> None:
    tool = _rejecting("INV-1001")
    ready_books(store, tool, clients=1, products=1, invoices=2)
    with store.session() as s:
        CLIENTS.create(s, {"name": "Held Ltd", "tenant": TENANT, "exclude_from_accounting": True})
    clock = VirtualClock()
    engine = _engine(store, tool, clock, trigger="cli")
    result = engine.run_pass()
    engine.run_pass()  # nothing due: an idle pass leaves no row
    assert _passes(store) == 1
    with store.session() as s:
        [run] = s.scalars(select(SyncPass)).all()
        [share] = s.scalars(select(SyncPassTenant)).all()
    assert (run.worker, run.trigger) == ("w1", "cli")
    assert run.synced == result.count("synced") == 4  # client, supplier, product, INV-1000
    assert (run.failed, run.blocked) == (1, 1)
    assert (share.tenant, share.synced, share.failed, share.blocked) == (TENANT, 4, 1, 1)
    assert share.blocked_now == 1  # Held Ltd stands blocked once the pass ended
    assert share.hour == EPOCH and run.finished_at == EPOCH


def test_series_sums_pushes_per_hour_and_carries_blocked_forward(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    with store.session() as s:
        CLIENTS.create(s, {"name": "Held Ltd", "tenant": TENANT, "exclude_from_accounting": True})
    clock = VirtualClock()
    engine = _engine(store, tool, clock)
    engine.run_pass()  # 00:00: client, product, invoice pushed; Held Ltd blocked
    clock.advance(2 * 3600 + 60)
    with store.session() as s:
        DOCUMENTS[EntityType.INVOICE].create(
            s, {"number": "INV-2000", "party": "Client 000", "lines": [{"product": "Product 000"}]}
        )
    engine.run_pass()  # 02:01: one more invoice
    with store.session() as s:
        points = activity.series(s, hours=24, now=EPOCH + timedelta(hours=3, minutes=5))
        other = activity.series(s, hours=24, tenant="(no tenant)", now=EPOCH + timedelta(hours=3))
    assert len(points) == 24 and points[-1].hour == EPOCH + timedelta(hours=3)
    by_hour = {p.hour - EPOCH: p for p in points}
    assert by_hour[timedelta(0)].pushed == 4 and by_hour[timedelta(hours=2)].pushed == 1
    assert by_hour[timedelta(hours=1)].pushed == 0
    # Blocked is a level: 1 from the first pass on, also in hours without a pass.
    assert [by_hour[timedelta(hours=h)].blocked for h in range(4)] == [1, 1, 1, 1]
    assert by_hour[-timedelta(hours=1)].blocked == 0
    assert sum(p.pushed for p in other) == 0
    with store.session() as s:  # a week later the level still stands, from before the range
        week = activity.series(s, hours=168, now=EPOCH + timedelta(days=9))
    assert len(week) == 168 and {p.blocked for p in week} == {1}
    assert sum(p.pushed for p in week) == 0


def test_last_pass_per_tenant_and_the_log_page_by_page(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=0)
    clock = VirtualClock()
    engine = _engine(store, tool, clock)
    engine.run_pass()
    for i in range(3):
        clock.advance(600)
        with store.session() as s:
            CLIENTS.create(s, {"name": f"Later {i}", "tenant": TENANT})
        engine.run_pass()
    with store.session() as s:
        CLIENTS.create(s, {"name": "Nowhere Ltd"})  # no tenant: blocked under "(no tenant)"
    clock.advance(600)
    engine.run_pass()
    with store.session() as s:
        report = activity.activity(s, per_page=2, page=2, now=clock.utcnow())
        only = activity.pass_log(s, tenant=TENANT)
    assert report.log.total == 5 and report.log.pages == 3
    assert [p.synced for p in report.log.passes] == [1, 1]
    last = {p.tenant: p for p in report.last_passes}
    assert set(last) == {TENANT, "(no tenant)"}
    assert last[TENANT].finished_at == EPOCH + timedelta(minutes=30)
    assert last[TENANT].counts.synced == 1
    assert last["(no tenant)"].counts.blocked == 1
    assert only.total == 4  # the last pass touched only "(no tenant)"
    assert report.tenants == ("(no tenant)", TENANT)
    assert report.to_json()["log"]["passes"][0]["tenants"][0]["tenant"] == TENANT


def test_passes_older_than_the_retention_are_pruned(store: Store) -> None:
    old = EPOCH - RETENTION - timedelta(days=1)
    result = PassResult()
    result.tally[TENANT]["synced"] += 2
    record_pass(store, result, started_at=old, finished_at=old, worker="w", trigger="cli")
    assert _passes(store) == 1
    record_pass(store, result, started_at=EPOCH, finished_at=EPOCH, worker="w", trigger="cli")
    with store.session() as s:
        [kept] = s.scalars(select(SyncPass)).all()
        shares = s.scalars(select(SyncPassTenant)).all()
    assert kept.finished_at == EPOCH
    assert [r.pass_id for r in shares] == [kept.id]  # the old pass's tenant rows went with it


def test_a_workers_passes_are_recorded_as_the_workers(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=0, invoices=0)
    stop = threading.Event()
    engine = _engine(store, tool, VirtualClock(), on_notice=lambda notice: stop.set())
    engine.run_forever(stop, poll=0.01)  # the first success stops it
    with store.session() as s:
        [run] = s.scalars(select(SyncPass)).all()
    assert run.trigger == "worker" and run.synced == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"range": "1y"}, "range: '1y' is not a range the chart shows; accepted: '24h', '7d'"),
        ({"tenant": "Nope"}, "tenant: 'Nope' is not a tenant; accepted: none yet"),
        ({"page": 0}, "page: 0 is not a page number; accepted: 1 or more"),
        ({"per_page": 500}, "per_page: 500 is out of range; accepted: 1 to 200"),
    ],
)
def test_bad_input_names_field_value_and_what_is_accepted(
    store: Store, kwargs: dict[str, object], message: str
) -> None:
    with store.session() as s, pytest.raises(BadInput) as caught:
        activity.activity(s, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message
