"""An invoice's page shows its status in the tool, amount paid and due, and its payments."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from booksync.services.inbound import pull
from booksync.store.db import Store
from booksync.store.models import Document
from services.two_way_support import PayingTool, synced_books
from web.web_support import WebClient


def test_the_invoice_page_shows_what_the_tool_holds(web: WebClient, store: Store) -> None:
    tool = PayingTool()
    invoices = synced_books(store, tool)
    with store.session() as s:
        doc_id = s.scalar(select(Document.id).where(Document.number == "INV-1000"))
    before = web.page(f"/invoices/{doc_id}")
    assert "Not read back from the tool yet" in before

    tool.pay(invoices["INV-1000"], Decimal("5.00"), payment_id="p-1", ref="EFT 123")
    pull(store.session, connectors=lambda t: tool)
    html = web.page(f"/invoices/{doc_id}")
    assert '<dd id="tool-status">Partly paid</dd>' in html
    assert '<dd id="amount-paid">5.00 AUD</dd>' in html
    assert "<td>2026-11-02</td><td>5.00 AUD</td><td>EFT 123</td><td>the tool</td>" in html
