"""The demo: the sample MSP books, connected to the embedded tools' books on this machine, ready to
sync.

"Embedded" is any tool whose tenants are connected to a folder (`ConnectionMethod.FOLDER`): it
needs no account anywhere, so the demo runs offline on a fresh machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from booksync.connectors.registry import tools
from booksync.connectors.tool import ConnectionMethod
from booksync.services.connect import connect_tenant, tenant_link
from booksync.services.sample import SampleSummary, load_sample
from booksync.services.tenants import ImportSummary, import_from_tool
from booksync.store.db import Store
from booksync.store.models import Integration, Tenant


@dataclass
class DemoSetup:
    sample: SampleSummary
    imports: list[ImportSummary] = field(default_factory=list)
    #: tenant name -> where its books are (e.g. its Beancount file)
    ledgers: dict[str, str] = field(default_factory=dict)


def _embedded_kinds() -> list[str]:
    return [k for k, t in tools().items() if t.connection is ConnectionMethod.FOLDER]


def prepare_demo(store: Store, directory: Path) -> DemoSetup:
    """Load the sample books, then connect every embedded tenant under `directory` and import."""
    with store.session() as session:
        setup = DemoSetup(load_sample(session))
    books_dir = (directory / "ledgers").resolve()
    with store.session() as session:
        names = session.scalars(
            select(Tenant.name)
            .join(Integration)
            .where(Integration.kind.in_(_embedded_kinds()))
            .order_by(Tenant.name)
        ).all()
    for name in names:
        with store.session() as session:
            tenant = connect_tenant(session, name, directory=books_dir)
            setup.imports.append(import_from_tool(session, name))
            tool = tools()[tenant.integration.kind]
            setup.ledgers[name] = tool.location(tenant_link(tenant)) or str(books_dir)
    return setup


@dataclass(frozen=True)
class BooksCheck:
    """One embedded tenant's books as its tool's own validator sees them (none is good)."""

    tenant: str
    location: str
    checker: str
    problems: list[str]
    #: How a person looks at them (e.g. `fava FILE`), or "".
    view: str


def validate_ledgers(store: Store) -> list[BooksCheck]:
    """Each embedded tenant's books checked by the tool's own validator (Beancount's loader for
    the ledger)."""
    checks: list[BooksCheck] = []
    with store.session() as session:
        tenants = session.scalars(
            select(Tenant)
            .join(Integration)
            .where(
                Integration.kind.in_(_embedded_kinds()),
                Tenant.connection_state == "connected",
            )
        ).all()
        for tenant in tenants:
            tool = tools()[tenant.integration.kind]
            link = tenant_link(tenant)
            location = tool.location(link) or ""
            view = tool.view_hint.format(location=location) if tool.view_hint else ""
            checks.append(
                BooksCheck(tenant.name, location, tool.checker, tool.check_books(link), view)
            )
    return checks
