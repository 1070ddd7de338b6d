"""`GET /metrics`: Prometheus' text format, for a scraper holding an API key.

Served at the root, beside `/api/v1` (where scrapers look by default), and left out of the OpenAPI
document: it is for Prometheus, not for API clients. The figures are app-wide, read from the
database at each scrape (`services.operations.StoreCollector`: jobs by state, workers), plus what
this process counted itself (`booksync.metrics`). Without the `metrics` extra it answers 501.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from booksync import metrics
from booksync.api.deps import require_api_key, store_of
from booksync.api.errors import ApiError
from booksync.services.operations import StoreCollector

router = APIRouter(include_in_schema=False)


@router.get("/metrics", dependencies=[Depends(require_api_key)])
def scrape(request: Request) -> Response:
    if not metrics.AVAILABLE:
        raise ApiError(501, ["path", "metrics"], str(_unavailable()), type_="not_implemented")
    body, content_type = metrics.exposition(StoreCollector(store_of(request)))
    return Response(body, media_type=content_type)


def _unavailable() -> Exception:
    try:
        metrics.require()
    except metrics.MetricsUnavailable as exc:
        return exc
    return RuntimeError("metrics are available")


__all__ = ["router"]
