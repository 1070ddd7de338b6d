"""The README tour through the REST API alone: set up, connect a ledger tenant, sync, ask the
doctor why an invoice is blocked, fix it, sync again, read the status and the timeline, retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from beancount import loader

from api_support import Api, problem
from booksync.connectors.ledger.tool import DIR_ENV as LEDGER_DIR_ENV
from booksync.store.db import Store

V1 = "/api/v1"


@pytest.fixture
def ledger_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ledgers"
    monkeypatch.setenv(LEDGER_DIR_ENV, str(folder))
    return folder


def small_books(api: Api) -> None:
    """The CLI tour's books, made over HTTP; the account code has no Code yet."""
    api.ok(
        "PATCH",
        f"{V1}/integrations/ledger",
        json={
            "enabled": True,
            "entities_to_sync": ["client", "product", "invoice"],
            "show_success_messages": True,
        },
    )
    calls: list[tuple[str, dict[str, Any]]] = [
        ("tenants", {"name": "Acme AU", "integration": "ledger", "remote_tenant_id": "acme-au"}),
        ("tax-rates", {"name": "GST on Income", "percent": "10"}),
        ("account-codes", {"name": "Sales", "kind": "income"}),
        ("clients", {"name": "Acme Ltd", "tenant": "Acme AU"}),
        (
            "products",
            {
                "name": "Backup 1TB",
                "price": "49",
                "income_account": "Sales",
                "tax_rate": "GST on Income",
                "tenant": "Acme AU",
            },
        ),
        (
            "invoices",
            {
                "number": "INV-1001",
                "client": "Acme Ltd",
                "issue_date": "2026-10-05",
                "lines": [{"product": "Backup 1TB", "quantity": "2", "unit_price": "49.00"}],
            },
        ),
    ]
    for path, body in calls:
        api.ok("POST", f"{V1}/{path}", 201, json=body)
    api.ok("PUT", f"{V1}/tax-rates/GST on Income/tax-types/Acme AU", json={"tax_type": "OUTPUT"})


def test_the_tour_through_the_api(api: Api, store: Store, ledger_dir: Path) -> None:
    small_books(api)
    tenant = api.ok("POST", f"{V1}/tenants/Acme AU/connect")
    assert tenant["connection"] == "connected"
    assert tenant["connection_detail"] == "a folder on the server"  # never the server's path
    imported = api.ok("POST", f"{V1}/tenants/Acme AU/import")
    assert (imported["account_codes"], imported["tax_types"]) == (18, 5)

    first = api.ok("POST", f"{V1}/sync/run")
    assert (first["synced"], first["blocked"], first["failed"]) == (1, 2, 0)
    assert any(
        n["level"] == "success" and n["text"].startswith("Client Acme Ltd → Ledger 'Acme AU' as ")
        for n in first["notices"]
    )

    doctor = api.ok("GET", f"{V1}/doctor/invoice/INV-1001")
    assert (doctor["ready"], doctor["status"]) == (False, "blocked")
    assert [b["id"] for b in doctor["blockers"]] == ["account_code.code_set"]
    assert doctor["blockers"][0]["fix"] == "booksync account-code edit 1 --code CODE"
    assert doctor["tax"][0]["rate"] == "GST on Income"
    report = api.ok("GET", f"{V1}/doctor")
    assert (report["total"], report["blocked"]) == (3, 2)
    assert report["blockers"][0]["id"] == "account_code.code_set"
    assert report["blockers"][0]["by_type"] == {"product": 1, "invoice": 1}

    api.ok("PATCH", f"{V1}/account-codes/Sales", json={"code": "200"})
    second = api.ok("POST", f"{V1}/sync/run")
    assert (second["synced"], second["blocked"], second["failed"]) == (2, 0, 0)
    assert api.ok("GET", f"{V1}/doctor/invoice/INV-1001")["ready"] is True

    status = api.ok("GET", f"{V1}/sync/status")
    assert status["totals"]["synced"] == 3 and status["tenants"]["Acme AU"]["synced"] == 3
    timeline = api.ok("GET", f"{V1}/sync/timeline/invoice/INV-1001")
    assert [e["kind"] for e in timeline["events"]] == ["changed", "blocked", "synced"]
    assert timeline["events"][-1]["request"]["number"] == "INV-1001"
    assert timeline["job"]["status"] == "synced" and timeline["job"]["remote_id"]

    retried = api.ok("POST", f"{V1}/sync/retry/invoice/INV-1001")
    assert retried == {
        "record": {"type": "invoice", "ref": "INV-1001", "id": timeline["record"]["id"]},
        "status": "pending",
    }
    assert api.ok("GET", f"{V1}/sync/timeline/invoice/1")["job"]["status"] == "pending"
    assert api.ok("POST", f"{V1}/sync/run")["synced"] == 1
    entries, errors, _ = loader.load_file(str(ledger_dir / "acme-au.beancount"))
    assert errors == []
    assert sum(1 for e in entries if "INV-1001" in getattr(e, "links", ())) == 1


