"""Finding records by the reference a person types: a name, number or code, or an id."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from booksync.domain.types import EntityType
from booksync.services.errors import NotFound, one_of
from booksync.services.text import check_text
from booksync.store.models import (
    AccountCode,
    Base,
    Client,
    Document,
    Integration,
    ItemGroup,
    Product,
    Supplier,
    TaxRate,
    Tenant,
)

T = TypeVar("T", bound=Base)

#: An id with more digits than this cannot exist (and would overflow SQLite's INTEGER).
MAX_ID_DIGITS = 18

#: The columns a person may use to name each kind of record, tried in order before the id.
NATURAL_KEYS: dict[type[Base], tuple[str, ...]] = {
    Integration: ("kind",),
    Tenant: ("name", "remote_tenant_id"),
    TaxRate: ("name",),
    AccountCode: ("code", "name"),
    ItemGroup: ("name",),
    Client: ("name",),
    Supplier: ("name",),
    Product: ("name", "code"),
    Document: ("number",),
}

LABELS: dict[type[Base], str] = {
    Integration: "integration",
    Tenant: "tenant",
    TaxRate: "tax rate",
    AccountCode: "account code",
    ItemGroup: "item group",
    Client: "client",
    Supplier: "supplier",
    Product: "product",
    Document: "document",
}


def find(
    session: Session,
    model: type[T],
    ref: str | int,
    *,
    field: str,
    kind: EntityType | None = None,
    tenant: Tenant | None = None,
) -> T:
    """The one record `ref` names, or a NotFound naming the field, the value and what exists.

    With `tenant`, an account code named by its code or name is looked for among that tenant's
    account codes and the user's own (those of no tenant) only: "Sales" on a record of tenant X is
    X's Sales, never another tenant's. An id is taken as given."""
    text = check_text(field, str(ref).strip())
    base = select(model)
    if kind is not None:
        base = base.where(Document.kind == kind.value)
    narrowed = tenant is not None and model is AccountCode
    if narrowed:
        assert tenant is not None
        base = base.where(or_(AccountCode.tenant_id == tenant.id, AccountCode.tenant_id.is_(None)))
    for column in NATURAL_KEYS[model]:
        rows = list(session.scalars(base.where(getattr(model, column) == text)).unique())
        if len(rows) > 1 and model is AccountCode:
            # The user's own account code wins over same-coded ones imported from several tenants.
            local = [r for r in rows if not r.imported_from_tool]  # type: ignore[attr-defined]
            rows = local if len(local) == 1 else rows
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            ids = ", ".join(str(r.id) for r in rows)  # type: ignore[attr-defined]
            raise NotFound(
                field, text, f"matches {len(rows)} {LABELS[model]}s (ids {ids})", "one of those ids"
            )
    digits = text.removeprefix("#")
    # ASCII only ("²".isdigit() is true) and within a 64-bit id, which is all a database holds.
    if digits.isascii() and digits.isdigit() and len(digits) <= MAX_ID_DIGITS:
        row = session.get(model, int(digits))
        if row is not None and (kind is None or row.kind == kind.value):  # type: ignore[attr-defined]
            return row
    label = kind.label if kind is not None else LABELS[model]
    if narrowed:
        assert tenant is not None
        raise NotFound(
            field,
            text,
            f"is not an account code of tenant '{tenant.name}' nor one of your own",
            _tenant_codes(session, tenant),
        )
    raise NotFound(field, text, f"is not a known {label}", known(session, model, kind=kind))


def _tenant_codes(session: Session, tenant: Tenant) -> str:
    """The account codes a record of `tenant` may name: its own and those of no tenant."""
    codes = session.scalars(
        select(AccountCode.code)
        .where(
            or_(AccountCode.tenant_id == tenant.id, AccountCode.tenant_id.is_(None)),
            AccountCode.code != "",
        )
        .distinct()
        .order_by(AccountCode.code)
        .limit(9)
    )
    return one_of(list(codes))


def known(session: Session, model: type[Base], *, kind: EntityType | None = None) -> str:
    column = getattr(model, NATURAL_KEYS[model][0])
    stmt = select(column).where(column.is_not(None), column != "").order_by(column).limit(9)
    if kind is not None:
        stmt = stmt.where(Document.kind == kind.value)
    total = select(func.count()).select_from(model)
    if kind is not None:
        total = total.where(Document.kind == kind.value)
    names = list(session.scalars(stmt))
    count = session.scalar(total) or 0
    return one_of(names) + (f" (of {count})" if count > len(names) else "")


def search_filter(model: type[Base], text: str) -> Any:
    """A case-insensitive substring filter over the record's natural keys."""
    pattern = f"%{check_text('search', text).lower()}%"
    return or_(*(func.lower(getattr(model, c)).like(pattern) for c in NATURAL_KEYS[model]))
