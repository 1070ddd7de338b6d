"""One Xero organisation's data (a tenant), kept in memory.

Records are plain dicts in Xero's own shape (PascalCase keys, Decimal amounts, `date` dates), which
is what a test asserting on "what reached Xero" wants to read. Every request holds the org's lock
for its whole batch, so a batch is applied element by element with nothing interleaved.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.xero.seed import REGIONS, accounts, tax_rates
from booksync_emulators.xero.wire import round_to

Record = dict[str, Any]

COLLECTIONS = (
    "Contacts",
    "Items",
    "Invoices",
    "CreditNotes",
    "PurchaseOrders",
    "Quotes",
    "Payments",
)


@dataclass
class Org:
    """A tenant: its organisation details, chart, tax rates and the records clients created."""

    tenant_id: str
    name: str
    region: str
    created: datetime
    organisation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    accounts: dict[str, Record] = field(default_factory=dict)
    tax_rates: dict[str, Record] = field(default_factory=dict)
    records: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS}
    )
    numbers: dict[str, int] = field(default_factory=dict)
    #: Foreign currencies the organisation added (code -> the rate of the day it falls back on);
    #: the base currency is always enabled. A new organisation has none.
    currencies: dict[str, Decimal] = field(default_factory=dict)
    #: Settings -> Advanced -> Lock dates; None when not set (Organisation shows them only if set).
    period_lock_date: date | None = None
    end_of_year_lock_date: date | None = None
    #: Organisation.PaymentTerms {"Sales": {"Day", "Type"}, "Bills": {...}}; empty when not set.
    payment_terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: TrackingCategoryID -> category, with its Options.
    tracking: dict[str, Record] = field(default_factory=dict)
    #: Document id -> the app (client id) that created it through the API (`createdByMyApp`).
    created_by: dict[str, str] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Told of every saved Contact / Invoice / CreditNote / Payment: (collection, record, created,
    #: when). The emulator turns these into webhook events (xero/webhooks.py).
    listener: Callable[[str, Record, bool, datetime], None] | None = None
    #: The emulator's clock, for changes made outside an API call (the helpers below).
    clock: Callable[[], datetime] | None = None

    @classmethod
    def new(cls, tenant_id: str, name: str, region: str, created: datetime) -> Org:
        if region not in REGIONS:
            raise ValueError(f"region '{region}' is not one of {', '.join(REGIONS)}")
        org = cls(tenant_id, name, region, created)
        for account in accounts(REGIONS[region]):
            account["UpdatedDateUTC"] = created
            org.accounts[account["AccountID"]] = account
        for rate in tax_rates(REGIONS[region]):
            org.tax_rates[rate["TaxType"]] = rate
        return org

    @property
    def currency(self) -> str:
        return REGIONS[self.region].currency

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else self.created

    def changed(self, collection: str, record: Record, created: bool, now: datetime) -> None:
        """A record was saved: stamp UpdatedDateUTC (If-Modified-Since follows it) and tell the
        listener (webhooks)."""
        record["UpdatedDateUTC"] = now
        if self.listener is not None:
            self.listener(collection, record, created, now)

    # -- look-ups the validation rules need ---------------------------------------------------------

    def collection(self, name: str) -> dict[str, Record]:
        return self.records[name]

    def account(self, code: str) -> Record | None:
        wanted = code.strip().upper()
        return next((a for a in self.accounts.values() if a["Code"].upper() == wanted), None)

    def tax_rate(self, tax_type: str) -> Record | None:
        return self.tax_rates.get(tax_type.strip().upper())

    def contact_named(self, name: str, *, excluding: str | None = None) -> Record | None:
        """The active contact with this name (Xero compares names without regard to case)."""
        wanted = name.strip().casefold()
        for contact in self.records["Contacts"].values():
            if (
                contact["ContactStatus"] == "ACTIVE"
                and contact["Name"].strip().casefold() == wanted
                and contact["ContactID"] != excluding
            ):
                return contact
        return None

    def contact_numbered(self, number: str, *, excluding: str | None = None) -> Record | None:
        for contact in self.records["Contacts"].values():
            if contact.get("ContactNumber") == number and contact["ContactID"] != excluding:
                return contact
        return None

    def enabled_currencies(self) -> list[str]:
        return [self.currency, *sorted(c for c in self.currencies if c != self.currency)]

    def tracking_category(self, name_or_id: str) -> Record | None:
        wanted = name_or_id.strip().casefold()
        return next(
            (
                c
                for c in self.tracking.values()
                if c["TrackingCategoryID"] == name_or_id or c["Name"].casefold() == wanted
            ),
            None,
        )

    def item_coded(self, code: str, *, excluding: str | None = None) -> Record | None:
        wanted = code.strip().casefold()
        for item in self.records["Items"].values():
            if item["Code"].casefold() == wanted and item["ItemID"] != excluding:
                return item
        return None

    def find(self, collection: str, field_name: str, value: str) -> Record | None:
        """The first record whose `field_name` equals `value` (for assertions and look-ups)."""
        return next(
            (r for r in self.records[collection].values() if r.get(field_name) == value), None
        )

    def next_number(self, prefix: str) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}{self.numbers[prefix]:04d}"

    # -- what the API does not cover but tests need ------------------------------------------------
    # (what a bookkeeper sets up in Xero's own screens, which no Accounting API call can do)

    def enable_currency(self, code: str, rate: Decimal = Decimal("1")) -> None:
        """Settings -> Currencies -> Add currency; `rate` stands in for the XE.com rate of the day."""
        with self.lock:
            self.currencies[code.upper()] = rate

    def set_lock_dates(self, period: date | None = None, end_of_year: date | None = None) -> None:
        """Settings -> Advanced -> Financial settings -> Lock dates."""
        with self.lock:
            self.period_lock_date, self.end_of_year_lock_date = period, end_of_year

    def set_sales_terms(self, day: int, term_type: str = "DAYSAFTERBILLDATE") -> None:
        """Invoice settings -> default due date for sales invoices."""
        with self.lock:
            self.payment_terms["Sales"] = {"Day": day, "Type": term_type}

    def add_tracking_category(
        self, name: str, options: list[str], *, status: str = "ACTIVE"
    ) -> Record:
        """Settings -> Tracking categories -> Add (options are ACTIVE)."""
        with self.lock:
            category_id = str(uuid.uuid4())
            record: Record = {
                "TrackingCategoryID": category_id,
                "Name": name,
                "Status": status,
                "Options": [
                    {
                        "TrackingOptionID": str(uuid.uuid4()),
                        "Name": option,
                        "Status": "ACTIVE",
                        "TrackingCategoryID": category_id,
                    }
                    for option in options
                ],
            }
            self.tracking[category_id] = record
            return record

    def add_document(
        self, collection: str, element: dict[str, Any], now: datetime | None = None
    ) -> Record:
        """A document typed into Xero's own screens (so no app created it), validated as the API
        validates a PUT; raises `validation.Invalid` with Xero's messages."""
        from booksync_emulators.xero.documents import KINDS, save_document

        with self.lock:
            return save_document(
                self, KINDS[collection], element, now or self.now(), None, 4, "PUT"
            )

    def add_contact(
        self, name: str, *, archived: bool = False, number: str | None = None
    ) -> Record:
        """A contact typed into Xero by hand (archived: Contacts -> Archive)."""
        with self.lock:
            record: Record = {
                "ContactID": str(uuid.uuid4()),
                "Name": name,
                "ContactStatus": "ARCHIVED" if archived else "ACTIVE",
                "IsSupplier": False,
                "IsCustomer": False,
                "UpdatedDateUTC": self.created,
            }
            if number:
                record["ContactNumber"] = number
            self.records["Contacts"][record["ContactID"]] = record
            self.changed("Contacts", record, True, self.now())
            return record

    def pay(self, invoice_id: str, amount: Decimal | None = None, on: date | None = None) -> Record:
        """Record a payment against an AUTHORISED invoice (the whole amount due by default), the way
        a bookkeeper would in Xero; a fully paid invoice becomes PAID and can no longer be edited."""
        with self.lock:
            invoice = self.records["Invoices"][invoice_id]
            if invoice["Status"] != "AUTHORISED":
                raise ValueError(
                    f"invoice {invoice_id} is {invoice['Status']}: only AUTHORISED can be paid"
                )
            paid = round_to(amount if amount is not None else invoice["AmountDue"], 2)
            if paid <= 0 or paid > invoice["AmountDue"]:
                raise ValueError(
                    f"amount {paid} must be above 0 and at most {invoice['AmountDue']}"
                )
            from booksync_emulators.xero.settlements import save_payment

            bank = next(a for a in self.accounts.values() if a["Type"] == "BANK")
            element = {
                "Invoice": {"InvoiceID": invoice_id},
                "Account": {"AccountID": bank["AccountID"]},
                "Amount": paid,
                "Date": (on or invoice["Date"]).isoformat(),
            }
            save_payment(self, element, self.now())  # a Payment, as GET /Payments shows it
            return invoice

    # Changes a bookkeeper makes in Xero's own screens, behind an app's back (bookkeeper.py).

    def void(self, invoice_id: str) -> Record:
        """Invoice -> Void (an AUTHORISED invoice without payments)."""
        from booksync_emulators.xero import bookkeeper

        return bookkeeper.void(self, invoice_id)

    def edit(self, collection: str, record_id: str, **fields: Any) -> Record:
        """Edit a document or contact's fields in place (no validation: a person's edit)."""
        from booksync_emulators.xero import bookkeeper

        return bookkeeper.edit(self, collection, record_id, fields)

    def delete_payment(self, payment_id: str) -> Record:
        """Payment -> Options -> Remove and redo: the invoice owes the amount again."""
        from booksync_emulators.xero import settlements

        with self.lock:
            return settlements.remove_payment(self, payment_id, self.now())

    def archive_contact(self, contact_id: str) -> Record:
        from booksync_emulators.xero import bookkeeper

        return bookkeeper.archive_contact(self, contact_id)

    def merge_contacts(self, from_id: str, into_id: str) -> Record:
        """Contacts -> Merge: `from_id`'s documents move to `into_id`; it is archived with
        MergedToContactID."""
        from booksync_emulators.xero import bookkeeper

        return bookkeeper.merge_contacts(self, from_id, into_id)
