"""Limits a caller meets before the service does any work: the body's size (413 before it is read
whole), text lengths and line counts (422 naming the field and the limit), amounts in ASCII digits,
a remote tenant ID that could not name a file; and what every answer carries or keeps back:
`nosniff`, no server path in a tenant, a docs page that loads nothing from anywhere else."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal

from api_support import Api, new_key, problem
from booksync.api import create_app
from booksync.api.middleware import DEFAULT_MAX_BODY, MAX_BODY_ENV
from booksync.services.errors import BadInput
from booksync.services.inputs import MAX_LINES, MAX_TEXT
from booksync.services.records import TENANTS
from booksync.store.db import Store
from booksync.store.models import Tenant
from cli_support import seed
from cli_support import snapshot as whole_snapshot

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def books(api: Api, db_url: str) -> Api:
    seed(db_url)
    return api


def snapshot(db_url: str) -> dict[str, Any]:
    """Every table but the API keys (whose `last_used_at` a first call sets)."""
    rows = whole_snapshot(db_url)
    rows.pop("api_keys")
    return rows


def _small_app(store: Store, portal: BlockingPortal, limit: int) -> Api:
    return Api(create_app(store, max_body=limit), portal, {"X-API-Key": new_key(store)})


# -- the body's size -------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_from_its_length(books: Api, db_url: str) -> None:
    before = snapshot(db_url)
    body = json.dumps({"name": "Big", "email": "a@b.test", "padding": "x" * DEFAULT_MAX_BODY})
    response = books.post("/api/v1/clients", content=body, headers=JSON)
    assert response.status_code == 413, response.text
    found = problem(response)
    assert found["loc"] == ["body"]
    assert "at most 1,048,576 bytes" in found["msg"]
    assert snapshot(db_url) == before


def test_a_streamed_body_is_cut_off_at_the_limit_without_being_read_whole(
    store: Store, portal: BlockingPortal, db_url: str
) -> None:
    api = _small_app(store, portal, 4096)
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "Streamed", "email": "'
        for _ in range(1000):  # 1 MB in 1 KB pieces, with no Content-Length
            sent.append(1)
            yield b"x" * 1024
        yield b'"}'

    before = snapshot(db_url)
    response = api.post("/api/v1/clients", content=chunks(), headers=JSON)
    assert response.status_code == 413, response.text
    assert problem(response)["loc"] == ["body"]
    assert len(sent) < 10, f"{len(sent)} KB were read past a 4 KB limit"
    assert snapshot(db_url) == before


def test_the_limit_is_set_by_environment_and_a_bad_setting_stops_startup(
    store: Store, portal: BlockingPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_BODY_ENV, "2048")
    api = Api(create_app(store), portal, {"X-API-Key": new_key(store)})
    assert api.post("/api/v1/clients", json={"name": "x" * 3000}).status_code == 413
    assert api.post("/api/v1/clients", json={"name": "Small Ltd"}).status_code == 201
    for bad in ("lots", "-1", "0", "1e6"):
        monkeypatch.setenv(MAX_BODY_ENV, bad)
        with pytest.raises(BadInput, match=f"{MAX_BODY_ENV}: '{bad}' is not a number of bytes"):
            create_app(store)


def test_a_web_form_over_the_limit_is_refused_too(store: Store, portal: BlockingPortal) -> None:
    api = Api(create_app(store, max_body=2048), portal, {})
    response = api.post("/sign-in", data={"username": "alice", "password": "p" * 5000})
    assert response.status_code == 413


# -- text, lines and amounts -----------------------------------------------------------------------


def test_text_longer_than_the_limit_is_refused_naming_the_field(books: Api, db_url: str) -> None:
    before = snapshot(db_url)
    too_long = "d" * (MAX_TEXT + 1)
    for path, body, loc in [
        ("/api/v1/products", {"name": "Widget", "description": too_long}, ["body", "description"]),
        (
            "/api/v1/invoices",
            {
                "number": "INV-9",
                "client": "Base Client",
                "lines": [{"product": "Backup 1TB", "description": too_long}],
            },
            ["body", "lines", 0, "description"],
        ),
    ]:
        response = books.post(path, json=body)
        assert response.status_code == 422, response.text
        found = problem(response)
        assert found["loc"] == loc
        assert found["msg"] == "is 4,001 characters long; accepted: at most 4,000 characters"
        assert len(response.content) < 2000  # the refusal does not echo the text back whole
    assert snapshot(db_url) == before
    made = books.ok(
        "POST", "/api/v1/products", 201, json={"name": "W", "description": "d" * MAX_TEXT}
    )
    assert len(made["description"]) == MAX_TEXT


def test_a_document_with_too_many_lines_is_refused_before_any_is_read(
    books: Api, db_url: str
) -> None:
    before = snapshot(db_url)
    lines = [{"product": "Backup 1TB"}] * (MAX_LINES + 1)
    response = books.post(
        "/api/v1/invoices", json={"number": "INV-9", "client": "Base Client", "lines": lines}
    )
    assert response.status_code == 422, response.text
    found = problem(response)
    assert found["loc"] == ["body", "lines"]
    assert found["msg"] == "has 1,001 lines; accepted: at most 1,000 lines per document"
    assert snapshot(db_url) == before


@pytest.mark.parametrize("digits", ["１２", "١٢", "۱۲", "12٫5"])
def test_amounts_are_accepted_in_ascii_digits_only(books: Api, db_url: str, digits: str) -> None:
    before = snapshot(db_url)
    for path, body, loc in [
        ("/api/v1/products", {"name": "Widget", "price": digits}, ["body", "price"]),
        ("/api/v1/tax-rates", {"name": "Odd", "percent": digits}, ["body", "percent"]),
        (
            "/api/v1/invoices",
            {"number": "INV-9", "client": "Base Client",
             "lines": [{"product": "Backup 1TB", "quantity": digits}]},
            ["body", "lines", 0, "quantity"],
        ),
    ]:  # fmt: skip
        response = books.post(path, json=body)
        assert response.status_code == 422, (digits, response.text)
        found = problem(response)
        assert found["loc"] == loc
        assert "ASCII digits" in found["msg"] and "49.00" in found["msg"]
    assert snapshot(db_url) == before


# -- tenants ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "remote", ["../x", "a/b", "a\\b", "..", "x..y", ".hidden", "", "  ", "a\tb"]
)
def test_a_remote_tenant_id_that_could_name_another_file_is_refused_at_creation(
    books: Api, db_url: str, remote: str
) -> None:
    before = snapshot(db_url)
    for integration in ("ledger", "xero"):
        body = {"name": "New Books", "integration": integration, "remote_tenant_id": remote}
        response = books.post("/api/v1/tenants", json=body)
        assert response.status_code == 422, response.text
        assert problem(response)["loc"] == ["body", "remote_tenant_id"]
    edit = books.patch("/api/v1/tenants/Acme AU", json={"remote_tenant_id": remote})
    assert edit.status_code == 422, edit.text
    assert snapshot(db_url) == before


def test_a_tenant_never_shows_the_servers_ledger_path(books: Api, store: Store) -> None:
    secret_path = "/srv/booksync/private/ledgers"
    with store.session() as s:
        tenant = TENANTS.create_for(s, "ledger", {"name": "Local Books"})
        tenant.connection_detail = secret_path
    shown = books.ok("GET", "/api/v1/tenants/Local Books")
    assert shown["connection_detail"] == "a folder on the server"
    listed = books.get("/api/v1/tenants")
    assert secret_path not in listed.text and "/srv/" not in listed.text
    with store.session() as s:
        cloud = s.get(Tenant, books.ok("GET", "/api/v1/tenants/Acme AU")["id"])
        assert cloud is not None
        cloud.connection_detail = "https://api.xero.com/api.xro/2.0"
    assert books.ok("GET", "/api/v1/tenants/Acme AU")["connection_detail"].startswith("https://")


# -- what every answer carries ---------------------------------------------------------------------


def test_every_answer_says_nosniff(books: Api, anonymous: Api) -> None:
    answers = [
        books.get("/api/v1/clients"),
        books.get("/api/v1/clients/Nobody"),
        books.post("/api/v1/clients", json={"name": 5}),
        books.post("/api/v1/clients", content=b"{not json", headers=JSON),
        anonymous.get("/api/v1/clients"),
        anonymous.get("/openapi.json"),
        anonymous.get("/api/docs"),
    ]
    assert [a.headers.get("x-content-type-options") for a in answers] == ["nosniff"] * len(answers)
    assert all(
        a.headers["content-type"].startswith(("application/json", "text/html")) for a in answers
    )


def test_the_docs_page_is_local_and_runs_nothing(anonymous: Api) -> None:
    page = anonymous.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html.lower()
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    assert "/api/v1/clients" in html and 'href="/openapi.json"' in html
    assert "ClientDocumentCreate" in html  # schemas are listed
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    spec: dict[str, Any] = anonymous.ok("GET", "/openapi.json")
    assert spec["info"]["title"] == "booksync"
