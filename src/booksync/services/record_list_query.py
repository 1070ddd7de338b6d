"""What a person may ask of a record list, checked: search, sync state, state in the tool, root
cause, sort column, page and page size; and the columns each list sorts and searches by.

One parser serves every face: strict for the API (a bad value is refused, naming it), lenient for
the web (a typed URL still shows a page: a bad value falls back to the default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from booksync.domain.types import SUPPLIER_DOCUMENTS, EntityType
from booksync.services.errors import BadInput, one_of
from booksync.services.record_states import STATES, SyncState
from booksync.services.record_tool_states import TOOL_STATES, ToolState, tool_states_for
from booksync.services.text import check_text
from booksync.store.models import Client, Document, ItemGroup, Product, Supplier, Tenant

PAGE_SIZES = (10, 25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 25
_SYNC_VALUES = frozenset(s.value for s in STATES)
_TOOL_VALUES = frozenset(s.value for s in TOOL_STATES)


@dataclass(frozen=True)
class ListQuery:
    """What a person asked of a list. `sort` is a column key, `-key` for descending."""

    search: str = ""
    sync_state: SyncState | None = None
    #: Only records with this fact in the tool (paid, drifted, ...), whatever their sync state.
    tool_state: ToolState | None = None
    cause: str | None = None
    sort: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def _positive(name: str, text: str | int | None, default: int, strict: bool) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if value < 1:
        if strict:
            raise BadInput(name, text, "is not a whole number of 1 or more", "1, 2, 3, ...")
        return default
    return value


def _named(text: str) -> str:
    """A state as a person may write it ("Not yet known", "part-paid") in the enums' terms."""
    named = text.strip().lower().replace(" ", "_").replace("-", "_")
    return {"not_yet_known": "unknown", "voided_in_tool": "voided"}.get(named, named)


def _sync_state(text: str, strict: bool) -> tuple[SyncState | None, ToolState | None]:
    """(sync state, or the tool state a lenient caller wrote where the sync state goes)."""
    named = _named(text)
    if named in _SYNC_VALUES:
        return SyncState(named), None
    if named in _TOOL_VALUES:
        if strict:
            raise BadInput(
                "sync_state",
                text,
                f"is a state in the tool, not a sync state: give it as tool_state={named}",
                one_of(STATES),
            )
        return None, ToolState(named)
    if strict:
        raise BadInput("sync_state", text, "is not a sync state", one_of(STATES))
    return None, None


def _tool_state(entity: EntityType | None, text: str, strict: bool) -> ToolState | None:
    named = _named(text)
    offered = tool_states_for(entity) if entity is not None else TOOL_STATES
    if named in _TOOL_VALUES and ToolState(named) in offered:
        return ToolState(named)
    if strict:
        whose = f"a {entity.label}" if entity is not None else "a record"
        raise BadInput(
            "tool_state", text, f"is not a state {whose} has in the tool", one_of(offered)
        )
    return None


def parse_list_query(
    entity: EntityType | None,
    *,
    search: str | None = None,
    sync_state: str | None = None,
    tool_state: str | None = None,
    cause: str | None = None,
    sort: str | None = None,
    page: str | int | None = None,
    page_size: str | int | None = None,
    strict: bool = True,
) -> ListQuery:
    """A list's query from a face's parameters. `strict` (the API) refuses a bad value naming it;
    otherwise (the web, where a typed URL should still show a page) it falls back to the default
    (`sync_state=paid` is read as `tool_state=paid`) and a page number out of range is clamped by
    `list_records`."""
    state, in_tool = _sync_state(sync_state, strict) if sync_state else (None, None)
    if tool_state:
        in_tool = _tool_state(entity, tool_state, strict)
    elif in_tool is not None and entity is not None and in_tool not in tool_states_for(entity):
        in_tool = None
    order = (sort or "").strip()
    keys = sort_keys(entity) if entity is not None else []
    if order and order.removeprefix("-") not in keys:
        if strict:
            raise BadInput("sort", order, "is not a sortable column", one_of(keys))
        order = ""
    size = _positive("page_size", page_size, DEFAULT_PAGE_SIZE, strict)
    if size not in PAGE_SIZES:
        if strict:
            raise BadInput(
                "page_size", page_size, "is not a page size", one_of(map(str, PAGE_SIZES))
            )
        size = min(PAGE_SIZES, key=lambda s: abs(s - size))
    text = (search or "").strip()
    if text:
        check_text("search", text)
    return ListQuery(
        search=text,
        sync_state=state,
        tool_state=in_tool,
        cause=(cause or "").strip() or None,
        sort=order,
        page=_positive("page", page, 1, strict),
        page_size=size,
    )


def _party_model(entity: EntityType) -> type[Client] | type[Supplier]:
    return Supplier if entity in SUPPLIER_DOCUMENTS or entity is EntityType.SUPPLIER else Client


def list_columns(entity: EntityType) -> tuple[type[Any], dict[str, Any], list[Any], Select[Any]]:
    """The model, its sortable columns, its search columns, and the base id query with the
    joins those need."""
    if entity.is_document:
        party = aliased(_party_model(entity))
        on = Document.supplier_id if entity in SUPPLIER_DOCUMENTS else Document.client_id
        stmt = (
            select(Document.id)
            .outerjoin(party, party.id == on)
            .where(Document.kind == entity.value)
        )
        name = "supplier" if entity in SUPPLIER_DOCUMENTS else "client"
        sorts = {
            "number": Document.number,
            name: party.name,
            "issue_date": Document.issue_date,
            "due_date": Document.due_date,
            "status": Document.status,
            "currency": Document.currency,
            "remote_id": Document.remote_id,
        }
        return Document, sorts, [Document.number, party.name, Document.reference_text], stmt
    model: Any = {
        EntityType.CLIENT: Client,
        EntityType.SUPPLIER: Supplier,
        EntityType.PRODUCT: Product,
    }[entity]
    tenant = aliased(Tenant)
    stmt = select(model.id).outerjoin(tenant, tenant.id == model.tenant_id)
    sorts = {"name": model.name, "tenant": tenant.name, "remote_id": model.remote_id}
    search = [model.name, model.remote_id]
    if model is Product:
        group = aliased(ItemGroup)
        stmt = stmt.outerjoin(group, group.id == Product.item_group_id)
        sorts |= {"code": Product.code, "price": Product.price, "item_group": group.name}
        search.append(Product.code)
    else:
        sorts["email"] = model.email
        search.append(model.email)
    sorts["exclude_from_accounting"] = model.exclude_from_accounting
    return model, sorts, search, stmt


def sort_keys(entity: EntityType) -> list[str]:
    """The columns a list of `entity` sorts by (plus its sync state)."""
    return [*list_columns(entity)[1], "sync_state"]


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "PAGE_SIZES",
    "ListQuery",
    "list_columns",
    "parse_list_query",
    "sort_keys",
]
