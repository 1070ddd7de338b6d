"""The plan in the REST API: `GET /plan`, `GET /tenants/{tenant}/plan`, `GET /plan/{type}/{ref}`,
and `POST /clients/{ref}/link` (one per record type), with 404/409/422 answers that name the field
at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from api_support import Api, problem
from booksync.store.db import Store
from booksync_emulators.recording import RecordingTool
from services.test_plan_support import seed_history
from support.books import TENANT, ready_books


@pytest.fixture
def books(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordingTool:
    """Ready books whose tool is the recording tool, reached as a stored tenant's connector is."""
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))
    tool = RecordingTool()
    ready_books(store, tool, clients=3, products=2, invoices=2)
    seed_history(tool)
    for module in ("booksync.services.plan", "booksync.services.linking"):
        monkeypatch.setattr(f"{module}.tenant_connector", lambda tenant, **_: tool)
    return tool


def test_a_tenants_plan_lists_each_records_action_and_the_matching_report(
    api: Api, books: RecordingTool
) -> None:
    answer = api.get(f"/api/v1/tenants/{TENANT}/plan")
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["tenant"] == TENANT and plan["counts"]["create"] == 3 + 1 + 2 + 2
    assert plan["by_type"]["invoice"]["create"] == 2
    assert plan["calls"] == 2 and plan["reads"] == {"contacts": 1, "items": 1}
    alike = {(m["record"]["ref"], m["evidence"]) for m in plan["matches"]}
    assert ("Client 000", "name differs in case") in alike
    assert ("Product 001", "code") in alike
    whole = api.get("/api/v1/plan", params={"offline": "true"}).json()
    assert whole["counts"]["create"] == plan["counts"]["create"] and whole["calls"] == 0
    assert books.push_calls() == 0


def test_one_records_plan_carries_the_exact_push_item(api: Api, books: RecordingTool) -> None:
    answer = api.get("/api/v1/plan/invoice/INV-1001", params={"offline": "true"})
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert (record["action"], record["tenant"]) == ("create", TENANT)
    assert record["payload"]["reference"] == "INV-1001"
    assert record["payload"]["payload"]["lines"][1]["quantity"] == "1.5000"
    assert "client 'Client 001'" in record["waits_on"]


def test_link_sets_a_remote_id_and_refuses_a_taken_one(api: Api, books: RecordingTool) -> None:
    linked = api.post("/api/v1/clients/Client 000/link", json={"remote_id": "r-client-case"})
    assert linked.status_code == 200, linked.text
    assert linked.json() | {"record": None} == {
        "record": None,
        "tenant": TENANT,
        "remote_id": "r-client-case",
        "previous": None,
        "checked": True,
    }
    plan = api.get("/api/v1/plan/client/Client 000").json()
    assert (plan["action"], plan["remote_id"]) == ("link", "r-client-case")
    assert any(d["field"] == "name" and d["changed"] for d in plan["diff"])
    taken = api.post("/api/v1/clients/Client 001/link", json={"remote_id": "r-client-case"})
    assert taken.status_code == 409
    assert problem(taken)["loc"] == ["body", "remote_id"]
    assert "already linked to client 'Client 000'" in problem(taken)["msg"]
    missing = api.post("/api/v1/clients/Client 001/link", json={"remote_id": "nope"})
    assert missing.status_code == 422 and "is not a client" in problem(missing)["msg"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "loc", "says"),
    [
        ("GET", "/api/v1/tenants/Nope/plan", None, 404, ["path", "tenant"], "'Nope'"),
        ("GET", "/api/v1/plan/invoce/INV-1001", None, 422, ["path", "type"], "invoice"),
        ("GET", "/api/v1/plan/invoice/INV-9", None, 404, ["path", "ref"], "'INV-9'"),
        ("POST", "/api/v1/clients/Nobody/link", {"remote_id": "x"}, 404, ["path", "ref"], "Nobody"),
        (
            "POST",
            "/api/v1/clients/Client 000/link",
            {"remote_id": ""},
            422,
            ["body", "remote_id"],
            "empty",
        ),
        (
            "POST",
            "/api/v1/clients/Client 000/link",
            {"remote": "x"},
            422,
            ["body", "remote_id"],
            "",
        ),
    ],
)
def test_bad_input_names_the_field(
    api: Api,
    books: RecordingTool,
    method: str,
    path: str,
    body: dict[str, str] | None,
    status: int,
    loc: list[str],
    says: str,
) -> None:
    answer = api.request(method, path, json=body) if body is not None else api.get(path)
    assert answer.status_code == status, answer.text
    assert problem(answer)["loc"] == loc
    assert says in problem(answer)["msg"]
