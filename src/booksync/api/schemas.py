"""What the REST API answers, as Pydantic models: they document the JSON in /openapi.json and
check every answer against it. Each mirrors the service layer's JSON form (`to_dict`, the doctor's
and the sync service's `to_json`), which the CLI's `--json` prints too.

Money, quantities and percentages are decimal strings ("49.00"), never JSON numbers, so no amount
passes through a float.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from booksync.api.record_schemas import (  # noqa: F401 - re-exported: `schemas` has every answer
    FOLDER_DETAIL,
    AccountCodeOut,
    AddressOut,
    ClientDocumentOut,
    CreditNoteOut,
    ImportOut,
    IntegrationOut,
    ItemGroupOut,
    LineOut,
    PartyOut,
    PaymentTermsOut,
    ProductOut,
    SupplierDocumentOut,
    TaxRateOut,
    TaxTypeMappingOut,
    TenantOut,
)

T = TypeVar("T")

Decimal = str  # a decimal written out in full, e.g. "49.00" or "12.5"


class Page(BaseModel, Generic[T]):
    """One page of a list. Ask for the next with `offset=next_offset`; null means it was the last."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


# -- records: see record_schemas ------------------------------------------------------------------

# -- doctor ----------------------------------------------------------------------------------------


class SubjectOut(BaseModel):
    type: str
    ref: str


class RecordRefOut(SubjectOut):
    id: int | None


class FixSubjectOut(SubjectOut):
    id: int | None


class RemedyOut(BaseModel):
    """A fix as data: what the CLI command (`fix`) and the web page (`fix_page`) both say."""

    action: str = Field(
        description="enable_integration, tick_entities, connect_tenant, import_tenant, set_field, "
        "map_tax_rate, retry_sync or tool_advice"
    )
    subject: FixSubjectOut = Field(description="the record to change")
    field: str | None
    value: str | bool | None = Field(description="the value to set; null: the person chooses")
    tenant: FixSubjectOut | None = Field(description="map_tax_rate: the tenant of the tax type")
    entities: list[str] = Field(description="tick_entities: every entity type to tick")
    advice: str | None = Field(description="tool_advice: what the connector advised")


class FindingOut(BaseModel):
    id: str = Field(description="the rule id, e.g. account_code.matches_tool")
    subject: SubjectOut
    field: str | None
    detail: str
    fix: str | None = Field(description="the CLI command that clears it")
    fix_page: str | None = Field(description="the web admin page where it is set")
    remedy: RemedyOut | None = Field(description="the fix as data")
    docs: str = Field(description="the rule's page in the docs site (`booksync explain ID`)")


class CheckOut(BaseModel):
    id: str
    ok: bool
    status: str
    question: str
    detail: str
    fix: str | None
    fix_page: str | None
    remedy: RemedyOut | None
    docs: str = Field(description="the rule's page in the docs site (`booksync explain ID`)")


class LineTaxOut(BaseModel):
    line: int | None = Field(description="the line number; null for a product")
    product: str
    rate: str | None
    percent: Decimal | None
    level: str | None
    source: SubjectOut | None
    explanation: str
    notes: list[str]


class EvaluationOut(BaseModel):
    """The doctor's answer for one record: the checklist, what blocks it, where its tax comes from."""

    record: RecordRefOut
    integration: str | None
    tenant: str | None
    ready: bool
    status: str = Field(description="ready, waiting, unknown or blocked")
    checks: list[CheckOut]
    blockers: list[FindingOut]
    waiting_on: list[SubjectOut]
    tax: list[LineTaxOut]


class CauseOut(FindingOut):
    status: str
    records: int
    by_type: dict[str, int]
    summary: str


class HealthReportOut(BaseModel):
    """Every syncable record evaluated once, with root causes ranked by how many records they hold."""

    total: int
    ready: int
    waiting: int
    unknown: int
    blocked: int
    by_type: dict[str, dict[str, int]]
    blockers: list[CauseOut]
    unknowns: list[CauseOut]


# -- sync ------------------------------------------------------------------------------------------


class SyncErrorOut(BaseModel):
    type: str
    record_id: int
    status: str
    attempts: int
    error: str | None
    fix: str | None
    tenant: str | None


class SyncStatusOut(BaseModel):
    totals: dict[str, int]
    tenants: dict[str, dict[str, int]] = Field(description="tenant name -> status -> jobs")
    errors: list[SyncErrorOut]


class JobOut(BaseModel):
    status: str
    record_version: int
    synced_version: int | None
    attempts: int
    next_attempt_at: datetime | None
    remote_id: str | None
    last_error: str | None
    fix: str | None
    blocked_reasons: list[dict[str, Any]]


class EventOut(BaseModel):
    at: datetime
    kind: str
    version: int | None
    message: str
    request: Any = Field(description="what was sent to the tool, if anything")
    response: Any = Field(description="what came back, if anything")


class TimelineOut(BaseModel):
    record: RecordRefOut
    job: JobOut | None
    events: list[EventOut]


class NoticeOut(BaseModel):
    level: str = Field(description="success, error or info")
    text: str
    fix: str | None


class WaitOut(BaseModel):
    """A tenant's jobs handed back until it may be called again."""

    tenant: str
    jobs: int
    until: datetime = Field(description="when they fall due again (UTC)")
    reason: str = Field(description="its rate budget is spent, or the tool asked to wait")


class PassOut(BaseModel):
    """What one sync pass did."""

    synced: int
    blocked: int
    failed: int
    calls: int = Field(description="calls made to the accounting tools")
    tenants: dict[str, dict[str, int]] = Field(description="tenant name -> outcome -> records")
    notices: list[NoticeOut]
    waiting: list[WaitOut] = Field(
        default_factory=list, description="tenants that must wait, and until when"
    )


class RetryOut(BaseModel):
    record: RecordRefOut
    status: str


# -- errors ----------------------------------------------------------------------------------------


class ProblemOut(BaseModel):
    type: str
    loc: list[str | int] = Field(description="where: path, query, header or body, then the field")
    msg: str
    input: Any = None


class ProblemsOut(BaseModel):
    """Every error answer: 401, 404, 409, 422 and 502 all carry this shape."""

    detail: list[ProblemOut]
