"""The drift page and the invoice's Reissue button, in the browser-like client, on SQLite and
PostgreSQL: each difference field by field with its three buttons; the button of a paid invoice."""

from __future__ import annotations

from booksync.domain.types import EntityType
from booksync.services.records import DOCUMENTS
from booksync.store.db import Store
from services.test_drift_reissue import drifted_client, job
from services.test_rules_store import _paid_in_tool_then_edited, build
from web.web_support import WebClient


def test_the_drift_page_shows_each_difference_and_accept_settles_it(
    web: WebClient, store: Store
) -> None:
    build(store)
    drifted_client(store)
    page = web.page("/drift")
    assert 'href="/drift"' in page  # in the main navigation
    assert "Acme Pty Limited" in page and "ap@acme.example.com" in page
    for choice in ("accept", "push", "leave"):
        assert 'action="/drift/client/1/' + choice + '"' in page
    response = web.post("/drift/client/1/accept")
    assert response.status_code == 303 and response.headers["location"] == "/drift"
    after = web.page("/drift")
    assert "now holds the tool&#39;s version" in after and "No drift" in after
    assert job(store, "client", "Acme Pty Limited").status == "synced"


def test_a_paid_invoice_with_an_edit_offers_reissue(web: WebClient, store: Store) -> None:
    build(store)
    with store.session() as s:
        _paid_in_tool_then_edited(s, {})
        invoice_id = DOCUMENTS[EntityType.INVOICE].get(s, "INV-1007").id
    page = web.page(f"/invoices/{invoice_id}")
    assert f'action="/invoices/{invoice_id}/reissue"' in page
    response = web.post(f"/invoices/{invoice_id}/reissue")
    assert response.status_code == 303
    after = web.page(f"/invoices/{invoice_id}")
    assert "new invoice &#39;INV-1007-R1&#39;" in after
    assert f'action="/invoices/{invoice_id}/reissue"' not in after  # nothing left to reissue
