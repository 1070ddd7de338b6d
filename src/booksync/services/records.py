"""Create, edit, show, list and delete every record type: the operations all faces call.

The generic service is `RecordType` (record_type.py), documents have their own (documents.py), and
an integration's settings live in integration_settings.py; this module declares each record type
once and keeps every name importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.connectors.registry import tool_for
from booksync.domain.types import EntityType
from booksync.services.documents import Documents
from booksync.services.errors import BadInput, Conflict
from booksync.services.inputs import (
    AccountCodeInput,
    ItemGroupInput,
    PartyInput,
    ProductInput,
    TaxRateInput,
    TenantInput,
)
from booksync.services.integration_settings import (
    configure_integration,
    integration_for,
    parse_entities,
)
from booksync.services.record_type import (
    RecordType,
    bad_input,
    counted,
    page,
    refuse_if_used,
    validate,
)
from booksync.services.references import LABELS, find
from booksync.services.tax_types import tool_tax_type
from booksync.store.models import (
    AccountCode,
    Base,
    Client,
    Integration,
    ItemGroup,
    Product,
    Supplier,
    TaxRate,
    TaxRateMapping,
    Tenant,
)


class AccountCodes(RecordType[AccountCode, AccountCodeInput]):
    """Account codes, the user's own and those imported from a tenant's tool.

    An imported account stands for the tool's: the rules take its code as one the tool has. So
    `imported_from_tool` is set by importing only, and an edit that makes the account differ from
    the tool's (another code, another tenant) makes it the user's own: the doctor then checks its
    code against the tool like any other, instead of passing it as imported. Clearing rather than
    refusing keeps the person's edit (they may be moving to a code they are about to add in the
    tool) while never letting it pass unchecked; the next import matches the tool's account to it
    by name and gives it back the tool's code, so no second account of that name appears
    (`services.tenants`). An account the tool archived is restored in the tool, not here.
    """

    def _apply(self, session: Session, obj: AccountCode, values: dict[str, Any]) -> None:
        imported = obj.id is not None and bool(obj.imported_from_tool)
        before = (obj.code, obj.tenant_id, obj.active)
        if values.get("imported_from_tool") and not imported:
            raise BadInput(
                "imported_from_tool",
                True,
                "is set only by importing from the tool",
                "false (your own account code), or import the tenant: booksync tenant import "
                "TENANT",
            )
        super()._apply(session, obj, values)
        if obj.kind is None:
            raise BadInput("kind", None, "is required", "income or expense")
        if imported and (obj.code, obj.tenant_id) != before[:2]:
            if values.get("imported_from_tool"):
                raise BadInput(
                    "imported_from_tool",
                    True,
                    "cannot stay true once the code or tenant differs from the tool's",
                    "leave it out: the edit makes the account your own",
                )
            obj.imported_from_tool = False
        if obj.imported_from_tool and obj.active and not before[2]:
            tenant = obj.tenant.name if obj.tenant is not None else "its tenant"
            raise BadInput(
                "active",
                True,
                f"cannot be set here: the account is archived in tenant '{tenant}''s tool",
                "restore it in the tool and import the tenant again, or make it your own "
                "(imported_from_tool false)",
            )
        if obj.code:
            self._check_code(session, obj)

    def _check_code(self, session: Session, obj: AccountCode) -> None:
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

    def map(
        self,
        session: Session,
        ref: str,
        tenant_ref: str,
        tax_type: str | None = None,
        *,
        purchase_tax_type: str | None = None,
    ) -> TaxRateMapping:
        """Map a tax rate to the tax types of one tenant's tool: `tax_type` for sales (replacing
        any earlier one), `purchase_tax_type` for purchase orders (None: left as it is; "": none).

        Once the tenant's tax types are imported, only those are accepted, exactly as the tool
        spells them: a tax type the tool lacks would pass here and fail at the push."""
        rate = self.get(session, ref)
        tenant = find(session, Tenant, tenant_ref, field="tenant")
        mapping = session.scalars(
            select(TaxRateMapping).where(
                TaxRateMapping.tax_rate_id == rate.id, TaxRateMapping.tenant_id == tenant.id
            )
        ).first()
        if tax_type is None and (mapping is None or purchase_tax_type is None):
            raise BadInput(
                "tax_type",
                tax_type,
                "is required" + ("" if mapping is None else " (or a purchase tax type)"),
                "the tool's tax type, e.g. OUTPUT2",
            )
        if tax_type is not None:
            tax_type = tool_tax_type(session, tenant, "tax_type", tax_type)
        if purchase_tax_type is not None and purchase_tax_type.strip():
            purchase_tax_type = tool_tax_type(
                session, tenant, "purchase_tax_type", purchase_tax_type
            )
        if mapping is None:
            mapping = TaxRateMapping(tax_rate_id=rate.id, tenant_id=tenant.id, tax_type=tax_type)
            session.add(mapping)
        elif tax_type is not None:
            mapping.tax_type = tax_type
        if purchase_tax_type is not None:
            mapping.purchase_tax_type = purchase_tax_type.strip() or None
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

    def _check_unique(self, session: Session, obj: Tenant, attr: str) -> None:
        """A remote tenant ID is one the tool accepts (a ledger's is a file name), and unique within
        its integration (as the store's key says)."""
        if attr != "remote_tenant_id":
            super()._check_unique(session, obj, attr)
            return
        kind = session.get(Integration, obj.integration_id)
        problem = tool_for(kind.kind).remote_id_problem(obj.remote_tenant_id) if kind else None
        if problem is not None:
            problem, _, accepted = problem.partition("; accepted: ")
            raise BadInput(attr, obj.remote_tenant_id, problem, accepted or None)
        stmt = select(Tenant.name).where(
            Tenant.integration_id == obj.integration_id,
            Tenant.remote_tenant_id == obj.remote_tenant_id,
        )
        if obj.id is not None:
            stmt = stmt.where(Tenant.id != obj.id)
        with session.no_autoflush:
            clash = session.scalars(stmt.limit(1)).first()
        if clash is not None:
            raise Conflict(
                attr,
                obj.remote_tenant_id,
                f"is already the remote ID of tenant '{clash}'",
                "the tool's ID of this tenant, or leave it out to use the name",
            )


PARTY_REFS: dict[str, tuple[type[Base], str]] = {
    "tax_rate": (TaxRate, "tax_rate_id"),
    "tenant": (Tenant, "tenant_id"),
}

TENANTS = Tenants("tenant", Tenant, TenantInput, unique=("name", "remote_tenant_id"))
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
    "PARTY_REFS",
    "PRODUCTS",
    "RECORD_TYPES",
    "SUPPLIERS",
    "TAX_RATES",
    "TENANTS",
    "AccountCodes",
    "Documents",
    "RecordType",
    "TaxRates",
    "Tenants",
    "bad_input",
    "configure_integration",
    "counted",
    "integration_for",
    "page",
    "parse_entities",
    "refuse_if_used",
    "validate",
]
