"""QuickBooks Online fidelity (issue 11), through the connector the engine uses (built by the plug-in
registry) against the emulator over loopback, on companies set up as a bookkeeper sets them up:
numbering off or on, a customer named like a supplier, voids, credit notes applied to invoices,
purchase tax codes, and the refusals that are rules (currency, closed books, inactive contacts).
The company's tax model, settings and tracking are in tests/connectors/test_quickbooks_company.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booksync.connectors import connector_for
from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    BatchLookup,
    Connector,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.domain.types import EntityType
from booksync_emulators.quickbooks import Realm, companies
from emulators.conftest import QuickBooksEmulatorHandle

E = EntityType
D = Decimal
Company = tuple[Realm, Connector]


@pytest.fixture
def handle(quickbooks_emulator_factory: Callable[..., QuickBooksEmulatorHandle]) -> Any:
    return quickbooks_emulator_factory(realms=1)


@pytest.fixture
def company(handle: QuickBooksEmulatorHandle) -> Callable[..., Company]:
    """`company(**settings)`: a new AU company (QuickBooks' defaults unless told), connected, and
    `connect(realm)` gives another connector on it (a worker after a restart)."""

    def make(country: str = "AU", **settings: Any) -> Company:
        realm = handle.emulator.add_realm(f"Fidelity {country}", country=country, **settings)
        return realm, connect(handle, realm)

    return make


_OPEN: list[Connector] = []


def connect(handle: QuickBooksEmulatorHandle, realm: Realm) -> Connector:
    issued = handle.emulator.connect(realm.realm_id)
    tokens = TokenSet(
        issued.access_token, issued.refresh_token, handle.clock.utcnow() + timedelta(hours=1)
    )
    built = connector_for(
        "quickbooks",
        tokens=tokens,
        realm=realm.realm_id,
        base_url=handle.api_url,
        token_url=handle.token_url,
        client_id=handle.client_id,
        client_secret=handle.client_secret,
        clock=handle.clock,
        timeout=5.0,
        tenant_names={realm.realm_id: realm.name},
    )
    _OPEN.append(built)
    return built


@pytest.fixture(autouse=True)
def _close() -> Any:
    yield
    while _OPEN:
        _OPEN.pop().close()


def party(name: str, entity: EntityType = E.CLIENT, number: str = "C-1", **extra: Any) -> PushItem:
    payload = PartyPayload(entity, name, None, extra.pop("currency", "AUD"), number, **extra)
    return PushItem(f"{number}:{extra.get('version', 1)}", entity, 1, number, None, payload)


def product(code: str = "SUP-1") -> PushItem:
    payload = ItemPayload(code, f"Support {code}", "Support", D("120.00"), D("60.00"), "Services",
                          "Cost of Goods Sold", "GST")  # fmt: skip
    return PushItem(f"{code}:1", E.PRODUCT, 2, code, None, payload)


def document(
    entity: EntityType, number: str, contact: str, item: str, *, tax: str = "GST", **extra: Any
) -> PushItem:
    line = LinePayload("SUP-1", item, "Support hours", D("2.5"), D("120.00"), None, tax, D(10))
    values: dict[str, Any] = {
        "entity": entity, "number": number, "contact_remote_id": contact,
        "contact_name": "Acme Pty", "issue_date": date(2026, 11, 2), "due_date": date(2026, 12, 2),
        "currency": "AUD", "status": "authorised", "reference": "PO-77", "lines": (line,),
    }  # fmt: skip
    values.update(extra)
    return PushItem(f"{number}:1", entity, 3, number, None, DocumentPayload(**values))


def pushed(qbo: Connector, realm: Realm, entity: EntityType, item: PushItem) -> str:
    (result,) = qbo.push(realm.realm_id, entity, [item])
    assert result.outcome in (Outcome.CREATED, Outcome.UPDATED), result.message
    assert result.remote_id
    return result.remote_id


def basics(qbo: Connector, realm: Realm) -> tuple[str, str]:
    return (
        pushed(qbo, realm, E.CLIENT, party("Acme Pty")),
        pushed(qbo, realm, E.PRODUCT, product()),
    )


# --- 1. numbers, memo, trace --------------------------------------------------------------------------


def test_without_custom_numbers_quickbooks_numbers_it_and_a_lookup_never_links_anothers(
    handle: QuickBooksEmulatorHandle, company: Callable[..., Company]
) -> None:
    realm, qbo = company()  # custom transaction numbers off: QuickBooks' default
    contact, item = basics(qbo, realm)
    # The bookkeeper's own invoice, to the same customer, numbered as booksync numbers its own.
    theirs = realm.table("Invoice")
    mine = document(E.INVOICE, "1001", contact, item)
    handle.faults.timeout_after_commit(10)  # the answer to booksync's create is lost
    try:
        qbo.push(realm.realm_id, E.INVOICE, [mine])
    except Exception:  # noqa: BLE001 - OutcomeUnknown: whether it was applied is the question
        pass
    finally:
        handle.faults.clear()
    (made,) = theirs.values()
    assert "DocNumber" in made and made["DocNumber"] == "1001"  # QuickBooks' own number
    assert made["CustomerMemo"] == {"value": "PO-77"}  # the client's reference prints
    assert made["PrivateNote"] == "[booksync 1001]"  # booksync's trace does not
    bookkeepers = companies.add_customer(realm, "Walk-in")
    realm.table("Invoice")["900"] = {**made, "Id": "900", "PrivateNote": "",
                                     "CustomerRef": {"value": bookkeepers["Id"]}}  # fmt: skip
    restarted = connect(handle, realm)
    assert isinstance(restarted, BatchLookup)
    assert restarted.lookup_many(realm.realm_id, E.INVOICE, [mine]) == {"1001": made["Id"]}
    assert restarted.lookup(realm.realm_id, E.INVOICE, "1001") == made["Id"]
    assert restarted.documents(realm.realm_id, E.INVOICE, ["1001"]) == []  # type: ignore[attr-defined]


def test_with_custom_numbers_booksyncs_number_is_sent_and_found_only_with_its_trace(
    handle: QuickBooksEmulatorHandle, company: Callable[..., Company]
) -> None:
    realm, qbo = company(custom_txn_numbers=True)
    contact, item = basics(qbo, realm)
    made = pushed(qbo, realm, E.INVOICE, document(E.INVOICE, "INV-1", contact, item))
    assert realm.get("Invoice", made)["DocNumber"] == "INV-1"
    # A bookkeeper's INV-2 (999.00) is there already: booksync's INV-2 is refused as a number
    # taken, and the document found under it is reported, never linked by a lookup.
    theirs = dict(realm.get("Invoice", made), Id="901", DocNumber="INV-2", PrivateNote="",
                  TotalAmt=D("999.00"))  # fmt: skip
    realm.table("Invoice")["901"] = theirs
    (refused,) = qbo.push(realm.realm_id, E.INVOICE, [document(E.INVOICE, "INV-2", contact, item)])
    assert refused.outcome is Outcome.REJECTED and refused.rule == "document.number_free"
    assert realm.get("Invoice", "901")["TotalAmt"] == D("999.00")
    assert qbo.lookup(realm.realm_id, E.INVOICE, "INV-2") is None
    (found,) = qbo.documents(realm.realm_id, E.INVOICE, ["INV-2", "INV-9"])  # type: ignore[attr-defined]
    assert (found.remote_id, found.total, found.contact_remote_id) == ("901", D("999.00"), contact)


# --- 2. a supplier named like a customer ---------------------------------------------------------------


def test_a_supplier_named_like_a_customer_is_written_disambiguated_and_found_again(
    handle: QuickBooksEmulatorHandle, company: Callable[..., Company]
) -> None:
    realm, qbo = company()
    companies.add_customer(realm, "Acme Pty Ltd")  # the MSP's client, in QuickBooks already
    supplier = party("Acme Pty Ltd", E.SUPPLIER, "S-1")
    (result,) = qbo.push(realm.realm_id, E.SUPPLIER, [supplier])
    assert result.outcome is Outcome.CREATED, result.message
    vendor = realm.get("Vendor", result.remote_id)
    assert (vendor["DisplayName"], vendor["CompanyName"]) == (
        "Acme Pty Ltd (supplier)",
        "Acme Pty Ltd",
    )
    restarted = connect(handle, realm)
    assert restarted.lookup_many(realm.realm_id, E.SUPPLIER, [supplier]) == {"S-1": vendor["Id"]}  # type: ignore[attr-defined]
    imported = [c for c in restarted.contacts(realm.realm_id) if c.remote_id == vendor["Id"]]
    assert [c.name for c in imported] == ["Acme Pty Ltd"]
    # A later edit from a fresh connector keeps the disambiguated name.
    edit = replace(
        supplier,
        key="S-1:2",
        remote_id=vendor["Id"],
        payload=replace(supplier.payload, email="ap@acme.example"),
    )  # type: ignore[type-var]
    (again,) = restarted.push(realm.realm_id, E.SUPPLIER, [edit])
    assert again.outcome is Outcome.UPDATED, again.message
    assert realm.get("Vendor", vendor["Id"])["DisplayName"] == "Acme Pty Ltd (supplier)"
    # A vendor of the same name is another matter: it may be this supplier (import links it).
    companies.add_vendor(realm, "Beta Pty Ltd")
    (taken,) = qbo.push(realm.realm_id, E.SUPPLIER, [party("Beta Pty Ltd", E.SUPPLIER, "S-2")])
    assert taken.outcome is Outcome.REJECTED and "6240" in taken.message


# --- 3. void and credit notes ----------------------------------------------------------------------------


def test_a_voided_invoice_is_voided_in_quickbooks_and_a_credit_note_applied_once(
    company: Callable[..., Company],
) -> None:
    realm, qbo = company(custom_txn_numbers=True)
    contact, item = basics(qbo, realm)
    invoice = document(E.INVOICE, "INV-1", contact, item)  # 300.00 + 30.00 GST
    bill = pushed(qbo, realm, E.INVOICE, invoice)
    credit = document(E.CREDIT_NOTE, "CN-1", contact, item, credited_remote_id=bill,
                      lines=(replace(invoice.payload.lines[0], quantity=D("1")),))  # type: ignore[union-attr]  # fmt: skip
    (made,) = qbo.push(realm.realm_id, E.CREDIT_NOTE, [credit])
    assert made.outcome is Outcome.CREATED and made.message == "", made.message
    assert realm.get("Invoice", bill)["Balance"] == D("330.00") - D("132.00")
    assert realm.get("CreditMemo", made.remote_id)["RemainingCredit"] == 0
    (payment,) = realm.table("Payment").values()
    assert payment["TotalAmt"] == 0 and len(payment["Line"]) == 2
    again = replace(credit, key="CN-1:2", remote_id=made.remote_id)
    (updated,) = qbo.push(realm.realm_id, E.CREDIT_NOTE, [again])
    assert updated.outcome is Outcome.UPDATED, updated.message
    assert len(realm.table("Payment")) == 1  # applied once
    voided = replace(
        invoice, key="INV-1:2", remote_id=bill, payload=replace(invoice.payload, status="voided")
    )  # type: ignore[type-var]
    (result,) = qbo.push(realm.realm_id, E.INVOICE, [voided])
    assert result.outcome is Outcome.UPDATED, result.message
    held = realm.get("Invoice", bill)
    assert (held["TotalAmt"], held["PrivateNote"]) == (0, "Voided - [booksync INV-1]")
    assert result.booked is not None and result.booked.status == "Voided"
    never = replace(document(E.INVOICE, "INV-9", contact, item), payload=replace(
        invoice.payload, number="INV-9", status="voided"))  # type: ignore[type-var]  # fmt: skip
    (skipped,) = qbo.push(realm.realm_id, E.INVOICE, [never])
    assert skipped.outcome is Outcome.REJECTED and "never reached QuickBooks" in skipped.message
    assert realm.find("Invoice", "DocNumber", "INV-9") is None


# --- 4. purchase tax codes and refusals that are rules ------------------------------------------------------


def test_purchase_orders_carry_the_purchase_tax_code(company: Callable[..., Company]) -> None:
    realm, qbo = company()
    supplier = pushed(qbo, realm, E.SUPPLIER, party("Parts Co", E.SUPPLIER, "S-1"))
    item = pushed(qbo, realm, E.PRODUCT, product())
    order = document(E.PURCHASE_ORDER, "PO-1", supplier, item, tax="CAP")  # purchases only
    made = realm.get("PurchaseOrder", pushed(qbo, realm, E.PURCHASE_ORDER, order))
    detail = made["Line"][0]["ItemBasedExpenseLineDetail"]
    assert detail["TaxCodeRef"]["value"] == realm.named("TaxCode", "CAP")["Id"]
    assert (made["DocNumber"], made["Memo"], made["TotalAmt"]) == ("PO-1", "PO-77", D("330.00"))
    unknown = document(E.PURCHASE_ORDER, "PO-2", supplier, item, tax="BOGUS")
    (refused,) = qbo.push(realm.realm_id, E.PURCHASE_ORDER, [unknown])
    assert refused.rule == "tax.purchase_mapped"


def test_refusals_quickbooks_makes_are_named_as_rules(company: Callable[..., Company]) -> None:
    realm, qbo = company()
    contact, item = basics(qbo, realm)
    qbo.company(realm.realm_id)  # type: ignore[attr-defined]  # read before the owner's changes
    # The owner closes the books and makes the customer inactive after booksync read them.
    companies.configure(realm, book_close_date=date(2026, 11, 30))
    (closed,) = qbo.push(realm.realm_id, E.INVOICE, [document(E.INVOICE, "INV-1", contact, item)])
    assert closed.rule == "document.after_lock_date" and "Account Period Closed" in closed.message
    assert closed.fix == "booksync invoice edit INV-1 --date YYYY-MM-DD"
    later = document(E.INVOICE, "INV-2", contact, item, issue_date=date(2026, 12, 1))
    gone = companies.add_customer(realm, "Old Client", active=False)
    to_gone = replace(later, payload=replace(later.payload, contact_remote_id=gone["Id"],  # type: ignore[type-var]
                                             contact_name="Old Client"))  # fmt: skip
    (archived,) = qbo.push(realm.realm_id, E.INVOICE, [to_gone])
    assert archived.rule == "contact.not_archived", archived.message
    # Read afresh, the same refusals are made before anything is sent.
    sent_before = len(realm.table("Invoice"))
    fresh = qbo.settings(realm.realm_id)  # type: ignore[attr-defined]
    assert fresh.lock_date == date(2026, 11, 30)
    (early,) = qbo.push(realm.realm_id, E.INVOICE, [document(E.INVOICE, "INV-3", contact, item)])
    assert early.rule == "document.after_lock_date" and "on or before" in early.message
    dollars = document(
        E.INVOICE, "INV-4", contact, item, currency="USD", issue_date=date(2026, 12, 2)
    )
    (foreign,) = qbo.push(realm.realm_id, E.INVOICE, [dollars])
    assert foreign.rule == "currency.enabled" and "multicurrency is off" in foreign.message
    assert len(realm.table("Invoice")) == sent_before
