"""Setting a company up for a test, as its owner would in QuickBooks Online's settings screens: the
API cannot change these (Preferences' numbering, closing date and currencies are not writable by
booksync's calls), so a test reaches into the realm.

    realm = emulator.add_realm("Acme US", country="US")              # automated sales tax
    companies.configure(realm, custom_txn_numbers=False, book_close_date=date(2026, 6, 30))
    companies.enable_currencies(realm, "USD", "EUR")                  # multicurrency on
    companies.add_class(realm, "Managed services"); companies.add_department(realm, "Sydney")
    companies.add_customer(realm, "Old Client", active=False)         # "Old Client (deleted)"
"""

from __future__ import annotations

from datetime import date
from typing import Any

from booksync_emulators.quickbooks.names import DELETED
from booksync_emulators.quickbooks.store import Realm, Record, stamp

#: ISO 4217 names for the currencies tests use
CURRENCY_NAMES = {
    "AUD": "Australian Dollar", "USD": "United States Dollar", "EUR": "Euro",
    "GBP": "British Pound Sterling", "NZD": "New Zealand Dollar", "CAD": "Canadian Dollar",
}  # fmt: skip
_UNSET: Any = object()


def configure(
    realm: Realm,
    *,
    custom_txn_numbers: bool | None = None,
    book_close_date: date | None = _UNSET,
    automated_sales_tax: bool | None = None,
    default_terms: str | None = _UNSET,
    exchange_rates: dict[str, str] | None = None,
) -> Realm:
    """Change the company's settings (Preferences); what is not given stays."""
    profile = realm.profile
    if custom_txn_numbers is not None:
        profile.custom_txn_numbers = custom_txn_numbers
    if book_close_date is not _UNSET:
        profile.book_close_date = book_close_date
    if automated_sales_tax is not None:
        profile.automated_sales_tax = automated_sales_tax
    if default_terms is not _UNSET:
        profile.default_terms = default_terms
    if exchange_rates is not None:
        profile.extra["exchange_rates"] = dict(exchange_rates)
    return realm


def _add(realm: Realm, entity: str, record: Record) -> Record:
    with realm.lock:
        record["Id"] = realm.new_id(entity)
        stamp(record, realm.created, created=True)
        realm.table(entity)[record["Id"]] = record
    return record


def enable_currencies(realm: Realm, *codes: str, inactive: tuple[str, ...] = ()) -> list[Record]:
    """Multicurrency on, with `codes` (the home currency among them is skipped: it is no
    CompanyCurrency) active and `inactive` ones listed but switched off."""
    realm.profile.multicurrency = True
    added = []
    for code, active in [*((c, True) for c in codes), *((c, False) for c in inactive)]:
        if code == realm.profile.currency:
            continue
        name = CURRENCY_NAMES.get(code, code)
        added.append(_add(realm, "CompanyCurrency", {"Code": code, "Name": name, "Active": active}))
    return added


def add_class(realm: Realm, name: str, *, active: bool = True) -> Record:
    realm.profile.track_classes = True
    return _add(realm, "Class", {"Name": name, "FullyQualifiedName": name, "Active": active,
                                 "SubClass": False})  # fmt: skip


def add_department(realm: Realm, name: str, *, active: bool = True) -> Record:
    realm.profile.track_departments = True
    return _add(realm, "Department", {"Name": name, "FullyQualifiedName": name, "Active": active,
                                      "SubDepartment": False})  # fmt: skip


def add_term(realm: Realm, name: str, days: int, *, default: bool = False) -> Record:
    term = _add(realm, "Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
    if default:
        realm.profile.default_terms = term["Id"]
    return term


def _name(realm: Realm, entity: str, name: str, active: bool, fields: dict[str, Any]) -> Record:
    display = name if active else name + DELETED  # what making a name inactive does (names.py)
    record: Record = {
        "DisplayName": display,
        "FullyQualifiedName": display,
        "PrintOnCheckName": name,
        "Active": active,
        "CurrencyRef": realm.profile.currency_ref(),
        **fields,
    }
    return _add(realm, entity, record)


def add_customer(realm: Realm, name: str, *, active: bool = True, **fields: Any) -> Record:
    """A customer the company already has (a bookkeeper's own), e.g. one named like a supplier
    booksync will push, or an inactive one."""
    return _name(realm, "Customer", name, active, {"Balance": 0, "Job": False, **fields})


def add_vendor(realm: Realm, name: str, *, active: bool = True, **fields: Any) -> Record:
    return _name(realm, "Vendor", name, active, {"Balance": 0, **fields})
