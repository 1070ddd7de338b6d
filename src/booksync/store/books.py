"""The store→domain mapper: reads the store into the `Books` snapshot the rules evaluate.

It lives with the store so that the sync engine, the doctor and the health report all read the books
the same way without reaching up into the service layer. Small tables (integrations, tenants with
their imported settings, tax rates, account codes, item groups) are read whole. The large ones
(clients, suppliers, products, sync states) are read whole for the health report, or row by row on
first use when the doctor or the engine looks at a handful of records; each row is read in the same
statement as what the rules need with it (a party's archived contact in the tool, a job's
verification), so the one-record path costs no more queries than before. What a row means is in
`record_views`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.domain.records import (
    AccountCodeView,
    Books,
    IntegrationView,
    ItemGroupView,
    PartyView,
    ProductView,
    SyncState,
    TaxRateView,
    TenantView,
)
from booksync.domain.types import (
    AccountKind,
    ConnectionState,
    EntityType,
    SyncStatus,
)
from booksync.store.bulk import among
from booksync.store.document_views import document_view, iter_document_views, plain_rows
from booksync.store.lazy import LazyMapping
from booksync.store.models import (
    AccountCode,
    Client,
    Integration,
    ItemGroup,
    Product,
    Supplier,
    SyncJob,
    TaxRate,
    TaxRateMapping,
    Tenant,
    TenantTaxType,
)
from booksync.store.record_views import (
    json_value,
    party_columns,
    party_view,
    payment_terms,
    product_columns,
    product_view,
)
from booksync.store.record_views import (
    sync_state as state_view,
)

K = TypeVar("K")
V = TypeVar("V")


def _tenant(
    t: Tenant, codes: frozenset[str] | None, archived: frozenset[str], tax_types: set[str]
) -> TenantView:
    categories = json_value(t.tracking_categories)
    currencies = json_value(t.currencies)
    return TenantView(
        t.id,
        t.integration_id,
        t.name,
        t.remote_tenant_id,
        t.base_currency,
        ConnectionState(t.connection_state),
        t.connection_detail or "",
        codes,
        archived,
        frozenset(tax_types) if t.tax_types_imported_at else None,
        currencies=frozenset(currencies) if currencies is not None else None,
        lock_date=t.lock_date,
        payment_terms=payment_terms(t.payment_terms),
        tracking_categories=(
            {str(c): frozenset(map(str, o)) for c, o in categories.items()}
            if isinstance(categories, dict)
            else None
        ),
        settings_imported=t.settings_imported_at is not None,
    )


def _account_code(a: AccountCode) -> AccountCodeView:
    return AccountCodeView(
        a.id, a.name, a.code or "", AccountKind(a.kind), a.tenant_id, a.imported_from_tool, a.active
    )


def _tenant_views(session: Session, ids: list[int] | None) -> dict[int, TenantView]:
    """The tenants `ids` (None: all) with what their tool's import reported: its active account
    codes (those the import wrote: `imported_from_tool`, which an edit of the code or tenant
    clears, `services.records`), the codes it archived, and its tax types."""
    imported: dict[int, set[str]] = defaultdict(set)
    archived: dict[int, set[str]] = defaultdict(set)
    codes = select(AccountCode.tenant_id, AccountCode.code, AccountCode.active).where(
        AccountCode.imported_from_tool.is_(True), AccountCode.tenant_id.is_not(None)
    )
    types = select(TenantTaxType.tenant_id, TenantTaxType.tax_type).where(
        TenantTaxType.active.is_(True)
    )
    rows = select(Tenant)
    if ids is not None:
        codes = codes.where(AccountCode.tenant_id.in_(ids))
        types = types.where(TenantTaxType.tenant_id.in_(ids))
        rows = rows.where(Tenant.id.in_(ids))
    for tenant_id, code, active in session.execute(codes):
        if code and tenant_id is not None:
            (imported if active else archived)[tenant_id].add(code)
    tax_types: dict[int, set[str]] = defaultdict(set)
    for tenant_id, tax_type in session.execute(types):
        tax_types[tenant_id].add(tax_type)
    return {
        t.id: _tenant(
            t,
            frozenset(imported[t.id]) if t.accounts_imported_at else None,
            frozenset(archived[t.id] - imported[t.id]),
            tax_types[t.id],
        )
        for t in session.scalars(rows.order_by(Tenant.id))
    }


class KnownKeys(LazyMapping[K, V]):
    """A `LazyMapping` whose keys are read up front (one cheap query), so that membership, length
    and iteration are exact without loading a value; iterating the values loads them all, in bulk.
    How the engine holds the tenants: a round evaluates against a few of a thousand."""

    def __init__(self, keys: Iterable[K], load_many: Callable[[list[K]], dict[K, V]]) -> None:
        super().__init__(lambda key: load_many([key]).get(key), load_many)
        self._keys = list(keys)
        self._known = set(self._keys)

    def __getitem__(self, key: K) -> V:
        if key not in self._known:
            raise KeyError(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def values(self) -> ValuesView[V]:
        self.prime(self._keys)
        return super().values()

    def items(self) -> ItemsView[K, V]:
        self.prime(self._keys)
        return super().items()


def load_books(session: Session, *, whole: bool = False) -> Books:
    """The books as the rules see them; `whole` reads every client, supplier and product up front.

    Otherwise only the small tables are read whole: tenants (with what their tools reported) and
    account codes are read as the rules ask for them, or in bulk by `prime` (a thousand tenants'
    imports are far more than one round needs)."""
    integrations = {
        i.id: IntegrationView(
            i.id,
            i.kind,
            i.enabled,
            frozenset(EntityType(e) for e in i.entities_to_sync),
            i.show_success_messages,
        )
        for i in session.scalars(select(Integration))
    }
    account_codes: Mapping[int, AccountCodeView]
    tenants: Mapping[int, TenantView]
    if whole:
        account_codes = {a.id: _account_code(a) for a in session.scalars(select(AccountCode))}
        tenants = _tenant_views(session, None)
    else:

        def codes(ids: list[int]) -> dict[int, AccountCodeView]:
            found = session.scalars(select(AccountCode).where(AccountCode.id.in_(ids)))
            return {a.id: _account_code(a) for a in found}

        account_codes = LazyMapping(lambda i: codes([i]).get(i), codes)
        tenants = KnownKeys(
            session.scalars(select(Tenant.id).order_by(Tenant.id)),
            lambda ids: _tenant_views(session, ids),
        )
    mappings: dict[int, dict[int, str]] = defaultdict(dict)
    purchase: dict[int, dict[int, str]] = defaultdict(dict)
    for rate_id, tenant_id, tax_type, purchase_type in session.execute(
        select(
            TaxRateMapping.tax_rate_id,
            TaxRateMapping.tenant_id,
            TaxRateMapping.tax_type,
            TaxRateMapping.purchase_tax_type,
        )
    ):
        if tax_type:
            mappings[rate_id][tenant_id] = tax_type
        if purchase_type:
            purchase[rate_id][tenant_id] = purchase_type
    tax_rates = {
        r.id: TaxRateView(r.id, r.name, r.percent, r.is_default, mappings[r.id], purchase[r.id])
        for r in session.scalars(select(TaxRate))
    }
    default = next((r.id for r in tax_rates.values() if r.is_default), None)
    item_groups = {
        g.id: ItemGroupView(g.id, g.name, g.tax_rate_id, g.income_account_id, g.expense_account_id)
        for g in session.scalars(select(ItemGroup))
    }
    party_cols = party_columns(Client, EntityType.CLIENT)
    supplier_cols = party_columns(Supplier, EntityType.SUPPLIER)
    product_cols = product_columns()
    clients: Mapping[int, PartyView]
    suppliers: Mapping[int, PartyView]
    products: Mapping[int, ProductView]
    states: Mapping[tuple[EntityType, int], SyncState]
    state_cols = (
        SyncJob.status,
        SyncJob.last_error,
        SyncJob.error_rule,
        SyncJob.error_fix,
        SyncJob.verification,
    )
    if whole:
        clients = {
            r[0]: party_view(EntityType.CLIENT, tuple(r))
            for r in session.execute(select(*party_cols))
        }
        suppliers = {
            r[0]: party_view(EntityType.SUPPLIER, tuple(r))
            for r in session.execute(select(*supplier_cols))
        }
        products = {r[0]: product_view(tuple(r)) for r in session.execute(select(*product_cols))}
        loaded: dict[tuple[EntityType, int], SyncState] = {}
        kinds = {e.value: e for e in EntityType}
        # Most books have tens of thousands of jobs in a handful of distinct states: share them.
        seen: dict[tuple[Any, ...], SyncState | None] = {}
        for entity, record_id, status, last_error, rule, fix, verification in plain_rows(
            session.connection(),
            select(SyncJob.entity_type, SyncJob.record_id, *state_cols).where(
                (SyncJob.status != SyncStatus.PENDING.value) | SyncJob.last_error.is_not(None)
            ),
        ):
            # The driver's JSON: text (SQLite) or parsed (PostgreSQL); as text, it can be shared.
            checked = (
                verification
                if verification is None or isinstance(verification, str)
                else (json.dumps(verification, sort_keys=True))
            )
            row = (status, last_error, rule, fix, checked)
            if row in seen:
                state = seen[row]
            else:
                state = seen[row] = state_view(row)
            if state is not None:
                loaded[(kinds[entity], record_id)] = state
        states = loaded
    else:

        def one(stmt: object) -> tuple[object, ...] | None:
            row = session.execute(stmt).first()  # type: ignore[call-overload]
            return tuple(row) if row is not None else None

        def client(i: int) -> PartyView | None:
            row = one(select(*party_cols).where(Client.id == i))
            return party_view(EntityType.CLIENT, row) if row else None

        def supplier(i: int) -> PartyView | None:
            row = one(select(*supplier_cols).where(Supplier.id == i))
            return party_view(EntityType.SUPPLIER, row) if row else None

        def product(i: int) -> ProductView | None:
            row = one(select(*product_cols).where(Product.id == i))
            return product_view(row) if row else None

        def sync_state(key: tuple[EntityType, int]) -> SyncState | None:
            row = one(
                select(*state_cols).where(
                    SyncJob.entity_type == key[0].value, SyncJob.record_id == key[1]
                )
            )
            return state_view(row) if row else None

        def many_parties(entity: EntityType, model: type[Client] | type[Supplier]) -> Any:
            cols = party_columns(model, entity)

            def load(ids: list[int]) -> dict[int, PartyView]:
                rows = session.execute(select(*cols).where(among(session, model.id, ids)))
                return {r[0]: party_view(entity, tuple(r)) for r in rows}

            return load

        def many_products(ids: list[int]) -> dict[int, ProductView]:
            rows = session.execute(select(*product_cols).where(among(session, Product.id, ids)))
            return {r[0]: product_view(tuple(r)) for r in rows}

        def many_states(
            keys: list[tuple[EntityType, int]],
        ) -> dict[tuple[EntityType, int], SyncState]:
            found: dict[tuple[EntityType, int], SyncState] = {}
            by_type: dict[EntityType, list[int]] = defaultdict(list)
            for entity, record_id in keys:
                by_type[entity].append(record_id)
            for entity, ids in by_type.items():
                rows = session.execute(
                    select(SyncJob.record_id, *state_cols).where(
                        SyncJob.entity_type == entity.value,
                        among(session, SyncJob.record_id, ids),
                    )
                )
                for record_id, *rest in rows:
                    state = state_view(tuple(rest))
                    if state is not None:
                        found[(entity, record_id)] = state
            return found

        clients, suppliers, products = (
            LazyMapping(client, many_parties(EntityType.CLIENT, Client)),
            LazyMapping(supplier, many_parties(EntityType.SUPPLIER, Supplier)),
            LazyMapping(product, many_products),
        )
        states = LazyMapping(sync_state, many_states)
    return Books(
        integrations=integrations,
        tenants=tenants,
        tax_rates=tax_rates,
        account_codes=account_codes,
        item_groups=item_groups,
        clients=clients,
        suppliers=suppliers,
        products=products,
        default_tax_rate_id=default,
        sync_states=states,
    )


def prime(
    books: Books,
    *,
    clients: Iterable[int] = (),
    suppliers: Iterable[int] = (),
    products: Iterable[int] = (),
    states: Iterable[tuple[EntityType, int]] = (),
    tenants: Iterable[int | None] = (),
    account_codes: Iterable[int | None] = (),
) -> None:
    """Load what a batch of records will need in a few queries instead of one per record."""
    keys: Iterable[Any]
    for mapping, keys in (
        (books.clients, clients),
        (books.suppliers, suppliers),
        (books.products, products),
        (books.sync_states, states),
        (books.tenants, tenants),
        (books.account_codes, account_codes),
    ):
        if isinstance(mapping, LazyMapping):
            mapping.prime(k for k in keys if k is not None)


__all__ = ["LazyMapping", "document_view", "iter_document_views", "load_books", "prime"]
