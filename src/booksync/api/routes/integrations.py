"""Integrations (ledger, xero, quickbooks): whether each is enabled and which entities it syncs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.api.deps import SessionDep
from booksync.api.errors import in_body
from booksync.api.schemas import IntegrationOut
from booksync.domain.types import IntegrationKind
from booksync.services.inputs import IntegrationSettings
from booksync.services.records import configure_integration
from booksync.services.serialize import to_dict
from booksync.store.models import Integration

router = APIRouter(prefix="/integrations", tags=["integrations"])


def integration_view(session: Session, kind: IntegrationKind) -> dict[str, Any]:
    """An integration's settings; one never set up shows as disabled, syncing nothing."""
    found = session.scalars(select(Integration).where(Integration.kind == kind.value)).first()
    if found is not None:
        return to_dict(found)
    return {
        "id": None,
        "kind": kind.value,
        "enabled": False,
        "entities_to_sync": [],
        "show_success_messages": False,
        "tenants": [],
    }


@router.get("", name="list_integrations", response_model=list[IntegrationOut])
def list_integrations(session: SessionDep) -> list[dict[str, Any]]:
    """Every integration, including those never set up (shown as disabled)."""
    return [integration_view(session, kind) for kind in IntegrationKind]


@router.get("/{kind}", name="get_integration", response_model=IntegrationOut)
def get_integration(kind: IntegrationKind, session: SessionDep) -> dict[str, Any]:
    return integration_view(session, kind)


@router.patch("/{kind}", name="configure_integration", response_model=IntegrationOut)
def configure(
    kind: IntegrationKind, body: IntegrationSettings, session: SessionDep
) -> dict[str, Any]:
    """Enable or disable an integration, or change its Entities to Sync and success messages;
    only the fields given change. The first call sets the integration up."""
    with in_body():
        return to_dict(configure_integration(session, kind.value, body))
