"""Create, edit, show, list and delete every record type: the operations all faces call.

Each operation takes an open session and leaves committing to the caller, so a face's whole request
is one transaction: a rejected input raises before anything is flushed, and nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from booksync.domain.types import SUPPLIER_DOCUMENTS, EntityType, IntegrationKind
from booksync.services.errors import BadInput, Conflict, one_of
from booksync.services.inputs import (
    AccountCodeInput,
    DocumentInput,
    IntegrationSettings,
    ItemGroupInput,
    LineInput,
    PartyInput,
    ProductInput,
    TaxRateInput,
    TenantInput,
    _Input,
)
from booksync.services.references import LABELS, find, search_filter
from booksync.store.models import (
    AccountCode,
    Base,
    Client,
    Document,
    DocumentLine,
    Integration,
    ItemGroup,
    Product,
    Supplier,
    TaxRate,
    TaxRateMapping,
    Tenant,
)

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


def _now() -> datetime:
    return datetime.now(UTC)


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
        for name, value in values.items():
            if name in self.references:
                model, attr = self.references[name]
                target = None if value in (None, "") else find(session, model, value, field=name)
                setattr(obj, attr, target.id if target is not None else None)  # type: ignore[attr-defined]
            else:
                if name in self.unique and value == "":
                    value = None  # an empty optional key is no key, so it cannot clash
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


class AccountCodes(RecordType[AccountCode, AccountCodeInput]):
    def _apply(self, session: Session, obj: AccountCode, values: dict[str, Any]) -> None:
        super()._apply(session, obj, values)
        if obj.kind is None:
            raise BadInput("kind", None, "is required", "income or expense")
        if obj.code:
            stmt = select(AccountCode).where(
                AccountCode.code == obj.code,
                AccountCode.imported_from_tool == bool(obj.imported_from_tool),
            )
            if obj.imported_from_tool:
                stmt = stmt.where(AccountCode.tenant_id == obj.tenant_id)
            if obj.id is not None:
                stmt = stmt.where(AccountCode.id != obj.id)
            with session.no_autoflush:
                if session.scalars(stmt.limit(1)).first() is not None:
                    raise Conflict(
                        "code",
                        obj.code,
                        "is already used by another account code",
                        "a code not in use",
                    )


class TaxRates(RecordType[TaxRate, TaxRateInput]):
    def _apply(self, session: Session, obj: TaxRate, values: dict[str, Any]) -> None:
        if values.get("is_default"):
            # One default at a time: the previous one steps down in the same transaction.
            session.execute(
                update(TaxRate).where(TaxRate.is_default.is_(True)).values(is_default=False)
            )
        if obj.id is None and "percent" not in values:
            raise BadInput("percent", None, "is required", "a percentage from 0 to 100")
        super()._apply(session, obj, values)

    def map(self, session: Session, ref: str, tenant_ref: str, tax_type: str) -> TaxRateMapping:
        """Map a tax rate to a tax type of one tenant's tool (replacing any earlier mapping)."""
        rate = self.get(session, ref)
        tenant = find(session, Tenant, tenant_ref, field="tenant")
        tax_type = tax_type.strip()
        if not tax_type or len(tax_type) > 100:
            raise BadInput(
                "tax_type", tax_type, "is not a tax type", "the tool's tax type, e.g. OUTPUT2"
            )
        mapping = session.scalars(
            select(TaxRateMapping).where(
                TaxRateMapping.tax_rate_id == rate.id, TaxRateMapping.tenant_id == tenant.id
            )
        ).first()
        if mapping is None:
            mapping = TaxRateMapping(tax_rate_id=rate.id, tenant_id=tenant.id, tax_type=tax_type)
            session.add(mapping)
        else:
            mapping.tax_type = tax_type
        session.flush()
        return mapping

    def unmap(self, session: Session, ref: str, tenant_ref: str) -> None:
        rate = self.get(session, ref)
        tenant = find(session, Tenant, tenant_ref, field="tenant")
        for mapping in list(rate.mappings):
            if mapping.tenant_id == tenant.id:
                session.delete(mapping)
        session.flush()


class Tenants(RecordType[Tenant, TenantInput]):
    def create_for(
        self, session: Session, integration: str, data: Mapping[str, Any] | BaseModel
    ) -> Tenant:
        """A tenant of an integration; its remote tenant id defaults to its name."""
        values = validate(self.input, data).given()
        owner = integration_for(session, integration, create=True)
        tenant = Tenant(integration_id=owner.id)
        if not values.get("name"):
            raise BadInput("name", values.get("name"), "is required", "a tenant name")
        values.setdefault("remote_tenant_id", values["name"])
        self._apply(session, tenant, values)
        session.add(tenant)
        session.flush()
        return tenant


