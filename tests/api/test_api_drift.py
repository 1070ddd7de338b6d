"""Drift and reissue over the REST API, on SQLite and PostgreSQL: GET /drift lists each difference
field by field, POST /drift/{type}/{ref}/{choice} settles one (409 over a paid invoice), POST
/invoices/{ref}/reissue reissues one and says so again, unchanged, the second time."""

from __future__ import annotations

from api_support import Api
from booksync.store.db import Store
from services.test_drift_reissue import ACME_DRIFT, drifted_client, drifted_invoice
from services.test_rules_store import ACME, _paid_in_tool_then_edited, build


def test_drift_is_listed_and_each_choice_settles_it(api: Api, store: Store) -> None:
    build(store)
    drifted_client(store)
    drifted_invoice(store, status="paid")
    found = api.ok("GET", "/api/v1/drift")
    assert [(d["type"], d["ref"]) for d in found] == [("client", ACME), ("invoice", "INV-1007")]
    assert found[0]["fields"] == ACME_DRIFT and found[0]["choices"] == ["accept", "push", "leave"]

    refused = api.post("/api/v1/drift/invoice/INV-1007/push")
    assert refused.status_code == 409
    assert "document.editable_in_tool" in refused.json()["detail"][0]["msg"]
    done = api.ok("POST", f"/api/v1/drift/client/{ACME}/accept")
    assert (done["choice"], done["drift_state"]) == ("accept", "accepted")
    assert api.ok("POST", "/api/v1/drift/invoice/INV-1007/leave")["drift_state"] == "left"
    assert api.ok("GET", "/api/v1/drift") == []
    assert api.post("/api/v1/drift/invoice/INV-9/leave").status_code == 404
    assert api.post("/api/v1/drift/invoice/INV-1007/maybe").status_code == 422


def test_reissue_over_the_api(api: Api, store: Store) -> None:
    build(store)
    with store.session() as s:
        _paid_in_tool_then_edited(s, {})
    first = api.ok("POST", "/api/v1/invoices/INV-1007/reissue")
    assert (first["invoice"], first["credit_note"], first["already"]) == (
        "INV-1007-R1", "INV-1007-CN1", False,
    )  # fmt: skip
    again = api.ok("POST", "/api/v1/invoices/INV-1007/reissue")
    assert again["already"] and again["invoice"] == "INV-1007-R1"
    assert api.ok("GET", "/api/v1/invoices/INV-1007-R1")["number"] == "INV-1007-R1"
