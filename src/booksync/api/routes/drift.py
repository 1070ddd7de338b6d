"""Drift and reissue: what the bookkeeper changed in the tool after booksync pushed it, the three
choices for each record, and reissuing an invoice the tool will not let booksync edit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from booksync.api.deps import SessionDep
from booksync.api.errors import in_place, path_record
from booksync.domain.types import EntityType
from booksync.services.drift import list_drift, settle_drift
from booksync.services.reissue import reissue

router = APIRouter(tags=["drift"])


@router.get("/drift", name="list_drift")
def drift(
    session: SessionDep,
    tenant: Annotated[str | None, Query(description="only this tenant (name or id)")] = None,
) -> list[dict[str, Any]]:
    """Every linked record with open drift, each difference field by field (`booksync`, `tool`,
    `changed`), and the choices: accept, push, leave."""
    with in_place("query", "tenant"):
        return [d.to_json() for d in list_drift(session, tenant=tenant)]


@router.post("/drift/{type}/{ref:path}/{choice}", name="settle_drift")
def settle(
    type: EntityType,
    ref: str,
    choice: Literal["accept", "push", "leave"],
    session: SessionDep,
) -> dict[str, Any]:
    """accept: the tool's version into booksync, nothing pushed back; push: booksync's version
    again (409 where the tool refuses an edit: paid, part-paid, voided, deleted); leave: as is."""
    with in_place("path", "ref", status=409), path_record():
        return settle_drift(session, type, ref, choice).to_json()


@router.post("/invoices/{ref:path}/reissue", name="reissue_invoice")
def reissue_invoice(ref: str, session: SessionDep) -> dict[str, Any]:
    """A credit note for what the tool holds, a new invoice NUMBER-R1 with booksync's lines, and
    the original back to the tool's version, in one transaction (`already` on a second call)."""
    with in_place("path", "ref", status=409), path_record():
        return reissue(session, ref).to_json()
