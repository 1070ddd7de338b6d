"""Releasing what a synced batch held reads the blockers by the batch's record ids (PostgreSQL).

The blockers' subject index leads with the id (migration 0011). Led by the record type instead,
PostgreSQL read every blocker of that type and filtered the batch's ids whenever its statistics
predated the backlog, as on a first sync before the table is analysed: a cost per batch that grew
with the held records. Here the statistics are taken on an empty table, then 20,000 blockers
of one type arrive, and the plan of the statement `release_dependents` sends must still find the
rows by id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, text

from booksync.domain.types import EntityType
from booksync.store.db import Store
from booksync.store.models import SyncJob, SyncJobBlocker
from booksync.sync.releases import release_dependents

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def _index_conditions(plan: dict[str, Any]) -> list[str]:
    found = [plan["Index Cond"]] if "Index Cond" in plan else []
    for child in plan.get("Plans", ()):
        found += _index_conditions(child)
    return found


def test_a_batch_release_finds_its_blockers_by_id_with_stale_statistics(pg_url: str) -> None:
    from conftest import _empty_pg

    _empty_pg(pg_url)
    store = Store(pg_url)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE sync_job_blockers"))  # statistics of the empty table
        with store.session() as s:
            job = s.execute(
                insert(SyncJob).returning(SyncJob.id),
                [
                    {
                        "entity_type": "invoice",
                        "record_id": 1,
                        "record_version": 1,
                        "status": "blocked",
                        "attempts": 0,
                        "blocked_reasons": [],
                        "uncertain": False,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                ],
            ).scalar_one()
            s.execute(
                insert(SyncJobBlocker),
                [
                    {"job_id": job, "subject_type": "client", "subject_id": i}
                    for i in range(1, 20_001)
                ],
            )
        sent: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
            if "FROM sync_job_blockers" in statement:
                sent.append((statement, params))

        event.listen(store.engine, "before_cursor_execute", capture)
        with store.session() as s:
            release_dependents(s, EntityType.CLIENT, list(range(9001, 9051)), NOW)
        event.remove(store.engine, "before_cursor_execute", capture)
        assert len(sent) == 1, sent
        statement, params = sent[0]
        with store.engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", params).scalar_one()
        tree = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        conditions = _index_conditions(tree)
        assert any("subject_id" in c for c in conditions), json.dumps(tree, indent=1)
        sent.clear()  # nothing waits on a document: a batch of them reads no blockers
        event.listen(store.engine, "before_cursor_execute", capture)
        with store.session() as s:
            assert release_dependents(s, EntityType.INVOICE, list(range(9001, 9051)), NOW) == 0
        event.remove(store.engine, "before_cursor_execute", capture)
        assert sent == []
    finally:
        store.dispose()
