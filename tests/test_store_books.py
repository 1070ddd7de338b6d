"""The store→domain mapper on SQLite and PostgreSQL: every field issue 11 added reaches the rules
(tenant settings, purchase tax types, a party's terms, tracking and archived contact, a product's
tracking, a document's dates, rate, tracking, credited invoice and the tool's documents under its
number, a job's verification), the same through the lazy one-record path, the bulk health-report
path and the engine's document views; and the one-record path reads no whole table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select, update

from booksync.domain.records import RemoteDocumentView, SyncState
from booksync.domain.types import EntityType, SyncStatus
from booksync.services.doctor import diagnose
from booksync.services.records import ACCOUNT_CODES, CLIENTS, DOCUMENTS, PRODUCTS, SUPPLIERS
from booksync.store.books import document_view, iter_document_views, load_books
from booksync.store.db import Store
from booksync.store.models import (
    AccountCode,
    Document,
    RemoteDocument,
    RemoteObject,
    SyncJob,
    TaxRateMapping,
    Tenant,
)
from services.test_rules_store import ACME, AU, BACKUP_1TB, DICKER, NZ, build

E = EntityType


def _enrich(store: Store) -> dict[str, int]:
    """Fill every new field on the ready books of test_rules_store; return a few ids."""
    with store.session() as s:
        au = s.scalars(select(Tenant).where(Tenant.name == AU)).one()
        au.lock_date = date(2026, 6, 30)
        au.currencies = ["AUD", "USD"]
        au.payment_terms = {"days": 20, "type": "OFFOLLOWINGMONTH"}
        au.tracking_categories = {"Region": ["North", "South"]}
        CLIENTS.update(
            s,
            ACME,
            {"payment_terms": "14 days after the bill date", "tracking": {"Region": "North"}},
        )
        PRODUCTS.update(s, BACKUP_1TB, {"tracking": {"Region": "South"}})
        s.add(
            RemoteObject(tenant_id=au.id, object_type="contact", remote_id="c-acme", active=False)
        )
        invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1007")
        credit = DOCUMENTS[E.CREDIT_NOTE].get(s, "CN-1007")
        invoice.issue_date, invoice.due_date = date(2026, 7, 1), date(2026, 7, 31)
        invoice.exchange_rate, invoice.tracking = Decimal("1.512345"), {"Region": "North"}
        credit.credited_document_id = invoice.id
        for remote_id, tenant_id in (("x-42", au.id), ("x-nz", s.scalars(select(Tenant.id).where(Tenant.name == NZ)).one())):  # fmt: skip
            s.add(
                RemoteDocument(
                    tenant_id=tenant_id, entity="invoice", remote_id=remote_id, number="INV-1007",
                    contact_remote_id="c-acme", total=Decimal("107.80"), currency="AUD",
                    status="AUTHORISED",
                )
            )  # fmt: skip
        s.flush()  # the edits above queue the records again: they were pushed since
        s.execute(update(SyncJob).values(status="synced", synced_version=SyncJob.record_version))
        s.execute(
            update(SyncJob)
            .where(SyncJob.entity_type == "invoice", SyncJob.record_id == invoice.id)
            .values(verification=[{"field": "total", "booksync": "107.80", "tool": "98.00"}])
        )
        return {"invoice": invoice.id, "credit": credit.id, "au": au.id}


def test_every_new_field_reaches_the_rules_on_every_path(store: Store) -> None:
    build(store)
    ids = _enrich(store)
    with store.session() as s:
        lazy, whole = load_books(s), load_books(s, whole=True)
        for books in (lazy, whole):
            au = books.tenants[ids["au"]]
            assert au.settings_imported and au.currencies == frozenset({"AUD", "USD"})
            assert au.lock_date == date(2026, 6, 30)
            assert au.payment_terms == ("OFFOLLOWINGMONTH", 20)
            assert au.tracking_categories == {"Region": frozenset({"North", "South"})}
            expenses = next(r for r in books.tax_rates.values() if r.name == "GST on Expenses")
            assert expenses.purchase_tax_types == {ids["au"]: "INPUT", ids["au"] + 1: "INPUT"}
            client_id = CLIENTS.get(s, ACME).id
            acme = books.clients[client_id]
            assert acme.archived_in_tool
            assert acme.payment_terms == ("DAYSAFTERBILLDATE", 14)
            assert acme.tracking == {"Region": "North"}
            assert not books.suppliers[SUPPLIERS.get(s, DICKER).id].archived_in_tool
            assert books.products[PRODUCTS.get(s, BACKUP_1TB).id].tracking == {"Region": "South"}
            state = books.sync_states[(E.INVOICE, ids["invoice"])]
            assert state == SyncState(SyncStatus.SYNCED, mismatches=(("total", "107.80", "98.00"),))
        one = document_view(s.get(Document, ids["invoice"]))
        streamed = {d.id: d for d in iter_document_views(s)}
        for view in (one, streamed[ids["invoice"]]):
            assert (view.issue_date, view.due_date) == (date(2026, 7, 1), date(2026, 7, 31))
            assert view.tracking == {"Region": "North"}
            # Only the tool of the party's tenant, under the same kind and number.
            assert view.remote_matches == (
                RemoteDocumentView("x-42", "INV-1007", "c-acme", Decimal("107.80"), "AUD", "AUTHORISED"),
            )  # fmt: skip
            # The total to compare needs the lines' figures, on both paths.
            assert (view.lines[0].quantity, view.lines[0].unit_price) == (Decimal(2), Decimal(49))
        assert one.exchange_rate == Decimal("1.512345")
        assert document_view(s.get(Document, ids["credit"])).credited_document_id == ids["invoice"]
        assert streamed[ids["credit"]].remote_matches == ()


def test_the_doctor_reads_what_the_mapper_loaded(store: Store) -> None:
    build(store)
    _enrich(store)
    with store.session() as s:
        ev = diagnose(s, E.INVOICE, "INV-1007")
    rows = {c.rule.id: c for c in ev.checks()}
    assert rows["contact.not_archived"].status.value == "blocked"
    assert rows["tool.totals_match"].detail == (
        "the tool booked invoice 'INV-1007' differently from booksync: total 107.80 in booksync, "
        "98.00 in the tool"
    )
    assert rows["document.number_free"].ok
    assert rows["document.number_free"].detail.startswith("will be linked to x-42")


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(" ".join(sql.split()).lower())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_the_doctor_on_one_document_reads_no_whole_table_of_records(store: Store) -> None:
    build(store)
    _enrich(store)
    with statements(store) as seen, store.session() as s:
        diagnose(s, E.INVOICE, "INV-1007")
    big = ("from clients", "from suppliers", "from products", "from sync_jobs", "from documents",
           "from remote_documents", "from remote_objects", "from document_lines")  # fmt: skip
    for sql in seen:
        for table in big:
            if table in sql:
                assert " where " in sql[sql.index(table) :], sql
    assert len(seen) <= 25, seen


def test_an_imported_account_edited_to_a_code_the_tool_lacks_fails_the_doctor(store: Store) -> None:
    """Issue 11 point 8: `account-code edit "Sales" --code 4999` on the imported Sales account."""
    build(store)
    with store.session() as s:
        imported = s.scalars(
            select(AccountCode).where(
                AccountCode.code == "200", AccountCode.imported_from_tool.is_(True)
            )
        ).first()
        assert imported is not None
        PRODUCTS.update(s, BACKUP_1TB, {"income_account": str(imported.id), "tenant": AU})
    with store.session() as s:
        assert diagnose(s, E.INVOICE, "INV-1007").ready
        ACCOUNT_CODES.update(s, str(imported.id), {"code": "4999"})
    with store.session() as s:
        ev = diagnose(s, E.INVOICE, "INV-1007")
    (found,) = next(c for c in ev.checks() if c.rule.id == "account_code.matches_tool").findings
    assert found.status.value == "blocked"
    assert "account code 4999 ('Sales') does not match any account" in found.detail


def test_purchase_and_sales_tax_types_load_side_by_side(store: Store) -> None:
    build(store)
    with store.session() as s:
        s.execute(update(TaxRateMapping).values(purchase_tax_type=None))
        books = load_books(s)
    assert all(r.purchase_tax_types == {} for r in books.tax_rates.values())
    assert all(r.tax_types for r in books.tax_rates.values())
