"""Two-way with Xero, end to end (issue 13): booksync running as a person runs it (`booksync serve`
receiving the emulator's signed webhooks, a `booksync worker`, the CLI and the REST API), the Xero
emulator on the wall clock, and a bookkeeper working in Xero behind booksync's back (through Xero's
API with another app's token, as a person in Xero's screens would).

Set-up (`xero_two_way`): one AU organisation connected through the real sign-in flow and imported;
a client, a product and `INVOICES` authorised invoices; the webhook key and an API key set with the
CLI; serve and the worker started; Xero's webhooks pointed at serve. The worker pushes the invoices
and every push comes back by webhook (booksync's own echo). The worker polls only when it starts,
so later news comes by webhook, or by the `booksync pull` a test runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.services.connect import connect_tool
from booksync.services.records import (
    ACCOUNT_CODES,
    CLIENTS,
    DOCUMENTS,
    ITEM_GROUPS,
    PRODUCTS,
    TAX_RATES,
    configure_integration,
)
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync_emulators.clock import VirtualClock
from booksync_emulators.xero import Org
from e2e._two_way import WEBHOOK_KEY, Running, wait_for
from emulators.conftest import StartEmulator, XeroEmulatorHandle
from emulators.test_xero_emulator import send

# Real processes on one store, as a deployment with webhooks runs: serve and workers on
# PostgreSQL. The same services on SQLite are covered in tests/services/test_inbound_*.py and
# the worker inside `serve` in tests/cli/test_serve_worker.py.
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

D = Decimal
INVOICES = ["INV-2001", "INV-2002", "INV-2003", "INV-2004", "INV-2005"]
#: Every write booksync could make to Xero's Accounting API, as the emulator counts them.
WRITES = ("POST", "PUT", "DELETE")


def browser(url: str) -> None:
    """The person at the consent screen: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=10)


@dataclass
class XeroTwoWay:
    booksync: Running
    xero: XeroEmulatorHandle
    org: Org
    bookkeeper: httpx.Client

    def invoice(self, number: str) -> dict[str, Any]:
        found = self.org.find("Invoices", "InvoiceNumber", number)
        assert found is not None, f"{number} is not in Xero"
        return found

    def bank(self) -> str:
        return next(a["Code"] for a in self.org.accounts.values() if a["Type"] == "BANK")

    # -- the bookkeeper, in Xero --------------------------------------------------------------------

    def pay(self, number: str, amount: Decimal | None = None) -> None:
        invoice = self.invoice(number)
        payment = {
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "Account": {"Code": self.bank()},
            "Amount": amount if amount is not None else invoice["AmountDue"],
            "Date": invoice["Date"].isoformat()[:10],
        }
        answer = send(self.bookkeeper, "PUT", "/Payments", {"Payments": [payment]})
        assert answer.status_code == 200, answer.text

    def void(self, number: str) -> None:
        invoice_id = self.invoice(number)["InvoiceID"]
        body = {"Invoices": [{"InvoiceID": invoice_id, "Status": "VOIDED"}]}
        answer = send(self.bookkeeper, "POST", f"/Invoices/{invoice_id}", body)
        assert answer.status_code == 200, answer.text

    def edit(self, number: str, **fields: Any) -> None:
        invoice_id = self.invoice(number)["InvoiceID"]
        body = {"Invoices": [{"InvoiceID": invoice_id, **fields}]}
        answer = send(self.bookkeeper, "POST", f"/Invoices/{invoice_id}", body)
        assert answer.status_code == 200, answer.text

    def writes(self) -> int:
        calls = self.xero.emulator.calls
        return sum(n for name, n in calls.items() if name.split(" ")[0] in WRITES)

    def quiet(self) -> None:
        """Every webhook Xero has to send delivered, and every event booksync stored handled."""
        assert self.xero.emulator.webhooks.wait_idle(timeout=30.0)
        wait_for("the worker to handle every webhook event", self.booksync.settled)


def book_invoices(store: Store, handle: XeroEmulatorHandle) -> None:
    """Connect the organisation (PKCE sign-in), import it, and write the books."""
    app = handle.emulator.auth.register_client("booksync-e2e-two-way", None)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": app.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        (tenant,) = connect_tool(s, "xero", settings=settings, announce=browser, timeout=30)
        entities = ["client", "product", "invoice", "credit_note"]
        configure_integration(s, "xero", {"enabled": True, "entities_to_sync": entities})
        connector = tenant_connector(tenant)
        try:
            import_from_tool(s, tenant.name, connector=connector)
        finally:
            connector.close()
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant.name, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Cost of Goods Sold", "code": "310", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {
                "name": "Managed",
                "tax_rate": "GST on Income",
                "income_account": "200",
                "expense_account": "310",
            },
        )
        CLIENTS.create(s, {"name": "Harbour Dental", "tenant": tenant.name})
        PRODUCTS.create(
            s,
            {
                "name": "Managed backup",
                "code": "MB-1",
                "price": "100.00",
                "item_group": "Managed",
                "use_item_group_tax": True,
                "tenant": tenant.name,
            },
        )
        for number in INVOICES:
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": number,
                    "party": "Harbour Dental",
                    "status": "authorised",
                    "due_date": (date.today() + timedelta(days=14)).isoformat(),
                    "reference": "Backup November",
                    "lines": [{"product": "Managed backup", "quantity": "1"}],
                },
            )