def test_doctor_and_sync_name_what_is_wrong_with_the_request(api: Api, store: Store) -> None:
    api.ok("POST", f"{V1}/clients", 201, json={"name": "Acme Ltd"})
    cases = [
        ("GET", f"{V1}/doctor/invoice/INV-404", 404, ["path", "ref"], "is not a known invoice"),
        ("GET", f"{V1}/doctor/widget/1", 422, ["path", "type"], "client"),
        ("GET", f"{V1}/sync/timeline/client/Nobody", 404, ["path", "ref"], "'Acme Ltd'"),
        ("GET", f"{V1}/sync/timeline/client/Acme Ltd?limit=0", 422, ["query", "limit"], ""),
        ("POST", f"{V1}/sync/retry/invoice/INV-404", 404, ["path", "ref"], "not a known"),
        ("POST", f"{V1}/sync/run?wait=3600", 422, ["query", "wait"], ""),
        ("POST", f"{V1}/tenants/Acme UK/connect", 404, ["path", "ref"], "not a known tenant"),
    ]
    for method, url, status, loc, words in cases:
        response = api.request(method, url)
        assert response.status_code == status, (url, response.text)
        assert problem(response)["loc"] == loc, url
        assert words in problem(response)["msg"], url


def test_a_record_with_no_sync_job_cannot_be_retried(api: Api, store: Store) -> None:
    from sqlalchemy import delete

    from booksync.store.models import SyncJob

    api.ok("POST", f"{V1}/clients", 201, json={"name": "Acme Ltd"})
    with store.session() as s:
        s.execute(delete(SyncJob))
    response = api.post(f"{V1}/sync/retry/client/Acme Ltd")
    assert response.status_code == 409, response.text
    assert "has no sync job" in problem(response)["msg"]


def test_a_cloud_tenant_connects_through_its_sign_in_not_the_api(api: Api, store: Store) -> None:
    api.ok("POST", f"{V1}/tenants", 201, json={"name": "Acme NZ", "integration": "xero"})
    response = api.post(f"{V1}/tenants/Acme NZ/connect")
    assert response.status_code == 422
    assert problem(response)["loc"] == ["path", "ref"]
    assert "booksync xero connect" in problem(response)["msg"]
    not_connected = api.post(f"{V1}/tenants/Acme NZ/import")
    assert not_connected.status_code == 422
    assert "is not connected" in problem(not_connected)["msg"]


def test_a_tool_that_fails_is_a_502_and_nothing_is_written(
    api: Api, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the ledger folder should be")
    monkeypatch.setenv(LEDGER_DIR_ENV, str(blocker))
    api.ok("POST", f"{V1}/tenants", 201, json={"name": "Acme AU", "integration": "ledger"})
    response = api.post(f"{V1}/tenants/Acme AU/connect")
    assert response.status_code == 502, response.text
    assert "could not be connected" in problem(response)["msg"]
    assert api.ok("GET", f"{V1}/tenants/Acme AU")["connection"] == "never"
