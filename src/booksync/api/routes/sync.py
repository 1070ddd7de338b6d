"""Sync: run a pass, see where every job stands, read one record's timeline, retry a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from booksync.api.deps import SessionDep, StoreDep
from booksync.api.errors import in_place, path_record
from booksync.api.schemas import PassOut, RetryOut, SyncStatusOut, TimelineOut
from booksync.domain.types import EntityType
from booksync.services import sync as sync_service

router = APIRouter(prefix="/sync", tags=["sync"])

#: A pass run through the API waits at most this long for retries and Retry-After pauses.
MAX_WAIT = 60.0


@router.post("/run", name="run_sync", response_model=PassOut)
def run(
    store: StoreDep,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT, description="seconds to wait for retries within the pass"),
    ] = 0.0,
) -> dict[str, Any]:
    """One pass: push every due change, dependencies first, and say what happened. It returns
    promptly: a tenant that must wait (its rate budget is spent, or the tool asked for a pause
    longer than `wait`) has its jobs handed back, and `waiting` says which and until when."""
    result = sync_service.run_pass(store, max_wait=wait, trigger="api")
    return {
        "synced": result.count("synced"),
        "blocked": result.count("blocked"),
        "failed": result.count("failed"),
        "calls": result.calls,
        "tenants": {name: dict(counts) for name, counts in sorted(result.tally.items())},
        "notices": [{"level": n.level, "text": n.text, "fix": n.fix} for n in result.notices],
        "waiting": [
            {"tenant": name, "jobs": w.jobs, "until": w.until, "reason": w.reason}
            for name, w in sorted(result.waits.items())
        ],
    }


@router.get("/status", name="sync_status", response_model=SyncStatusOut)
def status(
    session: SessionDep,
    errors: Annotated[
        int, Query(ge=0, le=1000, description="at most this many latest errors")
    ] = 20,
) -> dict[str, Any]:
    """Where every sync job stands, per tenant, and the latest errors with their fixes."""
    return sync_service.sync_status(session, errors=errors).to_json()


@router.get("/timeline/{type}/{ref:path}", name="sync_timeline", response_model=TimelineOut)
def timeline(
    type: EntityType,
    ref: str,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=10000, description="at most this many events")] = 200,
) -> dict[str, Any]:
    """A record's sync job and its events: each change, evaluation and attempt, what was sent
    to the tool and what came back."""
    with path_record():
        return sync_service.timeline(session, type, ref, limit=limit)


@router.post("/retry/{type}/{ref:path}", name="retry_sync", response_model=RetryOut)
def retry(type: EntityType, ref: str, session: SessionDep) -> dict[str, Any]:
    """Queue a record's sync again now, with a fresh attempt count (409 if it has no sync job)."""
    with in_place("path", "ref", status=409), path_record():
        job = sync_service.retry(session, type, ref)
    return {
        "record": {"type": type.value, "ref": ref, "id": job.record_id},
        "status": "pending",
    }
