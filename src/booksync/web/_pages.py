"""The record pages: one entry per record type, at the paths the doctor's `fix_page` links use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from booksync.domain.types import SUPPLIER_DOCUMENTS, EntityType
from booksync.services.errors import NotFound
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    SUPPLIERS,
    TAX_RATES,
    TENANTS,
    Documents,
    RecordType,
)
from booksync.web._context import local_path
from booksync.web._forms import Field
from booksync.web._record_fields import (
    ACCOUNT_CODE_FIELDS,
    CLIENT_FIELDS,
    ITEM_GROUP_FIELDS,
    PRODUCT_FIELDS,
    SUPPLIER_FIELDS,
    TAX_RATE_FIELDS,
    TENANT_FIELDS,
    document_fields,
)

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    """How one record type is listed, shown and edited."""

    #: The path segment, as `services.fixes.web_page` builds it: /clients, /item-groups, ...
    slug: str
    #: What one record is called on screen ("client", "item group").
    singular: str
    #: The list page's heading ("Clients").
    plural: str
    service: RecordType[Any, Any] | Documents
    fields: tuple[Field, ...]
    #: List columns: (key of the record's `to_dict`, heading); the first links to the record.
    columns: tuple[tuple[str, str], ...]
    #: Set for records that sync: their page shows the sync state, timeline and doctor.
    entity: EntityType | None = None
    #: Whether the list offers "New" (tenants are added from their integration's page).
    creatable: bool = True

    @property
    def is_document(self) -> bool:
        return self.entity is not None and self.entity.is_document

    @property
    def party(self) -> str:
        """A document's counterparty field: client, or supplier on a purchase order."""
        return "supplier" if self.entity in SUPPLIER_DOCUMENTS else "client"

    @property
    def sections(self) -> list[tuple[str, list[Field]]]:
        """The fields grouped as the form shows them: main fields first, then each fieldset."""
        groups: dict[str, list[Field]] = {}
        for f in self.fields:
            groups.setdefault(f.section, []).append(f)
        return sorted(groups.items(), key=lambda item: item[0] != "")

    def url(self, record_id: int | None = None) -> str:
        return f"/{self.slug}" + (f"/{record_id}" if record_id is not None else "")


PARTY_COLUMNS = (
    ("name", "Name"),
    ("email", "Email"),
    ("tenant", "Tenant"),
    ("remote_id", "Remote ID"),
    ("exclude_from_accounting", "Excluded"),
)


def _document_page(kind: EntityType) -> Page:
    party = "supplier" if kind in SUPPLIER_DOCUMENTS else "client"
    return Page(
        slug=kind.value.replace("_", "-") + "s",
        singular=kind.label,
        plural=kind.label.capitalize() + "s",
        service=DOCUMENTS[kind],
        fields=document_fields(party, credit_note=kind is EntityType.CREDIT_NOTE),
        columns=(
            ("number", "Number"),
            (party, party.capitalize()),
            ("issue_date", "Issue date"),
            ("status", "Status"),
            ("subtotal", "Subtotal"),
            ("currency", "Currency"),
            ("remote_id", "Remote ID"),
        ),
        entity=kind,
    )


PAGES: dict[str, Page] = {
    page.slug: page
    for page in (
        Page(
            "clients",
            "client",
            "Clients",
            CLIENTS,
            CLIENT_FIELDS,
            PARTY_COLUMNS,
            EntityType.CLIENT,
        ),
        Page(
            "suppliers",
            "supplier",
            "Suppliers",
            SUPPLIERS,
            SUPPLIER_FIELDS,
            PARTY_COLUMNS,
            EntityType.SUPPLIER,
        ),
        Page(
            "products",
            "product",
            "Products",
            PRODUCTS,
            PRODUCT_FIELDS,
            (
                ("name", "Name"),
                ("code", "Code"),
                ("price", "Price"),
                ("item_group", "Item group"),
                ("tenant", "Tenant"),
                ("remote_id", "Remote ID"),
                ("exclude_from_accounting", "Excluded"),
            ),
            EntityType.PRODUCT,
        ),
        Page(
            "item-groups",
            "item group",
            "Item groups",
            ITEM_GROUPS,
            ITEM_GROUP_FIELDS,
            (
                ("name", "Name"),
                ("tax_rate", "Tax rate"),
                ("income_account", "Income account"),
                ("expense_account", "Expense account"),
            ),
        ),
        Page(
            "tax-rates",
            "tax rate",
            "Tax rates",
            TAX_RATES,
            TAX_RATE_FIELDS,
            (
                ("name", "Name"),
                ("percent", "Percentage"),
                ("is_default", "Default"),
                ("tax_types", "Tax types"),
            ),
        ),
        Page(
            "account-codes",
            "account code",
            "Account codes",
            ACCOUNT_CODES,
            ACCOUNT_CODE_FIELDS,
            (
                ("code", "Code"),
                ("name", "Name"),
                ("kind", "Kind"),
                ("tenant", "Tenant"),
                ("imported_from_tool", "Imported"),
                ("active", "Active"),
            ),
        ),
        Page(
            "tenants",
            "tenant",
            "Tenants",
            TENANTS,
            TENANT_FIELDS,
            (
                ("name", "Name"),
                ("integration", "Integration"),
                ("remote_tenant_id", "Remote tenant ID"),
                ("connection", "Connection"),
            ),
            creatable=False,
        ),
        *(_document_page(kind) for kind in EntityType if kind.is_document),
    )
}


def back_link(session: Session, back: str | None) -> dict[str, str] | None:
    """The record a person came from to fix this page (`?back=/invoices/5`), to link back to."""
    target = local_path(back, "")
    if not target:
        return None
    parts = target.split("#")[0].split("?")[0].strip("/").split("/")
    if len(parts) != 2 or parts[0] not in PAGES or not parts[1].isdigit():
        return {"url": target, "label": "Back"}
    page = PAGES[parts[0]]
    try:
        record = page.service.get(session, f"#{parts[1]}")
    except NotFound:
        return None
    return {"url": target, "label": f"Back to {page.singular} {record.reference}"}


def cell(value: Any) -> str:
    """A `to_dict` value as list-cell text."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
