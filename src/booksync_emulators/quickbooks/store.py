"""One QuickBooks Online company (a realm) and its data, kept in memory.

Records are plain dicts in QBO's own shape (`Id`, `SyncToken`, `MetaData`, PascalCase fields,
Decimal amounts, `YYYY-MM-DD` dates), which is what a test asserting on "what reached QuickBooks"
wants to read. Ids are per list, as in QBO: customers, vendors and employees share the "names"
sequence, transactions share another, items and the settings lists have their own. Every request
holds the realm's lock for its whole run, so a batch is applied item by item with nothing
interleaved.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from booksync_emulators.quickbooks import seed
from booksync_emulators.quickbooks.wire import meta_time

Record = dict[str, Any]

NAME_ENTITIES = ("Customer", "Vendor", "Employee")
TRANSACTIONS = ("Invoice", "Estimate", "CreditMemo", "SalesReceipt", "PurchaseOrder")
SETTINGS = ("Account", "TaxCode", "TaxRate", "TaxAgency")
ENTITIES = (*SETTINGS, *NAME_ENTITIES, "Item", *TRANSACTIONS)
_SEQUENCE = {
    **{e: "names" for e in NAME_ENTITIES},
    **{e: "transactions" for e in TRANSACTIONS},
    **{e: e for e in (*SETTINGS, "Item")},
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
    """A company: its settings lists (seeded like a new AU company) and what clients created."""

    realm_id: str
    name: str
    created: datetime
    account_numbers: bool = False
    tables: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {entity: {} for entity in ENTITIES}
    )
    sequences: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def new(
        cls, realm_id: str, name: str, created: datetime, *, account_numbers: bool = False
    ) -> Realm:
        realm = cls(realm_id, name, created, account_numbers)
        chart = seed.accounts(account_numbers)
        rates = seed.tax_rates()
        agency = {"Id": seed.AGENCY["Id"], "DisplayName": seed.AGENCY["DisplayName"]}
        seeded = {
            "Account": chart,
            "TaxRate": rates,
            "TaxCode": seed.tax_codes(rates),
            "TaxAgency": [agency],
            "Item": seed.items(chart),
        }
        for entity, records in seeded.items():
            for record in records:
                realm.tables[entity][record["Id"]] = stamp(record, created, created=True)
            realm.sequences[_SEQUENCE[entity]] = len(records)
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
        return now.astimezone(ZoneInfo(seed.TIMEZONE)).date()

    # -- the company's own records ---------------------------------------------------------------------

    def company_info(self) -> Record:
        address = {
            "Id": "1",
            "Line1": "1 George St",
            "City": "Sydney",
            "CountrySubDivisionCode": "NSW",
            "PostalCode": "2000",
            "Country": seed.COUNTRY,
        }
        return stamp(
            {
                "Id": "1",
                "SyncToken": "0",
                "CompanyName": self.name,
                "LegalName": self.name,
                "CompanyAddr": address,
                "LegalAddr": dict(address),
                "CustomerCommunicationAddr": dict(address),
                "Country": seed.COUNTRY,
                "SupportedLanguages": "en",
                "FiscalYearStartMonth": "July",
                "CompanyStartDate": self.created.date().isoformat(),
                "Email": {"Address": "owner@example.com"},
                "NameValue": [{"Name": "NeoEnabled", "Value": "true"}],
            },
            self.created,
            created=True,
        )

    def preferences(self) -> Record:
        return stamp(
            {
                "Id": "1",
                "SyncToken": "0",
                "AccountingInfoPrefs": {
                    "UseAccountNumbers": self.account_numbers,
                    "FirstMonthOfFiscalYear": "July",
                    "TaxYearMonth": "July",
                },
                "SalesFormsPrefs": {"CustomTxnNumbers": False, "AllowDiscount": False},
                "TaxPrefs": {"UsingSalesTax": True},
                "CurrencyPrefs": {
                    "MultiCurrencyEnabled": False,
                    "HomeCurrency": {"value": seed.CURRENCY["value"]},
                },
            },
            self.created,
            created=True,
        )
