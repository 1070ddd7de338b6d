"""Connecting tenants to their tool, whatever the tool: one path for every plug-in.

A tool's `connect` answers with the tenants it reached (`Connected`): a ledger file created in a
folder, or the organisations one browser sign-in authorised. This module records them: it matches
each to a booksync tenant (by remote id; a tenant never connected, whose remote id is still its
name, by name; else a new tenant), stores the credentials encrypted (`booksync.secrets`), and marks
the tenant connected. A refresh made later for one tenant is written to every tenant of the same
grant (`SecretStore`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, object_session

from booksync.connectors import Connector, ConnectorError
from booksync.connectors.registry import guarded, label, tool_for
from booksync.connectors.tool import Connected, ConnectionMethod, ConnectRequest, TenantLink, Tool
from booksync.domain.types import ConnectionState
from booksync.errors import BadInput, BooksyncError, one_of
from booksync.secrets import SecretBox
from booksync.services.records import TENANTS, integration_for
from booksync.services.references import find
from booksync.store.models import Integration, Tenant
from booksync.store.types import utcnow


def announce_on_stderr(url: str, tool: str = "the tool") -> None:
    """The default when no face supplies one: the URL on stderr, where a person at a terminal
    sees it."""
    sys.stderr.write(f"Open this address in a browser to let booksync reach {tool}:\n  {url}\n")
    sys.stderr.flush()


# --- credentials at rest ---------------------------------------------------------------------------


def _opened(box: SecretBox, blob: bytes) -> dict[str, Any] | None:
    """A sealed credentials document opened, or None when it cannot be read."""
    try:
        opened = box.open(blob)
    except (KeyError, TypeError, ValueError, BooksyncError):
        return None
    return opened if isinstance(opened, dict) else None


def read_secret(tenant: Tenant, box: SecretBox | None = None) -> dict[str, Any] | None:
    """The tenant's decrypted credentials, None when it has none; BooksyncError when unreadable."""
    if not tenant.credentials:
        return None
    opened = _opened(box or SecretBox(), tenant.credentials)
    if opened is None:
        raise BooksyncError(
            f"tenant '{tenant.name}' has unreadable {label(tenant.integration.kind)} credentials; "
            f"connect it again: booksync tenant connect '{tenant.name}'"
        )
    return opened


class SecretStore:
    """Reads and writes one tenant's credentials, and a grant's for every tenant that shares it.

    Writes go through the tenant's own session while it is in a transaction (SQLite allows one
    writer, and that session is it); otherwise through a short transaction of their own, so a token
    refreshed mid-sync is on disk before it is used.
    """

    def __init__(self, tenant: Tenant, box: SecretBox) -> None:
        session = object_session(tenant)
        if session is None:
            raise BooksyncError(f"tenant '{tenant.name}' must be loaded from the store to connect")
        bind = session.get_bind()
        self.engine: Engine = bind if isinstance(bind, Engine) else bind.engine
        self.tenant = tenant
        self.tenant_id = tenant.id
        self.kind = tenant.integration.kind
        self.box = box

    def _session(self) -> tuple[Session, bool]:
        live = object_session(self.tenant)
        if live is not None and live.in_transaction():
            return live, False
        return Session(self.engine), True

    def load(self) -> Mapping[str, Any] | None:
        session, own = self._session()
        try:
            blob = session.scalar(select(Tenant.credentials).where(Tenant.id == self.tenant_id))
            if own:
                session.commit()
        finally:
            if own:
                session.close()
        return _opened(self.box, blob) if blob else None

    def save(self, secret: Mapping[str, Any]) -> None:
        blob = self.box.seal(dict(secret))
        grant = secret.get("grant")
        session, own = self._session()
        try:
            sharing = [self.tenant_id]
            if grant is not None:
                rows = session.execute(
                    select(Tenant.id, Tenant.credentials)
                    .join(Integration, Tenant.integration_id == Integration.id)
                    .where(Integration.kind == self.kind, Tenant.id != self.tenant_id)
                ).all()
                for tenant_id, other in rows:
                    shared = _opened(self.box, other) if other else None
                    if shared is not None and shared.get("grant") == grant:
                        sharing.append(tenant_id)
            session.execute(update(Tenant).where(Tenant.id.in_(sharing)).values(credentials=blob))
            if own:
                session.commit()
        finally:
            if own:
                session.close()


def tenant_link(tenant: Tenant, box: SecretBox | None = None) -> TenantLink:
    """What the tenant's tool needs to reach it, with its credentials and their persistence."""
    box = box or SecretBox()
    secret = read_secret(tenant, box)
    store = SecretStore(tenant, box) if object_session(tenant) is not None else None
    return TenantLink(
        remote_id=tenant.remote_tenant_id,
        name=tenant.name,
        base_currency=tenant.base_currency,
        detail=tenant.connection_detail,
        secret=secret,
        save_secret=store.save if store else None,
        load_secret=store.load if store else None,
    )


def tenant_connector(tenant: Tenant, **settings: Any) -> Connector:
    """The connector that reaches `tenant`'s tool, built from what its connection recorded."""
    tool = tool_for(tenant.integration.kind)
    box: SecretBox | None = settings.pop("box", None)
    if tool.connection is ConnectionMethod.OAUTH and not tenant.credentials:
        raise BooksyncError(
            f"tenant '{tenant.name}' has no {tool.label} credentials; connect it: "
            f"booksync tenant connect '{tenant.name}'"
        )
    try:
        return guarded(tool, lambda: tool.connector(tenant_link(tenant, box), **settings))
    except ConnectorError as exc:
        raise BooksyncError(f"tenant '{tenant.name}': {exc}") from exc


