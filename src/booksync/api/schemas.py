"""What the REST API answers, as Pydantic models: they document the JSON in /openapi.json and
check every answer against it. Each mirrors the service layer's JSON form (`to_dict`, the doctor's
and the sync service's `to_json`), which the CLI's `--json` prints too.

Money, quantities and percentages are decimal strings ("49.00"), never JSON numbers, so no amount
passes through a float.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, model_validator

from booksync.connectors.registry import tools
from booksync.connectors.tool import ConnectionMethod
from booksync.domain.types import EntityType

T = TypeVar("T")

Decimal = str  # a decimal written out in full, e.g. "49.00" or "12.5"


class Page(BaseModel, Generic[T]):
    """One page of a list. Ask for the next with `offset=next_offset`; null means it was the last."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


# -- records ---------------------------------------------------------------------------------------


class IntegrationOut(BaseModel):
    id: int | None = Field(description="null for an integration never set up")
    kind: str
    enabled: bool
    entities_to_sync: list[EntityType]
    show_success_messages: bool
    tenants: list[str]


#: What a caller sees instead of a path on the server.
FOLDER_DETAIL = "a folder on the server"


class TenantOut(BaseModel):
    id: int
    name: str
    integration: str
    remote_tenant_id: str
    base_currency: str
    connection: str
    connection_detail: str = Field(
        description="where the tenant lives (an API URL); for a tool whose books are files on "
        "the server, only that, never the server's path"
    )
    connected_at: datetime | None
    accounts_imported_at: datetime | None
    tax_types_imported_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _no_server_path(cls, data: Any) -> Any:
        """A folder tool's detail is a path on the server (or an error naming it): not for callers."""
        if not isinstance(data, dict) or not data.get("connection_detail"):
            return data
        tool = tools().get(str(data.get("integration")))
        if tool is None or tool.connection is ConnectionMethod.FOLDER:
            return {**data, "connection_detail": FOLDER_DETAIL}
        return data


class TaxRateOut(BaseModel):
    id: int
    name: str
    percent: Decimal
    is_default: bool
    tax_types: dict[str, str] = Field(description="tenant name -> the tool's tax type")


class AccountCodeOut(BaseModel):
    id: int
    name: str
    code: str
    kind: str
    tenant: str | None
    imported_from_tool: bool
    active: bool


class ItemGroupOut(BaseModel):
    id: int
    name: str
    tax_rate: str | None
    income_account: str | None
    expense_account: str | None


class PartyOut(BaseModel):
    """A client or a supplier."""

    id: int
    name: str
    email: str | None
    currency: str
    tax_rate: str | None
    exclude_from_accounting: bool
    tenant: str | None
    remote_id: str | None
    version: int


class ProductOut(BaseModel):
    id: int
    name: str
    code: str | None
    description: str
    price: Decimal
    cost: Decimal
    item_group: str | None
    use_item_group_tax: bool
    tax_rate: str | None
    income_account: str | None
    expense_account: str | None
    exclude_from_accounting: bool
    tenant: str | None
    remote_id: str | None
    version: int


class LineOut(BaseModel):
    position: int
    product: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: str | None
    amount: Decimal


class _DocumentOut(BaseModel):
    id: int
    type: EntityType
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    status: str
    reference: str
    remote_id: str | None
    version: int
    lines: list[LineOut]
    subtotal: Decimal


class ClientDocumentOut(_DocumentOut):
    """An invoice, sales order or credit note: raised to a client."""

    client: str | None


class SupplierDocumentOut(_DocumentOut):
    """A purchase order: raised to a supplier."""

    supplier: str | None


class TaxTypeMappingOut(BaseModel):
    tax_rate: str
    tenant: str
    tax_type: str


class ImportOut(BaseModel):
    tenant: str
    account_codes: int
    archived_account_codes: int
    tax_types: int
    contacts: int
    items: int
    linked: list[str] = Field(description="records given the remote ID of a matching tool object")


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


class PassOut(BaseModel):
    """What one sync pass did."""

    synced: int
    blocked: int
    failed: int
    calls: int = Field(description="calls made to the accounting tools")
    tenants: dict[str, dict[str, int]] = Field(description="tenant name -> outcome -> records")
    notices: list[NoticeOut]


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
