"""The plan of the next pass (read only, nothing written anywhere), and linking a record by hand.

`GET /plan` covers every tenant, `GET /tenants/{tenant}/plan` one, `GET /plan/{type}/{ref}` one
record with the exact push item; `POST /clients/{ref}/link` (and the same for every record type
that syncs) sets a record's remote ID to an object already in its tool (as `booksync link`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from booksync.api.deps import SessionDep, StoreDep
from booksync.api.errors import field_loc, from_bad_input, in_place, path_record
from booksync.domain.types import EntityType
from booksync.errors import BadInput, NotFound
from booksync.services import plan as plan_service
from booksync.services.linking import link as link_record
from booksync.services.plan_model import ACTIONS

router = APIRouter(tags=["plan"])

Offline = Annotated[bool, Query(description="read nothing from the tools: no diffs, no matches")]
Fresh = Annotated[bool, Query(description="read the tools again, not what a recent plan kept")]

ACTION_NAMES = ", ".join(a.value for a in ACTIONS)


class FieldRowOut(BaseModel):
    field: str = Field(description="a payload field; `lines[2].unit_price` for a line's")
    booksync: str | None = Field(description="what the push would send")
    tool: str | None = Field(description="what the tool holds now")
    changed: bool


class SubjectOut(BaseModel):
    type: str
    id: int | None
    ref: str | None


class ReasonOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="the rule id, e.g. document.number_free")
    status: str
    subject: SubjectOut
    field: str | None
    detail: str
    fix: str | None = Field(description="the command that fixes it")
    fix_page: str | None = Field(description="where the web admin sets it")
    remedy: dict[str, Any] | None = Field(description="the fix as data")
    docs: str


class RecordPlanOut(BaseModel):
    type: EntityType
    id: int
    ref: str = Field(description="the record's name or number")
    reference: str = Field(description="what the tool knows it by")
    tenant: str
    action: str = Field(description=ACTION_NAMES)
    job_status: str | None
    remote_id: str | None = Field(description="the tool's object it updates or links to")
    evidence: str | None = Field(description="for link: what makes it the same record")
    waits_on: list[str] = Field(description="records the pass pushes first")
    reasons: list[ReasonOut] = Field(description="for hold: each root cause and its fix")
    notes: list[str]
    diff: list[FieldRowOut] | None = Field(description="null when the tool was not read")
    changes: int | None


class MatchRecordOut(BaseModel):
    type: EntityType
    id: int
    ref: str
    reference: str


class MatchRemoteOut(BaseModel):
    remote_id: str
    name: str
    number: str | None = Field(description="a contact's number or an item's code")
    active: bool


class MatchOut(BaseModel):
    record: MatchRecordOut
    remote: MatchRemoteOut
    evidence: str = Field(description="number, code, exact name, or how the names differ")
    exact: bool
    link: str = Field(description="the command that links them")


class TenantPlanOut(BaseModel):
    tenant: str
    tool: str | None
    counts: dict[str, int] = Field(description=f"action ({ACTION_NAMES}) -> records")
    by_type: dict[str, dict[str, int]] = Field(description="record type -> action -> records")
    calls: int = Field(description="calls this plan made to the tenant's tool")
    reads: dict[str, int]
    cached: bool = Field(description="what the tool holds came from a recent plan")
    remote_note: str | None
    records: list[RecordPlanOut] = Field(description="every record the pass would touch or holds")
    matches: list[MatchOut] = Field(description="the tool's contacts and items like booksync's")


class PlanOut(BaseModel):
    counts: dict[str, int]
    calls: int
    tenants: list[TenantPlanOut]


class RecordPlanWithPayloadOut(RecordPlanOut):
    payload: dict[str, Any] | None = Field(description="the exact push item; null: none is sent")
    calls: int
    matches: list[MatchOut]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remote_id: str = Field(description="the tool's ID of the object, as the plan lists it")
    check: bool = Field(
        default=True, description="ask the tool (read only) that it has the object first"
    )


class LinkedRecordOut(BaseModel):
    type: EntityType
    id: int
    ref: str


class LinkOut(BaseModel):
    record: LinkedRecordOut
    tenant: str
    remote_id: str
    previous: str | None
    checked: bool | None


@router.get("/plan", name="plan", response_model=PlanOut)
def whole_plan(store: StoreDep, offline: Offline = False, fresh: Fresh = False) -> dict[str, Any]:
    """What the next pass would do with every record of every tenant; writes nothing anywhere."""
    return plan_service.plan(store, offline=offline, fresh=fresh).to_json()


@router.get("/tenants/{tenant}/plan", name="tenant_plan", response_model=TenantPlanOut)
def tenant_plan(
    tenant: str, store: StoreDep, offline: Offline = False, fresh: Fresh = False
) -> dict[str, Any]:
    """One tenant's plan: each record's action, evidence, reasons and field diff, the matching
    report, and the calls it took."""
    with in_place("path", "tenant"), path_record("tenant"):
        result = plan_service.plan(store, tenant=tenant, offline=offline, fresh=fresh)
    return result.tenants[0].to_json()


@router.get("/plan/{type}/{ref:path}", name="record_plan", response_model=RecordPlanWithPayloadOut)
def record_plan(
    type: EntityType, ref: str, store: StoreDep, offline: Offline = False, fresh: Fresh = False
) -> dict[str, Any]:
    """One record's plan with the exact push item the pass would send."""
    with in_place("path", "ref"), path_record():
        record, tenant = plan_service.plan_record(store, type, ref, offline=offline, fresh=fresh)
    return record.to_json(payload=True) | {
        "calls": tenant.calls,
        "matches": [c.to_json() for c in tenant.matches],
    }


def _link_route(entity: EntityType) -> None:
    """`POST /{records}/{ref}/link` for one record type (e.g. /clients/Acme Ltd/link)."""

    def link(ref: str, body: LinkIn, session: SessionDep) -> dict[str, Any]:
        try:
            linked = link_record(session, entity, ref, body.remote_id, check=body.check)
        except BadInput as exc:
            if exc.field != entity.value:  # the body's remote ID
                raise from_bad_input(exc, ["body", *field_loc(exc.field)]) from None
            status = 404 if isinstance(exc, NotFound) else None
            raise from_bad_input(exc, ["path", "ref"], status=status) from None
        return linked.to_json()

    link.__doc__ = (
        f"Link a {entity.label} to an object already in its tenant's tool, so the next pass "
        "updates it instead of creating another (409 when another record of the same type in "
        "that tenant already uses the remote ID)."
    )
    router.add_api_route(
        f"/{entity.value.replace('_', '-')}s/{{ref:path}}/link",
        link,
        methods=["POST"],
        name=f"link_{entity.value}",
        response_model=LinkOut,
    )


for _entity in EntityType:
    _link_route(_entity)
