"""Every record type through the REST API: create, get (by reference and by id), list with paging,
search and filters, update, delete; bad input as 422 with the field's path, and nothing written."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api_support import Api, problem
from booksync.services.records import RECORD_TYPES
from booksync.services.serialize import to_dict
from booksync.store.db import Store
from booksync.store.models import Client
from cli_support import seed, subset
from cli_support import snapshot as whole_snapshot

# (collection path, body to create, what comes back, changes, what comes back after them)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("tenants", {"name": "Acme NZ", "integration": "xero", "base_currency": "nzd"},
     {"name": "Acme NZ", "integration": "xero", "remote_tenant_id": "Acme NZ",
      "base_currency": "NZD", "connection": "never"},
     {"remote_tenant_id": "nz-1"}, {"remote_tenant_id": "nz-1", "base_currency": "NZD"}),
    ("tax-rates", {"name": "Zero Rated", "percent": "0"},
     {"name": "Zero Rated", "percent": "0", "is_default": False, "tax_types": {}},
     {"percent": 12.5, "is_default": True}, {"percent": "12.5", "is_default": True}),
    ("account-codes", {"name": "Consulting", "code": "210", "kind": "income", "tenant": "Acme AU"},
     {"name": "Consulting", "code": "210", "kind": "income", "tenant": "Acme AU", "active": True},
     {"code": "", "tenant": None}, {"code": "", "tenant": None}),
    ("item-groups", {"name": "Support", "tax_rate": "GST Free", "expense_account": "300"},
     {"name": "Support", "tax_rate": "GST Free", "income_account": None, "expense_account": "300"},
     {"name": "Support Plans", "tax_rate": ""}, {"name": "Support Plans", "tax_rate": None}),
    ("clients", {"name": "Acme Ltd", "email": "ap@acme.test", "currency": "nzd", "tenant": "Acme AU"},
     {"name": "Acme Ltd", "email": "ap@acme.test", "currency": "NZD", "tenant": "Acme AU",
      "remote_id": None, "exclude_from_accounting": False, "version": 1},
     {"exclude_from_accounting": True, "email": None, "remote_id": "C-9"},
     {"exclude_from_accounting": True, "email": None, "remote_id": "C-9", "version": 2}),
    ("suppliers", {"name": "Disk Co", "tax_rate": "GST Free"},
     {"name": "Disk Co", "tax_rate": "GST Free", "tenant": None, "version": 1},
     {"tenant": "Acme AU"}, {"tenant": "Acme AU", "version": 2}),
    ("products", {"name": "Backup 2TB", "code": "B2", "price": "79", "cost": 40.5,
                  "item_group": "Backup", "use_item_group_tax": True},
     {"name": "Backup 2TB", "code": "B2", "price": "79.00", "cost": "40.50",
      "item_group": "Backup", "use_item_group_tax": True, "tax_rate": None},
     {"price": "12.3456", "item_group": None}, {"price": "12.3456", "item_group": None}),
    ("invoices", {"number": "INV-7", "client": "Base Client", "issue_date": "2026-10-01",
                  "due_date": "2026-10-31",
                  "lines": [{"product": "Backup 1TB", "quantity": "2"},
                            {"product": "Backup 1TB", "quantity": "0.5", "unit_price": "10.125",
                             "tax_rate": "GST Free", "description": "Half"}]},
     {"number": "INV-7", "type": "invoice", "client": "Base Client", "issue_date": "2026-10-01",
      "due_date": "2026-10-31", "status": "draft", "subtotal": "103.06"},
     {"status": "authorised", "lines": [{"product": "Backup 1TB", "quantity": 3}]},
     {"status": "authorised", "subtotal": "147.00"}),
    ("sales-orders", {"number": "SO-1", "client": "Base Client",
                      "lines": [{"product": "Backup 1TB"}]},
     {"number": "SO-1", "type": "sales_order", "client": "Base Client", "subtotal": "49.00"},
     {"reference": "PO 55"}, {"reference": "PO 55"}),
    ("purchase-orders", {"number": "PO-1", "supplier": "Base Supplier",
                         "lines": [{"product": "Backup 1TB", "quantity": "4"}]},
     {"number": "PO-1", "type": "purchase_order", "supplier": "Base Supplier",
      "subtotal": "120.00"},
     {"currency": "nzd"}, {"currency": "NZD"}),
    ("credit-notes", {"number": "CN-1", "client": "Base Client", "currency": "USD",
                      "lines": [{"product": "Backup 1TB", "unit_price": "-49"}]},
     {"number": "CN-1", "type": "credit_note", "currency": "USD", "subtotal": "-49.00"},
     {"number": "CN-2"}, {"number": "CN-2"}),
]  # fmt: skip

V1 = "/api/v1"
LINE = {"product": "Backup 1TB"}


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the books (an API key's `last_used_at` moves on any call, rejected or not)."""
    tables = whole_snapshot(db_url)
    del tables["api_keys"]
    return tables


