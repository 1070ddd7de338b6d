"""The doctor: why one record is (not) syncing, or what holds the whole books back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from booksync.api.deps import SessionDep
from booksync.api.errors import path_record
from booksync.api.schemas import EvaluationOut, HealthReportOut
from booksync.domain.types import EntityType
from booksync.services.doctor import diagnose, evaluation_json, health_report

router = APIRouter(prefix="/doctor", tags=["doctor"])


@router.get("", name="health_report", response_model=HealthReportOut)
def report(session: SessionDep) -> dict[str, Any]:
    """Every syncable record evaluated once; root causes ranked by how many records each holds."""
    return health_report(session).to_json()


@router.get("/{type}/{ref:path}", name="diagnose", response_model=EvaluationOut)
def diagnose_record(type: EntityType, ref: str, session: SessionDep) -> dict[str, Any]:
    """The seed guide's checklist for one record: each rule, what blocks it and the fix, and
    where each line's tax rate comes from."""
    with path_record():
        return evaluation_json(diagnose(session, type, ref))
