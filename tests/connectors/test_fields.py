"""What a push stores of its payload (`json_fields`): the neutral fields (`payload_fields`) made
JSON-safe, in one walk, field for field what the two steps give."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from booksync.connectors.fields import json_fields, json_safe, json_text, payload_fields
from booksync.connectors.protocol import (
    Address,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    PartyPayload,
    PaymentTerms,
)
from booksync.domain.types import EntityType

LINE = LinePayload(
    item_code="P-1",
    item_remote_id="r-9",
    description="Hours",
    quantity=Decimal("1.50"),
    unit_price=Decimal("120.00"),
    account_code="200",
    tax_type="OUTPUT",
    tax_percent=Decimal("10"),
    tracking=(("Region", "North"), ("Team", "Ops")),
)
INVOICE = DocumentPayload(
    entity=EntityType.INVOICE,
    number="INV-7",
    contact_remote_id="c-1",
    contact_name="Acme",
    issue_date=date(2026, 3, 1),
    due_date=None,
    currency="AUD",
    status="AUTHORISED",
    reference=None,
    lines=(LINE, LINE),
    exchange_rate=Decimal("0.6500"),
    tax_total=Decimal("36.00"),
    total=Decimal("396.00"),
    contact_address=Address(lines=("1 Main St",), city="Perth"),
    tracking=(("Location", "HQ"),),
)
CLIENT = PartyPayload(
    entity=EntityType.CLIENT,
    name="Acme",
    email=None,
    currency="AUD",
    number="C-000001",
    address=Address(lines=("1 Main St", "Level 2"), country="AU"),
    payment_terms=PaymentTerms(14),
)
PRODUCT = ItemPayload("P-1", "Hours", "", Decimal("120.00"), None, "200", None, "OUTPUT")


def test_an_invoice_is_stored_with_money_as_text_dates_in_iso_form_and_tracking_as_a_mapping() -> (
    None
):
    stored = json_fields(INVOICE)
    assert "entity" not in stored  # the endpoint, not a stored value
    assert stored["issue_date"] == "2026-03-01"
    assert stored["due_date"] is None
    assert stored["exchange_rate"] == "0.6500"
    assert stored["tracking"] == {"Location": "HQ"}
    assert stored["contact_address"] == {
        "lines": ["1 Main St"],
        "city": "Perth",
        "region": None,
        "postal_code": None,
        "country": None,
    }
    assert stored["lines"][0] == {
        "item_code": "P-1",
        "item_remote_id": "r-9",
        "description": "Hours",
        "quantity": "1.50",
        "unit_price": "120.00",
        "account_code": "200",
        "tax_type": "OUTPUT",
        "tax_percent": "10",
        "tracking": {"Region": "North", "Team": "Ops"},
    }
    json.dumps(stored)  # nothing JSON cannot take


def test_one_walk_gives_what_the_neutral_fields_made_json_safe_give() -> None:
    for payload in (INVOICE, CLIENT, PRODUCT):
        assert json_fields(payload) == json_safe(payload_fields(payload))
    assert payload_fields(CLIENT)["payment_terms"] == {"days": 14, "type": "DAYSAFTERBILLDATE"}
    assert payload_fields(PRODUCT)["price"] == Decimal("120.00")  # neutral: still a Decimal


def test_the_stored_text_is_those_fields_written_as_json() -> None:
    for payload in (INVOICE, CLIENT, PRODUCT):
        assert json_text(payload) == json.dumps(json_fields(payload))
    assert json.loads(json_text(INVOICE))["lines"][0]["tracking"] == {
        "Region": "North",
        "Team": "Ops",
    }