@pytest.fixture
def seeded(store: Store, db_url: str) -> Store:
    seed(db_url)
    return store


@pytest.mark.parametrize(
    ("path", "body", "created", "changes", "changed"), CASES, ids=[c[0] for c in CASES]
)
def test_every_record_type_round_trips(
    api: Api,
    seeded: Store,
    path: str,
    body: dict[str, Any],
    created: dict[str, Any],
    changes: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    response = api.post(f"{V1}/{path}", json=body)
    assert response.status_code == 201, response.text
    record = response.json()
    assert subset(record, created) == created
    assert response.headers["location"].endswith(f"{V1}/{path}/{record['id']}")
    key = "number" if "number" in record else "name"
    assert api.ok("GET", f"{V1}/{path}/{record[key]}") == record
    assert api.ok("GET", f"{V1}/{path}/{record['id']}") == record
    assert record in api.ok("GET", f"{V1}/{path}")["items"]

    edited = api.ok("PATCH", f"{V1}/{path}/{record['id']}", json=changes)
    assert subset(edited, changed) == changed
    assert api.ok("GET", f"{V1}/{path}/{record['id']}") == edited

    assert api.ok("DELETE", f"{V1}/{path}/{edited[key]}", expect=204) is None
    gone = api.get(f"{V1}/{path}/{record['id']}")
    assert gone.status_code == 404
    assert problem(gone)["loc"] == ["path", "ref"]


def test_answers_are_the_service_layers_json(api: Api, seeded: Store) -> None:
    """The API shows each record exactly as `to_dict` (and so the CLI's --json) does."""
    for path, party in [
        ("invoices", "client"),
        ("sales-orders", "client"),
        ("credit-notes", "client"),
        ("purchase-orders", "supplier"),
    ]:
        body = {"number": "X-9", party: f"Base {party.title()}", "lines": [LINE]}
        api.ok("POST", f"{V1}/{path}", 201, json=body)
    for name, service in RECORD_TYPES.items():
        path = name.replace("_", "-") + "s"
        with seeded.session() as s:
            expected = [to_dict(r) for r in service.list(s)]
        assert expected, f"the seed has no {name}"
        assert api.ok("GET", f"{V1}/{path}")["items"] == expected, name


def test_paging_search_and_filters(api: Api, seeded: Store) -> None:
    for i in range(5):
        api.ok(
            "POST",
            f"{V1}/clients",
            201,
            json={"name": f"Paged {i}", "exclude_from_accounting": i % 2 == 0},
        )
    first = api.ok("GET", f"{V1}/clients", params={"search": "paged", "limit": 2})
    assert [c["name"] for c in first["items"]] == ["Paged 0", "Paged 1"]
    assert (first["limit"], first["offset"], first["next_offset"]) == (2, 0, 2)
    last = api.ok("GET", f"{V1}/clients", params={"search": "PAGED", "limit": 2, "offset": 4})
    assert [c["name"] for c in last["items"]] == ["Paged 4"] and last["next_offset"] is None
    excluded = api.ok("GET", f"{V1}/clients", params={"exclude_from_accounting": "true"})
    assert [c["name"] for c in excluded["items"]] == ["Paged 0", "Paged 2", "Paged 4"]
    in_tenant = api.ok("GET", f"{V1}/clients", params={"tenant": "Acme AU"})
    assert [c["name"] for c in in_tenant["items"]] == ["Base Client"]
    api.ok(
        "POST",
        f"{V1}/invoices",
        201,
        json={
            "number": "INV-1",
            "client": "Base Client",
            "status": "paid",
            "lines": [{"product": "Backup 1TB"}],
        },
    )
    api.ok(
        "POST",
        f"{V1}/invoices",
        201,
        json={"number": "INV-2", "client": "Paged 1", "lines": [{"product": "Backup 1TB"}]},
    )
    paid = api.ok("GET", f"{V1}/invoices", params={"status": "paid"})
    assert [d["number"] for d in paid["items"]] == ["INV-1"]
    for_client = api.ok("GET", f"{V1}/invoices", params={"client": "Paged 1"})
    assert [d["number"] for d in for_client["items"]] == ["INV-2"]
    tenants = api.ok("GET", f"{V1}/tenants", params={"integration": "xero"})["items"]
    assert [t["name"] for t in tenants] == ["Acme AU"]
    assert api.ok("GET", f"{V1}/tenants", params={"integration": "quickbooks"})["items"] == []
    account_codes = api.ok("GET", f"{V1}/account-codes", params={"kind": "expense"})["items"]
    assert [a["name"] for a in account_codes] == ["Purchases"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"tenant": "Nowhere"}, ["query", "tenant"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 100000}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"exclude_from_accounting": "maybe"}, ["query", "exclude_from_accounting"]),
        ({"colour": "red"}, ["query", "colour"]),
    ],
    ids=["unknown tenant", "limit 0", "limit too big", "negative offset", "not a bool", "unknown"],
)
def test_a_bad_list_query_is_422_naming_the_parameter(
    api: Api, seeded: Store, params: dict[str, Any], loc: list[Any]
) -> None:
    response = api.get(f"{V1}/clients", params=params)
    assert response.status_code == 422, response.text
    assert problem(response)["loc"] == loc


