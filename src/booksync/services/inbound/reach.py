"""Reaching a tenant's tool for what comes back: its connector, its optional parts, and a count of
the calls made (each HTTP request a connector's client sends; one per read for a tool read without
HTTP), which `pull` reports against the bound."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from booksync.connectors.budget import Counts, sharing
from booksync.connectors.protocol import Connector
from booksync.connectors.registry import tools
from booksync.services.connect import tenant_connector
from booksync.store.models import Integration, Tenant

#: The longest a read waits in place for the shared budget (as the engine's `CALL_WAIT`).
CALL_WAIT = 5.0
#: How a tenant's connector is made (the configured one by default; tests hand their own).
Connectors = Callable[[Tenant], Connector]
#: A unit of work: a session committed when the block ends (`Store.session`).
Sessions = Callable[[], AbstractContextManager[Session]]


@contextmanager
def closing(connector: Connector) -> Iterator[Connector]:
    """`connector`, closed after use (connectors are not context managers themselves)."""
    try:
        yield connector
    finally:
        connector.close()


def tenant_by_remote(session: Session, kind: str, remote_tenant_id: str) -> Tenant | None:
    return session.scalars(
        select(Tenant)
        .join(Integration, Tenant.integration_id == Integration.id)
        .options(joinedload(Tenant.integration))
        .where(Integration.kind == kind, Tenant.remote_tenant_id == remote_tenant_id)
    ).first()


__all__ = [
    "Connectors",
    "Sessions",
    "closing",
    "sharing_budget",
    "tenant_by_remote",
    "tenant_connector",
]


def sharing_budget(counts: Counts, connectors: Connectors = tenant_connector) -> Connectors:
    """`connectors` whose calls count in `counts` (a worker engine's rate budget, shared by every
    worker), so reads for what comes back and pushes draw on one budget per tenant."""

    def make(tenant: Tenant) -> Connector:
        kind = tenant.integration.kind
        tool = tools().get(kind)
        with sharing(counts, kind, tool.limits if tool else None, max_wait=CALL_WAIT):
            return connectors(tenant)

    return make
