"""Integrations (one per installed tool): whether each is enabled and which entities it syncs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from booksync.api.deps import SessionDep
from booksync.api.errors import in_body, in_place
from booksync.api.schemas import IntegrationOut
from booksync.services.inputs import IntegrationSettings
from booksync.services.records import configure_integration
from booksync.services.tools import tool_view, tool_views

router = APIRouter(prefix="/integrations", tags=["integrations"])


@router.get("", name="list_integrations", response_model=list[IntegrationOut])
def list_integrations(session: SessionDep) -> list[dict[str, Any]]:
    """Every integration, including those never set up (shown as disabled)."""
    return tool_views(session)


@router.get("/{kind}", name="get_integration", response_model=IntegrationOut)
def get_integration(kind: str, session: SessionDep) -> dict[str, Any]:
    with in_place("path", "kind"):
        return tool_view(session, kind)


@router.patch("/{kind}", name="configure_integration", response_model=IntegrationOut)
def configure(kind: str, body: IntegrationSettings, session: SessionDep) -> dict[str, Any]:
    """Enable or disable an integration, or change its Entities to Sync and success messages;
    only the fields given change. The first call sets the integration up."""
    with in_body():
        configure_integration(session, kind, body)
    return tool_view(session, kind)
