"""Documents that must never reach the tool as a create: one voided before it was sent, and one
whose number the tool has already (linked when it is the same document, refused otherwise)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from booksync.clock import VirtualClock
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import RemoteDocument, SyncEvent, SyncJob, Tenant
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool
from support.books import REMOTE_TENANT, ready_books

E = EntityType
D = Decimal


def engine_for(store: Store, tool: RecordingTool) -> Engine:
    return Engine(store, lambda tenant: tool, clock=VirtualClock())  # type: ignore[arg-type]


def job_of(store: Store, number: str) -> SyncJob:
    with store.session() as s:
        invoice = DOCUMENTS[E.INVOICE].get(s, number)
        job = s.scalars(
            select(SyncJob).where(SyncJob.entity_type == "invoice", SyncJob.record_id == invoice.id)
        ).one()
        s.expunge(job)
        return job


def invoices(tool: RecordingTool) -> list[dict[str, object]]:
    return [o for o in tool.objects() if o["entity"] == "invoice"]


def events(store: Store, kind: str) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(SyncEvent.message).where(SyncEvent.kind == kind)))


# --- voided ---------------------------------------------------------------------------------------


def test_a_document_voided_before_it_was_sent_is_never_sent(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=2)
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(s, "INV-1001", {"status": "voided"})
    result = engine_for(store, tool).run_pass()
    assert [o["reference"] for o in invoices(tool)] == ["INV-1000"]  # no create with VOIDED
    job = job_of(store, "INV-1001")
    assert (job.status, job.remote_id, job.last_error) == ("synced", None, None)
    assert result.count("synced") == 1 + 1 + 1 + 2 and result.count("failed") == 0
    [said] = events(store, "skipped")
    assert said == "Invoice INV-1001 was voided before it was sent: nothing to write to the tool"


def test_a_document_voided_after_it_was_sent_is_voided_in_the_tool(store: Store) -> None:
    tool = RecordingTool()
    ready_books(store, tool, clients=1, products=1, invoices=1)
    engine = engine_for(store, tool)
    engine.run_pass()
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(s, "INV-1000", {"status": "voided"})
    engine.run_pass()
    [invoice] = invoices(tool)
    assert invoice["writes"] == 2 and invoice["payload"]["status"] == "voided"  # type: ignore[index]
    assert events(store, "skipped") == []


# --- the tool has the number already ---------------------------------------------------------------


def books_with_a_synced_client(store: Store, tool: RecordingTool) -> str:
    """Ready books whose client and product are in the tool already; the client's remote id."""
    ready_books(store, tool, clients=1, products=1, invoices=0)
    engine_for(store, tool).run_pass()
    with store.session() as s:
        remote_id = CLIENTS.get(s, "Client 000").remote_id
    assert remote_id
    return remote_id


def raise_invoice(store: Store, number: str = "INV-7") -> None:
    """2 x 10.00 at 10% GST: 22.00."""
    with store.session() as s:
        DOCUMENTS[E.INVOICE].create(
            s,
            {
                "number": number,
                "party": "Client 000",
                "lines": [{"product": "Product 000", "quantity": "2"}],
            },
        )


def test_a_number_known_in_the_tool_with_the_same_contact_and_total_is_linked_not_created(
    store: Store,
) -> None:
    tool = RecordingTool()
    contact = books_with_a_synced_client(store, tool)
    theirs = tool.add_document(
        REMOTE_TENANT, E.INVOICE, "INV-7", contact_remote_id=contact, total=D("22.00")
    )
    with store.session() as s:  # as importing the tenant's documents keeps them
        tenant = s.scalars(select(Tenant)).one()
        s.add(
            RemoteDocument(
                tenant_id=tenant.id,
                entity="invoice",
                remote_id=theirs,
                number="INV-7",
                contact_remote_id=contact,
                total=D("22.00"),
                currency="AUD",
                status="authorised",
            )
        )
    raise_invoice(store)
    engine_for(store, tool).run_pass()
    [invoice] = invoices(tool)  # one: booksync's version went as an update of it
    assert (invoice["remote_id"], invoice["writes"]) == (theirs, 2)
    job = job_of(store, "INV-7")
    assert (job.status, job.remote_id) == ("synced", theirs)
    [said] = events(store, "matched")
    assert f"is in the tool already as {theirs}" in said


def test_a_create_the_tool_refuses_as_a_taken_number_is_linked_when_it_is_the_same_document(
    store: Store,
) -> None:
    tool = RecordingTool(unique_numbers=True)
    contact = books_with_a_synced_client(store, tool)
    theirs = tool.add_document(
        REMOTE_TENANT, E.INVOICE, "INV-7", contact_remote_id=contact, total=D("22.00")
    )
    raise_invoice(store)  # booksync does not know the tool has INV-7: it tries a create
    engine_for(store, tool).run_pass()
    [invoice] = invoices(tool)
    assert (invoice["remote_id"], invoice["writes"]) == (theirs, 2)
    assert job_of(store, "INV-7").status == "synced"
    [said] = events(store, "matched")
    assert "the tool refused to create it" in said and theirs in said
    with store.session() as s:
        [kept] = s.scalars(select(RemoteDocument)).all()
        assert (kept.remote_id, kept.total) == (theirs, D("22.00"))


def test_a_create_refused_for_someone_elses_document_fails_with_the_rule_and_advice(
    store: Store,
) -> None:
    tool = RecordingTool(unique_numbers=True)
    contact = books_with_a_synced_client(store, tool)
    theirs = tool.add_document(
        REMOTE_TENANT, E.INVOICE, "INV-7", contact_remote_id=contact, total=D("999.00")
    )
    raise_invoice(store)
    result = engine_for(store, tool).run_pass()
    [invoice] = invoices(tool)  # the bookkeeper's own, untouched
    assert (invoice["remote_id"], invoice["writes"]) == (theirs, 1)
    job = job_of(store, "INV-7")
    assert (job.status, job.error_rule, job.remote_id) == ("failed", "document.number_free", None)
    assert "999.00" in (job.last_error or "") and "22.00" in (job.last_error or "")
    assert "renumber invoice 'INV-7'" in (job.error_fix or "")
    assert result.count("failed") == 1
    with store.session() as s:  # kept, so the doctor's document.number_free sees it
        assert s.scalars(select(RemoteDocument.number)).all() == ["INV-7"]


def test_without_a_way_to_look_numbers_up_the_tools_refusal_stands(store: Store) -> None:
    class Blind(RecordingTool):
        documents = None  # type: ignore[assignment]  # no DocumentImport

    tool = Blind(unique_numbers=True)
    contact = books_with_a_synced_client(store, tool)
    tool.add_document(REMOTE_TENANT, E.INVOICE, "INV-7", contact_remote_id=contact, total=D("22"))
    raise_invoice(store)
    engine_for(store, tool).run_pass()
    job = job_of(store, "INV-7")
    assert (job.status, job.error_rule) == ("failed", "document.number_free")
    assert job.last_error == "Document number 'INV-7' must be unique"
