"""The QuickBooks connector writes documents the way each company takes them, end to end against
the emulator over loopback: the tax model from the company's country (US automated or manual sales
tax, the global model elsewhere) with the client's address on customers and invoices, its settings
imported (currencies, close date, default terms, classes and locations, numbering), tracking,
foreign currency, and what QuickBooks booked read back from each answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    Address,
    Booked,
    DocumentImport,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PaymentTerms,
    PushItem,
    SettingsImport,
)
from booksync.connectors.quickbooks import QuickBooksConnector
from booksync.domain.types import EntityType
from booksync_emulators.quickbooks import Realm, companies
from emulators.conftest import QuickBooksEmulatorHandle

E = EntityType
D = Decimal
NEW_YORK = Address(("1 Main St",), "Albany", "NY", "12207", "US")


@pytest.fixture
def make(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> Iterator[Callable[..., tuple[Realm, QuickBooksConnector]]]:
    handle, opened = quickbooks_emulator, []

    def build(country: str = "AU", **settings: Any) -> tuple[Realm, QuickBooksConnector]:
        realm = handle.emulator.add_realm(f"Company {country}", country=country, **settings)
        issued = handle.emulator.connect(realm.realm_id)
        tokens = TokenSet(
            issued.access_token, issued.refresh_token, handle.clock.utcnow() + timedelta(hours=1)
        )
        qbo = QuickBooksConnector(
            tokens,
            realm=realm.realm_id,
            base_url=handle.api_url,
            token_url=handle.token_url,
            client_id=handle.client_id,
            client_secret=handle.client_secret,
            clock=handle.clock,
            timeout=5.0,
        )
        opened.append(qbo)
        return realm, qbo

    yield build
    for qbo in opened:
        qbo.close()


def client(name: str = "Acme Inc", currency: str = "USD", **extra: Any) -> PushItem:
    payload = PartyPayload(E.CLIENT, name, None, currency, "C-1", **extra)
    return PushItem("C-1:1", E.CLIENT, 1, "C-1", None, payload)


def product(tax: str, income: str = "Services") -> PushItem:
    payload = ItemPayload("SUP-1", "Support", "Support", D("100"), None, income, None, tax)
    return PushItem("SUP-1:1", E.PRODUCT, 2, "SUP-1", None, payload)


def invoice(contact: str, item: str, tax: str, number: str = "INV-1", **extra: Any) -> PushItem:
    line = LinePayload("SUP-1", item, "Support", D("2"), D("50.00"), None, tax, D(0),
                       tracking=extra.pop("line_tracking", ()))  # fmt: skip
    values: dict[str, Any] = {
        "entity": E.INVOICE, "number": number, "contact_remote_id": contact,
        "contact_name": "Acme", "issue_date": date(2026, 11, 2), "due_date": None,
        "currency": "USD", "status": "authorised", "reference": None, "lines": (line,),
    }  # fmt: skip
    values.update(extra)
    return PushItem(f"{number}:1", E.INVOICE, 3, number, None, DocumentPayload(**values))


def push_one(qbo: QuickBooksConnector, realm: Realm, entity: EntityType, item: PushItem) -> Any:
    (result,) = qbo.push(realm.realm_id, entity, [item])
    assert result.outcome in (Outcome.CREATED, Outcome.UPDATED), result.message
    return result


# --- the tax model follows the company's country -----------------------------------------------------


def test_a_us_company_charges_automated_sales_tax_at_the_clients_address(
    make: Callable[..., tuple[Realm, QuickBooksConnector]],
) -> None:
    realm, qbo = make("US")  # automated sales tax; the company sits in California (7.25 %)
    contact = push_one(qbo, realm, E.CLIENT, client(address=NEW_YORK)).remote_id
    customer = realm.get("Customer", contact)
    assert customer["BillAddr"] == {"Line1": "1 Main St", "City": "Albany",
                                    "CountrySubDivisionCode": "NY", "PostalCode": "12207",
                                    "Country": "US"}  # fmt: skip
    item = push_one(qbo, realm, E.PRODUCT, product("TAX")).remote_id
    made = push_one(qbo, realm, E.INVOICE, invoice(contact, item, "TAX", contact_address=NEW_YORK))
    held = realm.get("Invoice", made.remote_id)
    assert held["ShipAddr"]["CountrySubDivisionCode"] == "NY"
    assert held["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert "GlobalTaxCalculation" not in held
    # New York's 4 %, not the MSP's own California rate.
    assert made.booked == Booked(D("104.00"), D("4.00"), 1, contact, "USD", None)
    # The same invoice without the client's address is charged at the company's own address:
    # what booksync used to send.
    bare = push_one(qbo, realm, E.INVOICE, invoice(contact, item, "TAX", "INV-2"))
    assert bare.booked.tax == D("7.25")


def test_a_us_company_on_manual_sales_tax_gets_the_transaction_tax_code(
    make: Callable[..., tuple[Realm, QuickBooksConnector]],
) -> None:
    realm, qbo = make("US", automated_sales_tax=False)
    contact = push_one(qbo, realm, E.CLIENT, client()).remote_id
    item = push_one(qbo, realm, E.PRODUCT, product("Texas")).remote_id
    made = push_one(qbo, realm, E.INVOICE, invoice(contact, item, "Texas"))
    held = realm.get("Invoice", made.remote_id)
    assert held["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert held["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == realm.named("TaxCode", "Texas")["Id"]
    assert (made.booked.total, made.booked.tax) == (D("106.25"), D("6.25"))
    two = invoice(contact, item, "Texas", "INV-2")
    lines = (two.payload.lines[0], replace(two.payload.lines[0], tax_type="California"))  # type: ignore[union-attr]
    (refused,) = qbo.push(
        realm.realm_id, E.INVOICE, [replace(two, payload=replace(two.payload, lines=lines))]
    )  # type: ignore[type-var]
    assert refused.rule == "tax.mapped" and "one sales tax code per document" in refused.message


def test_an_au_company_gets_a_tax_code_per_line(
    make: Callable[..., tuple[Realm, QuickBooksConnector]],
) -> None:
    realm, qbo = make()
    contact = push_one(qbo, realm, E.CLIENT, client(currency="AUD")).remote_id
    item = push_one(qbo, realm, E.PRODUCT, product("GST")).remote_id
    made = push_one(qbo, realm, E.INVOICE, invoice(contact, item, "GST", currency="AUD"))
    held = realm.get("Invoice", made.remote_id)
    assert held["GlobalTaxCalculation"] == "TaxExcluded"
    assert held["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "1"
    assert (made.booked.total, made.booked.tax, made.booked.currency) == (
        D("110.00"),
        D("10.00"),
        "AUD",
    )


# --- settings, numbers, tracking, currency -----------------------------------------------------------------


def test_settings_import_reads_what_the_company_is_set_up_with(
    make: Callable[..., tuple[Realm, QuickBooksConnector]],
) -> None:
    realm, qbo = make(book_close_date=date(2026, 6, 30))
    companies.enable_currencies(realm, "USD", "EUR", inactive=("GBP",))
    companies.add_class(realm, "Managed services")
    companies.add_class(realm, "Retired", active=False)
    companies.add_department(realm, "Sydney")
    companies.add_term(realm, "Net 14", 14, default=True)
    assert isinstance(qbo, SettingsImport) and isinstance(qbo, DocumentImport)
    found = qbo.settings(realm.realm_id)
    assert found.currencies == {"AUD", "USD", "EUR"}
    assert found.lock_date == date(2026, 6, 30)
    assert found.payment_terms == PaymentTerms(14, "DAYSAFTERBILLDATE")
    assert dict(found.tracking_categories) == {
        "Class": ("Managed services",),
        "Location": ("Sydney",),
    }
    assert found.tool_settings["country"] == "AU"
    assert found.tool_settings["custom_txn_numbers"] is False
    assert qbo.documents(realm.realm_id, E.INVOICE, ["INV-1"]) == []  # it numbers its own


def test_tracking_and_foreign_currency_reach_the_invoice(
    make: Callable[..., tuple[Realm, QuickBooksConnector]],
) -> None:
    realm, qbo = make(custom_txn_numbers=True)
    companies.enable_currencies(realm, "USD")
    managed = companies.add_class(realm, "Managed services")
    sydney = companies.add_department(realm, "Sydney")
    contact = push_one(qbo, realm, E.CLIENT, client()).remote_id
    item = push_one(qbo, realm, E.PRODUCT, product("FRE")).remote_id
    sale = invoice(contact, item, "FRE", exchange_rate=D("1.52"), tracking=(("Location", "Sydney"),),
                   line_tracking=(("Class", "Managed services"),))  # fmt: skip
    made = push_one(qbo, realm, E.INVOICE, sale)
    held = realm.get("Invoice", made.remote_id)
    assert held["DepartmentRef"]["value"] == sydney["Id"]
    assert held["Line"][0]["SalesItemLineDetail"]["ClassRef"]["value"] == managed["Id"]
    assert (held["CurrencyRef"]["value"], held["ExchangeRate"], held["HomeTotalAmt"]) == (
        "USD", D("1.52"), D("152.00"))  # fmt: skip
    assert made.booked.currency == "USD" and made.booked.contact_remote_id == contact
    nowhere = invoice(contact, item, "FRE", "INV-2", tracking=(("Location", "Perth"),))
    (refused,) = qbo.push(realm.realm_id, E.INVOICE, [nowhere])
    assert refused.rule == "tracking.matches_tool" and "'Perth'" in refused.message
    euros = invoice(contact, item, "FRE", "INV-3", currency="EUR")
    (foreign,) = qbo.push(realm.realm_id, E.INVOICE, [euros])
    assert foreign.rule == "currency.enabled" and "AUD, USD" in foreign.message
