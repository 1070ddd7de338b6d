"""Rows as the rules see them: the columns the mapper reads of each table, and how a row becomes
a view (`booksync.domain.records`). `books` and `document_views` read the rows; this module only
says what a row means, so the bulk load and the one-row load cannot drift apart.

JSON columns come back parsed through the ORM, but as text from SQLite's driver on the health
report's plain-row path (`document_views.plain_rows`): `json_value` reads both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import InstrumentedAttribute

from booksync.domain.records import PartyView, ProductView, SyncState
from booksync.domain.types import EntityType, SyncStatus
from booksync.store.models import Client, Product, RemoteObject, Supplier

PARTY_COLUMNS = (
    "id",
    "name",
    "currency",
    "tax_rate_id",
    "exclude_from_accounting",
    "tenant_id",
    "remote_id",
    "payment_terms",
    "tracking",
)
PRODUCT_COLUMNS = (
    "id",
    "name",
    "code",
    "item_group_id",
    "use_item_group_tax",
    "tax_rate_id",
    "income_account_id",
    "expense_account_id",
    "exclude_from_accounting",
    "tenant_id",
    "remote_id",
    "tracking",
)


def json_value(value: Any) -> Any:
    """A JSON column's value, whether the driver parsed it or handed back its text."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def date_value(value: Any) -> date | None:
    """A DATE column's value: SQLite's driver hands back its ISO text on the plain-row path."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def payment_terms(value: Any) -> tuple[str, int] | None:
    """{"days": 14, "type": "DAYSAFTERBILLDATE"} as the rules take it: ("DAYSAFTERBILLDATE", 14)."""
    terms = json_value(value)
    if not isinstance(terms, Mapping) or "type" not in terms or "days" not in terms:
        return None
    return str(terms["type"]), int(terms["days"])


def tracking(value: Any) -> dict[str, str]:
    found = json_value(value)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def _archived(model: type[Client] | type[Supplier], entity: EntityType) -> ColumnElement[bool]:
    """Whether the tool's contact this party is linked to was archived at the last import (a
    tool with separate customer and vendor ids keeps them under the party's own type)."""
    return (
        exists()
        .where(
            RemoteObject.tenant_id == model.tenant_id,
            RemoteObject.remote_id == model.remote_id,
            RemoteObject.object_type.in_(("contact", entity.value)),
            RemoteObject.active.is_(False),
        )
        .label("archived_in_tool")
    )


def party_columns(
    model: type[Client] | type[Supplier], entity: EntityType
) -> list[InstrumentedAttribute[Any] | ColumnElement[Any]]:
    return [*(getattr(model, c) for c in PARTY_COLUMNS), _archived(model, entity)]


def product_columns() -> list[InstrumentedAttribute[Any]]:
    return [getattr(Product, c) for c in PRODUCT_COLUMNS]


def party_view(entity: EntityType, row: tuple[Any, ...]) -> PartyView:
    (id_, name, currency, tax_rate_id, excluded, tenant_id, remote_id, terms, tracked, archived) = (
        row
    )
    return PartyView(
        id_,
        entity,
        name,
        currency,
        tax_rate_id,
        excluded,
        tenant_id,
        remote_id,
        archived_in_tool=bool(archived),
        payment_terms=payment_terms(terms),
        tracking=tracking(tracked),
    )


def product_view(row: tuple[Any, ...]) -> ProductView:
    (id_, name, code, group_id, group_tax, tax_rate_id, income, expense, excluded, tenant_id,
     remote_id, tracked) = row  # fmt: skip
    return ProductView(
        id_, name, code, group_id, group_tax, tax_rate_id, income, expense, excluded, tenant_id,
        remote_id, tracking(tracked),
    )  # fmt: skip


def mismatches(value: Any) -> tuple[tuple[str, str, str], ...]:
    """`sync_jobs.verification` ([{"field", "booksync", "tool"}, ...]) as (field, ours, theirs)."""
    found = json_value(value)
    if not isinstance(found, list):
        return ()
    return tuple(
        (str(m.get("field", "?")), str(m.get("booksync", "?")), str(m.get("tool", "?")))
        for m in found
        if isinstance(m, Mapping)
    )


def sync_state(row: tuple[Any, ...]) -> SyncState | None:
    """(status, last_error, error_rule, error_fix, verification) of a record's job."""
    status, last_error, rule, fix, verification = row
    if status == SyncStatus.PENDING and not last_error:
        return None  # this version has not been pushed yet
    return SyncState(SyncStatus(status), last_error, rule, fix, mismatches(verification))