class Documents:
    """Invoices, sales orders, purchase orders and credit notes: one table, a kind each."""

    def __init__(self, kind: EntityType) -> None:
        assert kind.is_document
        self.kind = kind
        self.name = kind.value
        self.label = kind.label
        self.party_model: type[Client | Supplier] = (
            Supplier if kind in SUPPLIER_DOCUMENTS else Client
        )
        self.party_field = "supplier" if kind in SUPPLIER_DOCUMENTS else "client"

    def get(self, session: Session, ref: str | int) -> Document:
        return find(session, Document, ref, field=self.name, kind=self.kind)

    def list(
        self,
        session: Session,
        *,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> Sequence[Document]:
        kind = (Document.kind == self.kind.value,)
        return page(session, Document, kind, search, filters, limit, offset)

    def count(self, session: Session, *, search: str | None = None) -> int:
        return counted(session, Document, (Document.kind == self.kind.value,), search)

    def create(self, session: Session, data: Mapping[str, Any] | BaseModel) -> Document:
        values = validate(DocumentInput, data).given()
        for name, hint in (
            ("number", f"a {self.label} number"),
            ("party", f"a {self.party_field}"),
        ):
            if not values.get(name):
                raise BadInput(self._field(name), values.get(name), "is required", hint)
        if not values.get("lines"):
            raise BadInput(
                "lines", [], "are required", "at least one line, PRODUCT:QUANTITY[:PRICE]"
            )
        values.setdefault("issue_date", datetime.now(UTC).date())
        document = Document(kind=self.kind.value)
        self._apply(session, document, values)
        session.add(document)
        session.flush()
        return document

    def update(
        self, session: Session, ref: str | int, data: Mapping[str, Any] | BaseModel
    ) -> Document:
        document = self.get(session, ref)
        values = validate(DocumentInput, data).given()
        for name in ("number", "party", "issue_date"):
            if name in values and not values[name]:
                raise BadInput(self._field(name), values[name], "cannot be emptied", None)
        if "lines" in values and not values["lines"]:
            raise BadInput("lines", [], "cannot be emptied", "at least one line")
        self._apply(session, document, values)
        document.updated_at = _now()  # a change of lines alone is still an edit of the document
        session.flush()
        return document

    def delete(self, session: Session, ref: str | int) -> Document:
        document = self.get(session, ref)
        session.delete(document)
        session.flush()
        return document

    def _field(self, name: str) -> str:
        return self.party_field if name == "party" else name

    def _apply(self, session: Session, document: Document, values: dict[str, Any]) -> None:
        if "number" in values and values["number"] != document.number:
            clash = session.scalars(
                select(Document.id).where(
                    Document.kind == self.kind.value, Document.number == values["number"]
                )
            ).first()
            if clash is not None:
                raise Conflict(
                    "number",
                    values["number"],
                    f"is already used by another {self.label}",
                    f"a number no other {self.label} uses",
                )
            document.number = values["number"]
        party = None
        if "party" in values:
            party = find(session, self.party_model, values["party"], field=self.party_field)
            if self.party_model is Supplier:
                document.supplier_id, document.client_id = party.id, None
            else:
                document.client_id, document.supplier_id = party.id, None
        for name in ("issue_date", "due_date", "status"):
            if name in values:
                setattr(document, name, values[name])
        if "reference" in values:
            document.reference_text = values["reference"] or ""
        if "currency" in values and values["currency"]:
            document.currency = values["currency"]
        elif document.id is None:
            document.currency = party.currency if party is not None else "AUD"
        if document.due_date and document.issue_date and document.due_date < document.issue_date:
            raise BadInput(
                "due_date",
                document.due_date.isoformat(),
                "is before the issue date",
                f"{document.issue_date.isoformat()} or later",
            )
        if "lines" in values:
            document.lines = [
                self._line(session, position, line)
                for position, line in enumerate(values["lines"], start=1)
            ]

    def _line(self, session: Session, position: int, line: LineInput) -> DocumentLine:
        where = f"lines[{position}]"
        product = find(session, Product, line.product, field=f"{where}.product")
        rate = (
            find(session, TaxRate, line.tax_rate, field=f"{where}.tax_rate")
            if line.tax_rate
            else None
        )
        default_price = product.cost if self.kind in SUPPLIER_DOCUMENTS else product.price
        return DocumentLine(
            position=position,
            product_id=product.id,
            description=line.description if line.description is not None else product.name,
            quantity=line.quantity,
            unit_price=line.unit_price if line.unit_price is not None else default_price,
            tax_rate_id=rate.id if rate else None,
        )


def integration_for(session: Session, kind: str, *, create: bool = False) -> Integration:
    try:
        tool = IntegrationKind(kind.strip().lower())
    except ValueError:
        raise BadInput(
            "integration", kind, "is not an integration", one_of(k.value for k in IntegrationKind)
        ) from None
    found = session.scalars(select(Integration).where(Integration.kind == tool.value)).first()
    if found is None:
        if not create:
            raise BadInput(
                "integration",
                kind,
                "has not been set up yet",
                f"run `booksync integration enable {tool}`",
            )
        found = Integration(kind=tool.value, enabled=False, entities_to_sync=[])
        session.add(found)
        session.flush()
    return found


def configure_integration(
    session: Session, kind: str, data: Mapping[str, Any] | IntegrationSettings
) -> Integration:
    """Enable, disable or change an integration's settings (creating it on first use)."""
    settings = validate(IntegrationSettings, data).given()
    integration = integration_for(session, kind, create=True)
    if settings.get("enabled") is not None:
        integration.enabled = settings["enabled"]
    if settings.get("entities_to_sync") is not None:
        ordered = [e.value for e in EntityType if e in set(settings["entities_to_sync"])]
        integration.entities_to_sync = ordered
    if settings.get("show_success_messages") is not None:
        integration.show_success_messages = settings["show_success_messages"]
    session.flush()
    return integration


def parse_entities(text: str) -> list[EntityType]:
    """'client,product,invoice' -> entity types, naming any that is not one."""
    entities: list[EntityType] = []
    for raw in (
        part.strip().lower().replace("-", "_").replace(" ", "_") for part in text.split(",")
    ):
        if not raw:
            continue
        plural = (
            raw[:-1] if raw.endswith("s") and raw[:-1] in EntityType._value2member_map_ else raw
        )
        try:
            entities.append(EntityType(plural))
        except ValueError:
            raise BadInput(
                "entities", raw, "is not an entity type", ", ".join(e.value for e in EntityType)
            ) from None
    return entities


PARTY_REFS: dict[str, tuple[type[Base], str]] = {
    "tax_rate": (TaxRate, "tax_rate_id"),
    "tenant": (Tenant, "tenant_id"),
}

TENANTS = Tenants("tenant", Tenant, TenantInput, unique=("name",))
TAX_RATES = TaxRates("tax_rate", TaxRate, TaxRateInput)
ACCOUNT_CODES = AccountCodes(
    "account_code",
    AccountCode,
    AccountCodeInput,
    required=("name",),
    references={"tenant": (Tenant, "tenant_id")},
    unique=(),
)
ITEM_GROUPS = RecordType(
    "item_group",
    ItemGroup,
    ItemGroupInput,
    references={
        "tax_rate": (TaxRate, "tax_rate_id"),
        "income_account": (AccountCode, "income_account_id"),
        "expense_account": (AccountCode, "expense_account_id"),
    },
)
CLIENTS = RecordType("client", Client, PartyInput, references=PARTY_REFS)
SUPPLIERS = RecordType("supplier", Supplier, PartyInput, references=PARTY_REFS)
PRODUCTS = RecordType(
    "product",
    Product,
    ProductInput,
    references={
        **PARTY_REFS,
        "item_group": (ItemGroup, "item_group_id"),
        "income_account": (AccountCode, "income_account_id"),
        "expense_account": (AccountCode, "expense_account_id"),
    },
    unique=("name", "code"),
)
DOCUMENTS: dict[EntityType, Documents] = {
    kind: Documents(kind) for kind in EntityType if kind.is_document
}

#: Every record type a face can manage, by its CLI/API name.
RECORD_TYPES: dict[str, RecordType[Any, Any] | Documents] = {
    "tenant": TENANTS,
    "tax_rate": TAX_RATES,
    "account_code": ACCOUNT_CODES,
    "item_group": ITEM_GROUPS,
    "client": CLIENTS,
    "supplier": SUPPLIERS,
    "product": PRODUCTS,
    **{kind.value: docs for kind, docs in DOCUMENTS.items()},
}

__all__ = [
    "ACCOUNT_CODES",
    "CLIENTS",
    "DOCUMENTS",
    "ITEM_GROUPS",
    "LABELS",
    "PRODUCTS",
    "RECORD_TYPES",
    "SUPPLIERS",
    "TAX_RATES",
    "TENANTS",
    "configure_integration",
    "integration_for",
    "parse_entities",
    "validate",
]
