"""Whether the tenant's tool has what a line sends: its tax type (sales or purchase side) and its
account code, compared exactly with what was imported from the tool.

Only what the tool itself reported counts (`TenantView.tool_tax_types`, `.tool_account_codes`):
an account code's Code and a tax type typed into a mapping are the user's, so neither vouches for
the tool having it.
"""

from __future__ import annotations

from collections.abc import Iterator

from booksync.domain import fixes
from booksync.domain.findings import Finding, Status, at_fault
from booksync.domain.records import AccountCodeView, TaxRateView, TenantView

PURCHASE_MAPPED = "tax.purchase_mapped"


def tool_tax_type(rule: str, rate: TaxRateView, tenant: TenantView | None) -> Iterator[Finding]:
    """The side of the rate `rule` checks (sales, or purchases for `tax.purchase_mapped`) against
    the tenant's imported tax types; a near miss in case is named, with the tool's spelling."""
    purchase = rule == PURCHASE_MAPPED
    field, side = ("purchase_tax_types", "purchase ") if purchase else ("tax_types", "")
    name = f"tax rate '{rate.name}'"
    if tenant is None:
        detail = f"{name} cannot be checked until a tenant is set"
        yield Finding(rule, Status.UNKNOWN, rate.subject, field, detail)
        return
    mapped = rate.purchase_tax_types if purchase else rate.tax_types
    tax_type, offered = mapped.get(tenant.id), tenant.tool_tax_types
    mapper = fixes.map_purchase_tax_rate if purchase else fixes.map_tax_rate
    offers = f"the tool offers: {', '.join(sorted(offered))}" if offered else ""
    if tax_type is None:
        detail = f"{name} is not mapped to a {side}tax type of tenant '{tenant.name}'"
        yield at_fault(
            rule, detail + (f" ({offers})" if offers else ""), mapper(rate.subject, tenant.subject)
        )
    elif offered is None:
        detail = (
            f"{name} maps to {tax_type}, not yet checked against tenant '{tenant.name}': its tax "
            "types have not been imported"
        )
        importing = fixes.import_tenant(tenant.subject)
        yield Finding(rule, Status.UNKNOWN, rate.subject, field, detail, importing)
    elif tax_type not in offered:
        # Compared exactly: the tool refuses "output2" for OUTPUT2.
        near = next((t for t in sorted(offered) if t.casefold() == tax_type.casefold()), None)
        hint = f"; did you mean {near}?" if near else ""
        detail = f"{name} maps to {tax_type}, which tenant '{tenant.name}' does not have ({offers}{hint})"
        yield at_fault(rule, detail, mapper(rate.subject, tenant.subject, near))


def tool_account(
    rule: str, account: AccountCodeView, tenant: TenantView | None
) -> Iterator[Finding]:
    """Only the codes the tenant's last import reported count (`TenantView.tool_account_codes`);
    the account code's own flags (imported, active) are not read: a Code edited after the import
    vouches for nothing until the tool has it."""
    code, subject = account.code.strip(), account.subject
    if tenant is None:
        detail = f"account code {code} cannot be checked until a tenant is set"
        yield Finding(rule, Status.UNKNOWN, subject, "code", detail)
    elif tenant.tool_account_codes is None:
        detail = (
            f"account code {code} is not yet checked: tenant '{tenant.name}' has no account codes "
            "imported yet"
        )
        importing = fixes.import_tenant(tenant.subject)
        yield Finding(rule, Status.UNKNOWN, subject, "code", detail, importing)
    elif code not in tenant.tool_account_codes:
        where = f"account code {code} ('{account.name}')"
        if code in tenant.tool_archived_codes:
            detail = f"{where} is archived in tenant '{tenant.name}'"
        else:
            detail = f"{where} does not match any account in tenant '{tenant.name}'"
        yield at_fault(rule, detail, fixes.set_field(subject, "code"))
