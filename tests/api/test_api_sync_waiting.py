"""POST /sync/run returns promptly when a tenant must wait, and says which and until when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from api.test_api_sync_doctor import V1, small_books
from api_support import Api
from booksync.store.db import Store
from booksync.store.models import RateBudgetHold, SyncJob, Tenant


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """PostgreSQL only: there the rate budget (and a Retry-After another worker was given) is
    shared; a SQLite store's budget lives in its one worker's memory."""
    from conftest import _empty_pg

    url = request.getfixturevalue("pg_url")
    _empty_pg(url)
    yield url


def test_a_tenant_held_by_a_retry_after_is_said_to_wait_and_the_run_returns(
    api: Api, store: Store
) -> None:
    small_books(api)
    api.ok("POST", f"{V1}/tenants/Acme AU/connect")
    api.ok("POST", f"{V1}/tenants/Acme AU/import")
    api.ok("PATCH", f"{V1}/account-codes/Sales", json={"code": "200"})
    until = datetime.now(UTC) + timedelta(hours=1)
    with store.session() as s:  # another worker was told: Retry-After 3600 for this tenant
        remote = s.scalars(select(Tenant.remote_tenant_id).where(Tenant.name == "Acme AU")).one()
        s.execute(
            insert(RateBudgetHold).values(
                lane=f"ledger|{remote}", until_ms=int(until.timestamp() * 1000)
            )
        )
    answer = api.ok("POST", f"{V1}/sync/run", params={"wait": 60})
    assert answer["synced"] == 0
    (waiting,) = answer["waiting"]
    assert (waiting["tenant"], waiting["jobs"]) == ("Acme AU", 2)  # the client and the product
    said = datetime.fromisoformat(waiting["until"])
    assert abs((said - until).total_seconds()) < 5
    assert "next call to 'Acme AU'" in waiting["reason"]
    with store.session() as s:
        due = s.scalars(
            select(SyncJob.next_attempt_at).where(
                SyncJob.status == "pending", SyncJob.entity_type.in_(["client", "product"])
            )
        ).all()
    assert len(due) == 2 and all(d is not None and d >= said - timedelta(seconds=1) for d in due)
