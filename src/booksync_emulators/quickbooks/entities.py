"""The entities the emulator serves and the life every object goes through: create, read, update
(full or sparse, guarded by SyncToken) and delete.

- Create: `POST /{entity}` without an `Id`. The new object gets the next Id of its list,
  `SyncToken` "0" and `MetaData` times.
- Update: `POST /{entity}` with `Id` and `SyncToken` (also `?operation=update`). An unknown Id is
  610; a SyncToken that is missing or not the current one is 5010 (stale object) and changes
  nothing. `"sparse": true` changes only the fields sent; otherwise it is a full update and every
  writable field not sent is cleared (QBO's rule, which is why clients send sparse updates). Each
  update adds one to SyncToken.
- Delete: `POST /{entity}?operation=delete` with `Id` and `SyncToken`, for transactions only; names
  and items are made inactive instead (deleting one is 500 Unsupported Operation). Payments applied
  to a deleted transaction are unlinked, a deleted payment gives its amounts back (`payments`).
- Void: invoices, sales receipts and payments (`voids.py`).
- Read: `GET /{entity}/{Id}`, 610 when there is no such object.
Fields QBO computes (totals, balances, FullyQualifiedName, ...) may be sent; they are ignored.
Account, TaxCode, TaxRate, TaxAgency, Term, CompanyCurrency, Class and Department are read-only
here (the company's settings, set up by `companies.py` in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booksync_emulators.quickbooks import (
    company,
    errors,
    items,
    names,
    payments,
    transactions,
    voids,
)
from booksync_emulators.quickbooks.store import NAME_ENTITIES, Realm, Record, stamp

SYSTEM = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
TIMES = frozenset({"MetaData.CreateTime", "MetaData.LastUpdatedTime"})


@dataclass(frozen=True)
class Options:
    """Per-call switches from the query string."""

    allow_duplicate_number: bool = False


Complete = Callable[[Realm, Record, "Record | None", datetime, Options], Record]


@dataclass(frozen=True)
class Entity:
    name: str
    complete: Complete | None  # None: read-only here
    read_only: frozenset[str] = frozenset()
    deletable: bool = False
    #: name lists answer queries with active objects only, unless the query asks about Active
    name_list: bool = False
    #: fields a query may filter and sort on (QBO refuses others with 4001)
    queryable: frozenset[str] = frozenset()
    #: run once the record has its Id: (realm, record, previous version or None, now)
    after: Callable[[Realm, Record, Record | None, datetime], None] | None = None


def _names(entity: str) -> Complete:
    return lambda realm, draft, existing, now, options: names.complete(
        realm, entity, draft, existing, now
    )


def _item(
    realm: Realm, draft: Record, existing: Record | None, now: datetime, options: Options
) -> Record:
    return items.complete(realm, draft, existing, now)


def _txn(entity: str) -> Complete:
    kind = transactions.KINDS[entity]
    return lambda realm, draft, existing, now, options: transactions.complete(
        realm, kind, draft, existing, now, allow_duplicate_number=options.allow_duplicate_number
    )


def _payment(
    realm: Realm, draft: Record, existing: Record | None, now: datetime, options: Options
) -> Record:
    return payments.complete(realm, draft, existing, now)


def _q(*names_: str) -> frozenset[str]:
    return frozenset({"Id", *TIMES, *names_})


_NAME_FIELDS = ("DisplayName", "GivenName", "FamilyName", "MiddleName", "CompanyName",
                "PrimaryEmailAddr", "PrintOnCheckName", "FullyQualifiedName", "Active", "Balance")  # fmt: skip
_SALES_FIELDS = ("DocNumber", "TxnDate", "CustomerRef", "TotalAmt")
ENTITIES: dict[str, Entity] = {
    e.name.lower(): e
    for e in (
        Entity("Account", None, name_list=True, queryable=_q(
            "Name", "AcctNum", "AccountType", "AccountSubType", "Classification", "Active",
            "FullyQualifiedName", "CurrentBalance", "SubAccount")),
        Entity("TaxCode", None, name_list=True, queryable=_q("Name", "Active", "Taxable", "TaxGroup")),
        Entity("TaxRate", None, name_list=True, queryable=_q("Name", "Active", "RateValue", "AgencyRef")),
        Entity("TaxAgency", None, queryable=_q("DisplayName")),
        Entity("Term", None, name_list=True, queryable=_q("Name", "Active", "Type", "DueDays")),
        Entity("CompanyCurrency", None, name_list=True, queryable=_q("Code", "Name", "Active")),
        Entity("Class", None, name_list=True, queryable=_q("Name", "Active", "FullyQualifiedName")),
        Entity("Department", None, name_list=True,
               queryable=_q("Name", "Active", "FullyQualifiedName")),
        Entity("Customer", _names("Customer"), names.READ_ONLY, name_list=True, queryable=_q(*_NAME_FIELDS)),
        Entity("Vendor", _names("Vendor"), names.READ_ONLY, name_list=True, queryable=_q(*_NAME_FIELDS)),
        Entity("Employee", _names("Employee"), names.READ_ONLY, name_list=True, queryable=_q(*_NAME_FIELDS)),
        Entity("Item", _item, items.READ_ONLY, name_list=True, queryable=_q(
            "Name", "Sku", "Type", "Active", "FullyQualifiedName", "UnitPrice")),
        Entity("Invoice", _txn("Invoice"), transactions.READ_ONLY, deletable=True,
               queryable=_q(*_SALES_FIELDS, "DueDate", "Balance")),
        Entity("Estimate", _txn("Estimate"), transactions.READ_ONLY, deletable=True,
               queryable=_q(*_SALES_FIELDS, "TxnStatus", "ExpirationDate")),
        Entity("CreditMemo", _txn("CreditMemo"), transactions.READ_ONLY, deletable=True,
               queryable=_q(*_SALES_FIELDS, "Balance")),
        Entity("SalesReceipt", _txn("SalesReceipt"), transactions.READ_ONLY, deletable=True,
               queryable=_q(*_SALES_FIELDS)),
        Entity("PurchaseOrder", _txn("PurchaseOrder"), transactions.READ_ONLY, deletable=True,
               queryable=_q("DocNumber", "TxnDate", "VendorRef", "TotalAmt", "POStatus")),
        Entity("Payment", _payment, payments.READ_ONLY, deletable=True,
               queryable=_q("TxnDate", "CustomerRef", "TotalAmt"), after=payments.apply),
    )
}  # fmt: skip


def entity_named(name: str) -> Entity | None:
    return ENTITIES.get(name.lower())


def read(realm: Realm, entity: Entity, object_id: str) -> Record:
    found = realm.get(entity.name, object_id)
    if found is None:
        raise errors.object_not_found(entity.name, object_id)
    return found


def write(
    realm: Realm,
    entity: Entity,
    body: Any,
    operation: str,
    now: datetime,
    options: Options = Options(),
) -> Record:
    """Apply one create, update or delete; return what QBO answers with. Raises `Fault`, and then
    nothing was changed."""
    if not isinstance(body, dict):
        raise errors.invalid_property(entity.name, "expected a JSON object")
    if entity.complete is None:
        raise errors.unsupported_operation(
            f"Operation {operation} is not supported for {entity.name}."
        )
    if operation == "delete":
        return _delete(realm, entity, body, now)
    if operation == "void":
        existing = _current(realm, entity, body)
        voided = voids.void(realm, entity.name, existing, now)
        realm.changed(entity.name, voided["Id"], "Void", now)
        return voided
    if operation not in ("create", "update"):
        raise errors.unsupported_operation(f"Operation {operation} is not supported.")
    if body.get("Id") in (None, ""):
        if operation == "update":
            raise errors.required("Id")
        draft = {k: v for k, v in body.items() if k not in SYSTEM | entity.read_only}
        record = entity.complete(realm, draft, None, now, options)
        record["Id"] = realm.new_id(entity.name)
        record["SyncToken"] = "0"
        stamp(record, now, created=True)
        previous = None
    else:
        existing = _current(realm, entity, body)
        sparse = body.get("sparse") is True or str(body.get("sparse")).lower() == "true"
        kept = (
            existing
            if sparse
            else {k: v for k, v in existing.items() if k in SYSTEM | entity.read_only}
        )
        changes = {k: v for k, v in body.items() if k not in SYSTEM | entity.read_only}
        record = entity.complete(realm, {**kept, **changes}, existing, now, options)
        for name in ("Id", "MetaData", "domain"):
            record[name] = existing[name]
        record["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        stamp(record, now, created=False)
        previous = existing
    realm.table(entity.name)[record["Id"]] = record
    realm.changed(entity.name, record["Id"], "Create" if previous is None else "Update", now)
    if entity.after is not None:
        entity.after(realm, record, previous, now)
    return record


def _current(realm: Realm, entity: Entity, body: dict[str, Any]) -> Record:
    """The object an update or delete names, if the SyncToken sent is its current one."""
    object_id = body.get("Id")
    if object_id in (None, ""):
        raise errors.required("Id")
    existing = realm.get(entity.name, object_id)
    if existing is None:
        raise errors.object_not_found(entity.name, str(object_id))
    if str(body.get("SyncToken")) != existing["SyncToken"]:
        raise errors.stale_object()
    return existing


def _delete(realm: Realm, entity: Entity, body: dict[str, Any], now: datetime) -> Record:
    if not entity.deletable:
        hint = "make it inactive instead" if entity.name in (*NAME_ENTITIES, "Item") else ""
        raise errors.unsupported_operation(
            f"Operation Delete is not supported for {entity.name}{f'; {hint}' if hint else ''}."
        )
    existing = _current(realm, entity, body)
    company.check_books_open(realm, entity.name, existing.get("TxnDate"))
    if entity.name == "Payment":
        payments.release(realm, existing, now)
    else:
        payments.unlink(realm, entity.name, existing["Id"], now)
    del realm.table(entity.name)[existing["Id"]]
    realm.changed(entity.name, existing["Id"], "Delete", now)
    return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}
