"""Where the accounting tools send their webhooks: POST /api/v1/webhooks/{kind}.

No API key: the tool's signature over the raw body is the authentication, so the body is read as
bytes before anything parses it. A good signature is answered 200 with an empty body (the events
are stored in the same transaction and handled by a worker); a bad or missing one 401, with nothing
stored. Nothing here calls the tool, so the answer comes within the tools' 5 seconds.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from booksync.api.deps import store_of
from booksync.services.inbound import Receipt, receive
from booksync.store.db import Store

router = APIRouter(tags=["webhooks"])


def _receive(store: Store, kind: str, headers: dict[str, str], body: bytes) -> Receipt:
    with store.session() as session:
        return receive(session, kind, headers, body)


@router.post(
    "/webhooks/{kind}",
    name="receive_webhook",
    status_code=200,
    response_class=Response,
    # No API key: the tool's signature is the authentication (OpenAPI: an empty requirement).
    openapi_extra={"security": []},
    responses={
        200: {"description": "Verified; its events are stored (empty body)"},
        400: {"description": "Signed, but not a webhook this tool sends"},
        401: {"description": "Missing or wrong signature, or no webhook key set; nothing stored"},
        404: {"description": "No installed tool of this kind sends webhooks"},
    },
)
async def receive_webhook(kind: str, request: Request) -> Response:
    """A tool's webhook (Xero: `x-xero-signature`; QuickBooks: `intuit-signature`), verified with
    the key set by `booksync integration webhook-key KIND`."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    receipt = await run_in_threadpool(_receive, store_of(request), kind, headers, body)
    return Response(status_code=receipt.status)
