"""Drift and reissue through the store, on SQLite and PostgreSQL: the tool's state is written as
the intake would keep it (`remote_states`), then each choice is made through the services.

Accept takes the tool's version into booksync with nothing pushed back; push re-queues booksync's
version, except over a document the tool will not take an edit of; leave only marks it. Reissue
makes the credit note and the new invoice, puts the original back to the tool's version, and a
second run changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from booksync.domain.types import EntityType
from booksync.errors import BadInput, Conflict
from booksync.services.doctor import diagnose
from booksync.services.drift import list_drift, settle_drift
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.services.reissue import reissue
from booksync.store.db import Store
from booksync.store.models import Client, Document, RemoteState, SyncEvent, SyncJob, Tenant
from services.test_rules_store import ACME, AU, _paid_in_tool_then_edited, build

E = EntityType
ACME_DRIFT = [
    {"field": "name", "booksync": ACME, "tool": "Acme Pty Limited", "changed": True},
    {"field": "email", "booksync": None, "tool": "ap@acme.example.com", "changed": True},
]


def job(store: Store, entity: str, ref: str) -> SyncJob:
    with store.session() as s:
        record_id = (
            DOCUMENTS[E(entity)].get(s, ref).id if E(entity).is_document else CLIENTS.get(s, ref).id
        )
        found = s.scalars(
            select(SyncJob).where(SyncJob.entity_type == entity, SyncJob.record_id == record_id)
        ).one()
        s.expunge(found)
        return found


def drifted_client(store: Store) -> None:
    """The bookkeeper renamed Acme in the tool and gave it an email."""
    with store.session() as s:
        client = CLIENTS.get(s, ACME)
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        s.add(
            RemoteState(
                tenant_id=tenant.id,
                entity_type="client",
                record_id=client.id,
                remote_id="c-acme",
                status="active",
                reference="Acme Pty Limited",
                fields={"name": "Acme Pty Limited", "email": "ap@acme.example.com"},
                drift=ACME_DRIFT,
                drift_state="open",
            )
        )


def drifted_invoice(store: Store, status: str = "open", **fields: Any) -> None:
    """INV-1007 is linked, and the tool holds it with other lines and a reference."""
    with store.session() as s:
        invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
        invoice.remote_id = "x-1007"
        tenant = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        held = {
            "issue_date": "2026-03-02",
            "reference": "PO-77",
            "lines": [
                {"item_code": None, "description": "Backup 1TB (March)", "quantity": "5",
                 "unit_price": "45.00"},
            ],
        } | fields  # fmt: skip
        s.add(
            RemoteState(
                tenant_id=tenant.id, entity_type="invoice", record_id=invoice.id,
                remote_id="x-1007", status=status, fields=held,
                drift=[{"field": "lines[1].quantity", "booksync": "2", "tool": "5", "changed": True}],
                drift_state="open",
            )
        )  # fmt: skip
    with store.session() as s:  # the link above was an edit: the engine pushed it
        s.execute(
            SyncJob.__table__.update().values(
                status="synced", synced_version=SyncJob.record_version
            )
        )


# -- list and leave ---------------------------------------------------------------------------------


def test_open_drift_is_listed_field_by_field_and_leave_takes_it_off(store: Store) -> None:
    build(store)
    drifted_client(store)
    with store.session() as s:
        (found,) = list_drift(s)
        assert (found.type, found.ref, found.tenant, found.tool_status) == (
            E.CLIENT, ACME, AU, "active",
        )  # fmt: skip
        assert found.to_json()["fields"] == ACME_DRIFT
        assert list_drift(s, tenant="Northwind IT NZ") == []
    with store.session() as s:
        done = settle_drift(s, "client", ACME, "leave")
    assert done.message.startswith(f"Left client '{ACME}' as it is")
    with store.session() as s:
        assert list_drift(s) == []
        assert CLIENTS.get(s, ACME).name == ACME  # nothing of booksync's changed
        with pytest.raises(BadInput, match="has no open drift to leave"):
            settle_drift(s, "client", ACME, "leave")
        with pytest.raises(BadInput, match="'maybe' is not a way to settle drift"):
            settle_drift(s, "client", ACME, "maybe")


# -- accept -----------------------------------------------------------------------------------------


def test_accepting_a_contact_takes_the_tools_fields_and_pushes_nothing_back(store: Store) -> None:
    build(store)
    drifted_client(store)
    before = job(store, "client", ACME)
    with store.session() as s:
        done = settle_drift(s, "client", ACME, "accept")
    assert "nothing is pushed back" in done.message
    after = job(store, "client", "Acme Pty Limited")
    assert after.record_version == before.record_version + 1  # an edit, with its timeline entry
    assert (after.status, after.synced_version) == ("synced", after.record_version)  # no echo
    assert after.pushed_fields == {"name": "Acme Pty Limited", "email": "ap@acme.example.com"}
    with store.session() as s:
        client = s.scalars(select(Client)).first()
        assert (client.name, client.email) == ("Acme Pty Limited", "ap@acme.example.com")
        state = s.scalars(select(RemoteState)).one()
        assert state.drift_state == "accepted" and list_drift(s) == []
        kinds = s.scalars(
            select(SyncEvent.kind).where(SyncEvent.record_id == client.id).order_by(SyncEvent.id)
        ).all()
        assert kinds[-2:] == ["changed", "accepted"]


def test_accepting_a_document_takes_its_lines_dates_and_reference(store: Store) -> None:
    build(store)
    drifted_invoice(store)
    with store.session() as s:
        settle_drift(s, "invoice", "INV-1007", "accept")
    with store.session() as s:
        invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
        assert (invoice.issue_date.isoformat(), invoice.reference_text) == ("2026-03-02", "PO-77")
        (line,) = invoice.lines
        assert (line.quantity, line.unit_price, line.description) == (
            Decimal("5"), Decimal("45.00"), "Backup 1TB (March)",
        )  # fmt: skip
        assert invoice.status == "authorised"  # open in the tool
    synced = job(store, "invoice", "INV-1007")
    assert (synced.status, synced.synced_version) == ("synced", synced.record_version)


def test_accept_refuses_a_line_whose_item_code_booksync_does_not_have(store: Store) -> None:
    build(store)
    drifted_invoice(store, lines=[{"item_code": "NOPE", "quantity": "1", "unit_price": "1"}])
    with store.session() as s, pytest.raises(BadInput) as refused:
        settle_drift(s, "invoice", "INV-1007", "accept")
    assert str(refused.value).startswith(
        "lines[1].item_code: 'NOPE' is not the code of any product in booksync"
    )
    with store.session() as s:  # nothing half-written
        assert DOCUMENTS[E.INVOICE].get(s, "INV-1007").lines[0].quantity == Decimal("2")


# -- push -------------------------------------------------------------------------------------------


def test_push_queues_booksyncs_version_again(store: Store) -> None:
    build(store)
    drifted_client(store)
    with store.session() as s:
        done = settle_drift(s, "client", ACME, "push")
    assert "pushes booksync's version over the tool's" in done.message
    assert job(store, "client", ACME).status == "pending"
    with store.session() as s:
        assert s.scalars(select(RemoteState.drift_state)).one() == "pushed"


@pytest.mark.parametrize("status", ["paid", "voided"])
def test_push_never_fights_the_bookkeeper(store: Store, status: str) -> None:
    build(store)
    drifted_invoice(store, status=status)
    with store.session() as s, pytest.raises(Conflict) as refused:
        settle_drift(s, "invoice", "INV-1007", "push")
    assert f"is {status} in the tool" in str(refused.value)
    assert "document.editable_in_tool" in str(refused.value)
    assert job(store, "invoice", "INV-1007").status == "synced"


# -- reissue ----------------------------------------------------------------------------------------


def count(store: Store, kind: str) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).where(Document.kind == kind)) or 0


def test_reissue_credits_what_the_tool_holds_and_reissues_booksyncs_lines(store: Store) -> None:
    build(store)
    with store.session() as s:
        _paid_in_tool_then_edited(s, {})
    assert job(store, "invoice", "INV-1007").status == "pending"
    with store.session() as s:
        done = reissue(s, "INV-1007")
    assert (done.invoice, done.credit_note, done.credited) == (
        "INV-1007-R1", "INV-1007-CN1", "98.00",
    )  # fmt: skip
    assert "credit note 'INV-1007-CN1' credits it for 98.00" in done.message
    with store.session() as s:
        original = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
        new = DOCUMENTS[E.INVOICE].get(s, "INV-1007-R1")
        note = DOCUMENTS[E.CREDIT_NOTE].get(s, "INV-1007-CN1")
        assert note.credited_document_id == original.id and note.client_id == original.client_id
        assert [(ln.quantity, ln.unit_price) for ln in note.lines] == [(2, Decimal("49.00"))]
        assert [(ln.quantity, ln.unit_price) for ln in new.lines] == [(3, Decimal("49.00"))]
        assert [(ln.quantity, ln.unit_price) for ln in original.lines] == [(2, Decimal("49.00"))]
        assert original.status == "paid" and new.status == "draft"
        assert diagnose(s, E.INVOICE, "INV-1007").ready  # no longer an edit to push
    held = job(store, "invoice", "INV-1007")
    assert (held.status, held.synced_version) == ("synced", held.record_version)
    assert job(store, "invoice", "INV-1007-R1").status == "pending"  # both go to the tool
    assert job(store, "credit_note", "INV-1007-CN1").status == "pending"

    with store.session() as s:
        again = reissue(s, "INV-1007")
    assert again.already and again.message == (
        "Invoice 'INV-1007' was already reissued as 'INV-1007-R1' (credit note 'INV-1007-CN1'); "
        "nothing changed."
    )
    assert (count(store, "invoice"), count(store, "credit_note")) == (2, 2)


def test_reissue_refuses_a_taken_number_and_writes_nothing(store: Store) -> None:
    build(store)
    with store.session() as s:
        _paid_in_tool_then_edited(s, {})
        line = {"product": "Backup 1TB", "quantity": "1"}
        DOCUMENTS[E.INVOICE].create(s, {"number": "INV-1007-R1", "party": ACME, "lines": [line]})
    with store.session() as s, pytest.raises(Conflict) as refused:
        reissue(s, "INV-1007")
    assert str(refused.value).startswith(
        "number: 'INV-1007-R1' is already used by another invoice, so 'INV-1007' cannot be "
        "reissued under it"
    )
    assert count(store, "credit_note") == 1  # CN-1007 of the books only
    assert job(store, "invoice", "INV-1007").status == "pending"


def test_reissue_refuses_an_invoice_with_nothing_to_reissue(store: Store) -> None:
    build(store)
    with store.session() as s, pytest.raises(BadInput, match="has not reached the tool yet"):
        reissue(s, "INV-1007")
    drifted_invoice(store, status="voided")
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(s, "INV-1007", {"reference": "changed"})
    with store.session() as s, pytest.raises(Conflict, match="is voided in the tool"):
        reissue(s, "INV-1007")