# (path, method, body, the status, the field path, words the message must hold)
BAD_INPUT: list[tuple[str, str, dict[str, Any], int, list[Any], list[str]]] = [
    ("invoices", "POST", {"number": "INV-2", "client": "Nobody", "lines": [LINE]},
     422, ["body", "client"], ["'Nobody'", "is not a known client", "'Base Client'"]),
    ("invoices", "POST", {"number": "INV-2", "client": "Base Client",
                          "lines": [LINE, {"product": "Backup 9TB"}]},
     422, ["body", "lines", 1, "product"], ["'Backup 9TB'", "'Backup 1TB'"]),
    ("invoices", "POST", {"number": "INV-2", "client": "Base Client",
                          "lines": [LINE, {"product": "Backup 1TB", "quantity": "2x"}]},
     422, ["body", "lines", 1, "quantity"], ["not a number"]),
    ("invoices", "POST", {"number": "INV-2", "client": "Base Client", "lines": []},
     422, ["body", "lines"], ["at least 1"]),
    ("invoices", "POST", {"number": "INV-2", "client": "Base Client", "lines": [LINE],
                          "issue_date": "2026-10-10", "due_date": "2026-10-01"},
     422, ["body", "due_date"], ["before the issue date", "2026-10-10 or later"]),
    ("invoices", "POST", {"number": "INV-2", "client": "Base Client", "party": "Base Client",
                          "lines": [LINE]},
     422, ["body", "party"], ["Extra inputs"]),
    ("purchase-orders", "POST", {"number": "PO-2", "supplier": "Base Client", "lines": [LINE]},
     422, ["body", "supplier"], ["is not a known supplier", "'Base Supplier'"]),
    ("products", "POST", {"name": "Widget", "price": "1.23456"},
     422, ["body", "price"], ["at most 4"]),
    ("products", "POST", {"name": "Widget", "price": -5},
     422, ["body", "price"], ["0 or more"]),
    ("products", "POST", {"name": "Widget", "price": "1e30"},
     422, ["body", "price"], ["too large", "at most 14 digits"]),
    ("products", "POST", {"name": "Widget", "cost": 1e300},
     422, ["body", "cost"], ["too large"]),
    ("clients/99999999999999999999999", "PATCH", {"email": "a@b.test"},
     404, ["path", "ref"], ["is not a known client"]),
    ("clients/²", "PATCH", {"email": "a@b.test"}, 404, ["path", "ref"], ["is not a known client"]),
    ("products", "POST", {"name": "Widget", "tenant": "Acme UK"},
     422, ["body", "tenant"], ["'Acme UK'", "'Acme AU'"]),
    ("products", "POST", {"price": "5"}, 422, ["body", "name"], ["required"]),
    ("clients", "POST", {"name": "Widget Co", "currency": "XYZ"},
     422, ["body", "currency"], ["ISO 4217", "AUD"]),
    ("clients", "POST", {"name": "Widget Co", "email": "nope"},
     422, ["body", "email"], ["name@example.com"]),
    ("clients", "POST", {"name": "Base Client"},
     409, ["body", "name"], ["'Base Client'", "already used"]),
    ("clients/Base Client", "PATCH", {"name": ""}, 422, ["body", "name"], ["at least 1"]),
    ("clients/Base Client", "PATCH", {"tax_rate": "VAT"},
     422, ["body", "tax_rate"], ["'VAT'", "'GST Free'"]),
    ("tax-rates", "POST", {"name": "Silly", "percent": "101"},
     422, ["body", "percent"], ["more than 100"]),
    ("account-codes", "POST", {"name": "Misc", "kind": "asset"},
     422, ["body", "kind"], ["income", "expense"]),
    ("tenants", "POST", {"name": "Acme UK", "integration": "myob"},
     422, ["body", "integration"], ["ledger", "xero"]),
    ("tenants", "POST", {"name": "Acme AU", "integration": "ledger"},
     409, ["body", "name"], ["already used"]),
    ("clients/Nobody", "PATCH", {"email": "a@b.test"},
     404, ["path", "ref"], ["'Nobody'", "is not a known client"]),
    ("products/Backup 1TB", "DELETE", {}, 409, ["path", "ref"], ["still used"]),
    ("tax-rates/GST on Income", "DELETE", {}, 409, ["path", "ref"], ["still used by 1 item groups"]),
]  # fmt: skip


