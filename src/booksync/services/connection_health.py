"""How a tenant's connection is doing, as the web's tenant connection page shows it: its state,
when its access token expires, the last time booksync reached the tool successfully, and the
calls its rate budget has left today.

Read-only, from what the store already holds: the sealed credentials (the token's expiry only,
never a token), the last synced job and the last import, and the shared rate budget
(`operations.shared_budget_left`, known only where every worker shares it: PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.connectors.grant import Credentials
from booksync.connectors.registry import tool_for
from booksync.connectors.tool import ConnectionMethod
from booksync.domain.types import SyncStatus
from booksync.errors import BooksyncError
from booksync.services.connect import read_secret
from booksync.services.operations import shared_budget_left
from booksync.services.references import find
from booksync.store.models import SyncJob, Tenant
from booksync.store.types import utcnow


@dataclass(frozen=True)
class ConnectionHealth:
    tenant_id: int
    name: str
    kind: str
    tool: str
    state: str
    detail: str
    connected_at: datetime | None
    #: When the access token expires (None: the tool has none, or it cannot be read).
    token_expires_at: datetime | None
    #: The last record pushed and accepted, and the last import: booksync's last good calls.
    last_push_at: datetime | None
    last_import_at: datetime | None
    #: Calls the shared budget has left today and this minute (None: not known here).
    calls_left_today: int | None
    calls_left_minute: int | None
    #: Whether reconnecting means signing in again in the browser.
    signs_in: bool
    #: Why the credentials could not be read, if they could not.
    problem: str | None = None

    @property
    def token_expired(self) -> bool | None:
        return None if self.token_expires_at is None else self.token_expires_at <= utcnow()

    @property
    def last_good_call_at(self) -> datetime | None:
        seen = [t for t in (self.last_push_at, self.last_import_at) if t is not None]
        return max(seen, default=None)


def connection_health(session: Session, ref: str) -> ConnectionHealth:
    tenant = find(session, Tenant, ref, field="tenant")
    tool = tool_for(tenant.integration.kind)
    expires, problem = None, None
    try:
        secret = read_secret(tenant)
        if secret is not None and "tokens" in secret:
            expires = Credentials.from_dict(secret).tokens.expires_at
    except (BooksyncError, KeyError, TypeError, ValueError) as exc:
        problem = str(exc) if isinstance(exc, BooksyncError) else "the credentials are unreadable"
    last_push = session.scalar(
        select(func.max(SyncJob.updated_at)).where(
            SyncJob.tenant_id == tenant.id, SyncJob.status == SyncStatus.SYNCED.value
        )
    )
    imports = [
        t for t in (tenant.accounts_imported_at, tenant.settings_imported_at) if t is not None
    ]
    left = shared_budget_left(session, [tenant.name]).get(tenant.name) or {}
    return ConnectionHealth(
        tenant.id,
        tenant.name,
        tool.kind,
        tool.label,
        tenant.connection_state,
        tenant.connection_detail,
        tenant.connected_at,
        expires,
        last_push,
        max(imports, default=None),
        left.get("day"),
        left.get("minute"),
        tool.connection is ConnectionMethod.OAUTH,
        problem,
    )


__all__ = ["ConnectionHealth", "connection_health"]
