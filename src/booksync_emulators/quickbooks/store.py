"""One QuickBooks Online company (a realm) and its data, kept in memory.

Records are plain dicts in QBO's own shape (`Id`, `SyncToken`, `MetaData`, PascalCase fields,
Decimal amounts, `YYYY-MM-DD` dates), which is what a test asserting on "what reached QuickBooks"
wants to read. Ids are per list, as in QBO: customers, vendors and employees share the "names"
sequence, transactions share another, items and the settings lists have their own. Every request
holds the realm's lock for its whole run, so a batch is applied item by item with nothing
interleaved. How the company is set up (country, currencies, numbering, closed books) is its
`profile` (`company.py`); `companies.py` has helpers that set one up for a test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from booksync_emulators.quickbooks import company, seed, seed_us
from booksync_emulators.quickbooks.company import Profile
from booksync_emulators.quickbooks.wire import meta_time

Record = dict[str, Any]

NAME_ENTITIES = ("Customer", "Vendor", "Employee")
TRANSACTIONS = ("Invoice", "Estimate", "CreditMemo", "SalesReceipt", "PurchaseOrder", "Payment")
SETTINGS = ("Account", "TaxCode", "TaxRate", "TaxAgency", "Term", "CompanyCurrency")
TRACKING = ("Class", "Department")
ENTITIES = (*SETTINGS, *TRACKING, *NAME_ENTITIES, "Item", *TRANSACTIONS)
_SEQUENCE = {
    **{e: "names" for e in NAME_ENTITIES},
    **{e: "transactions" for e in TRANSACTIONS},
    **{e: e for e in (*SETTINGS, *TRACKING, "Item")},
}
FIRST_DOC_NUMBER = 1001


def name_key(name: str) -> str:
    """How QBO compares names: without regard to case or surrounding spaces."""
    return " ".join(name.split()).casefold()


def stamp(record: Record, now: datetime, *, created: bool) -> Record:
    """Set the system fields every QBO object carries."""
    moment = meta_time(now)
    meta = record.setdefault("MetaData", {})
    if created:
        meta["CreateTime"] = moment
        record.setdefault("SyncToken", "0")
    meta["LastUpdatedTime"] = moment
    record.setdefault("domain", "QBO")
    record["sparse"] = False
    return record


@dataclass
class Realm:
    """A company: its settings lists (seeded like a new AU or US company) and what clients
    created."""

    realm_id: str
    name: str
    created: datetime
    profile: Profile = field(default_factory=Profile.au)
    tables: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {entity: {} for entity in ENTITIES}
    )
    sequences: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: (entity, Id) -> when it was deleted: CDC reports these with status "Deleted" (cdc.py).
    deleted: dict[tuple[str, str], datetime] = field(default_factory=dict)
    #: (entity, Id) -> when it last changed, exactly (MetaData keeps whole seconds only).
    touched: dict[tuple[str, str], datetime] = field(default_factory=dict)
    #: Told of every change: (entity, Id, operation Create/Update/Delete/Void/Merge, when, extra).
    #: The emulator turns these into webhook events (quickbooks/webhooks.py).
    listener: Callable[[str, str, str, datetime, dict[str, Any]], None] | None = None
    #: The emulator's clock, for changes made outside an API call (`merge`).
    clock: Callable[[], datetime] | None = None

    def changed(
        self,
        entity: str,
        object_id: str,
        operation: str,
        now: datetime,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """An object changed (its MetaData already stamped): remember a delete for CDC, and
        tell the listener (webhooks)."""
        self.touched[(entity, object_id)] = now
        if operation == "Delete":
            self.deleted[(entity, object_id)] = now
        if self.listener is not None:
            self.listener(entity, object_id, operation, now, extra or {})

    def merge(self, entity: str, from_id: str, into_id: str) -> Record:
        """Merge two customers or vendors, as QuickBooks' UI does (merges.py)."""
        from booksync_emulators.quickbooks import merges

        return merges.merge(self, entity, from_id, into_id)

    @property
    def account_numbers(self) -> bool:
        return self.profile.account_numbers

    @classmethod
    def new(
        cls,
        realm_id: str,
        name: str,
        created: datetime,
        *,
        account_numbers: bool = False,
        profile: Profile | None = None,
    ) -> Realm:
        profile = profile or Profile.au()
        profile.account_numbers = profile.account_numbers or account_numbers
        realm = cls(realm_id, name, created, profile)
        if profile.is_us:
            chart = seed.accounts(profile.account_numbers, seed_us.CHART, seed_us.CURRENCY)
            rates = seed_us.tax_rates()
            codes, agency = seed_us.tax_codes(rates), dict(seed_us.AGENCY)
        else:
            chart = seed.accounts(profile.account_numbers)
            rates = seed.tax_rates()
            codes, agency = seed.tax_codes(rates), dict(seed.AGENCY)
        seeded = {
            "Account": chart,
            "TaxRate": rates,
            "TaxCode": codes,
            "TaxAgency": [agency],
            "Item": seed.items(chart),
            "Term": seed.terms(),
        }
        for entity, records in seeded.items():
            for record in records:
                realm.tables[entity][record["Id"]] = stamp(record, created, created=True)
            realm.sequences[_SEQUENCE[entity]] = sum(1 for r in records if r["Id"].isdigit())
        return realm

    # -- look-ups --------------------------------------------------------------------------------------

    def table(self, entity: str) -> dict[str, Record]:
        return self.tables[entity]

    def get(self, entity: str, object_id: Any) -> Record | None:
        return self.tables[entity].get(str(object_id)) if object_id is not None else None

    def new_id(self, entity: str) -> str:
        sequence = _SEQUENCE[entity]
        self.sequences[sequence] = self.sequences.get(sequence, 0) + 1
        return str(self.sequences[sequence])

    def name_holder(self, name: str, excluding: tuple[str, str] | None = None) -> Record | None:
        """The customer, vendor or employee already called `name` (they share one namespace)."""
        wanted = name_key(name)
        for entity in NAME_ENTITIES:
            for record in self.tables[entity].values():
                if (
                    name_key(record["DisplayName"]) == wanted
                    and (entity, record["Id"]) != excluding
                ):
                    return record
        return None

    def item_named(self, name: str, excluding: str | None = None) -> Record | None:
        wanted = name_key(name)
        for record in self.tables["Item"].values():
            if name_key(record["Name"]) == wanted and record["Id"] != excluding:
                return record
        return None

    def doc_numbered(self, entity: str, number: str, excluding: str | None = None) -> Record | None:
        for record in self.tables[entity].values():
            if record.get("DocNumber") == number and record["Id"] != excluding:
                return record
        return None

    def named(self, entity: str, name: str) -> Record | None:
        """The record of a settings or tracking list called `name` (for set-up and assertions)."""
        return next((r for r in self.tables[entity].values() if r.get("Name") == name), None)

    def next_doc_number(self, entity: str) -> str:
        """One past the highest numeric DocNumber of the type (1001 for the first), as QBO does."""
        numbers = [
            int(r["DocNumber"])
            for r in self.tables[entity].values()
            if str(r.get("DocNumber", "")).isdigit()
        ]
        return str(max(numbers, default=FIRST_DOC_NUMBER - 1) + 1)

    def account_named(self, name: str) -> Record:
        return next(a for a in self.tables["Account"].values() if a["Name"] == name)

    def find(self, entity: str, field_name: str, value: Any) -> Record | None:
        """The first record whose `field_name` equals `value` (for assertions)."""
        return next((r for r in self.tables[entity].values() if r.get(field_name) == value), None)

    def today(self, now: datetime) -> date:
        """The company's local date, which transaction dates default to."""
        return company.today(self, now)

    # -- the company's own records ---------------------------------------------------------------------

    def company_info(self) -> Record:
        return stamp(company.company_info(self), self.created, created=True)

    def preferences(self) -> Record:
        return stamp(company.preferences(self), self.created, created=True)