def test_bad_input_names_the_field_and_writes_nothing(api: Api, seeded: Store, db_url: str) -> None:
    """Every case in BAD_INPUT, on one set of books: the status, the field's path in `loc`, a
    message naming the value and what is accepted, and not one row changed."""
    api.ok(
        "POST",
        f"{V1}/invoices",
        201,
        json={"number": "INV-1", "client": "Base Client", "lines": [LINE]},
    )
    before = snapshot(db_url)
    wrong = []
    for path, method, body, status, loc, words in BAD_INPUT:
        case = f"{method} {path} {body}"
        response = api.request(method, f"{V1}/{path}", json=body or None)
        if response.status_code != status:
            wrong.append(f"{case}: {response.status_code} {response.text}")
            continue
        found = problem(response)
        if found["loc"] != loc or not all(word in found["msg"] for word in words):
            wrong.append(f"{case}: {found}")
        if snapshot(db_url) != before:
            wrong.append(f"{case}: wrote to the store")
            before = snapshot(db_url)
    assert not wrong, "\n".join(wrong)


def test_a_request_that_fails_halfway_is_rolled_back_whole(api: Api, seeded: Store) -> None:
    """Making a rate the default first un-defaults the old one; the rename then clashes, and the
    whole request is undone, so the old default stays."""
    response = api.patch(
        f"{V1}/tax-rates/GST Free", json={"is_default": True, "name": "GST on Income"}
    )
    assert response.status_code == 409, response.text
    rates = {r["name"]: r["is_default"] for r in api.ok("GET", f"{V1}/tax-rates")["items"]}
    assert rates == {"GST on Income": True, "GST Free": False}


