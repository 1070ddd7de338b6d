"""The fields that make documents book correctly, through the REST API: payment terms, addresses
and tracking; exchange rates and credited invoices; the tool's settings on a tenant; tax types
checked against the tenant's tool. Refusals are 422 with the field's path, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api_support import Api, problem
from booksync.connectors.ledger.tool import DIR_ENV as LEDGER_DIR_ENV
from booksync.store.db import Store
from booksync_emulators.recording import RecordingTool
from cli_support import seed
from cli_support import snapshot as whole_snapshot
from support.books import TENANT, ready_books

V1 = "/api/v1"
LINE = {"product": "Backup 1TB", "quantity": "1"}


@pytest.fixture
def seeded(store: Store, db_url: str) -> Store:
    seed(db_url)
    return store


def snapshot(db_url: str) -> dict[str, Any]:
    tables = whole_snapshot(db_url)
    del tables["api_keys"]
    return tables


def test_a_clients_terms_address_and_tracking(api: Api, seeded: Store) -> None:
    body = {
        "name": "Zed Ltd",
        "payment_terms": {"days": 20, "type": "OFFOLLOWINGMONTH"},
        "address": {"lines": ["1 Main St"], "city": "Sydney", "country": "AU"},
        "tracking": {"Region": "North"},
    }
    created = api.ok("POST", f"{V1}/clients", 201, json=body)
    assert created["payment_terms"] == {"days": 20, "type": "OFFOLLOWINGMONTH"}
    assert created["address"] == {
        "lines": ["1 Main St"],
        "city": "Sydney",
        "region": None,
        "postal_code": None,
        "country": "AU",
    }
    assert created["tracking"] == {"Region": "North"}
    # A PATCH changes only the address parts it gives; terms may be given as text too.
    edited = api.ok(
        "PATCH",
        f"{V1}/clients/Zed Ltd",
        json={"address": {"city": None, "region": "NSW"}, "payment_terms": "14 days"},
    )
    assert edited["address"] == {
        "lines": ["1 Main St"],
        "city": None,
        "region": "NSW",
        "postal_code": None,
        "country": "AU",
    }
    assert edited["payment_terms"] == {"days": 14, "type": "DAYSAFTERBILLDATE"}
    cleared = api.ok(
        "PATCH",
        f"{V1}/clients/Zed Ltd",
        json={"address": None, "payment_terms": None, "tracking": {}},
    )
    assert (cleared["address"], cleared["payment_terms"], cleared["tracking"]) == (None, None, {})
    product = api.ok("PATCH", f"{V1}/products/Backup 1TB", json={"tracking": {"Service": "B"}})
    assert product["tracking"] == {"Service": "B"}


def test_a_documents_rate_tracking_and_credited_invoice(api: Api, seeded: Store) -> None:
    api.ok("POST", f"{V1}/invoices", 201, json={"number": "INV-1", "client": "Base Client", "lines": [LINE]})  # fmt: skip
    invoice = api.ok(
        "PATCH",
        f"{V1}/invoices/INV-1",
        json={"exchange_rate": "0.655", "tracking": {"Region": "North"}},
    )
    assert (invoice["exchange_rate"], invoice["tracking"]) == ("0.655", {"Region": "North"})
    note = api.ok(
        "POST",
        f"{V1}/credit-notes",
        201,
        json={"number": "CN-1", "client": "Base Client", "lines": [LINE], "credits": "INV-1"},
    )
    assert note["credits"] == "INV-1"
    assert api.ok("PATCH", f"{V1}/credit-notes/CN-1", json={"credits": ""})["credits"] is None


BAD_INPUT: list[tuple[str, str, dict[str, Any], list[str | int], list[str]]] = [
    ("clients/Base Client", "PATCH", {"payment_terms": "fortnightly"}, ["body", "payment_terms"],
     ["'fortnightly' is not payment terms", "'14 days'"]),
    ("clients/Base Client", "PATCH", {"payment_terms": {"days": 40, "type": "OFCURRENTMONTH"}},
     ["body", "payment_terms"], ["day 40 is not a day of the month", "1st to 31st"]),
    ("suppliers/Base Supplier", "PATCH", {"payment_terms": {"days": 400}},
     ["body", "payment_terms"], ["days: Input should be less than or equal to 365", "0 to 365"]),
    ("suppliers/Base Supplier", "PATCH", {"payment_terms": 14}, ["body", "payment_terms"],
     ["is not payment terms", "'14 days'"]),
    ("clients/Base Client", "PATCH", {"address": {"country": "4000"}},
     ["body", "address", "country"], ["'4000' is not a country name", "letters"]),
    ("clients/Base Client", "PATCH", {"address": {"lines": ["a", "b", "c", "d", "e"]}},
     ["body", "address", "lines"], ["has 5 lines", "at most 4 street lines"]),
    ("products/Backup 1TB", "PATCH", {"tracking": {"A": "1", "B": "2", "C": "3"}},
     ["body", "tracking"], ["has 3 categories", "at most 2"]),
    ("products/Backup 1TB", "PATCH", {"tracking": {"Region": ""}},
     ["body", "tracking"], ["is not tracking", "CATEGORY=OPTION"]),
    ("invoices/INV-1", "PATCH", {"exchange_rate": "-1.5"}, ["body", "exchange_rate"],
     ["'-1.5'", "is not greater than 0"]),
    ("invoices/INV-1", "PATCH", {"exchange_rate": "0"}, ["body", "exchange_rate"],
     ["is not greater than 0", "a rate greater than 0"]),
    ("invoices/INV-1", "PATCH", {"credits": "INV-1"}, ["body", "credits"],
     ["'INV-1'", "Extra inputs are not permitted"]),
    ("credit-notes", "POST", {"number": "CN-2", "client": "Base Client", "lines": [LINE],
                              "credits": "INV-9"}, ["body", "credits"],
     ["'INV-9' is not a known invoice"]),
    ("tax-rates/GST on Income/tax-types/Acme AU", "PUT",
     {"tax_type": "OUTPUT", "purchase_tax_type": "x" * 101}, ["body", "purchase_tax_type"],
     ["at most 100"]),
]  # fmt: skip


def test_bad_input_names_the_field_and_writes_nothing(api: Api, seeded: Store, db_url: str) -> None:
    api.ok("POST", f"{V1}/invoices", 201, json={"number": "INV-1", "client": "Base Client", "lines": [LINE]})  # fmt: skip
    before = snapshot(db_url)
    wrong = []
    for path, method, body, loc, words in BAD_INPUT:
        case = f"{method} {path} {body}"
        response = api.request(method, f"{V1}/{path}", json=body)
        if response.status_code != 422:
            wrong.append(f"{case}: {response.status_code} {response.text}")
            continue
        found = problem(response)
        said = f"{found['input']!r} {found['msg']}"
        if found["loc"] != loc or not all(word in said for word in words):
            wrong.append(f"{case}: {found}")
        if snapshot(db_url) != before:
            wrong.append(f"{case}: wrote to the store")
            before = snapshot(db_url)
    assert not wrong, "\n".join(wrong)


def test_tax_types_and_the_tools_settings_after_an_import(api: Api, store: Store) -> None:
    ready_books(store, RecordingTool(), invoices=0)
    url = f"{V1}/tax-rates/GST on Income/tax-types/{TENANT}"
    bogus = api.put(url, json={"tax_type": "output"})
    assert bogus.status_code == 422
    found = problem(bogus)
    assert found["loc"] == ["body", "tax_type"]
    assert "'output' is not a tax type of tenant 'Acme AU'" in found["msg"]
    assert "did you mean OUTPUT?" in found["msg"] and "accepted: 'INPUT', 'OUTPUT'" in found["msg"]
    mapped = api.ok("PUT", url, json={"tax_type": "OUTPUT", "purchase_tax_type": "INPUT"})
    assert mapped == {
        "tax_rate": "GST on Income",
        "tenant": TENANT,
        "tax_type": "OUTPUT",
        "purchase_tax_type": "INPUT",
    }
    # Left out, the purchase tax type stays; null removes it.
    assert api.ok("PUT", url, json={"tax_type": "OUTPUT"})["purchase_tax_type"] == "INPUT"
    assert (
        api.ok("PUT", url, json={"tax_type": "OUTPUT", "purchase_tax_type": None})[
            "purchase_tax_type"
        ]
        is None
    )
    tenant = api.ok("GET", f"{V1}/tenants/{TENANT}")
    for key in ("currencies", "lock_date", "payment_terms", "tracking_categories"):
        assert key in tenant


def test_an_import_says_what_came_of_the_settings(
    api: Api, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LEDGER_DIR_ENV, str(tmp_path))
    api.ok("POST", f"{V1}/tenants", 201, json={"name": "Books", "integration": "ledger"})
    api.ok("POST", f"{V1}/tenants/Books/connect")
    imported = api.ok("POST", f"{V1}/tenants/Books/import")
    assert imported["notes"][0].startswith("settings: ")
    tenant = api.ok("GET", f"{V1}/tenants/Books")
    assert (tenant["settings_imported_at"] is not None) is imported["settings_imported"]
