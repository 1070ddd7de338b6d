"""The demo: the sample MSP books, connected to embedded Beancount ledgers, ready to sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from booksync.domain.types import IntegrationKind
from booksync.services.sample import SampleSummary, load_sample
from booksync.services.tenants import (
    ImportSummary,
    connect_tenant,
    import_from_tool,
    tenant_connector,
)
from booksync.store.db import Store
from booksync.store.models import Integration, Tenant


@dataclass
class DemoSetup:
    sample: SampleSummary
    imports: list[ImportSummary] = field(default_factory=list)
    #: tenant name -> its Beancount file
    ledgers: dict[str, Path] = field(default_factory=dict)


def prepare_demo(store: Store, directory: Path) -> DemoSetup:
    """Load the sample books, then connect every ledger tenant under `directory` and import its chart."""
    with store.session() as session:
        setup = DemoSetup(load_sample(session))
    ledger_dir = (directory / "ledgers").resolve()
    with store.session() as session:
        names = session.scalars(
            select(Tenant.name)
            .join(Integration)
            .where(Integration.kind == IntegrationKind.LEDGER.value)
            .order_by(Tenant.name)
        ).all()
    for name in names:
        with store.session() as session:
            tenant = connect_tenant(session, name, directory=ledger_dir)
            setup.imports.append(import_from_tool(session, name))
            setup.ledgers[name] = tenant_connector(tenant).path(tenant.remote_tenant_id)  # type: ignore[attr-defined]
    return setup


def validate_ledgers(store: Store) -> dict[str, list[str]]:
    """Each ledger tenant's file checked by Beancount's own loader: tenant name -> errors (none is good)."""
    problems: dict[str, list[str]] = {}
    with store.session() as session:
        tenants = session.scalars(
            select(Tenant)
            .join(Integration)
            .where(
                Integration.kind == IntegrationKind.LEDGER.value,
                Tenant.connection_state == "connected",
            )
        ).all()
        for tenant in tenants:
            problems[tenant.name] = tenant_connector(tenant).validate(tenant.remote_tenant_id)  # type: ignore[attr-defined]
    return problems
