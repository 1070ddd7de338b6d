"""The REST API (FastAPI): every record type, integrations, tenants, sync and the doctor, over
the same service layer as the CLI. `create_app()` builds the ASGI app `booksync serve` runs."""

from __future__ import annotations

from booksync.api.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
