"""Two-way with QuickBooks Online, end to end (issue 13), the smaller sibling of
test_two_way_xero.py: booksync running as a person runs it (`booksync serve` receiving the
emulator's signed webhooks in Intuit's CloudEvents shape, a `booksync worker`, the CLI and the REST
API), the QuickBooks emulator on the wall clock, and a bookkeeper paying and voiding in QuickBooks
behind booksync's back (through its API with another app's token). What webhooks miss, Change Data
Capture finds (`booksync pull`).
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

from booksync.connectors.quickbooks.connect import QuickBooksSettings
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
from booksync_emulators.quickbooks import Realm
from e2e._two_way import WEBHOOK_KEY, Running, wait_for
from emulators.conftest import QuickBooksEmulatorHandle, StartQuickBooks
from emulators.test_quickbooks_emulator import body, post

# Real processes on one store, as a deployment with webhooks runs: serve and workers on
# PostgreSQL. The same services on SQLite are covered in tests/services/test_inbound_*.py and
# the worker inside `serve` in tests/cli/test_serve_worker.py.
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

D = Decimal
INVOICES = ["QB-3001", "QB-3002", "QB-3003", "QB-3004"]


def browser(url: str) -> None:
    """The person at the consent screen: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=10)


@dataclass
class QuickBooksTwoWay:
    booksync: Running
    qbo: QuickBooksEmulatorHandle
    realm: Realm
    bookkeeper: httpx.Client

    def invoice(self, number: str) -> dict[str, Any]:
        found = self.realm.find("Invoice", "DocNumber", number)
        assert found is not None, f"{number} is not in QuickBooks"
        return found

    def pay(self, number: str, amount: Decimal | None = None) -> None:
        sale = self.invoice(number)
        paid = amount if amount is not None else sale["Balance"]
        payment = {
            "CustomerRef": sale["CustomerRef"],
            "TotalAmt": paid,
            "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": sale["Id"], "TxnType": "Invoice"}]}],
        }
        answer = post(self.bookkeeper, "/payment", payment)
        assert answer.status_code == 200, answer.text

    def void(self, number: str) -> None:
        sale = self.invoice(number)
        answer = post(
            self.bookkeeper,
            "/invoice",
            {"Id": sale["Id"], "SyncToken": sale["SyncToken"]},
            params={"operation": "void"},
        )
        assert answer.status_code == 200, answer.text
        assert body(answer)["Invoice"]["Balance"] == 0

    def quiet(self) -> None:
        assert self.qbo.emulator.webhooks.wait_idle(timeout=30.0)
        wait_for("the worker to handle every webhook event", self.booksync.settled)


def book_invoices(store: Store, handle: QuickBooksEmulatorHandle) -> None:
    """Connect the company (Intuit's sign-in), import it, and write the books."""
    settings = QuickBooksSettings.from_env(
        {
            "BOOKSYNC_QUICKBOOKS_URL": handle.base_url,
            "BOOKSYNC_QUICKBOOKS_CLIENT_ID": handle.client_id,
            "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": handle.client_secret or "",
            "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    handle.emulator.auth.consent_realm = handle.realms[0].realm_id
    with store.session() as s:
        (tenant,) = connect_tool(s, "quickbooks", settings=settings, announce=browser, timeout=30)
        entities = ["client", "product", "invoice"]
        configure_integration(s, "quickbooks", {"enabled": True, "entities_to_sync": entities})
        connector = tenant_connector(tenant, client_secret=handle.client_secret)
        try:
            import_from_tool(s, tenant.name, connector=connector)
        finally:
            connector.close()
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant.name, "GST")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "4100", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "Cost of sales", "code": "5000", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {
                "name": "Managed",
                "tax_rate": "GST on Income",
                "income_account": "4100",
                "expense_account": "5000",
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
                    "lines": [{"product": "Managed backup", "quantity": "1"}],
                },
            )