@pytest.fixture
def xero_two_way(
    store: Store, db_url: str, xero_emulator_factory: StartEmulator
) -> Iterator[XeroTwoWay]:
    handle = xero_emulator_factory(tenants=1, regions=("AU",), clock=VirtualClock.real())
    book_invoices(store, handle)
    booksync = Running(db_url, store)
    handle.emulator.webhooks.configure(
        booksync.webhook_url("xero"), WEBHOOK_KEY, retry_intervals=(0.2, 0.5), batch_window=0.05
    )
    try:
        booksync.start("xero")
        intent = handle.emulator.webhooks.intent_to_receive()
        assert intent.ok, intent  # Xero's intent-to-receive: 200 signed, 401 not
        setup = XeroTwoWay(booksync, handle, handle.org(), handle.client())
        wait_for("the worker to push every record", booksync.all_synced)
        setup.quiet()  # booksync's own pushes, back by webhook
        assert handle.emulator.webhooks.stats["failed"] == 0, handle.emulator.webhooks.stats
        yield setup
    finally:
        out = booksync.stop()
        print(out)  # shown when a test fails
    assert "Traceback" not in out, out


def sign(body: bytes, key: str = WEBHOOK_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event_for(xt: XeroTwoWay, number: str) -> bytes:
    invoice_id = xt.invoice(number)["InvoiceID"]
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}",
        "resourceId": invoice_id,
        "eventDateUtc": "2026-11-02T09:00:00.000",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": xt.org.tenant_id,
        "tenantType": "ORGANISATION",
    }
    body = {"events": [event], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "X"}
    return json.dumps(body).encode()


# --- the tests ------------------------------------------------------------------------------------


def test_paid_part_paid_and_voided_in_xero_show_in_booksync(xero_two_way: XeroTwoWay) -> None:
    xt = xero_two_way
    paid, part, voided, untouched = INVOICES[:4]
    assert xt.invoice(paid)["Total"] == D("110.00")

    xt.pay(paid)
    xt.pay(part, D("40.00"))
    xt.void(voided)

    def shows(number: str, status: str) -> dict[str, Any] | None:
        # Not also waiting for the payments: a status is never read without the payments behind
        # it (services/inbound/document_locks.py; CI once read "paid" with none before it).
        got = xt.booksync.standing(number)
        return got if got["status"] == status else None

    shown = {
        number: wait_for(f"{number} {status}", lambda n=number, s=status: shows(n, s))
        for number, status in ((paid, "paid"), (part, "part_paid"), (voided, "voided"))
    }
    assert (shown[paid]["amount_paid"], shown[paid]["amount_due"]) == ("110.00", "0.00")
    assert (shown[part]["amount_paid"], shown[part]["amount_due"]) == ("40.00", "70.00")
    assert not shown[voided]["payments"]
    assert [(p["amount"], p["source"]) for p in shown[paid]["payments"]] == [("110.00", "tool")]
    assert [(p["amount"], p["source"]) for p in shown[part]["payments"]] == [("40.00", "tool")]
    assert xt.booksync.standing(untouched)["status"] == "open"
    listed = xt.booksync.cli("payments", "list", "--json")
    assert sorted((p["document"], p["amount"]) for p in listed) == [
        (paid, "110.00"),
        (part, "40.00"),
    ]


def test_a_forged_webhook_is_refused_and_stores_nothing(xero_two_way: XeroTwoWay) -> None:
    xt = xero_two_way
    stored = xt.booksync.inbound()
    body = event_for(xt, INVOICES[0])
    url = xt.booksync.webhook_url("xero")

    forged = httpx.post(url, content=body, headers={"x-xero-signature": sign(body, "guessed")})
    unsigned = httpx.post(url, content=body)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert xt.booksync.inbound() == stored

    signed = httpx.post(url, content=body, headers={"x-xero-signature": sign(body)})
    assert signed.status_code == 200 and signed.content == b""
    assert xt.booksync.inbound() == stored + 1