@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        (f"{V1}/clients/bad%00name", None, ["path", "ref"]),
        (f"{V1}/clients?search=a%00b", None, ["query", "search"]),
        (f"{V1}/clients", '{"name": "a\\u0000b"}', ["body", "name"]),
        (
            f"{V1}/invoices",
            '{"number": "I", "client": "Base Client", "lines": [{"product": "\\ud800"}]}',
            ["body", "lines", 0, "product"],
        ),
    ],
    ids=["path", "query", "body", "nested body"],
)
def test_text_no_database_can_store_is_422_not_a_crash(
    api: Api, seeded: Store, db_url: str, url: str, body: str | None, loc: list[Any]
) -> None:
    before = snapshot(db_url)
    method = "POST" if body else "GET"
    response = api.request(method, url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert problem(response)["loc"] == loc
    assert snapshot(db_url) == before


def test_a_commit_that_fails_is_not_answered_as_saved(api: Api, seeded: Store) -> None:
    """The request's transaction commits before the answer is sent, so a commit that fails (here
    as if another request had just taken the name) is a 409, never a 201 for nothing saved."""

    def clash(session: Session) -> None:
        if any(
            isinstance(obj, Client) and obj.name == "Racer" for obj in session.identity_map.values()
        ):
            raise IntegrityError("INSERT INTO clients", {}, Exception("unique constraint"))

    event.listen(seeded.sessions, "before_commit", clash)
    try:
        response = api.post(f"{V1}/clients", json={"name": "Racer"})
    finally:
        event.remove(seeded.sessions, "before_commit", clash)
    assert response.status_code == 409, response.text
    assert problem(response)["type"] == "conflict"
    assert api.get(f"{V1}/clients/Racer").status_code == 404


def test_the_largest_storable_amounts_are_kept_and_shown(api: Api, seeded: Store) -> None:
    biggest = "99999999999999.9999"
    line = {"product": "Backup 1TB", "quantity": biggest, "unit_price": biggest}
    made = api.ok(
        "POST",
        f"{V1}/invoices",
        201,
        json={"number": "INV-BIG", "client": "Base Client", "lines": [line, line]},
    )
    with localcontext(prec=60):
        amount = Decimal(biggest) * Decimal(biggest)
        expected = amount.quantize(Decimal("0.01"))
        total = (2 * expected).quantize(Decimal("0.01"))
    shown = api.ok("GET", f"{V1}/invoices/INV-BIG")
    assert shown == made
    assert [(ln["quantity"], ln["unit_price"], ln["amount"]) for ln in shown["lines"]] == [
        (biggest, biggest, str(expected))
    ] * 2
    assert shown["subtotal"] == str(total)
    assert api.ok("GET", f"{V1}/doctor/invoice/INV-BIG")["record"]["ref"] == "INV-BIG"


def test_a_name_with_a_slash_is_reachable(api: Api, seeded: Store) -> None:
    made = api.ok("POST", f"{V1}/clients", 201, json={"name": "Smith/Jones"})
    assert api.ok("GET", f"{V1}/clients/Smith%2FJones")["id"] == made["id"]
    assert api.ok("GET", f"{V1}/clients/Smith/Jones")["id"] == made["id"]


def test_integrations_list_show_and_configure(api: Api, store: Store) -> None:
    listed = api.ok("GET", f"{V1}/integrations")
    assert [(i["kind"], i["enabled"], i["id"]) for i in listed] == [
        ("ledger", False, None),
        ("xero", False, None),
        ("quickbooks", False, None),
    ]
    changed = api.ok(
        "PATCH",
        f"{V1}/integrations/xero",
        json={
            "enabled": True,
            "entities_to_sync": ["invoice", "client"],
            "show_success_messages": True,
        },
    )
    assert subset(
        changed,
        {"enabled": True, "entities_to_sync": ["client", "invoice"], "show_success_messages": True},
    ) == {"enabled": True, "entities_to_sync": ["client", "invoice"], "show_success_messages": True}
    assert api.ok("GET", f"{V1}/integrations/xero") == changed
    bad = api.patch(f"{V1}/integrations/xero", json={"entities_to_sync": ["client", "widget"]})
    assert bad.status_code == 422 and problem(bad)["loc"] == ["body", "entities_to_sync", 1]
    unknown = api.get(f"{V1}/integrations/sage")
    assert unknown.status_code == 422 and problem(unknown)["loc"] == ["path", "kind"]


def test_tax_rate_maps_to_a_tenants_tax_type(api: Api, seeded: Store) -> None:
    mapped = api.ok(
        "PUT", f"{V1}/tax-rates/GST on Income/tax-types/Acme AU", json={"tax_type": "OUTPUT2"}
    )
    assert mapped == {
        "tax_rate": "GST on Income",
        "tenant": "Acme AU",
        "tax_type": "OUTPUT2",
        "purchase_tax_type": None,
    }
    assert api.ok("GET", f"{V1}/tax-rates/GST on Income")["tax_types"] == {"Acme AU": "OUTPUT2"}
    missing = api.put(f"{V1}/tax-rates/GST on Income/tax-types/Acme UK", json={"tax_type": "X"})
    assert missing.status_code == 404 and problem(missing)["loc"] == ["path", "tenant"]
    api.ok("DELETE", f"{V1}/tax-rates/GST on Income/tax-types/Acme AU", 204)
    assert api.ok("GET", f"{V1}/tax-rates/GST on Income")["tax_types"] == {}
