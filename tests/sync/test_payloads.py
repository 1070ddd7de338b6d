"""What the payload builder sends: the side's tax type, the totals the tool will book, due dates from
payment terms, tracking, exchange rate, the credited invoice, addresses and terms of contacts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from booksync.connectors.protocol import (
    Address,
    DocumentPayload,
    ItemPayload,
    PartyPayload,
    PaymentTerms,
)
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, PRODUCTS, SUPPLIERS, TAX_RATES
from booksync.store.books import load_books
from booksync.store.db import Store
from booksync.store.models import Client, Document, Syncable, Tenant
from booksync.sync.payloads import build_push_item
from booksync_emulators.recording import RecordingTool
from support.books import TENANT, ready_books

E = EntityType
D = Decimal


def payload(store: Store, record: Syncable | tuple[type[Syncable], int], **options: Any) -> Any:
    """The payload booksync would push for `record` now, read from a fresh snapshot."""
    with store.session() as s:
        books = load_books(s)
        model, record_id = record if isinstance(record, tuple) else (type(record), record.id)
        row = s.get(model, record_id)
        assert row is not None
        tenant = books.tenants[s.scalars(select(Tenant.id)).one()]
        return build_push_item(books, row, tenant, **options).payload


def document(store: Store, entity: EntityType, number: str) -> tuple[type[Document], int]:
    with store.session() as s:
        return Document, DOCUMENTS[entity].get(s, number).id


@pytest.fixture
def books(store: Store) -> dict[str, Any]:
    return ready_books(store, RecordingTool(), clients=2, products=2, invoices=1, purchase_orders=1)


def set_lines(store: Store, number: str, *lines: tuple[str, str]) -> None:
    with store.session() as s:
        DOCUMENTS[E.INVOICE].update(
            s,
            number,
            {
                "lines": [
                    {"product": "Product 000", "quantity": q, "unit_price": p} for q, p in lines
                ]
            },
        )


# --- totals --------------------------------------------------------------------------------------


def test_a_four_place_price_is_totalled_as_booksync_computes_it(
    store: Store, books: dict[str, Any]
) -> None:
    set_lines(store, "INV-1000", ("1000", "0.0125"))
    sent = payload(store, document(store, E.INVOICE, "INV-1000"))
    assert isinstance(sent, DocumentPayload)
    assert sent.lines[0].unit_price == D("0.0125")  # the four places go as they are
    assert (sent.tax_total, sent.total) == (D("1.25"), D("13.75"))


def test_tax_is_rounded_as_the_tool_rounds_it(store: Store, books: dict[str, Any]) -> None:
    set_lines(store, "INV-1000", ("1", "0.05"), ("1", "0.05"), ("1", "0.05"))
    ref = document(store, E.INVOICE, "INV-1000")
    by_line = payload(store, ref)  # the ledger's tool rounds per line, as Xero does
    by_document = payload(store, ref, rounding="document")
    assert (by_line.tax_total, by_line.total) == (D("0.03"), D("0.18"))
    assert (by_document.tax_total, by_document.total) == (D("0.02"), D("0.17"))


# --- tax types by side ---------------------------------------------------------------------------


def test_purchase_orders_carry_the_purchase_tax_type_and_invoices_the_sales_one(
    store: Store, books: dict[str, Any]
) -> None:
    with store.session() as s:
        TAX_RATES.map(s, "GST on Income", TENANT, purchase_tax_type="INPUT")
        TAX_RATES.map(s, "GST on Expenses", TENANT, purchase_tax_type="INPUT")
    order = payload(store, document(store, E.PURCHASE_ORDER, "PO-1000"))
    invoice = payload(store, document(store, E.INVOICE, "INV-1000"))
    assert {line.tax_type for line in order.lines} == {"INPUT"}
    assert {line.tax_type for line in invoice.lines} == {"OUTPUT"}
    with store.session() as s:
        product = PRODUCTS.get(s, "Product 000")
    item = payload(store, product)
    assert isinstance(item, ItemPayload)
    assert (item.tax_type, item.purchase_tax_type) == ("OUTPUT", "INPUT")


def test_a_purchase_order_never_carries_the_sales_tax_type(
    store: Store, books: dict[str, Any]
) -> None:
    # Xero: "TaxType 'OUTPUT' cannot be used with account code '310'". Unmapped for purchases, the
    # line goes without one (the rules hold it first: tax.purchase_mapped).
    order = payload(store, document(store, E.PURCHASE_ORDER, "PO-1000"))
    assert all(line.tax_type != "OUTPUT" for line in order.lines)


# --- due dates -----------------------------------------------------------------------------------


def test_an_invoice_without_a_due_date_falls_due_by_its_clients_terms_else_the_tenants(
    store: Store, books: dict[str, Any]
) -> None:
    ref = document(store, E.INVOICE, "INV-1000")
    with store.session() as s:
        invoice = s.get(Document, ref[1])
        assert invoice is not None and invoice.due_date is None
        invoice.issue_date = date(2024, 5, 10)
        s.scalars(select(Tenant)).one().payment_terms = {"days": 20, "type": "OFFOLLOWINGMONTH"}
    assert payload(store, ref).due_date == date(2024, 6, 20)  # the tenant's default
    with store.session() as s:
        client = s.get(Client, s.get(Document, ref[1]).client_id)  # type: ignore[union-attr]
        assert client is not None
        client.payment_terms = {"days": 14, "type": "DAYSAFTERBILLDATE"}
    assert payload(store, ref).due_date == date(2024, 5, 24)  # the client's terms win
    with store.session() as s:
        s.get(Document, ref[1]).due_date = date(2024, 7, 1)  # type: ignore[union-attr]
    assert payload(store, ref).due_date == date(2024, 7, 1)  # its own wins over both


def test_without_terms_anywhere_an_invoice_keeps_no_due_date(
    store: Store, books: dict[str, Any]
) -> None:
    assert payload(store, document(store, E.INVOICE, "INV-1000")).due_date is None


# --- tracking, exchange rate, credited invoice, addresses ---------------------------------------


def test_tracking_is_the_documents_over_the_clients_over_the_products(
    store: Store, books: dict[str, Any]
) -> None:
    ref = document(store, E.INVOICE, "INV-1000")
    with store.session() as s:
        row = s.get(Document, ref[1])
        assert row is not None
        for line in row.lines:
            line.product.tracking = {"Region": "North", "Service": "Backup"}
        s.get(Client, row.client_id).tracking = {"Region": "South", "Team": "Ops"}  # type: ignore[union-attr]
        row.tracking = {"Team": "Projects"}
    sent = payload(store, ref)
    expected = (("Region", "South"), ("Service", "Backup"), ("Team", "Projects"))
    assert all(line.tracking == expected for line in sent.lines)
    assert sent.tracking == (("Team", "Projects"),)


def test_a_foreign_currency_document_carries_its_exchange_rate(
    store: Store, books: dict[str, Any]
) -> None:
    ref = document(store, E.INVOICE, "INV-1000")
    assert payload(store, ref).exchange_rate is None  # the tool's own rate
    with store.session() as s:
        row = s.get(Document, ref[1])
        assert row is not None
        row.currency, row.exchange_rate = "USD", D("1.523400")
    sent = payload(store, ref)
    assert (sent.currency, sent.exchange_rate) == ("USD", D("1.5234"))


def test_a_credit_note_carries_the_remote_id_of_the_invoice_it_credits(
    store: Store, books: dict[str, Any]
) -> None:
    with store.session() as s:
        DOCUMENTS[E.CREDIT_NOTE].create(
            s,
            {"number": "CN-1", "party": "Client 000", "lines": [{"product": "Product 000"}]},
        )
        invoice = DOCUMENTS[E.INVOICE].get(s, "INV-1000")
        invoice.remote_id = "inv-remote-1"
        DOCUMENTS[E.CREDIT_NOTE].get(s, "CN-1").credited_document_id = invoice.id
    sent = payload(store, document(store, E.CREDIT_NOTE, "CN-1"))
    assert sent.credited_remote_id == "inv-remote-1"


def test_contacts_carry_their_address_and_terms_and_documents_the_contacts_address(
    store: Store, books: dict[str, Any]
) -> None:
    address = {
        "lines": ["Level 2", "10 Smith St"],
        "city": "Sydney",
        "region": "NSW",
        "postal_code": "2000",
        "country": "AU",
    }
    with store.session() as s:
        client = CLIENTS.get(s, "Client 000")
        client.address, client.payment_terms = address, {"days": 7, "type": "DAYSAFTERBILLDATE"}
        supplier = SUPPLIERS.get(s, "Dicker Data")
    party = payload(store, (Client, client.id))
    expected = Address(("Level 2", "10 Smith St"), "Sydney", "NSW", "2000", "AU")
    assert isinstance(party, PartyPayload)
    assert party.address == expected and party.payment_terms == PaymentTerms(7)
    assert payload(store, document(store, E.INVOICE, "INV-1000")).contact_address == expected
    bare = payload(store, supplier)
    assert bare.address is None and bare.payment_terms is None
