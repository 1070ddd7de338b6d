"""`booksync link TYPE REF REMOTE_ID`: a person decides that a record is an object already in the tool.

The matching report (`booksync sync plan`) lists the tool's contacts and items that are, or look
like, booksync's records; linking one sets the record's remote ID in the same transaction as any
edit (the outbox bumps its version and queues its job), so the next pass updates that object
instead of creating another. A remote ID another record of the same type in the same tenant already
uses is refused: two records would overwrite one object. With `check`, the tool is asked (read only)
whether it has that object, where the connector can say (`RemoteRead`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.connectors.protocol import Connector, ConnectorError, RemoteRead
from booksync.domain.types import ConnectionState, EntityType
from booksync.services.connect import tenant_connector
from booksync.services.doctor import MODELS, parse_type
from booksync.services.errors import BadInput, BooksyncError, Conflict
from booksync.services.references import find
from booksync.services.text import check_text
from booksync.store.models import Client, Document, Product, Supplier, Syncable, Tenant

#: The longest remote ID the store keeps.
MAX_REMOTE_ID = 255
ACCEPTED = "the tool's ID of the object, as `booksync sync plan` lists it in its matching report"


@dataclass(frozen=True)
class Linked:
    entity: EntityType
    record_id: int
    ref: str
    tenant: str
    remote_id: str
    #: The remote ID it had before (None: it was not linked).
    previous: str | None
    #: Whether the tool was asked and has the object (None: not asked, or it cannot say).
    checked: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "record": {"type": self.entity.value, "id": self.record_id, "ref": self.ref},
            "tenant": self.tenant,
            "remote_id": self.remote_id,
            "previous": self.previous,
            "checked": self.checked,
        }


def link(
    session: Session,
    entity: EntityType | str,
    ref: str,
    remote_id: str,
    *,
    check: bool = False,
    connectors: Callable[[Tenant], Connector] | None = None,
) -> Linked:
    """Link the record `ref` of `entity` to the tool's object `remote_id` (see the module)."""
    kind = entity if isinstance(entity, EntityType) else parse_type(entity)
    wanted = check_text("remote_id", (remote_id or "").strip())
    if not wanted:
        raise BadInput("remote_id", remote_id, "is empty", ACCEPTED)
    if len(wanted) > MAX_REMOTE_ID:
        raise BadInput("remote_id", wanted, f"is longer than {MAX_REMOTE_ID} characters", ACCEPTED)
    record = _record(session, kind, ref)
    tenant = _tenant_of(record)
    name = _name(record)
    if tenant is None:
        raise BadInput(
            kind.value,
            name,
            "has no tenant, so no tool to link it in",
            f"set its tenant first, e.g. booksync {_noun(kind)} edit '{name}' --tenant TENANT"
            if not kind.is_document
            else "set its client's or supplier's tenant first",
        )
    _refuse_taken(session, kind, record, tenant, wanted)
    checked = _check(tenant, kind, wanted, connectors) if check else None
    previous = record.remote_id
    if previous != wanted:
        record.remote_id = wanted  # the outbox bumps its version and queues its job
        session.flush()
    return Linked(kind, record.id, name, tenant.name, wanted, previous, checked)


def _record(session: Session, kind: EntityType, ref: str) -> Syncable:
    if kind.is_document:
        return find(session, Document, ref, field=kind.value, kind=kind)
    return find(session, MODELS[kind], ref, field=kind.value)


def _tenant_of(record: Syncable) -> Tenant | None:
    owner = record.party if isinstance(record, Document) else record
    assert owner is None or isinstance(owner, Client | Supplier | Product)
    return owner.tenant if owner is not None else None


def _name(record: Syncable) -> str:
    if isinstance(record, Document):
        return record.number
    assert isinstance(record, Client | Supplier | Product)
    return record.name


def _noun(kind: EntityType) -> str:
    return kind.value.replace("_", "-")


def _refuse_taken(
    session: Session, kind: EntityType, record: Syncable, tenant: Tenant, remote_id: str
) -> None:
    """Another record of the same type in the same tenant linked to `remote_id` is refused."""
    if kind.is_document:
        others: list[Any] = [
            d
            for d in session.scalars(
                select(Document).where(
                    Document.kind == kind.value,
                    Document.remote_id == remote_id,
                    Document.id != record.id,
                )
            )
            if _tenant_of(d) is not None and _tenant_of(d).id == tenant.id  # type: ignore[union-attr]
        ]
    else:
        model = MODELS[kind]
        others = list(
            session.scalars(
                select(model).where(
                    model.remote_id == remote_id,
                    model.tenant_id == tenant.id,
                    model.id != record.id,
                )
            )
        )
    if others:
        other = _name(others[0])
        raise Conflict(
            "remote_id",
            remote_id,
            f"is already linked to {kind.label} '{other}' in tenant '{tenant.name}'",
            f"another remote ID, or first give {kind.label} '{other}' another one",
        )


def _check(
    tenant: Tenant,
    kind: EntityType,
    remote_id: str,
    connectors: Callable[[Tenant], Connector] | None,
) -> bool | None:
    """Ask the tool whether it has the object; refuse the link when it says it has not."""
    if tenant.connection_state != ConnectionState.CONNECTED.value:
        return None
    connector = (connectors or tenant_connector)(tenant)
    try:
        if not isinstance(connector, RemoteRead):
            return None
        found = connector.fetch(tenant.remote_tenant_id, kind, [remote_id])
    except ConnectorError as exc:
        raise BooksyncError(f"tenant '{tenant.name}' could not be asked: {exc}") from exc
    finally:
        connector.close()
    if remote_id not in found:
        raise BadInput(
            "remote_id",
            remote_id,
            f"is not a {kind.label} in tenant '{tenant.name}'",
            ACCEPTED,
        )
    return True


__all__ = ["Linked", "link"]
