"""Many documents in an emulated tool, typed there long ago, for bench/two_way.py (b), and the bound
on the calls a poll with nothing new may make.

One invoice is made the way the tool makes it (Xero: `Org.add_document`, validated as a PUT;
QuickBooks: POST /invoice with the company's seeded token), then copied under new ids and numbers
straight into the emulator's store: ten thousand validated saves would only time the emulator.
Every copy, and the contact or customer, is stamped `ago` or more in the past (Xero's
UpdatedDateUTC; QuickBooks' MetaData and the exact change time CDC reads), outside the poll's
overlap; QuickBooks' copies a second apart, as a company's history is (CDC lists at most 1,000
objects per call and pages by change time, so 1,000 changed in one second could not be read).
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from bench._two_way_setup import Tool
from booksync.services.inbound.polling import OVERLAP
from booksync_emulators.jsontext import dumps
from booksync_emulators.quickbooks import API_PREFIX, QuickBooksEmulator
from booksync_emulators.xero import XeroEmulator


def pull_bound(kind: str) -> tuple[int, str]:
    """The calls one poll of a tenant syncing clients, products and invoices may make when
    nothing changed, and why."""
    if kind == "xero":
        # Contacts (clients), Items (products), Invoices, and Payments (they mark invoices)
        return 4, "one GET each of Contacts, Items, Invoices, Payments"
    return 1, "one CDC call for Customer, Item, Invoice and Payment"


def fill_tool(tool: Tool, documents: int, ago: timedelta) -> int:
    """`documents` invoices in the tool, last changed `ago`; returns how many it holds."""
    assert ago > OVERLAP, "the documents must be older than the poll's overlap"
    past = datetime.now(UTC) - ago
    if isinstance(tool.emulator, XeroEmulator):
        return _xero(tool.emulator, documents, past)
    assert isinstance(tool.emulator, QuickBooksEmulator)
    return _quickbooks(tool, tool.emulator, documents, past)


def _xero(emulator: XeroEmulator, documents: int, past: datetime) -> int:
    org = next(iter(emulator.orgs.values()))
    contact = org.add_contact("Typed In Xero Ltd")
    line = {"Description": "Typed", "Quantity": Decimal(1), "UnitAmount": Decimal(100)}
    element = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact["ContactID"]},
        "Status": "AUTHORISED",
        "Date": past.date().isoformat(),
        "DueDate": (past.date() + timedelta(days=14)).isoformat(),
        "LineItems": [line | {"AccountCode": "200", "TaxType": "OUTPUT"}],
    }
    first = org.add_document("Invoices", element, now=past)
    invoices = org.collection("Invoices")
    with org.lock:
        contact["UpdatedDateUTC"] = past
        for n in range(2, documents + 1):
            made = copy.deepcopy(first)
            made["InvoiceID"] = str(uuid.uuid4())
            made["InvoiceNumber"] = f"TYPED-{n:06d}"
            invoices[made["InvoiceID"]] = made
    return sum(1 for i in invoices.values() if i["InvoiceNumber"].startswith(("TYPED", "INV-")))


def _quickbooks(tool: Tool, emulator: QuickBooksEmulator, documents: int, past: datetime) -> int:
    realm = emulator.realms[tool.tenant_id]
    token = tool.bookkeeper_token
    http = httpx.Client(
        base_url=f"{tool.server.url}{API_PREFIX}/{realm.realm_id}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=30,
    )
    try:
        answer = http.post(
            "/customer",
            content=dumps({"DisplayName": "Typed In QuickBooks Ltd"}),
            headers={"Content-Type": "application/json"},
        )
        answer.raise_for_status()
        customer = json.loads(answer.text)["Customer"]
        # The seeded company's first item and its GST tax code (tests/emulators: HOURS, GST).
        item, gst = "1", "1"
        sale = {
            "CustomerRef": {"value": customer["Id"]},
            "DocNumber": "TYPED-000001",
            "Line": [
                {
                    "Amount": Decimal(100),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item},
                        "Qty": Decimal(1),
                        "UnitPrice": Decimal(100),
                        "TaxCodeRef": {"value": gst},
                    },
                }
            ],
        }
        answer = http.post(
            "/invoice", content=dumps(sale), headers={"Content-Type": "application/json"}
        )
        answer.raise_for_status()
        first = json.loads(answer.text, parse_float=Decimal)["Invoice"]
    finally:
        http.close()
    stamp = past.isoformat(timespec="seconds")
    table = realm.table("Invoice")
    with realm.lock:
        realm.touched[("Customer", customer["Id"])] = past
        realm.table("Customer")[customer["Id"]]["MetaData"]["LastUpdatedTime"] = stamp
        first_record = table[first["Id"]]
        for n in range(1, documents + 1):
            made = first_record if n == 1 else copy.deepcopy(first_record)
            if n > 1:
                made["Id"] = realm.new_id("Invoice")
                made["DocNumber"] = f"TYPED-{n:06d}"
                table[made["Id"]] = made
            when = past - timedelta(seconds=documents - n)
            text = when.isoformat(timespec="seconds")
            made["MetaData"] = {"CreateTime": text, "LastUpdatedTime": text}
            realm.touched[("Invoice", made["Id"])] = when
    return sum(1 for i in table.values() if str(i.get("DocNumber", "")).startswith("TYPED"))