@pytest.fixture
def quickbooks_two_way(
    store: Store,
    db_url: str,
    quickbooks_emulator_factory: StartQuickBooks,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[QuickBooksTwoWay]:
    handle = quickbooks_emulator_factory(realms=1, account_numbers=True, clock=VirtualClock.real())
    # A token refresh needs the app's secret; the worker reads it from its environment.
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", handle.client_secret or "")
    book_invoices(store, handle)
    booksync = Running(db_url, store)
    handle.emulator.webhooks.configure(
        booksync.webhook_url("quickbooks"),
        WEBHOOK_KEY,
        shape="cloudevents",
        retry_intervals=(0.2, 0.5),
        batch_window=0.05,
    )
    try:
        booksync.start("quickbooks")
        setup = QuickBooksTwoWay(booksync, handle, handle.realm(0), handle.client())
        wait_for("the worker to push every record", booksync.all_synced)
        setup.quiet()  # booksync's own pushes, back by webhook
        assert handle.emulator.webhooks.stats["failed"] == 0, handle.emulator.webhooks.stats
        yield setup
    finally:
        out = booksync.stop()
        print(out)  # shown when a test fails
    assert "Traceback" not in out, out


def signed_legacy(qt: QuickBooksTwoWay, number: str, key: str = WEBHOOK_KEY) -> tuple[bytes, str]:
    """Intuit's legacy `eventNotifications` body for one invoice, and its intuit-signature."""
    entity = {"name": "Invoice", "id": qt.invoice(number)["Id"], "operation": "Update"}
    notification = {
        "realmId": qt.realm.realm_id,
        "dataChangeEvent": {"entities": [{**entity, "lastUpdated": "2026-11-02T09:00:00.000Z"}]},
    }
    raw = json.dumps({"eventNotifications": [notification]}).encode()
    return raw, base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def test_paid_part_paid_and_voided_in_quickbooks_show_in_booksync(
    quickbooks_two_way: QuickBooksTwoWay,
) -> None:
    qt = quickbooks_two_way
    paid, part, voided, untouched = INVOICES
    assert qt.invoice(paid)["TotalAmt"] == D("110.00")

    qt.pay(paid)
    qt.pay(part, D("40.00"))
    qt.void(voided)

    def shows(number: str, status: str) -> dict[str, Any] | None:
        got = qt.booksync.standing(number)
        return got if got["status"] == status else None

    full = wait_for(f"{paid} paid", lambda: shows(paid, "paid"))
    partly = wait_for(f"{part} part paid", lambda: shows(part, "part_paid"))
    wait_for(f"{voided} voided", lambda: shows(voided, "voided"))
    assert (full["amount_paid"], full["amount_due"]) == ("110.00", "0.00")
    assert (partly["amount_paid"], partly["amount_due"]) == ("40.00", "70.00")
    assert [(p["amount"], p["source"]) for p in partly["payments"]] == [("40.00", "tool")]
    assert qt.booksync.standing(untouched)["status"] == "open"


def test_a_forged_webhook_is_refused_and_a_signed_legacy_one_stored(
    quickbooks_two_way: QuickBooksTwoWay,
) -> None:
    qt = quickbooks_two_way
    stored = qt.booksync.inbound()
    url = qt.booksync.webhook_url("quickbooks")
    raw, _ = signed_legacy(qt, INVOICES[0])
    _, forged = signed_legacy(qt, INVOICES[0], key="guessed")

    assert httpx.post(url, content=raw, headers={"intuit-signature": forged}).status_code == 401
    assert httpx.post(url, content=raw).status_code == 401
    assert qt.booksync.inbound() == stored

    raw, good = signed_legacy(qt, INVOICES[0])
    answer = httpx.post(url, content=raw, headers={"intuit-signature": good})
    assert answer.status_code == 200 and answer.content == b""
    assert qt.booksync.inbound() == stored + 1


def test_events_quickbooks_dropped_are_all_found_by_change_data_capture(
    quickbooks_two_way: QuickBooksTwoWay,
) -> None:
    qt = quickbooks_two_way
    hooks = qt.qbo.emulator.webhooks
    stored = qt.booksync.inbound()
    before = hooks.stats["dropped"]
    hooks.drop_all(True)
    changed = {INVOICES[0]: "paid", INVOICES[1]: "part_paid", INVOICES[2]: "voided"}
    qt.pay(INVOICES[0])
    qt.pay(INVOICES[1], D("10.00"))
    qt.void(INVOICES[2])
    assert hooks.wait_idle(timeout=30.0)
    assert hooks.stats["dropped"] - before >= len(changed), hooks.stats
    assert qt.booksync.inbound() == stored, "an event was delivered after all"
    before = {n: qt.booksync.standing(n)["status"] for n in changed}
    assert before == dict.fromkeys(changed, "open"), before
    qt.qbo.emulator.calls.clear()

    pulled = qt.booksync.cli("pull", "--json")

    (tenant,) = pulled["polled"]["tenants"]
    assert tenant["error"] is None and tenant["changes"] >= len(changed)
    assert qt.qbo.emulator.calls["GET cdc"] == 1
    assert {n: qt.booksync.standing(n)["status"] for n in changed} == changed
    assert qt.booksync.standing(INVOICES[1])["amount_paid"] == "10.00"
