"""/api/v1/activity: the per-hour series, the last pass per tenant and the pass log, with bad
query parameters answered 422 naming the parameter."""

from __future__ import annotations

from datetime import timedelta

from api_support import Api
from booksync.services.activity_recording import hour_of, record_pass
from booksync.store.db import Store
from booksync.store.types import utcnow
from booksync.sync.report import PassResult


def _recorded(store: Store, tenant: str, synced: int, failed: int, ago: timedelta) -> None:
    result = PassResult()
    result.tally[tenant]["synced"] += synced
    result.tally[tenant]["failed"] += failed
    at = utcnow() - ago
    record_pass(store, result, started_at=at, finished_at=at, worker="w1", trigger="api")


def test_activity_answers_series_last_passes_and_the_log(api: Api, store: Store) -> None:
    _recorded(store, "Acme AU", 3, 1, timedelta(hours=2))
    _recorded(store, "Acme NZ", 2, 0, timedelta(0))
    answer = api.get("/api/v1/activity")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["range"] == "24h" and len(body["series"]) == 24
    assert sum(p["pushed"] for p in body["series"]) == 5
    assert sum(p["failed"] for p in body["series"]) == 1
    assert body["series"][-1]["hour"].startswith(hour_of(utcnow()).isoformat()[:13])
    assert [p["tenant"] for p in body["last_passes"]] == ["Acme AU", "Acme NZ"]
    assert body["log"]["total"] == 2 and body["log"]["passes"][0]["tenants"][0]["synced"] == 2
    one = api.get("/api/v1/activity", params={"tenant": "Acme AU", "range": "7d"}).json()
    assert len(one["series"]) == 168 and sum(p["pushed"] for p in one["series"]) == 3
    assert one["log"]["total"] == 1 and one["log"]["passes"][0]["trigger"] == "api"


def test_bad_parameters_answer_422_naming_them(api: Api, store: Store) -> None:
    _recorded(store, "Acme AU", 1, 0, timedelta(0))
    tenant = api.get("/api/v1/activity", params={"tenant": "Nope"})
    assert tenant.status_code == 422
    [problem] = tenant.json()["detail"]
    assert problem["loc"] == ["query", "tenant"] and "'Acme AU'" in problem["msg"]
    span = api.get("/api/v1/activity", params={"range": "1y"})
    assert span.status_code == 422 and span.json()["detail"][0]["loc"] == ["query", "range"]
    page = api.get("/api/v1/activity", params={"page": "0"})
    assert page.status_code == 422 and page.json()["detail"][0]["loc"] == ["query", "page"]


def test_activity_needs_an_api_key(anonymous: Api) -> None:
    assert anonymous.get("/api/v1/activity").status_code == 401
