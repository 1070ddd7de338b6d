"""`booksync sync plan` as a service: what the next pass would do with each record, read from the
store and the tool without writing to either (the recording tool stands in for the tool)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from booksync.domain.types import EntityType
from booksync.errors import BadInput, NotFound
from booksync.services.linking import link
from booksync.services.plan import plan, plan_record
from booksync.services.plan_model import Action, Plan, TenantPlan
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import Client, SyncJob
from booksync_emulators.recording import RecordingTool
from services.test_plan_support import party, seed_history, store_state, tool_state
from support.books import REMOTE_TENANT, TENANT, ready_books


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps what its plans read in a folder of its own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(folder))
    return folder


def planned(store: Store, tool: RecordingTool, **options: object) -> TenantPlan:
    result: Plan = plan(store, connectors=lambda tenant: tool, **options)  # type: ignore[arg-type]
    return next(t for t in result.tenants if t.name == TENANT)


def record(tenant: TenantPlan, entity: EntityType, ref: str):  # type: ignore[no-untyped-def]
    return next(r for r in tenant.records if r.entity is entity and r.ref == ref)


def test_new_books_plan_a_create_for_every_record_and_send_nothing(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=3, products=2, invoices=5)
    tenant = planned(store, tool)
    assert tenant.counts() == {"create": 11, "update": 0, "link": 0, "hold": 0, "nothing": 0}
    assert tenant.by_type()["client"]["create"] == 3
    assert tenant.by_type()["invoice"]["create"] == 5
    invoice = record(tenant, EntityType.INVOICE, "INV-1000")
    assert invoice.item is not None and invoice.item.payload.number == "INV-1000"  # type: ignore[union-attr]
    # Its client and products are created first, in the same pass.
    assert "client 'Client 000'" in invoice.waits_on
    assert tool.push_calls() == 0 and "push" not in tool.request_kinds()
    assert tenant.reads == {"contacts": 1, "items": 1} and tenant.calls == 2


def test_a_plan_leaves_the_store_and_the_tool_byte_for_byte_unchanged(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=3, products=2, invoices=3)
    ids = seed_history(tool)
    with store.session() as s:  # linked by hand: the plan reads the tool's version for a diff
        link(s, "client", "Client 002", ids["stranger"])
    before_store, before_tool = store_state(store), tool_state(tool)
    calls_before = len(tool.request_kinds())
    result = plan(store, connectors=lambda tenant: tool)
    plan_record(store, "client", "Client 002", connectors=lambda tenant: tool)
    plan_record(store, "invoice", "INV-1001", connectors=lambda tenant: tool, fresh=True)
    assert result.calls > 0
    assert store_state(store) == before_store
    assert tool_state(tool) == before_tool
    assert set(tool.request_kinds()[calls_before:]) == {"fetch"}  # reads only


def test_the_matching_report_lists_look_alikes_and_exact_matches_with_the_command_to_link(
    store: Store,
) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=3, products=2, invoices=1)
    ids = seed_history(tool)  # after the import: nothing of it is linked
    tenant = planned(store, tool)
    found = {(c.local.name, c.remote.remote_id): c for c in tenant.matches}
    case = found[("Client 000", ids["client_case"])]
    assert (case.evidence, case.exact) == ("name differs in case", False)
    assert case.link_command == f"booksync link client 'Client 000' {ids['client_case']}"
    number = found[("Client 001", ids["client_number"])]
    assert (number.evidence, number.exact) == ("number", True)
    suffix = found[("Dicker Data", ids["supplier_punct"])]
    assert suffix.evidence == "name differs in company suffix" and not suffix.exact
    code = found[("Product 001", ids["item_code"])]
    assert (code.evidence, code.exact) == ("code", True)
    assert not any(c.remote.remote_id == ids["stranger"] for c in tenant.matches)
    # The records still plan a create, and say what the tool already has.
    client = record(tenant, EntityType.CLIENT, "Client 001")
    assert client.action is Action.CREATE
    assert any("already has 'Someone Else Entirely'" in n for n in client.notes)


def test_records_the_import_linked_plan_a_link_with_its_evidence_and_a_field_diff(
    store: Store,
) -> None:
    tool = RecordingTool()
    ids = seed_history(tool)  # before the import: it links by number, exact name and code
    ready_books(store, tool, clients=3, products=2, invoices=1)
    tenant = planned(store, tool)
    by_number = record(tenant, EntityType.CLIENT, "Client 001")
    assert (by_number.action, by_number.remote_id) == (Action.LINK, ids["client_number"])
    assert by_number.evidence == "number"
    rows = {r.field: r for r in by_number.diff or []}
    assert rows["name"].changed and (rows["name"].booksync, rows["name"].tool) == (
        "Client 001",
        "Someone Else Entirely",
    )
    assert not rows["number"].changed
    by_code = record(tenant, EntityType.PRODUCT, "Product 001")
    assert (by_code.action, by_code.evidence) == (Action.LINK, "code")
    assert {r.field for r in by_code.diff or [] if r.changed} >= {"name"}
    by_name = record(tenant, EntityType.CLIENT, "Client 000")  # "CLIENT 000": import's casefold
    assert by_name.action is Action.LINK
    assert by_name.evidence == "remote ID set in booksync; the names differ in case"


def test_a_record_linked_by_hand_plans_a_link_and_the_link_refuses_a_taken_remote_id(
    store: Store,
) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=0)
    ids = seed_history(tool)
    with store.session() as s:
        version = s.scalars(select(Client.version).where(Client.name == "Client 000")).one()
        linked = link(
            s, "client", "Client 000", ids["client_case"], check=True, connectors=lambda t: tool
        )
    assert (linked.previous, linked.checked) == (None, True)
    with store.session() as s:
        client = s.scalars(select(Client).where(Client.name == "Client 000")).one()
        job = s.scalars(
            select(SyncJob).where(SyncJob.record_id == client.id, SyncJob.entity_type == "client")
        ).one()
        assert client.version == version + 1 and job.status == "pending"  # the outbox saw it
    tenant = planned(store, tool)
    planned_client = record(tenant, EntityType.CLIENT, "Client 000")
    assert (planned_client.action, planned_client.remote_id) == (Action.LINK, ids["client_case"])
    before = store_state(store)
    with store.session() as s, pytest.raises(BadInput) as taken:
        link(s, "client", "Client 001", ids["client_case"])
    assert taken.value.field == "remote_id"
    assert "already linked to client 'Client 000'" in str(taken.value)
    with store.session() as s, pytest.raises(BadInput) as missing:
        link(s, "client", "Client 001", "no-such-id", check=True, connectors=lambda t: tool)
    assert "is not a client in tenant 'Acme AU'" in str(missing.value)
    assert store_state(store) == before


def test_a_held_record_plans_a_hold_with_the_rule_and_the_fix_as_the_doctor_words_it(
    store: Store,
) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=2)
    with store.session() as s:
        CLIENTS.update(s, "Client 000", {"exclude_from_accounting": True})
    tenant = planned(store, tool, offline=True)
    held = record(tenant, EntityType.CLIENT, "Client 000")
    assert held.action is Action.HOLD and held.item is None
    reason = held.reasons[0]
    assert reason["id"] == "record.not_excluded"
    assert reason["fix"] == "booksync client edit 'Client 000' --include-in-accounting"
    assert reason["fix_page"].endswith("#exclude_from_accounting")
    invoice = record(tenant, EntityType.INVOICE, "INV-1000")  # raised to the excluded client
    assert invoice.action is Action.HOLD
    assert invoice.reasons[0]["subject"]["ref"] == "Client 000"
    assert tenant.remote_note == "not read: --offline" and tenant.calls == 0


def test_an_unanswered_create_found_by_the_engines_lookup_plans_a_link(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=0)
    with store.session() as s:
        client = s.scalars(select(Client).where(Client.name == "Client 001")).one()
        s.execute(
            update(SyncJob)
            .where(SyncJob.entity_type == "client", SyncJob.record_id == client.id)
            .values(uncertain=True)
        )
    tool.add_object(
        REMOTE_TENANT, EntityType.CLIENT, "r-lost", "C-000002", party("Client 001", "C-000002")
    )
    tenant = planned(store, tool)
    found = record(tenant, EntityType.CLIENT, "Client 001")
    assert (found.action, found.remote_id) == (Action.LINK, "r-lost")
    assert found.evidence == "found by the tool's lookup of its reference"
    assert found.item is not None and found.item.remote_id == "r-lost"
    assert tool.lookup_calls() == (1, 1) and tool.push_calls() == 0


def test_what_a_plan_read_is_kept_outside_the_store_for_the_next_one(
    store: Store, cache_dir: Path
) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=2, products=1, invoices=1)
    seed_history(tool)
    first = planned(store, tool)
    assert first.calls == 2 and not first.cached
    kept = list(cache_dir.glob("*.json"))
    assert len(kept) == 1 and "CLIENT 000" in kept[0].read_text()
    again = planned(store, tool)
    assert (again.calls, again.cached) == (0, True)
    assert [c.to_json() for c in again.matches] == [c.to_json() for c in first.matches]
    assert planned(store, tool, fresh=True).calls == 2
    with store.session() as s:  # any change to the books makes what was kept stale
        CLIENTS.update(s, "Client 000", {"email": "new@example.com"})
    assert planned(store, tool).calls == 2


def test_bad_input_names_the_field_the_value_and_what_is_accepted(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    with pytest.raises(NotFound) as tenant:
        plan(store, tenant="Nope")
    assert (tenant.value.field, tenant.value.value) == ("tenant", "Nope")
    assert "'Acme AU'" in str(tenant.value.accepted)
    with pytest.raises(BadInput) as kind:
        plan_record(store, "invoce", "INV-1000")
    assert kind.value.field == "type" and "invoice" in str(kind.value.accepted)
    with pytest.raises(NotFound) as ref:
        plan_record(store, "invoice", "INV-9999")
    assert (ref.value.field, ref.value.value) == ("invoice", "INV-9999")
    assert "'INV-1000'" in str(ref.value.accepted)
    with store.session() as s, pytest.raises(BadInput) as empty:
        link(s, "client", "Client 000", "  ")
    assert empty.value.field == "remote_id"
