"""The web process: the REST API under /api/v1 and, when installed, the web admin beside it.

`create_app()` opens the store the way the CLI does (BOOKSYNC_DATABASE_URL, else ./booksync.db)
unless it is handed one. Every /api/v1 call needs an API key; /openapi.json and /api/docs do not,
since they describe the API and hold no data. Every request body is bounded (1 MiB unless
BOOKSYNC_MAX_BODY_BYTES says otherwise) and every answer carries `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from booksync import __version__
from booksync.api import docs, errors
from booksync.api.deps import require_api_key
from booksync.api.guard import reject_unstorable_text
from booksync.api.middleware import BodyLimit, NoSniff, max_body_bytes
from booksync.api.routes import metrics as metrics_route
from booksync.api.routes import routers
from booksync.api.routes import webhooks as webhooks_route
from booksync.api.schemas import ProblemsOut
from booksync.store.db import Store

PREFIX = "/api/v1"
WEB_PACKAGE = "booksync.web"

DESCRIPTION = """\
The REST face of booksync: the same service layer as the `booksync` CLI and the web admin.

Every call needs an API key from `booksync apikey create NAME`, sent as
`Authorization: Bearer bsk_...` or `X-API-Key: bsk_...`. Errors answer
`{"detail": [{"type", "loc", "msg", "input"}]}`: 401 without a valid key, 404 for the record named
in the path, 409 for a conflict with other records, 422 for bad input (with the field's path in
`loc`), 413 for a body over the size limit, 502 when an accounting tool failed. Money is always
a decimal string, such as "49.00".
"""

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemsOut, "description": "No API key, or one not valid or revoked"},
    404: {"model": ProblemsOut, "description": "The record named in the path does not exist"},
    409: {"model": ProblemsOut, "description": "Conflicts with other records"},
    413: {"model": ProblemsOut, "description": "Body over the size limit (1 MiB by default)"},
    422: {"model": ProblemsOut, "description": "Bad input; `loc` names the field"},
    502: {"model": ProblemsOut, "description": "An accounting tool failed"},
}


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(store: Store | None = None, *, max_body: int | None = None) -> FastAPI:
    """The ASGI app over `store`; a store it opens itself is closed when the app shuts down.
    `max_body` bounds request bodies in bytes (default: BOOKSYNC_MAX_BODY_BYTES, else 1 MiB)."""
    limit = max_body_bytes(max_body)  # before opening anything: a bad setting stops here
    owned = store is None
    opened = store if store is not None else Store()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            opened.dispose()

    app = FastAPI(
        title="booksync",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN; `docs` serves a local page
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.store = opened
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_bytes=limit)
    app.add_middleware(NoSniff)
    errors.install(app, PREFIX)
    docs.install(app)
    app.router.routes.extend(_api_routes())
    _mount_web(app, opened)
    return app


@functools.cache
def _api_routes() -> tuple[BaseRoute, ...]:
    """The API's routes, made once per process and shared by every app `create_app` makes.

    FastAPI works out an included route's parameters, models and handler when an app first
    serves a request (250 ms for these routes, and building the record routes takes 45 ms more),
    and does it again for each app unless the route objects are the same ones. They hold nothing
    of an app's: a handler finds its store in `request.app.state`. Made outside any app, they do
    not consult an app's `dependency_overrides` (nothing here sets any)."""
    table = APIRouter(generate_unique_id_function=_operation_id)
    for router in routers():
        table.include_router(
            router,
            prefix=PREFIX,
            # The key first: a caller without one learns nothing about its input.
            dependencies=[Depends(require_api_key), Depends(reject_unstorable_text)],
            responses=ERROR_RESPONSES,
        )
    table.include_router(webhooks_route.router, prefix=PREFIX)  # signed by the tool: no API key
    table.include_router(metrics_route.router)  # /metrics, for Prometheus (API key required)
    return tuple(table.routes)


@dataclass(frozen=True, eq=False)
class _SchemaInputs:
    """What an app's OpenAPI document is made from: its settings, and its routes (by identity)."""

    settings: str
    routes: tuple[BaseRoute, ...]

    @classmethod
    def of(cls, app: FastAPI) -> _SchemaInputs:
        settings = (
            app.title,
            app.version,
            app.summary,
            app.description,
            app.openapi_version,
            app.terms_of_service,
            app.contact,
            app.license_info,
            app.openapi_tags,
            app.servers,
            app.separate_input_output_schemas,
            getattr(app, "openapi_external_docs", None),
        )
        routes = (*app.routes, *app.webhooks.routes)
        listed = tuple(r for r in routes if getattr(r, "include_in_schema", True))
        return cls(repr(settings), listed)

    def same(self, other: _SchemaInputs) -> bool:
        return (
            self.settings == other.settings
            and len(self.routes) == len(other.routes)
            and all(mine is theirs for mine, theirs in zip(self.routes, other.routes, strict=True))
        )


#: The OpenAPI document last made in this process, and what it was made from.
_last_schema: tuple[_SchemaInputs, dict[str, Any]] | None = None


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi()`, FastAPI's own, but made once per process for every app that has the
    same settings and the same route objects (`_api_routes`): making it takes 0.9 s. Each app gets
    a copy of its own, kept in `app.openapi_schema` as FastAPI keeps it."""

    def openapi() -> dict[str, Any]:
        global _last_schema
        if app.openapi_schema:  # as FastAPI's own: made once per app
            return app.openapi_schema
        inputs = _SchemaInputs.of(app)
        if _last_schema is not None and inputs.same(_last_schema[0]):
            schema = app.openapi_schema = copy.deepcopy(_last_schema[1])
        else:
            schema = FastAPI.openapi(app)
            _last_schema = (inputs, copy.deepcopy(schema))
        return schema

    return openapi


def _mount_web(app: FastAPI, store: Store) -> None:
    """Add the web admin once it provides `mount(app, store)`; an error inside it is not hidden."""
    if importlib.util.find_spec(WEB_PACKAGE) is None:
        return
    mount = getattr(importlib.import_module(WEB_PACKAGE), "mount", None)
    if mount is not None:
        mount(app, store)
