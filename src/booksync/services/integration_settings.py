"""An integration's settings: finding or creating the integration of a tool, enabling it, and the
record types it syncs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.registry import tool_for
from booksync.domain.types import EntityType
from booksync.services.errors import BadInput
from booksync.services.inputs import IntegrationSettings
from booksync.services.record_type import validate
from booksync.store.models import Integration


def integration_for(session: Session, kind: str, *, create: bool = False) -> Integration:
    tool = tool_for(kind).kind
    found = session.scalars(select(Integration).where(Integration.kind == tool)).first()
    if found is None:
        if not create:
            raise BadInput(
                "integration",
                kind,
                "has not been set up yet",
                f"run `booksync integration enable {tool}`",
            )
        found = Integration(kind=tool, enabled=False, entities_to_sync=[])
        session.add(found)
        session.flush()
    return found


def configure_integration(
    session: Session, kind: str, data: Mapping[str, Any] | IntegrationSettings
) -> Integration:
    """Enable, disable or change an integration's settings (creating it on first use)."""
    settings = validate(IntegrationSettings, data).given()
    integration = integration_for(session, kind, create=True)
    if settings.get("enabled") is not None:
        integration.enabled = settings["enabled"]
    if settings.get("entities_to_sync") is not None:
        ordered = [e.value for e in EntityType if e in set(settings["entities_to_sync"])]
        integration.entities_to_sync = ordered
    if settings.get("show_success_messages") is not None:
        integration.show_success_messages = settings["show_success_messages"]
    session.flush()
    return integration


def parse_entities(text: str) -> list[EntityType]:
    """'client,product,invoice' -> entity types, naming any that is not one."""
    entities: list[EntityType] = []
    for raw in (
        part.strip().lower().replace("-", "_").replace(" ", "_") for part in text.split(",")
    ):
        if not raw:
            continue
        plural = (
            raw[:-1] if raw.endswith("s") and raw[:-1] in EntityType._value2member_map_ else raw
        )
        try:
            entities.append(EntityType(plural))
        except ValueError:
            raise BadInput(
                "entities", raw, "is not an entity type", ", ".join(e.value for e in EntityType)
            ) from None
    return entities
