"""What every OAuth-connected tool's tenants share: their encrypted credentials, kept in step for
every tenant of one grant, the sign-in URL shown to a person, and free names for new tenants.

Xero (one sign-in, many organisations, one grant) and QuickBooks (one sign-in, one company) both
store a `Credentials` document, sealed with `booksync.secrets`, on each tenant it reaches; a refresh
made for one tenant is written to every tenant of the same grant and tool.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, object_session

from booksync.connectors.oauth import TokenSet
from booksync.domain.types import IntegrationKind
from booksync.secrets import SecretBox
from booksync.services.errors import BooksyncError
from booksync.store.models import Integration, Tenant


@dataclass(frozen=True)
class Credentials:
    """What a tenant keeps encrypted: its grant (shared by the tenants one sign-in reached), the app
    and token endpoint that can refresh it, and the current tokens."""

    grant: str
    client_id: str
    token_url: str
    tokens: TokenSet

    def to_dict(self) -> dict[str, Any]:
        return {
            "grant": self.grant,
            "client_id": self.client_id,
            "token_url": self.token_url,
            "tokens": self.tokens.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Credentials:
        return cls(
            str(data["grant"]),
            str(data["client_id"]),
            str(data["token_url"]),
            TokenSet.from_dict(data["tokens"]),
        )


def _tool(tenant: Tenant) -> str:
    try:
        return IntegrationKind(tenant.integration.kind).label
    except (ValueError, AttributeError):
        return "tool"


def read_credentials(tenant: Tenant, box: SecretBox | None = None) -> Credentials:
    tool = _tool(tenant)
    if not tenant.credentials:
        raise BooksyncError(
            f"tenant '{tenant.name}' has no {tool} credentials; connect it: "
            f"booksync tenant connect '{tenant.name}'"
        )
    try:
        return Credentials.from_dict((box or SecretBox()).open(tenant.credentials))
    except (KeyError, TypeError, ValueError):
        raise BooksyncError(
            f"tenant '{tenant.name}' has unreadable {tool} credentials; connect it again: "
            f"booksync tenant connect '{tenant.name}'"
        ) from None


class CredentialStore:
    """Reads and writes one grant's tokens for every tenant of the same tool that shares it.

    Writes go through the tenant's own session while it is in a transaction (SQLite allows one
    writer, and that session is it); otherwise through a short transaction of their own, so a token
    refreshed mid-sync is on disk before it is used.
    """

    def __init__(self, tenant: Tenant, credentials: Credentials, box: SecretBox) -> None:
        session = object_session(tenant)
        if session is None:
            raise BooksyncError(f"tenant '{tenant.name}' must be loaded from the store to connect")
        bind = session.get_bind()
        self.engine: Engine = bind if isinstance(bind, Engine) else bind.engine
        self.tenant = tenant
        self.tenant_id = tenant.id
        self.kind = tenant.integration.kind
        self.credentials = credentials
        self.box = box

    def _session(self) -> tuple[Session, bool]:
        live = object_session(self.tenant)
        if live is not None and live.in_transaction():
            return live, False
        return Session(self.engine), True

    def load(self) -> TokenSet | None:
        session, own = self._session()
        try:
            blob = session.scalar(select(Tenant.credentials).where(Tenant.id == self.tenant_id))
            if own:
                session.commit()
        finally:
            if own:
                session.close()
        if not blob:
            return None
        try:
            stored = Credentials.from_dict(self.box.open(blob))
        except (KeyError, TypeError, ValueError, BooksyncError):
            return None
        return stored.tokens if stored.grant == self.credentials.grant else None

    def save(self, tokens: TokenSet) -> None:
        self.credentials = Credentials(
            self.credentials.grant, self.credentials.client_id, self.credentials.token_url, tokens
        )
        blob = self.box.seal(self.credentials.to_dict())
        session, own = self._session()
        try:
            sharing = [self.tenant_id]
            rows = session.execute(
                select(Tenant.id, Tenant.credentials)
                .join(Integration, Tenant.integration_id == Integration.id)
                .where(Integration.kind == self.kind, Tenant.id != self.tenant_id)
            ).all()
            for tenant_id, other in rows:
                try:
                    if other and self.box.open(other).get("grant") == self.credentials.grant:
                        sharing.append(tenant_id)
                except BooksyncError:
                    continue
            session.execute(update(Tenant).where(Tenant.id.in_(sharing)).values(credentials=blob))
            if own:
                session.commit()
        finally:
            if own:
                session.close()


Announce = Callable[[str], None]


def announce_on_stderr(url: str, tool: str = "Xero") -> None:
    """The default when no face supplies one: the URL on stderr, where a person at a terminal
    sees it."""
    sys.stderr.write(f"Open this address in a browser to let booksync reach {tool}:\n  {url}\n")
    sys.stderr.flush()


def free_name(session: Session, name: str, tool: str) -> str:
    """`name`, or `name (Tool)`, `name (Tool 3)`, ... when a tenant already has it."""
    taken = set(session.scalars(select(Tenant.name)))
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({tool} {n})" if n > 2 else f"{name} ({tool})"
    return candidate
