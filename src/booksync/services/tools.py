"""The installed tools as every face shows them: each integration's settings beside what its tool
declares (label, summary, how a tenant connects), and how one tenant is connected.

Faces never name a tool: they list `tool_views` and render `connect_advice`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.registry import label, tool_for, tools
from booksync.connectors.tool import ConnectionMethod
from booksync.errors import BadInput
from booksync.services.serialize import to_dict
from booksync.store.models import Integration, Tenant


def tool_view(session: Session, kind: str) -> dict[str, Any]:
    """An integration's settings with its tool's description; one never set up shows as disabled,
    syncing nothing. BadInput names the installed tools for an unknown kind."""
    tool = tool_for(kind)
    found = session.scalars(select(Integration).where(Integration.kind == tool.kind)).first()
    data: dict[str, Any] = (
        to_dict(found)
        if found is not None
        else {
            "id": None,
            "kind": tool.kind,
            "enabled": False,
            "entities_to_sync": [],
            "show_success_messages": False,
            "tenants": [],
        }
    )
    return data | {
        "label": tool.label,
        "summary": tool.summary,
        "connection": tool.connection.value,
        "tenant_noun": tool.tenant_noun,
        "remote_id_label": tool.remote_id_label,
    }


def tool_views(session: Session) -> list[dict[str, Any]]:
    """Every installed tool's integration, including those never set up."""
    return [tool_view(session, kind) for kind in tools()]


def connects_to_folder(tenant: Tenant) -> bool:
    """Whether booksync connects the tenant by itself (its books in a folder on this machine), as
    opposed to a person signing in to the tool in a browser."""
    return tool_for(tenant.integration.kind).connection is ConnectionMethod.FOLDER


def sign_in_required(tenant: Tenant) -> BadInput:
    """What a face says when asked to connect a tenant whose tool needs a person to sign in."""
    kind = tenant.integration.kind
    return BadInput(
        "tenant",
        tenant.name,
        f"belongs to {label(kind)}, which connects through its sign-in flow",
        f"a tenant booksync connects itself; for this one run `booksync {kind} connect`",
    )


def connect_advice(tenant: Tenant) -> str:
    """How a tenant whose tool needs a sign-in is connected, in words for a person ("" when
    booksync connects it by itself)."""
    if connects_to_folder(tenant):
        return ""
    tool = tool_for(tenant.integration.kind)
    return (
        f"{tool.label} {tool.tenant_nouns} are connected by signing in to {tool.label}: run "
        f"`booksync tenant connect '{tenant.name}'` (or `booksync {tool.kind} connect`) on the server."
    )
