"""Checking a tax type a person maps a tax rate to against what the tenant's tool has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.services.errors import BadInput, one_of
from booksync.services.text import check_text
from booksync.store.models import Tenant, TenantTaxType

#: The longest tax type a mapping stores (tax_rate_mappings.tax_type is VARCHAR(100)).
MAX_TAX_TYPE = 100


def tool_tax_type(session: Session, tenant: Tenant, field: str, value: str) -> str:
    """`value` if the tenant's tool has that tax type, active, spelt exactly so; else BadInput.

    Before the tenant's tax types are imported any plausible text is accepted (the rule
    `tax.mapped` reports it unknown until then). Tools compare tax types exactly (Xero's TaxType is
    an enum such as OUTPUT2), so `output2` is refused with the spelling the tool uses."""
    text = check_text(field, value.strip())
    if not text or len(text) > MAX_TAX_TYPE:
        raise BadInput(
            field,
            text,
            "is not a tax type",
            f"the tool's tax type, e.g. OUTPUT2 (at most {MAX_TAX_TYPE} characters)",
        )
    if tenant.tax_types_imported_at is None:
        return text
    rows = session.scalars(select(TenantTaxType).where(TenantTaxType.tenant_id == tenant.id)).all()
    active = sorted(r.tax_type for r in rows if r.active)
    accepted = one_of(active, limit=20) if active else "none: the tool offers no active tax type"
    where = f"tenant '{tenant.name}'"
    if text in active:
        return text
    if any(r.tax_type == text for r in rows):
        raise BadInput(field, text, f"is archived in {where}'s tool", accepted)
    same = [t for t in active if t.casefold() == text.casefold()]
    if same:
        problem = (
            f"is not a tax type of {where} (tax types are case-sensitive): did you mean {same[0]}?"
        )
    else:
        problem = f"is not a tax type of {where}"
    raise BadInput(field, text, problem, accepted)
