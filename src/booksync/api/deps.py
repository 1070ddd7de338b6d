"""What every API route depends on: the open store, one transaction per request, and an API key.

A request's session commits when its route returns and rolls back whole if it raises, before the
answer is sent: a 2xx means it was saved, anything else means nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from booksync.api.errors import ApiError
from booksync.services.auth import verify_api_key
from booksync.store.db import Store
from booksync.store.models import ApiKey

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="`Authorization: Bearer bsk_...`, a key from `booksync apikey create NAME`.",
)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="`X-API-Key: bsk_...`, the same key in a header of its own.",
)


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


def _session(request: Request) -> Iterator[Session]:
    with store_of(request).session() as session:
        yield session


#: The request's unit of work; `scope="function"` commits before the answer is sent.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
StoreDep = Annotated[Store, Depends(store_of)]

UNAUTHORIZED = "an API key is required; accepted: `Authorization: Bearer bsk_...` or `X-API-Key: bsk_...` (create one with `booksync apikey create NAME`)"


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    header: Annotated[str | None, Security(api_key_header)],
) -> ApiKey:
    """The live API key the request carries, or a 401. The secret itself is never logged."""
    secret = credentials.credentials if credentials is not None else header
    where = ["header", "x-api-key" if credentials is None and header else "authorization"]
    if not secret:
        raise ApiError(401, where, UNAUTHORIZED, type_="unauthorized", headers=CHALLENGE)
    with store_of(request).session() as session:
        key = verify_api_key(session, secret)
    if key is None:
        raise ApiError(
            401,
            where,
            "the API key is not valid or was revoked; accepted: a live key from `booksync apikey list`",
            type_="unauthorized",
            headers=CHALLENGE,
        )
    return key


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="booksync"'}
