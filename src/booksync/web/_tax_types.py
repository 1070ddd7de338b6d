"""A tax rate's tax types: which tax type of each tenant's tool it maps to (the `#tax_types` section)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from booksync.services.errors import BooksyncError
from booksync.services.records import TAX_RATES, TENANTS
from booksync.services.serialize import number
from booksync.store.models import TaxRate, TenantTaxType
from booksync.web._context import flash, local_path, redirect, web_of
from booksync.web._security import Form, User, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def tax_type_rows(session: Session, rate: TaxRate) -> list[dict[str, Any]]:
    """One row per tenant: the tax type this rate maps to there, and what its tool offers."""
    mapped = {m.tenant_id: m.tax_type for m in rate.mappings}
    purchase = {m.tenant_id: m.purchase_tax_type or "" for m in rate.mappings}
    offered: dict[int, list[dict[str, str]]] = {}
    for row in session.scalars(
        select(TenantTaxType).where(TenantTaxType.active.is_(True)).order_by(TenantTaxType.tax_type)
    ):
        offered.setdefault(row.tenant_id, []).append(
            {
                "tax_type": row.tax_type,
                "label": f"{row.name} ({number(row.percent)}%)"
                if row.percent is not None
                else row.name,
            }
        )
    return [
        {
            "tenant_id": tenant.id,
            "tenant": tenant.name,
            "integration": tenant.integration.kind,
            "tax_type": mapped.get(tenant.id, ""),
            "purchase_tax_type": purchase.get(tenant.id, ""),
            "offered": offered.get(tenant.id, []),
        }
        for tenant in TENANTS.list(session, limit=1000)
    ]


def _done(request: Request, form: FormData, rate_id: int, level: str, text: str) -> Response:
    flash(request, level, text)
    return redirect(
        request, local_path(str(form.get("back", "")), f"/tax-rates/{rate_id}#tax_types")
    )


@router.post("/tax-rates/{rate_id:int}/tax-types")
def map_tax_type(request: Request, user: User, form: Form, rate_id: int) -> Response:
    tenant = str(form.get("tenant", ""))
    tax_type = str(form.get("tax_type", ""))
    purchase = form.get("purchase_tax_type")
    try:
        with web_of(request).store.session() as session:
            mapping = TAX_RATES.map(
                session,
                f"#{rate_id}",
                tenant,
                tax_type,
                purchase_tax_type=str(purchase) if purchase is not None else None,
            )
            purchases = (
                f" (purchases: {mapping.purchase_tax_type})" if mapping.purchase_tax_type else ""
            )
            text = (
                f"Tax rate '{mapping.tax_rate.name}' maps to {mapping.tax_type}{purchases} "
                f"in tenant '{mapping.tenant.name}'."
            )
    except BooksyncError as exc:
        return _done(request, form, rate_id, "error", str(exc))
    return _done(request, form, rate_id, "success", text)


@router.post("/tax-rates/{rate_id:int}/tax-types/{tenant_id:int}/delete")
def unmap_tax_type(
    request: Request, user: User, form: Form, rate_id: int, tenant_id: int
) -> Response:
    try:
        with web_of(request).store.session() as session:
            TAX_RATES.unmap(session, f"#{rate_id}", f"#{tenant_id}")
    except BooksyncError as exc:
        return _done(request, form, rate_id, "error", str(exc))
    return _done(request, form, rate_id, "success", "Tax type mapping removed.")
