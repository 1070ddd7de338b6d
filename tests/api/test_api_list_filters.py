"""The API's record lists answer "what is stuck?" as the web's lists do: filter by sync state and by
state in the tool (paid, drifted), search by number, client and reference, sort, page by page size;
the older limit, offset, search and column filters keep working beside them; a bad value is a 422
naming the query parameter."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api_support import Api, problem
from booksync.domain.types import EntityType
from booksync.services.record_lists import sort_keys
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from booksync.store.models import RemoteState, Tenant
from cli_support import seed

V1 = "/api/v1"
INVOICES = DOCUMENTS[EntityType.INVOICE]


@pytest.fixture
def books(store: Store, db_url: str) -> Store:
    """The seed's books (a Xero tenant never connected, so its records are not yet known), two
    clients blocked by a rule, and invoices with numbers, clients and references to search."""
    seed(db_url)
    with store.session() as s:
        CLIENTS.create(
            s, {"name": "Hidden Ltd", "tenant": "Acme AU", "exclude_from_accounting": True}
        )
        CLIENTS.create(s, {"name": "Homeless Ltd"})  # no tenant: record.tenant_set
        CLIENTS.create(s, {"name": "Zeta Pty", "tenant": "Acme AU"})
        for number, client, reference in (
            ("INV-100", "Base Client", "PO 7781"),
            ("INV-101", "Zeta Pty", "June support"),
            ("INV-102", "Zeta Pty", ""),
        ):
            INVOICES.create(
                s,
                {
                    "number": number,
                    "party": client,
                    "reference": reference or None,
                    "lines": [{"product": "Backup 1TB"}],
                },
            )
    return store


def names(api: Api, path: str, **params: Any) -> list[str]:
    items = api.ok("GET", f"{V1}/{path}", params=params)["items"]
    return [item.get("name") or item["number"] for item in items]


def test_sync_state_lists_exactly_the_records_in_that_state(api: Api, books: Store) -> None:
    assert names(api, "clients", sync_state="blocked") == ["Hidden Ltd", "Homeless Ltd"]
    unknown = ["Base Client", "Zeta Pty"]
    assert names(api, "clients", sync_state="unknown") == unknown
    assert names(api, "clients", sync_state="not yet known") == unknown  # as the web words it
    assert names(api, "clients", sync_state="synced") == []
    # With the older column filters and search: every condition holds.
    assert names(api, "clients", sync_state="blocked", tenant="Acme AU") == ["Hidden Ltd"]
    assert names(api, "clients", sync_state="blocked", search="home") == ["Homeless Ltd"]


def test_tool_state_lists_the_paid_and_the_drifted_whatever_their_sync_state(
    api: Api, app: FastAPI, books: Store
) -> None:
    """INV-100 paid in Xero, INV-101 and Zeta Pty changed there since booksync pushed them."""
    with books.session() as s:
        tenant = s.scalars(select(Tenant.id).where(Tenant.name == "Acme AU")).one()
        paid, edited = INVOICES.get(s, "INV-100"), INVOICES.get(s, "INV-101")
        zeta = CLIENTS.get(s, "Zeta Pty")
        changed = [{"field": "reference", "booksync": "x", "tool": "y"}]
        for record, entity, status, drift in (
            (paid, "invoice", "paid", None),
            (edited, "invoice", "open", changed),
            (zeta, "client", "active", changed),
        ):
            record.remote_id = f"x-{entity}-{record.id}"
            s.add(
                RemoteState(
                    tenant_id=tenant, entity_type=entity, record_id=record.id,
                    remote_id=record.remote_id, status=status, fields={}, drift=drift,
                    drift_state="open" if drift else None,
                )
            )  # fmt: skip
    assert names(api, "invoices", tool_state="paid") == ["INV-100"]
    assert names(api, "invoices", tool_state="drifted") == ["INV-101"]
    assert names(api, "invoices", tool_state="part paid") == []  # as the web words it
    assert names(api, "clients", tool_state="drifted") == ["Zeta Pty"]
    # Beside the sync state (these invoices are blocked by a rule), not instead of it.
    assert names(api, "invoices", tool_state="paid", sync_state="blocked") == ["INV-100"]
    assert names(api, "invoices", tool_state="paid", sync_state="synced") == []
    described = next(
        p["description"]
        for p in app.openapi()["paths"]["/api/v1/invoices"]["get"]["parameters"]
        if p["name"] == "tool_state"
    )
    assert "paid, part_paid, voided, drifted" in described


def test_q_searches_number_client_and_reference(api: Api, books: Store) -> None:
    assert names(api, "invoices", q="inv-101") == ["INV-101"]
    assert names(api, "invoices", q="zeta") == ["INV-101", "INV-102"]
    assert names(api, "invoices", q="7781") == ["INV-100"]
    assert names(api, "invoices", q="zeta", client="Zeta Pty", search="102") == ["INV-102"]
    assert names(api, "clients", q="pty") == ["Zeta Pty"]


def test_sort_by_a_column_either_way_and_by_sync_state(api: Api, books: Store) -> None:
    assert names(api, "invoices", sort="-number") == ["INV-102", "INV-101", "INV-100"]
    assert names(api, "invoices", sort="client") == ["INV-100", "INV-101", "INV-102"]
    by_state = names(api, "clients", sort="sync_state")
    # unknown before blocked (the web's order: what will go first, what needs a person last)
    assert by_state == ["Base Client", "Zeta Pty", "Hidden Ltd", "Homeless Ltd"]
    assert names(api, "clients", sort="-sync_state")[:2] == ["Hidden Ltd", "Homeless Ltd"]


def test_page_size_and_page_beside_limit_and_offset(api: Api, books: Store) -> None:
    with books.session() as s:
        for n in range(12):
            CLIENTS.create(s, {"name": f"Paged {n:02}", "tenant": "Acme AU"})
    second = api.ok("GET", f"{V1}/clients", params={"q": "paged", "page_size": 10, "page": 2})
    assert [c["name"] for c in second["items"]] == ["Paged 10", "Paged 11"]
    assert (second["limit"], second["offset"], second["next_offset"]) == (10, 10, None)
    first = api.ok("GET", f"{V1}/clients", params={"q": "paged", "limit": 5, "offset": 3})
    assert [c["name"] for c in first["items"]] == [f"Paged {n:02}" for n in range(3, 8)]
    assert first["next_offset"] == 8
    # A page past the end is empty, as offset past the end always was.
    beyond = api.ok("GET", f"{V1}/clients", params={"q": "paged", "page_size": 10, "page": 3})
    assert beyond["items"] == [] and beyond["next_offset"] is None
    # Lists of records that do not sync page the same way.
    rates = api.ok("GET", f"{V1}/tax-rates", params={"page_size": 10, "page": 1})
    assert [r["name"] for r in rates["items"]] == ["GST on Income", "GST Free"]


@pytest.mark.parametrize(
    ("path", "params", "loc", "accepted"),
    [
        ("clients", {"sync_state": "stuck"}, "sync_state", "'blocked'"),
        ("invoices", {"sync_state": "paid"}, "sync_state", "tool_state=paid"),
        ("clients", {"tool_state": "paid"}, "tool_state", "'drifted'"),
        ("tax-rates", {"tool_state": "drifted"}, "tool_state", None),
        ("invoices", {"sort": "colour"}, "sort", "'number'"),
        ("clients", {"sort": "-number"}, "sort", "'name'"),
        ("clients", {"page_size": 7}, "page_size", "'25'"),
        ("tax-rates", {"page_size": 30}, "page_size", "'25'"),
        ("clients", {"page_size": 10, "limit": 10}, "page_size", "page_size or limit"),
        ("clients", {"page": 2, "offset": 5}, "page", "page or offset"),
        ("clients", {"page": 0}, "page", None),
        ("invoices", {"q": "a\x00b"}, "q", None),
        ("tax-rates", {"sync_state": "blocked"}, "sync_state", None),
    ],
    ids=[
        "unknown state",
        "a state in the tool as a sync state",
        "paid on clients",
        "tool state on a list that does not sync",
        "unknown column",
        "a document's column on clients",
        "page size not offered",
        "page size on a plain list",
        "page size and limit",
        "page and offset",
        "page 0",
        "unstorable search",
        "sync state on a list that does not sync",
    ],
)
def test_a_bad_list_parameter_is_422_naming_it(
    api: Api, books: Store, path: str, params: dict[str, Any], loc: str, accepted: str | None
) -> None:
    response = api.request("GET", f"{V1}/{path}", params=params)
    assert response.status_code == 422, response.text
    found = problem(response)
    assert found["loc"] == ["query", loc]
    if accepted is not None:
        assert found["msg"].startswith(f"{loc}: ") and accepted in found["msg"]


@pytest.mark.parametrize(
    ("path", "entity"),
    [
        ("clients", EntityType.CLIENT),
        ("products", EntityType.PRODUCT),
        ("invoices", EntityType.INVOICE),
        ("purchase-orders", EntityType.PURCHASE_ORDER),
    ],
)
def test_every_column_the_web_sorts_by_the_api_sorts_by(
    api: Api, books: Store, path: str, entity: EntityType
) -> None:
    for key in sort_keys(entity):
        for order in (key, f"-{key}"):
            response = api.request("GET", f"{V1}/{path}", params={"sort": order})
            assert response.status_code == 200, (order, response.text)
