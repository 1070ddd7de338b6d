"""A plan, then the pass it describes: every record does what the plan said, with the payload the
plan showed, into a company with history (contacts and items made before booksync came)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import select, update

from booksync.domain.types import EntityType
from booksync.services.plan import plan, plan_record
from booksync.services.plan_model import Action, RecordPlan, TenantPlan
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.services.tenants import import_from_tool
from booksync.store.db import Store
from booksync.store.models import Client, SyncJob
from booksync.sync.engine import Engine
from booksync_emulators.clock import VirtualClock
from booksync_emulators.recording import RecordingTool
from services.test_plan_support import ToolWithSettings, party, seed_history
from support.books import REMOTE_TENANT, TENANT, ready_books


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))


def sync(store: Store, tool: RecordingTool) -> int:
    """One pass; the writes it made to the tool."""
    before = tool.push_calls()
    engine = Engine(store, lambda tenant: tool, clock=VirtualClock())  # type: ignore[arg-type]
    try:
        engine.run_pass()
    finally:
        engine.close()
    return tool.push_calls() - before


def tenant_plan(store: Store, tool: RecordingTool) -> TenantPlan:
    result = plan(store, connectors=lambda tenant: tool)
    return next(t for t in result.tenants if t.name == TENANT)


def jobs(store: Store) -> dict[tuple[str, int], SyncJob]:
    with store.session() as s:
        return {(j.entity_type, j.record_id): j for j in s.scalars(select(SyncJob))}


def payload_json(value: object) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def test_the_pass_after_a_plan_does_what_the_plan_said(store: Store) -> None:
    tool = RecordingTool()
    ids = seed_history(tool)  # the import links Client 000 (name), Client 001 (number), SKU-001
    ready_books(store, tool, clients=4, products=2, invoices=4)
    tool.add_object(REMOTE_TENANT, EntityType.CLIENT, "r-alike", "OLD-9", party("CLIENT-002"))
    with store.session() as s:
        CLIENTS.update(s, "Client 003", {"exclude_from_accounting": True})
        lost = s.scalars(select(Client.id).where(Client.name == "Client 002")).one()
        s.execute(  # Client 002's last push went unanswered; the tool has it under its number
            update(SyncJob)
            .where(SyncJob.entity_type == "client", SyncJob.record_id == lost)
            .values(uncertain=True)
        )
    tool.add_object(REMOTE_TENANT, EntityType.CLIENT, "r-lost", "C-000003", party("Client 002"))
    planned = tenant_plan(store, tool)
    actions = {(r.entity, r.ref): r.action for r in planned.records}
    assert actions[(EntityType.CLIENT, "Client 000")] is Action.LINK
    assert actions[(EntityType.CLIENT, "Client 001")] is Action.LINK
    assert actions[(EntityType.CLIENT, "Client 002")] is Action.LINK  # found by the lookup
    assert actions[(EntityType.CLIENT, "Client 003")] is Action.HOLD
    assert actions[(EntityType.PRODUCT, "Product 001")] is Action.LINK
    assert actions[(EntityType.PRODUCT, "Product 000")] is Action.CREATE
    alike = [c for c in planned.matches if c.remote.remote_id == "r-alike"]
    assert alike and alike[0].evidence == "name differs in punctuation"
    objects_before = {o["remote_id"] for o in tool.objects()}
    writes = sync(store, tool)
    after = jobs(store)
    objects = {o["remote_id"]: o for o in tool.objects()}
    for r in planned.records:
        job = after[(r.entity.value, r.record_id)]
        if r.action is Action.HOLD:
            assert job.status == "blocked", r.label
            assert [x["id"] for x in job.blocked_reasons] == [x["id"] for x in r.reasons]
            continue
        assert job.status == "synced", f"{r.label}: {job.status} {job.last_error}"
        if r.action is Action.CREATE:
            assert job.remote_id not in objects_before, f"{r.label} was not created"
        else:
            assert job.remote_id == r.remote_id, f"{r.label} linked elsewhere"
        _assert_sent_as_planned(r, objects[job.remote_id]["payload"])
    assert ids["client_case"] in {j.remote_id for j in after.values()}
    assert "r-alike" not in {j.remote_id for j in after.values()}  # kept apart, as planned
    assert len(objects) == len(objects_before) + planned.counts()["create"]
    # One read per kind and record type, against one write per record type.
    assert planned.reads == {"contacts": 1, "items": 1, "lookup": 1, "fetch": 2}
    assert writes == 4  # clients, supplier, products, invoices


def _assert_sent_as_planned(r: RecordPlan, sent: dict[str, object]) -> None:
    """What reached the tool is the payload the plan showed (a record waiting on a dependency
    gets that dependency's new remote ID in between)."""
    assert r.item is not None
    if not r.waits_on:
        assert payload_json(sent) == payload_json(asdict(r.item.payload)), r.label


def test_an_edit_after_a_sync_plans_an_update_with_the_fields_it_changes(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=1)
    sync(store, tool)
    with store.session() as s:
        CLIENTS.update(s, "Client 000", {"email": "accounts@example.com"})
        remote_id = s.scalars(select(Client.remote_id).where(Client.name == "Client 000")).one()
    assert remote_id is not None
    tool.set_field(remote_id, "name", "Client 000 (renamed in the tool)")
    record, tenant = plan_record(store, "client", "Client 000", connectors=lambda t: tool)
    assert (record.action, record.remote_id) == (Action.UPDATE, remote_id)
    changed = {r.field: (r.booksync, r.tool) for r in record.diff or [] if r.changed}
    assert changed == {
        "email": ("accounts@example.com", "c0@example.com"),
        "name": ("Client 000", "Client 000 (renamed in the tool)"),
    }
    assert tenant.calls == 1 and tenant.reads == {"fetch": 1}
    unchanged = tenant_plan(store, tool)
    assert unchanged.counts()["nothing"] == 2 + 1 + 1 + 1 - 1
    sync(store, tool)
    sent = next(o for o in tool.objects() if o["remote_id"] == remote_id)["payload"]
    assert sent["email"] == "accounts@example.com" and sent["name"] == "Client 000"
    assert tenant_plan(store, tool).counts()["update"] == 0


def test_documents_the_tool_already_has_plan_a_link_or_a_hold_and_the_pass_agrees(
    store: Store,
) -> None:
    tool = ToolWithSettings()
    ready_books(store, tool, clients=2, products=2, invoices=2)
    sync(store, tool)
    with store.session() as s:
        for number, client in (("INV-2000", "Client 000"), ("INV-2001", "Client 001")):
            DOCUMENTS[EntityType.INVOICE].create(
                s, {"number": number, "party": client, "lines": [{"product": "Product 000"}]}
            )
        contact = s.scalars(select(Client.remote_id).where(Client.name == "Client 000")).one()
    mine, _ = plan_record(store, "invoice", "INV-2000", offline=True)
    assert mine.item is not None
    total = mine.item.payload.total  # type: ignore[union-attr]
    assert total is not None
    # The bookkeeper's own INV-2000 is this very invoice; their INV-2001 is another one.
    same = tool.add_document(
        REMOTE_TENANT, EntityType.INVOICE, "INV-2000", contact_remote_id=contact, total=total
    )
    tool.add_document(
        REMOTE_TENANT, EntityType.INVOICE, "INV-2001", contact_remote_id=contact, total=total + 1
    )
    with store.session() as s:
        import_from_tool(s, TENANT, connector=tool)  # what the tool has under unsent numbers
    planned = tenant_plan(store, tool)
    adopted = next(r for r in planned.records if r.ref == "INV-2000")
    assert (adopted.action, adopted.remote_id) == (Action.LINK, same)
    assert adopted.evidence == "number, contact and total"
    taken = next(r for r in planned.records if r.ref == "INV-2001")
    assert taken.action is Action.HOLD
    assert [x["id"] for x in taken.reasons] == ["document.number_free"]
    sync(store, tool)
    after = jobs(store)
    assert after[("invoice", adopted.record_id)].remote_id == same
    assert after[("invoice", adopted.record_id)].status == "synced"
    assert after[("invoice", taken.record_id)].status == "blocked"
    assert [o["reference"] for o in tool.objects()].count("INV-2000") == 1
