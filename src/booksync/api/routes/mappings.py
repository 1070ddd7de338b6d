"""A tax rate's tax type in each tenant's tool (the rule `tax.mapped` checks these)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from booksync.api.bodies import TaxTypeBody
from booksync.api.deps import SessionDep
from booksync.api.errors import in_body, in_place, path_record
from booksync.api.schemas import TaxTypeMappingOut
from booksync.services.records import TAX_RATES, TENANTS

router = APIRouter(prefix="/tax-rates", tags=["tax rates"])


@router.put("/{ref}/tax-types/{tenant}", name="map_tax_rate", response_model=TaxTypeMappingOut)
def map_tax_rate(ref: str, tenant: str, body: TaxTypeBody, session: SessionDep) -> dict[str, Any]:
    """Map the tax rate to tax types of the tenant's tool, replacing any earlier mapping (422 for a
    tax type the tool does not have, once the tenant's tax types are imported)."""
    with path_record():
        rate = TAX_RATES.get(session, ref)
    with path_record("tenant"):
        owner = TENANTS.get(session, tenant)
    purchase = (
        body.purchase_tax_type or "" if "purchase_tax_type" in body.model_fields_set else None
    )
    with in_body():
        mapping = TAX_RATES.map(session, ref, tenant, body.tax_type, purchase_tax_type=purchase)
    return {
        "tax_rate": rate.name,
        "tenant": owner.name,
        "tax_type": mapping.tax_type,
        "purchase_tax_type": mapping.purchase_tax_type,
    }


@router.delete(
    "/{ref}/tax-types/{tenant}", name="unmap_tax_rate", status_code=204, response_class=Response
)
def unmap_tax_rate(ref: str, tenant: str, session: SessionDep) -> Response:
    """Remove the tax rate's mapping for the tenant (removing none is not an error)."""
    with path_record():
        TAX_RATES.get(session, ref)
    with path_record("tenant"):
        TENANTS.get(session, tenant)
    with in_place("path", "ref"):
        TAX_RATES.unmap(session, ref, tenant)
    return Response(status_code=204)
