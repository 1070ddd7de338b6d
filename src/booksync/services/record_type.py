"""The generic record service: validating a face's input, paging and counting, and `RecordType`,
which creates, edits, shows, lists and deletes one record type by its natural keys.

Each operation takes an open session and leaves committing to the caller, so a face's whole request
is one transaction: a rejected input raises before anything is flushed, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.services.errors import BadInput, Conflict, one_of
from booksync.services.input_fields import AddressInput, PaymentTermsInput, merged_address
from booksync.services.inputs import _Input
from booksync.services.references import find, search_filter
from booksync.store.models import AccountCode, Base, Tenant

M = TypeVar("M", bound=Base)
I = TypeVar("I", bound=_Input)  # noqa: E741


def validate(input_cls: type[I], data: Mapping[str, Any] | BaseModel) -> I:
    """Parse a face's input, turning the first validation error into one plain line."""
    if isinstance(data, input_cls):
        return data
    raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    try:
        return input_cls.model_validate(raw)
    except ValidationError as exc:
        raise bad_input(exc, input_cls) from None


def bad_input(exc: ValidationError, input_cls: type[BaseModel] | None = None) -> BadInput:
    err = exc.errors()[0]
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p + 1}]" for p in err["loc"])
    path = path.replace(".[", "[")
    message = err["msg"].removeprefix("Value error, ")
    problem, _, accepted = message.partition("; accepted: ")
    if err["type"] == "extra_forbidden":
        fields = ""
        if input_cls is not None and len(err["loc"]) == 1:
            fields = one_of(input_cls.model_fields, limit=20)
        problem, accepted = "is not a field of this record", fields
    elif err["type"] == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        problem, accepted = "is not accepted", expected
    elif not accepted and problem.startswith("Input should be"):
        accepted = problem.removeprefix("Input should be ").strip()
        problem = "is not accepted"
    return BadInput(path or "input", err.get("input"), problem, accepted or None)


def _narrowed(model: type[Any], where: Sequence[Any], search: str | None) -> list[Any]:
    """The conditions a listing and its count share: fixed ones, plus the search text."""
    return [*where, search_filter(model, search)] if search else list(where)


def page(
    session: Session,
    model: type[M],
    where: Sequence[Any],
    search: str | None,
    filters: Mapping[str, Any] | None,
    limit: int,
    offset: int,
) -> Sequence[M]:
    """One page of `model`, in id order, searched and filtered by exact attribute values."""
    conditions = _narrowed(model, where, search)
    conditions += [getattr(model, attr) == value for attr, value in (filters or {}).items()]
    stmt = select(model).where(*conditions).order_by(model.id)  # type: ignore[attr-defined]
    return session.scalars(stmt.limit(limit).offset(offset)).all()


def counted(session: Session, model: type[Any], where: Sequence[Any], search: str | None) -> int:
    stmt = select(func.count()).select_from(model).where(*_narrowed(model, where, search))
    return session.scalar(stmt) or 0


@dataclass(frozen=True)
class RecordType(Generic[M, I]):
    """How one record type is named, validated and linked to the records it refers to."""

    name: str
    model: type[M]
    input: type[I]
    required: tuple[str, ...] = ("name",)
    #: input field -> (model referred to, foreign key attribute)
    references: Mapping[str, tuple[type[Base], str]] = field(default_factory=dict)
    #: natural keys that must be unique, as (attribute, label)
    unique: tuple[str, ...] = ("name",)

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def get(self, session: Session, ref: str | int) -> M:
        return find(session, self.model, ref, field=self.name)

    def list(
        self,
        session: Session,
        *,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> Sequence[M]:
        return page(session, self.model, (), search, filters, limit, offset)

    def count(self, session: Session, *, search: str | None = None) -> int:
        return counted(session, self.model, (), search)

    def create(self, session: Session, data: Mapping[str, Any] | BaseModel) -> M:
        values = validate(self.input, data).given()
        for name in self.required:
            if values.get(name) in (None, ""):
                raise BadInput(name, values.get(name), "is required", f"a {self.label} {name}")
        obj = self.model()
        self._apply(session, obj, values)
        session.add(obj)
        session.flush()
        return obj

    def update(self, session: Session, ref: str | int, data: Mapping[str, Any] | BaseModel) -> M:
        obj = self.get(session, ref)
        values = validate(self.input, data).given()
        for name in self.required:
            if name in values and values[name] in (None, ""):
                raise BadInput(name, values[name], "cannot be emptied", f"a {self.label} {name}")
        self._apply(session, obj, values)
        session.flush()
        return obj

    def delete(self, session: Session, ref: str | int) -> M:
        obj = self.get(session, ref)
        refuse_if_used(session, obj, field=self.name)
        session.delete(obj)
        session.flush()
        return obj

    def _apply(self, session: Session, obj: M, values: dict[str, Any]) -> None:
        # The tenant first: it narrows the account codes the other references may name.
        for name, value in sorted(values.items(), key=lambda item: item[0] != "tenant"):
            if name in self.references:
                model, attr = self.references[name]
                target = None
                if value not in (None, ""):
                    tenant = _tenant_of(session, obj) if model is AccountCode else None
                    target = find(session, model, value, field=name, tenant=tenant)
                setattr(obj, attr, target.id if target is not None else None)  # type: ignore[attr-defined]
            else:
                if name in self.unique and value == "":
                    value = None  # an empty optional key is no key, so it cannot clash
                if isinstance(value, AddressInput):
                    value = merged_address(getattr(obj, name), value)
                elif isinstance(value, PaymentTermsInput):
                    value = value.stored()
                setattr(obj, name, value)
        for attr in self.unique:
            self._check_unique(session, obj, attr)

    def _check_unique(self, session: Session, obj: M, attr: str) -> None:
        value = getattr(obj, attr)
        if value in (None, ""):
            return
        column = getattr(self.model, attr)
        stmt = select(self.model).where(column == value)
        if obj.id is not None:  # type: ignore[attr-defined]
            stmt = stmt.where(self.model.id != obj.id)  # type: ignore[attr-defined]
        with session.no_autoflush:
            clash = session.scalars(stmt.limit(1)).first()
        if clash is not None:
            raise Conflict(
                attr, value, f"is already used by another {self.label}", f"a {attr} not in use"
            )


def _tenant_of(session: Session, obj: Base) -> Tenant | None:
    tenant_id = getattr(obj, "tenant_id", None)
    return session.get(Tenant, tenant_id) if tenant_id is not None else None


def refuse_if_used(session: Session, obj: Base, *, field: str) -> None:
    """Refuse to delete a record others still point at, saying which and how many."""
    table = obj.__table__  # type: ignore[attr-defined]
    uses: list[str] = []
    obj_id: int = obj.id  # type: ignore[attr-defined]
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            n = session.scalar(select(func.count()).select_from(other).where(fk.parent == obj_id))
            if n:
                uses.append(f"{n} {other.name.replace('_', ' ')}")
    if uses:
        raise Conflict(
            field,
            getattr(obj, "reference", obj.id),  # type: ignore[attr-defined]
            f"is still used by {', '.join(uses)}",
            "delete or change those first",
        )
