"""Verification against the Xero emulator over loopback: what booksync computed for a per-GB invoice
(four-place unit price) against what Xero's answer says it booked.

Sent as the connector sends it (`unitdp=4`), nothing differs. Sent without `unitdp` (what the
connector did before issue 11: Xero rounds UnitAmount to two places, tests/specs/xero line 22654),
the answer books 11.00 instead of 13.75, and the verification says so with both figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from booksync.connectors.protocol import (
    DocumentPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.xero.documents import booked
from booksync.domain.totals import document_totals
from booksync.domain.types import EntityType
from booksync.sync.verification import describe, differences
from contract.targets import XeroTarget
from emulators.conftest import xero_emulator_factory  # noqa: F401 - the fixture XeroTarget uses

E = EntityType
D = Decimal


@pytest.fixture
def xero(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[XeroTarget]:
    target = XeroTarget(request, tmp_path)
    try:
        yield target
    finally:
        target.close()


def per_gb(number: str, contact: str) -> DocumentPayload:
    """1,000 GB at 0.0125 with 10% GST, with the totals booksync computes (Xero rounds per line)."""
    lines = (
        LinePayload(None, None, "Backup per GB", D(1000), D("0.0125"), "200", "OUTPUT", D(10)),
    )
    totals = document_totals((ln.quantity, ln.unit_price, ln.tax_percent) for ln in lines)
    return DocumentPayload(
        E.INVOICE, number, contact, "Acme Pty", date(2026, 11, 2), date(2026, 12, 2), "AUD",
        "authorised", None, lines, tax_total=totals.tax, total=totals.total,
    )  # fmt: skip


def contact(xero: XeroTarget) -> str:
    payload = PartyPayload(E.CLIENT, "Acme Pty", None, "AUD", "C-000001")
    item = PushItem("C-000001:v1", E.CLIENT, 1, "C-000001", None, payload)
    [made] = xero.connector.push(xero.tenant, E.CLIENT, [item])
    assert made.remote_id, made.message
    return made.remote_id


def test_what_xero_books_through_the_connector_matches_what_booksync_computed(
    xero: XeroTarget,
) -> None:
    payload = per_gb("INV-1", contact(xero))
    assert (payload.tax_total, payload.total) == (D("1.25"), D("13.75"))
    [made] = xero.connector.push(
        xero.tenant, E.INVOICE, [PushItem("INV-1:v1", E.INVOICE, 1, "INV-1", None, payload)]
    )
    assert made.outcome is Outcome.CREATED, made.message
    assert made.booked is not None and made.booked.total == D("13.75")
    assert differences(payload, made.booked) is None


def test_a_price_xero_rounds_to_two_places_shows_as_a_difference(xero: XeroTarget) -> None:
    payload = per_gb("INV-2", contact(xero))
    seeded = xero.handle.tenants[0]
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "InvoiceNumber": "INV-2",
                "Contact": {"ContactID": payload.contact_remote_id},
                "Date": "2026-11-02",
                "DueDate": "2026-12-02",
                "Status": "AUTHORISED",
                "LineItems": [
                    {
                        "Description": "Backup per GB",
                        "Quantity": 1000,
                        "UnitAmount": 0.0125,
                        "AccountCode": "200",
                        "TaxType": "OUTPUT",
                    }
                ],
            }
        ]
    }
    # As the connector wrote before issue 11: no unitdp.
    answer = httpx.put(
        f"{xero.handle.accounting_url}/Invoices",
        json=body,
        headers={
            "Authorization": f"Bearer {seeded.access_token}",
            "xero-tenant-id": seeded.tenant_id,
            "Accept": "application/json",
        },
        timeout=5.0,
    )
    assert answer.status_code == 200, answer.text
    found = differences(payload, booked(answer.json()["Invoices"][0]))
    assert found == [
        {"field": "total", "booksync": "13.75", "tool": "11.00"},
        {"field": "tax", "booksync": "1.25", "tool": "1.00"},
    ]
    assert describe(found) == "total booksync 13.75, tool 11.00; tax booksync 1.25, tool 1.00"
