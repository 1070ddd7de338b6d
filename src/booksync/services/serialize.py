"""Records as plain JSON-ready dicts, for `--json`, the REST API and the web admin."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy.orm import object_session

from booksync.domain.money import (
    MINOR_UNITS,
    MONEY_PRECISION,
    line_amount,
    round_money,
    tax_amount,
)
from booksync.domain.types import EntityType
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

#: Places shown for money whose currency is not known (a product's price), as in most currencies.
DEFAULT_MINOR_UNITS = 2


def money(value: Decimal | None, currency: str | None = None) -> str | None:
    """Money with at least the currency's minor units and no trailing zeros beyond: 49.00, 49.1234."""
    if value is None:
        return None
    places = MINOR_UNITS.get(currency or "", DEFAULT_MINOR_UNITS)
    with localcontext(prec=MONEY_PRECISION):  # a line amount may have more than 28 digits
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        return format(value.quantize(Decimal(1).scaleb(-max(places, -exponent))), "f")


def number(value: Decimal) -> str:
    """A quantity or percentage without trailing zeros: 2, 0.5, 12.5."""
    return format(value.normalize(), "f")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _ref(obj: Base | None) -> str | None:
    return getattr(obj, "reference", None) if obj is not None else None


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every part of an address, those not set as null (lines as an empty list)."""
    if not address:
        return None
    parts = ("city", "region", "postal_code", "country")
    return {"lines": list(address.get("lines") or [])} | {k: address.get(k) for k in parts}


def _credited_number(note: Document) -> str | None:
    session = object_session(note)
    invoice = session.get(Document, note.credited_document_id) if session is not None else None
    return invoice.number if invoice is not None else None


def to_dict(obj: Base) -> dict[str, Any]:
    """A record with its references as the names a person would type."""
    data: dict[str, Any]
    if isinstance(obj, Integration):
        data = {
            "id": obj.id,
            "kind": obj.kind,
            "enabled": obj.enabled,
            "entities_to_sync": list(obj.entities_to_sync),
            "show_success_messages": obj.show_success_messages,
            "tenants": [t.name for t in obj.tenants],
        }
    elif isinstance(obj, Tenant):
        data = {
            "id": obj.id,
            "name": obj.name,
            "integration": obj.integration.kind,
            "remote_tenant_id": obj.remote_tenant_id,
            "base_currency": obj.base_currency,
            "connection": obj.connection_state,
            "connection_detail": obj.connection_detail,
            "connected_at": obj.connected_at,
            "accounts_imported_at": obj.accounts_imported_at,
            "tax_types_imported_at": obj.tax_types_imported_at,
            "currencies": obj.currencies,
            "lock_date": obj.lock_date,
            "payment_terms": obj.payment_terms,
            "tracking_categories": obj.tracking_categories,
            "settings_imported_at": obj.settings_imported_at,
        }
    elif isinstance(obj, TaxRate):
        data = {
            "id": obj.id,
            "name": obj.name,
            "percent": obj.percent,
            "is_default": obj.is_default,
            "tax_types": {m.tenant.name: m.tax_type for m in obj.mappings},
            "purchase_tax_types": {
                m.tenant.name: m.purchase_tax_type for m in obj.mappings if m.purchase_tax_type
            },
        }
    elif isinstance(obj, AccountCode):
        data = {
            "id": obj.id,
            "name": obj.name,
            "code": obj.code,
            "kind": obj.kind,
            "tenant": _ref(obj.tenant),
            "imported_from_tool": obj.imported_from_tool,
            "active": obj.active,
        }
    elif isinstance(obj, ItemGroup):
        data = {
            "id": obj.id,
            "name": obj.name,
            "tax_rate": _ref(obj.tax_rate),
            "income_account": _ref(obj.income_account),
            "expense_account": _ref(obj.expense_account),
        }
    elif isinstance(obj, Client | Supplier):
        data = {
            "id": obj.id,
            "name": obj.name,
            "email": obj.email,
            "currency": obj.currency,
            "tax_rate": _ref(obj.tax_rate),
            "exclude_from_accounting": obj.exclude_from_accounting,
            "tenant": _ref(obj.tenant),
            "remote_id": obj.remote_id,
            "version": obj.version,
            "payment_terms": obj.payment_terms,
            "address": _address(obj.address),
            "tracking": obj.tracking or {},
        }
    elif isinstance(obj, Product):
        currency = obj.tenant.base_currency if obj.tenant is not None else None
        data = {
            "id": obj.id,
            "name": obj.name,
            "code": obj.code,
            "description": obj.description,
            "price": money(obj.price, currency),
            "cost": money(obj.cost, currency),
            "item_group": _ref(obj.item_group),
            "use_item_group_tax": obj.use_item_group_tax,
            "tax_rate": _ref(obj.tax_rate),
            "income_account": _ref(obj.income_account),
            "expense_account": _ref(obj.expense_account),
            "exclude_from_accounting": obj.exclude_from_accounting,
            "tenant": _ref(obj.tenant),
            "remote_id": obj.remote_id,
            "version": obj.version,
            "tracking": obj.tracking or {},
        }
    elif isinstance(obj, Document):
        party = obj.party
        data = {
            "id": obj.id,
            "type": obj.kind,
            "number": obj.number,
            ("supplier" if obj.supplier_id else "client"): _ref(party),
            "issue_date": obj.issue_date,
            "due_date": obj.due_date,
            "currency": obj.currency,
            "status": obj.status,
            "reference": obj.reference_text,
            "remote_id": obj.remote_id,
            "version": obj.version,
            "exchange_rate": obj.exchange_rate,
            "tracking": obj.tracking or {},
            "lines": [
                {
                    "position": line.position,
                    "product": line.product.name,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price, obj.currency),
                    "tax_rate": _ref(line.tax_rate),
                    "amount": money(
                        line_amount(line.quantity, line.unit_price, obj.currency), obj.currency
                    ),
                }
                for line in obj.lines
            ],
            "subtotal": money(
                round_money(
                    sum(
                        (line_amount(ln.quantity, ln.unit_price, obj.currency) for ln in obj.lines),
                        Decimal(0),
                    ),
                    obj.currency,
                ),
                obj.currency,
            ),
        }
        if obj.kind == EntityType.CREDIT_NOTE.value:
            credited = obj.credited_document_id
            data["credits"] = _credited_number(obj) if credited is not None else None
    else:  # pragma: no cover - every record type is listed above
        raise TypeError(f"no JSON form for {type(obj).__name__}")
    return {key: _plain(value) for key, value in data.items()} | (
        {"lines": [{k: _plain(v) for k, v in ln.items()} for ln in data["lines"]]}
        if "lines" in data
        else {}
    )


__all__ = ["money", "number", "to_dict", "tax_amount"]