def test_events_xero_dropped_are_all_found_by_pull(xero_two_way: XeroTwoWay) -> None:
    xt = xero_two_way
    hooks = xt.xero.emulator.webhooks
    stored = xt.booksync.inbound()
    dropped_before = hooks.stats["dropped"]
    hooks.drop_all(True)
    changed = {INVOICES[0]: "paid", INVOICES[1]: "part_paid", INVOICES[2]: "voided"}
    xt.pay(INVOICES[0])
    xt.pay(INVOICES[1], D("10.00"))
    xt.void(INVOICES[2])
    xt.edit(INVOICES[3], Reference="PO 7781")
    assert hooks.wait_idle(timeout=30.0)
    dropped = hooks.stats["dropped"] - dropped_before
    assert dropped >= 4, hooks.stats
    assert xt.booksync.inbound() == stored, "an event was delivered after all"
    before = {n: xt.booksync.standing(n)["status"] for n in changed}
    assert before == dict.fromkeys(changed, "open"), before

    pulled = xt.booksync.cli("pull", "--json")

    (tenant,) = pulled["polled"]["tenants"]
    assert tenant["error"] is None and tenant["changes"] >= len(changed)
    assert {n: xt.booksync.standing(n)["status"] for n in changed} == changed
    assert xt.booksync.standing(INVOICES[1])["amount_paid"] == "10.00"
    assert xt.booksync.inbound() == stored


def test_an_edit_of_an_invoice_paid_in_xero_is_held_and_reissued(
    xero_two_way: XeroTwoWay,
) -> None:
    xt = xero_two_way
    number = INVOICES[0]
    xt.pay(number)
    wait_for("the payment", lambda: xt.booksync.standing(number)["status"] == "paid")
    writes = xt.writes()

    xt.booksync.cli("invoice", "edit", number, "--line", "Managed backup:2")

    def held() -> list[str]:
        """The reasons the worker holds the edit for, once it has weighed it."""
        blocked = [j for j in xt.booksync.jobs().values() if j.status == "blocked"]
        return [r["id"] for j in blocked for r in j.blocked_reasons or []]

    assert wait_for("the worker to hold the edit", held) == ["document.editable_in_tool"]
    found = xt.booksync.cli("doctor", "invoice", number, "--json", check=False)
    (check,) = [c for c in json.loads(found.stdout)["checks"] if c["status"] == "blocked"]
    assert check["id"] == "document.editable_in_tool"
    assert check["fix"] == f"booksync invoice reissue {number}"
    assert xt.writes() == writes, "the edit of a paid invoice was pushed"
    assert xt.invoice(number)["Total"] == D("110.00")

    xt.booksync.cli("invoice", "reissue", number)

    new = wait_for(
        "the new invoice in Xero", lambda: xt.org.find("Invoices", "InvoiceNumber", f"{number}-R1")
    )
    note = wait_for(
        "the credit note in Xero",
        lambda: xt.org.find("CreditNotes", "CreditNoteNumber", f"{number}-CN1"),
    )
    assert new["Total"] == D("220.00") and note["Total"] == D("110.00")
    assert note["Type"] == "ACCRECCREDIT"
    wait_for("everything synced", xt.booksync.all_synced)
    assert xt.invoice(number)["Total"] == D("110.00") and xt.invoice(number)["Status"] == "PAID"


def test_own_pushes_are_no_drift_and_a_bookkeepers_edit_is(xero_two_way: XeroTwoWay) -> None:
    xt = xero_two_way
    jobs = xt.booksync.jobs()
    assert all(j.pushed_fields for j in jobs.values()), (
        "sync_jobs.pushed_fields is not written at push time: drift cannot be measured"
    )
    assert xt.booksync.inbound("done") >= len(INVOICES)  # the pushes came back by webhook
    assert xt.booksync.cli("drift", "--json") == []

    xt.edit(INVOICES[1], Reference="PO 9912")
    line = xt.invoice(INVOICES[2])["LineItems"][0]
    kept = ("LineItemID", "Description", "Quantity", "ItemCode", "AccountCode", "TaxType")
    # Xero recomputes the line and tax amounts from the new unit price (sending the old
    # LineAmount with it is refused: "does not equal Quantity x UnitAmount").
    xt.edit(INVOICES[2], LineItems=[{**{k: line[k] for k in kept}, "UnitAmount": D("95.00")}])
    xt.quiet()

    found = {d["ref"]: d for d in xt.booksync.cli("drift", "--json")}
    assert set(found) == {INVOICES[1], INVOICES[2]}
    fields = {n: {r["field"] for r in d["fields"] if r["changed"]} for n, d in found.items()}
    assert "reference" in fields[INVOICES[1]]
    assert any("lines" in f or "amount" in f or "price" in f for f in fields[INVOICES[2]])
