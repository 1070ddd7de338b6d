"""List, get, create, update and delete for every record type, generated from one table below.

`/api/v1/clients`, `/api/v1/tax-rates/{ref}`, ...: a `ref` is what a person would type (name,
number or code) or the record's id; give a name containing `/` by its id or percent-encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.api import bodies, schemas
from booksync.api.deps import SessionDep
from booksync.api.errors import from_bad_input, in_body, in_place, path_record
from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.record_list_query import ListQuery, parse_list_query
from booksync.services.record_lists import list_records
from booksync.services.records import RECORD_TYPES, TENANTS
from booksync.services.references import find
from booksync.services.serialize import to_dict
from booksync.store.models import (
    Base,
    Client,
    Integration,
    ItemGroup,
    Supplier,
    TaxRate,
    Tenant,
)

#: List filters that name another record: query parameter -> (its model, the foreign key).
REFERENCE_FILTERS: dict[str, tuple[type[Base], str]] = {
    "tenant": (Tenant, "tenant_id"),
    "tax_rate": (TaxRate, "tax_rate_id"),
    "item_group": (ItemGroup, "item_group_id"),
    "client": (Client, "client_id"),
    "supplier": (Supplier, "supplier_id"),
}
#: List filters whose column has another name.
RENAMED_FILTERS = {"connection": "connection_state"}


@dataclass(frozen=True)
class Resource:
    """How one record type appears in the API."""

    name: str
    out: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]
    filters: type[bodies.Filters]
    #: Creates the record from its validated body; defaults to the service's `create`.
    creator: Callable[[Session, Any], Base] | None = field(default=None, compare=False)

    @property
    def service(self) -> Any:
        return RECORD_TYPES[self.name]

    @property
    def path(self) -> str:
        return "/" + self.name.replace("_", "-") + "s"

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def entity(self) -> EntityType | None:
        """The record type when it syncs (its list has sync states); None for the others."""
        return EntityType._value2member_map_.get(self.name)  # type: ignore[return-value]


def _create_tenant(session: Session, body: bodies.TenantCreate) -> Base:
    values = body.model_dump(exclude_unset=True, exclude={"integration"})
    return TENANTS.create_for(session, body.integration, values)


def _documents(kind: str, party: str) -> Resource:
    client = party == "client"
    if kind == "credit_note":
        return Resource(
            kind,
            schemas.CreditNoteOut,
            bodies.CreditNoteCreate,
            bodies.CreditNoteUpdate,
            bodies.ClientDocumentFilters,
        )
    return Resource(
        kind,
        schemas.ClientDocumentOut if client else schemas.SupplierDocumentOut,
        bodies.ClientDocumentCreate if client else bodies.SupplierDocumentCreate,
        bodies.ClientDocumentUpdate if client else bodies.SupplierDocumentUpdate,
        bodies.ClientDocumentFilters if client else bodies.SupplierDocumentFilters,
    )


RESOURCES = [
    Resource(
        "tenant",
        schemas.TenantOut,
        bodies.TenantCreate,
        bodies.TenantInput,
        bodies.TenantFilters,
        creator=_create_tenant,
    ),
    Resource(
        "tax_rate",
        schemas.TaxRateOut,
        bodies.TaxRateCreate,
        bodies.TaxRateInput,
        bodies.TaxRateFilters,
    ),
    Resource(
        "account_code",
        schemas.AccountCodeOut,
        bodies.AccountCodeCreate,
        bodies.AccountCodeInput,
        bodies.AccountCodeFilters,
    ),
    Resource(
        "item_group",
        schemas.ItemGroupOut,
        bodies.ItemGroupCreate,
        bodies.ItemGroupInput,
        bodies.ItemGroupFilters,
    ),
    Resource(
        "client", schemas.PartyOut, bodies.PartyCreate, bodies.PartyInput, bodies.PartyFilters
    ),
    Resource(
        "supplier", schemas.PartyOut, bodies.PartyCreate, bodies.PartyInput, bodies.PartyFilters
    ),
    Resource(
        "product",
        schemas.ProductOut,
        bodies.ProductCreate,
        bodies.ProductInput,
        bodies.ProductFilters,
    ),
    _documents("invoice", "client"),
    _documents("sales_order", "client"),
    _documents("purchase_order", "supplier"),
    _documents("credit_note", "client"),
]


def service_filters(session: Session, filters: bodies.Filters) -> dict[str, Any] | None:
    """The service's column filters for a list's query; None when nothing can match."""
    columns: dict[str, Any] = {}
    for name in filters.model_fields_set - set(bodies.SyncedFilters.model_fields) - {"sort"}:
        value = getattr(filters, name)
        if value is None:
            continue
        if name in REFERENCE_FILTERS:
            model, column = REFERENCE_FILTERS[name]
            with in_place("query", name):
                columns[column] = find(session, model, value, field=name).id  # type: ignore[attr-defined]
        elif name == "integration":
            owner = session.scalars(select(Integration.id).where(Integration.kind == value))
            integration_id = owner.first()
            if integration_id is None:
                return None  # never set up: it has no tenants
            columns["integration_id"] = integration_id
        else:
            columns[RENAMED_FILTERS.get(name, name)] = getattr(value, "value", value)
    return columns


#: A list service's field -> the query parameter it came from, where the names differ.
QUERY_NAMES = {"search": "q"}


@contextmanager
def in_query() -> Iterator[None]:
    """A refused list parameter is a 422 naming it, as the query string spells it."""
    try:
        yield
    except BadInput as exc:
        name = QUERY_NAMES.get(exc.field, exc.field)
        renamed = BadInput(name, exc.value, exc.problem, exc.accepted)
        raise from_bad_input(renamed, ["query", name]) from None


def window(filters: bodies.Filters) -> tuple[int, int]:
    """(limit, offset) from `limit`/`offset` or `page_size`/`page`; one of each pair."""
    given = filters.model_fields_set
    for new, old in (("page_size", "limit"), ("page", "offset")):
        if getattr(filters, new) is not None and old in given:
            with in_query():
                raise BadInput(
                    new, getattr(filters, new), f"is given with {old}", f"{new} or {old}, not both"
                )
    with in_query():
        parse_list_query(None, page_size=filters.page_size, page=filters.page, strict=True)
    limit = filters.page_size or filters.limit
    offset = (filters.page - 1) * limit if filters.page is not None else filters.offset
    return limit, offset


def list_query(entity: EntityType, filters: bodies.SyncedFilters, limit: int) -> ListQuery:
    """The web list's query (`parse_list_query`, strict), sized by the API's paging."""
    with in_query():
        query = parse_list_query(
            entity,
            search=filters.q,
            sync_state=filters.sync_state,
            tool_state=filters.tool_state,
            sort=getattr(filters, "sort", None),
            strict=True,
        )
    return replace(query, page_size=limit)


def _add_routes(router: APIRouter, res: Resource) -> None:
    service, tag, out = res.service, res.label + "s", res.out
    item = res.path + "/{ref:path}"
    ref_doc = "name, number or code, or the id"
    entity = res.entity

    def page(session: SessionDep, filters: bodies.Filters) -> dict[str, Any]:
        limit, offset = window(filters)
        columns = service_filters(session, filters)
        items: list[dict[str, Any]] = []
        more = False
        if columns is None:
            pass  # nothing can match
        elif entity is not None and isinstance(filters, bodies.SyncedFilters):
            found = list_records(
                session,
                entity,
                list_query(entity, filters, limit),
                filters=columns,
                key_search=filters.search,
                offset=offset,
            )
            items = [to_dict(r) for r, _state in found.rows]
            more = offset + limit < found.total
        else:
            rows = service.list(
                session, search=filters.search, limit=limit + 1, offset=offset, filters=columns
            )
            items, more = [to_dict(r) for r in rows[:limit]], len(rows) > limit
        return {
            "items": items,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }

    def get(ref: str, session: SessionDep) -> dict[str, Any]:
        with path_record():
            return to_dict(service.get(session, ref))

    def create(
        body: BaseModel, session: SessionDep, request: Request, response: Response
    ) -> dict[str, Any]:
        with in_body():
            record = res.creator(session, body) if res.creator else service.create(session, body)
        record_id = record.id  # type: ignore[union-attr]
        response.headers["Location"] = str(request.url_for(f"get_{res.name}", ref=str(record_id)))
        return to_dict(record)

    def update(ref: str, body: BaseModel, session: SessionDep) -> dict[str, Any]:
        with path_record():
            service.get(session, ref)
        with in_body():
            return to_dict(service.update(session, ref, body))

    def delete(ref: str, session: SessionDep) -> Response:
        with in_place("path", "ref"), path_record():
            service.delete(session, ref)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    # The body and query types differ per record type: give FastAPI the real ones.
    page.__annotations__["filters"] = Annotated[res.filters, Query()]
    create.__annotations__["body"] = res.create
    update.__annotations__["body"] = res.update

    router.add_api_route(
        res.path,
        page,
        methods=["GET"],
        name=f"list_{res.name}",
        summary=f"List {res.label}s",
        response_model=schemas.Page[out],  # type: ignore[valid-type]
        tags=[tag],
    )
    router.add_api_route(
        res.path,
        create,
        methods=["POST"],
        name=f"create_{res.name}",
        summary=f"Create a {res.label}",
        response_model=out,
        status_code=201,
        tags=[tag],
    )
    router.add_api_route(
        item,
        get,
        methods=["GET"],
        name=f"get_{res.name}",
        summary=f"Get a {res.label} by its {ref_doc}",
        response_model=out,
        tags=[tag],
    )
    router.add_api_route(
        item,
        update,
        methods=["PATCH"],
        name=f"update_{res.name}",
        summary=f'Change a {res.label}: only the fields given; null or "" clears an optional one',
        response_model=out,
        tags=[tag],
    )
    router.add_api_route(
        item,
        delete,
        methods=["DELETE"],
        name=f"delete_{res.name}",
        summary=f"Delete a {res.label} (409 while other records still use it)",
        status_code=204,
        response_class=Response,
        tags=[tag],
    )


def build_router() -> APIRouter:
    router = APIRouter()
    for res in RESOURCES:
        _add_routes(router, res)
    return router