# --- connecting --------------------------------------------------------------------------------------


def connect_tenant(session: Session, ref: str, **options: Any) -> Tenant:
    """Connect one tenant: create or open its books, or sign in to its tool (see `connect_tool`)."""
    tenant = find(session, Tenant, ref, field="tenant")
    connect_tool(session, tenant.integration.kind, wanted=tenant, **options)
    return tenant


def connect_tool(
    session: Session,
    kind: str,
    *,
    wanted: Tenant | None = None,
    announce: Callable[[str], None] | None = None,
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    box: SecretBox | None = None,
    **options: Any,
) -> list[Tenant]:
    """Connect the tool of `kind` and record every tenant it reached (`wanted`, or those a sign-in
    authorised), creating booksync tenants for new ones. Nothing is written when it fails."""
    tool = tool_for(kind)
    if wanted is None and tool.connection is ConnectionMethod.FOLDER:
        raise BadInput("tenant", "", "is required", f"a {tool.label} tenant to connect")
    request = ConnectRequest(
        wanted=tenant_link(wanted, box) if wanted is not None else None,
        announce=announce or (lambda url: announce_on_stderr(url, tool.label)),
        open_browser=open_browser,
        timeout=timeout,
        options=options,
    )
    try:
        reached = guarded(tool, lambda: tool.connect(request))
    except ConnectorError as exc:
        what = "sign-in" if tool.connection is ConnectionMethod.OAUTH else "connect"
        subject = (
            f"tenant '{wanted.name}' could not be connected"
            if wanted
            else f"{tool.label} {what} failed"
        )
        raise BooksyncError(f"{subject}: {exc}") from exc
    return record_connected(session, tool, reached, wanted, box or SecretBox())


def record_connected(
    session: Session, tool: Tool, reached: list[Connected], wanted: Tenant | None, box: SecretBox
) -> list[Tenant]:
    """Store what a connect reached (the CLI's, or the web's sign-in): each tenant matched to an
    existing one or created, its credentials sealed; `wanted` must be among them when given."""
    integration = integration_for(session, tool.kind, create=True)
    existing = list(session.scalars(select(Tenant).where(Tenant.integration_id == integration.id)))
    pairs = [(c, _match(existing, c, wanted, single=len(reached) == 1)) for c in reached]
    if wanted is not None and all(t is not wanted for _, t in pairs):
        raise _not_reached(tool, wanted, pairs)
    linked: list[Tenant] = []
    for connected, tenant in pairs:
        remote = connected.remote
        if tenant is None:
            tenant = TENANTS.create_for(
                session,
                tool.kind,
                {
                    "name": _free_name(session, remote.name, tool.label),
                    "remote_tenant_id": remote.remote_id,
                    "base_currency": remote.base_currency or None,
                },
            )
            existing.append(tenant)
        tenant.remote_tenant_id = remote.remote_id
        if remote.base_currency:
            tenant.base_currency = remote.base_currency
        tenant.connection_state = ConnectionState.CONNECTED.value
        tenant.connection_detail = connected.detail or ""
        if connected.secret is not None:
            tenant.credentials = box.seal(dict(connected.secret))
        tenant.connected_at = utcnow()
        linked.append(tenant)
    session.flush()
    return linked


def _match(
    existing: list[Tenant], connected: Connected, wanted: Tenant | None, *, single: bool
) -> Tenant | None:
    remote = connected.remote
    by_id = next((t for t in existing if t.remote_tenant_id == remote.remote_id), None)
    if by_id is not None:
        return by_id
    if wanted is not None and single and wanted.remote_tenant_id == wanted.name:
        return wanted
    return next(
        (
            t
            for t in existing
            if t.remote_tenant_id == t.name and t.name.casefold() == remote.name.casefold()
        ),
        None,
    )


def _not_reached(
    tool: Tool, wanted: Tenant, pairs: list[tuple[Connected, Tenant | None]]
) -> BadInput:
    if len(pairs) == 1:
        connected, other = pairs[0]
        chosen = f"'{connected.remote.name}' ({tool.remote_id_label} {connected.remote.remote_id})"
        problem = (
            f"cannot be linked: the sign-in chose {chosen}, which is already tenant '{other.name}'"
            if other is not None
            else f"is {tool.remote_id_label} {wanted.remote_tenant_id}, but the sign-in chose {chosen}"
        )
        return BadInput(
            "tenant",
            wanted.name,
            problem,
            f"sign in again and choose this tenant's {tool.tenant_noun}",
        )
    return BadInput(
        "tenant",
        wanted.name,
        f"is not among the {tool.tenant_nouns} this {tool.label} sign-in authorised",
        one_of(c.remote.name for c, _ in pairs)
        + " (sign in again and choose it, or connect those)",
    )


def _free_name(session: Session, name: str, tool: str) -> str:
    """`name`, or `name (Tool)`, `name (Tool 3)`, ... when a tenant already has it."""
    taken = set(session.scalars(select(Tenant.name)))
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({tool} {n})" if n > 2 else f"{name} ({tool})"
    return candidate
