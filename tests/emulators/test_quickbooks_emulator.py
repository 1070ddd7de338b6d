"""The QuickBooks Online emulator behaves like QBO where a connector can tell: OAuth and token lives,
throttles, names, SyncToken, validation codes, tax and totals, queries, batches, requestid replay,
several companies, fault switches, and its command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booksync_emulators.cli import main as cli_main
from booksync_emulators.quickbooks import QboLimits, TokenPolicy
from booksync_emulators.quickbooks.wire import dumps
from emulators.conftest import QuickBooksEmulatorHandle

D = Decimal
GST, FRE, EXP, CAP = "1", "2", "4", "5"  # seeded tax code Ids
HOURS, SALES = "1", "2"  # seeded item Ids


# --- helpers -----------------------------------------------------------------------------------------


def body(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


def post(http: httpx.Client, path: str, payload: Any, **kwargs: Any) -> httpx.Response:
    """POST a QBO JSON body with exact decimals (never floats)."""
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return http.post(path, content=dumps(payload), headers=headers, **kwargs)


def fault(response: httpx.Response) -> tuple[str, str]:
    """(code, Detail) of a 400 Fault's first Error."""
    assert response.status_code == 400, response.text
    error = body(response)["Fault"]["Error"][0]
    return error["code"], error["Detail"]


def line(
    amount: str, qty: str = "1", price: str | None = None, item: str = HOURS, tax: str | None = GST
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "ItemRef": {"value": item},
        "Qty": D(qty),
        "UnitPrice": D(price or amount),
    }
    if tax is not None:
        detail["TaxCodeRef"] = {"value": tax}
    return {"Amount": D(amount), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def customer(http: httpx.Client, name: str = "Acme Pty Ltd", **extra: Any) -> dict[str, Any]:
    answer = post(http, "/customer", {"DisplayName": name, **extra})
    assert answer.status_code == 200, answer.text
    return body(answer)["Customer"]


def invoice(customer_id: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer_id}, "Line": list(lines) or [line("100.00")], **extra}


def token_call(handle: QuickBooksEmulatorHandle, **form: str) -> httpx.Response:
    return httpx.post(
        handle.token_url, data=form, auth=(handle.client_id, handle.client_secret or "")
    )


def refresh(handle: QuickBooksEmulatorHandle, token: str) -> httpx.Response:
    return token_call(handle, grant_type="refresh_token", refresh_token=token)


# --- OAuth and tokens --------------------------------------------------------------------------------


def test_the_discovery_document_leads_through_the_authorization_code_flow(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    document = httpx.get(handle.discovery_url + "/").json()  # intuitlib asks with a trailing slash
    assert document["token_endpoint"] == handle.token_url
    assert document["revocation_endpoint"] == handle.revoke_url
    handle.emulator.auth.consent_realm = handle.realms[1].realm_id
    params = {
        "client_id": handle.client_id,
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting openid",
        "redirect_uri": "https://app.example/callback",
        "state": "xyz",
    }
    consent = httpx.get(document["authorization_endpoint"], params=params)
    assert consent.status_code == 302
    back = parse_qs(urlsplit(consent.headers["Location"]).query)
    assert back["state"] == ["xyz"] and back["realmId"] == [handle.realms[1].realm_id]

    exchange = {"code": back["code"][0], "redirect_uri": "https://app.example/callback"}
    tokens = token_call(handle, grant_type="authorization_code", **exchange)
    assert tokens.status_code == 200, tokens.text
    issued = tokens.json()
    assert issued["token_type"] == "bearer"
    assert issued["expires_in"] == 3600
    assert issued["x_refresh_token_expires_in"] == 100 * 86_400
    assert issued["x_refresh_token_hard_expires_in"] == 5 * 365 * 86_400
    api = handle.client(1, token=issued["access_token"])
    assert api.get("/preferences").status_code == 200

    again = token_call(handle, grant_type="authorization_code", **exchange)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")  # a code works once
    stranger = httpx.post(
        handle.token_url,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(handle.client_id, "wrong"),
    )
    assert (stranger.status_code, stranger.json()["error"]) == (401, "invalid_client")


def test_authorize_refuses_an_unknown_app_and_an_unknown_scope(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    params = {
        "client_id": "nobody",
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "redirect_uri": "https://a/cb",
    }
    unknown = httpx.get(quickbooks_emulator.authorize_url, params=params)
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    params.update(client_id=quickbooks_emulator.client_id, scope="com.intuit.quickbooks.everything")
    bad_scope = httpx.get(quickbooks_emulator.authorize_url, params=params)
    assert parse_qs(urlsplit(bad_scope.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_access_tokens_expire_after_one_virtual_hour_with_the_gateways_401(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    quickbooks_emulator.clock.advance(3599)
    assert http.get("/preferences").status_code == 200
    quickbooks_emulator.clock.advance(1)
    expired = http.get("/preferences")
    assert expired.status_code == 401
    error = expired.json()["fault"]["error"][0]
    assert (error["code"], expired.json()["fault"]["type"]) == ("3200", "AUTHENTICATION")
    assert error["detail"].startswith("Token expired")
    anonymous = httpx.get(quickbooks_emulator.company_url() + "/preferences")
    assert anonymous.status_code == 401


def test_a_refresh_token_is_reissued_for_24_hours_then_rotated_and_the_old_one_retired(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    first = quickbooks_emulator.realms[0].refresh_token
    quickbooks_emulator.clock.advance(timedelta(hours=23))
    same = refresh(quickbooks_emulator, first).json()
    assert same["refresh_token"] == first
    assert same["x_refresh_token_expires_in"] == 100 * 86_400  # its 100 days restarted
    quickbooks_emulator.clock.advance(timedelta(hours=1))
    rotated = refresh(quickbooks_emulator, first).json()
    assert rotated["refresh_token"] != first
    old = refresh(quickbooks_emulator, first)
    assert (old.status_code, old.json()["error"]) == (400, "invalid_grant")
    fresh = quickbooks_emulator.client(token=rotated["access_token"])
    assert fresh.get("/preferences").status_code == 200


def test_refresh_tokens_die_after_100_unused_days_and_never_outlive_the_five_year_grant(
    quickbooks_emulator_factory: Any,
) -> None:
    handle = quickbooks_emulator_factory(tokens=TokenPolicy(rotate_after=timedelta(0)))
    handle.clock.advance(timedelta(days=100))
    assert refresh(handle, handle.realms[0].refresh_token).status_code == 400

    token = handle.emulator.connect(handle.realms[1].realm_id).refresh_token  # a new grant
    for _ in range(18):  # kept alive: used every 99 days
        handle.clock.advance(timedelta(days=99))
        answer = refresh(handle, token).json()
        token = answer["refresh_token"]
    assert answer["x_refresh_token_expires_in"] == answer["x_refresh_token_hard_expires_in"]
    assert answer["x_refresh_token_hard_expires_in"] < 100 * 86_400
    handle.clock.advance(answer["x_refresh_token_hard_expires_in"])
    assert refresh(handle, token).json()["error"] == "invalid_grant"


def test_a_revoked_grant_answers_401_and_leaves_the_other_company_alone(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    revoked = httpx.post(
        quickbooks_emulator.revoke_url,
        json={"token": quickbooks_emulator.realms[0].refresh_token},
        auth=(quickbooks_emulator.client_id, quickbooks_emulator.client_secret or ""),
    )
    assert revoked.status_code == 200
    gone = quickbooks_emulator.client(0).get("/preferences")
    assert (gone.status_code, gone.json()["fault"]["error"][0]["detail"]) == (401, "Token revoked")
    assert (
        refresh(quickbooks_emulator, quickbooks_emulator.realms[0].refresh_token).status_code == 400
    )
    assert quickbooks_emulator.client(1).get("/preferences").status_code == 200


def test_a_token_reaches_only_its_own_company_and_only_with_the_accounting_scope(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    realm_0_token = quickbooks_emulator.realms[0].access_token
    elsewhere = quickbooks_emulator.client(1, token=realm_0_token).get("/preferences")
    assert elsewhere.status_code == 403
    assert body(elsewhere)["Fault"]["type"] == "AuthorizationFault"
    assert body(elsewhere)["Fault"]["Error"][0]["code"] == "120"
    realm_id = quickbooks_emulator.realms[0].realm_id
    openid_only = quickbooks_emulator.emulator.auth.connect(
        quickbooks_emulator.client_id, realm_id, scope="openid"
    )
    narrow = quickbooks_emulator.client(0, token=openid_only.access_token).get("/preferences")
    assert (narrow.status_code, narrow.json()["fault"]["error"][0]["code"]) == (403, "3100")


# --- throttles -----------------------------------------------------------------------------------------


def test_the_501st_call_in_a_minute_is_throttled_until_the_minute_passes(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    assert all(http.get("/preferences").status_code == 200 for _ in range(500))
    refused = http.get("/preferences")
    assert refused.status_code == 429
    error = body(refused)["Fault"]["Error"][0]
    assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"]
    assert "Retry-After" not in refused.headers  # QBO says: wait 60 seconds
    assert quickbooks_emulator.client(1).get("/preferences").status_code == 200  # per company
    quickbooks_emulator.clock.advance(59.9)
    assert http.get("/preferences").status_code == 429
    quickbooks_emulator.clock.advance(0.1)
    assert http.get("/preferences").status_code == 200
    assert quickbooks_emulator.emulator.limiter.used(quickbooks_emulator.realms[0].realm_id) == 1


def test_the_eleventh_call_in_flight_to_a_company_is_throttled(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    gate = quickbooks_emulator.faults.hold(10)
    results: list[int] = []

    def call() -> None:
        with httpx.Client(
            base_url=quickbooks_emulator.company_url(), headers=quickbooks_emulator.headers()
        ) as http:
            results.append(http.get("/preferences").status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    try:
        assert gate.wait_for_waiting(10)
        assert quickbooks_emulator.client().get("/preferences").status_code == 429
    finally:
        gate.release()
        for thread in threads:
            thread.join(timeout=10)
    assert results == [200] * 10


def test_the_41st_batch_in_a_minute_is_throttled_while_single_calls_still_pass(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    one = {"BatchItemRequest": [{"bId": "q", "Query": "select count(*) from Item"}]}
    assert all(post(http, "/batch", one).status_code == 200 for _ in range(40))
    assert post(http, "/batch", one).status_code == 429
    assert http.get("/preferences").status_code == 200


# --- names -----------------------------------------------------------------------------------------------


def test_display_names_are_unique_across_customers_vendors_and_employees_ignoring_case(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    customer(http, "Acme Pty Ltd")
    for entity in ("vendor", "employee", "customer"):
        code, detail = fault(post(http, f"/{entity}", {"DisplayName": "  ACME pty ltd "}))
        assert code == "6240" and "customer, vendor or employee" in detail
    assert post(http, "/vendor", {"DisplayName": "Dicker Data"}).status_code == 200
    assert fault(post(http, "/customer", {"DisplayName": "dicker data"}))[0] == "6240"
    other_company = quickbooks_emulator.client(1)
    assert post(other_company, "/vendor", {"DisplayName": "Acme Pty Ltd"}).status_code == 200


def test_an_inactive_name_is_renamed_deleted_which_frees_the_name(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http, "Acme")
    gone = post(
        http,
        "/customer",
        {"Id": acme["Id"], "SyncToken": acme["SyncToken"], "sparse": True, "Active": False},
    )
    assert body(gone)["Customer"]["DisplayName"] == "Acme (deleted)"
    customer(http, "Acme")  # the name is free again
    back = post(
        http, "/customer", {"Id": acme["Id"], "SyncToken": "1", "sparse": True, "Active": True}
    )
    assert fault(back)[0] == "6240"  # "Acme" is taken by the new one


def test_a_display_name_is_built_from_name_parts_or_else_required_and_at_most_500_characters(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    built = post(http, "/customer", {"Title": "Dr", "GivenName": "Ada", "FamilyName": "Lovelace"})
    assert body(built)["Customer"]["DisplayName"] == "Dr Ada Lovelace"
    assert fault(post(http, "/customer", {"CompanyName": "No Name Co"})) == (
        "2020",
        "Required parameter DisplayName is missing in the request",
    )
    code, detail = fault(post(http, "/customer", {"DisplayName": "x" * 501}))
    assert code == "2050" and "Max:500" in detail


# --- SyncToken, updates, reads, deletes -----------------------------------------------------------------


def test_updates_need_the_current_sync_token_and_sparse_ones_keep_what_is_not_sent(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http, "Acme", PrimaryEmailAddr={"Address": "a@acme.example"}, Notes="VIP")
    sparse = post(
        http, "/customer", {"Id": acme["Id"], "SyncToken": "0", "sparse": True, "Notes": "Gold"}
    )
    updated = body(sparse)["Customer"]
    assert (updated["SyncToken"], updated["Notes"]) == ("1", "Gold")
    assert updated["PrimaryEmailAddr"] == {"Address": "a@acme.example"}
    assert updated["MetaData"]["CreateTime"] == acme["MetaData"]["CreateTime"]

    assert (
        fault(
            post(
                http,
                "/customer",
                {"Id": acme["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
            )
        )[0]
        == "5010"
    )
    assert (
        fault(post(http, "/customer", {"Id": acme["Id"], "sparse": True, "Notes": "x"}))[0]
        == "5010"
    )
    assert (
        fault(post(http, "/customer", {"Id": "999", "SyncToken": "0", "DisplayName": "x"}))[0]
        == "610"
    )
    assert (
        quickbooks_emulator.realm().get("Customer", acme["Id"])["Notes"] == "Gold"
    )  # nothing applied

    full = body(
        post(http, "/customer", {"Id": acme["Id"], "SyncToken": "1", "DisplayName": "Acme"})
    )["Customer"]
    assert full["SyncToken"] == "2"
    assert (
        "PrimaryEmailAddr" not in full and "Notes" not in full
    )  # a full update clears what is not sent


def test_unknown_and_deleted_objects_are_610_and_names_cannot_be_deleted(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    made = body(post(http, "/invoice", invoice(acme["Id"])))["Invoice"]
    assert body(http.get(f"/invoice/{made['Id']}", params={"minorversion": "75"}))["Invoice"][
        "TotalAmt"
    ] == D("110.00")
    deleted = post(
        http, "/invoice", {"Id": made["Id"], "SyncToken": "0"}, params={"operation": "delete"}
    )
    assert body(deleted)["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": made["Id"]}
    assert fault(http.get(f"/invoice/{made['Id']}"))[0] == "610"
    assert fault(http.get("/customer/4242"))[0] == "610"
    code, detail = fault(
        post(
            http, "/customer", {"Id": acme["Id"], "SyncToken": "0"}, params={"operation": "delete"}
        )
    )
    assert code == "500" and "inactive" in detail
    assert fault(http.get("/preferences", params={"minorversion": "latest"}))[0] == "2010"


# --- items -----------------------------------------------------------------------------------------------


def test_items_need_a_unique_name_a_type_and_an_income_account(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    realm = quickbooks_emulator.realm()
    income = realm.account_named("Sales of Product Income")["Id"]
    cogs = realm.account_named("Cost of Goods Sold")["Id"]
    item = {
        "Name": "Backup Plan",
        "Type": "Service",
        "IncomeAccountRef": {"value": income},
        "UnitPrice": D("49.95"),
    }
    made = body(post(http, "/item", {**item, "ExpenseAccountRef": {"value": cogs}}))["Item"]
    assert made["IncomeAccountRef"] == {"value": income, "name": "Sales of Product Income"}
    assert made["UnitPrice"] == D("49.95")
    assert fault(post(http, "/item", {**item, "Name": "backup plan"}))[0] == "6240"
    assert fault(post(http, "/item", {**item, "Name": "Other", "Type": None})) == (
        "2020",
        "Required parameter Type is missing in the request",
    )
    assert fault(post(http, "/item", {"Name": "Other", "Type": "Service"}))[0] == "2020"
    assert (
        fault(post(http, "/item", {**item, "Name": "Other", "IncomeAccountRef": {"value": "777"}}))[
            0
        ]
        == "2500"
    )
    code, detail = fault(
        post(http, "/item", {**item, "Name": "Other", "IncomeAccountRef": {"value": cogs}})
    )
    assert code == "6000" and "Cost of Goods Sold account" in detail


# --- invoices, tax and totals -----------------------------------------------------------------------------


def test_invoice_tax_is_computed_per_line_at_two_decimals_and_summed_per_rate(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    lines = [
        line("0.33"),
        line("0.33"),
        line("0.33"),
        line("25.00", qty="2.5", price="10", tax=FRE),
    ]
    made = body(post(http, "/invoice", invoice(acme["Id"], *lines)))["Invoice"]
    detail = made["TxnTaxDetail"]
    assert detail["TotalTax"] == D("0.09")  # 3 x 0.03, not 10 % of 0.99
    by_rate = {t["TaxLineDetail"]["TaxRateRef"]["value"]: t for t in detail["TaxLine"]}
    assert by_rate["1"]["Amount"] == D("0.09")
    assert by_rate["1"]["TaxLineDetail"]["NetAmountTaxable"] == D("0.99")
    assert by_rate["3"]["Amount"] == D("0.00")  # GST free (sales)
    assert made["TotalAmt"] == made["Balance"] == D("26.08")
    assert made["Line"][-1] == {
        "Amount": D("25.99"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    assert made["CustomerRef"] == {"value": acme["Id"], "name": "Acme Pty Ltd"}
    assert (made["GlobalTaxCalculation"], made["CurrencyRef"]["value"]) == ("TaxExcluded", "AUD")
    no_tax = body(
        post(
            http,
            "/invoice",
            invoice(acme["Id"], line("10.00", tax=None), GlobalTaxCalculation="NotApplicable"),
        )
    )
    assert no_tax["Invoice"]["TotalAmt"] == D("10.00")


def test_with_custom_numbers_a_taken_number_is_6140_unless_allowed_and_none_sent_is_none(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    """The fixture's companies have custom transaction numbers on (booksync's numbers); without
    custom numbers QBO numbers forms itself (tests/emulators/test_quickbooks_companies.py)."""
    http = quickbooks_emulator.client()
    acme = customer(http)
    assert "DocNumber" not in body(post(http, "/invoice", invoice(acme["Id"])))["Invoice"]
    assert (
        body(post(http, "/invoice", invoice(acme["Id"], DocNumber="INV-7")))["Invoice"]["DocNumber"]
        == "INV-7"
    )
    code, detail = fault(post(http, "/invoice", invoice(acme["Id"], DocNumber="INV-7")))
    assert code == "6140" and "DocNumber=INV-7" in detail
    allowed = post(
        http,
        "/invoice",
        invoice(acme["Id"], DocNumber="INV-7"),
        params={"include": "allowduplicatedocnum"},
    )
    assert allowed.status_code == 200
    assert fault(post(http, "/invoice", invoice(acme["Id"], DocNumber="X" * 22)))[0] == "2050"
    estimate = body(
        post(http, "/estimate", invoice(acme["Id"], DocNumber="INV-7"))
    )  # numbers are per type
    assert estimate["Estimate"]["DocNumber"] == "INV-7"


def test_bad_references_tax_codes_and_amounts_are_refused_with_qbos_codes(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    cases = {
        "unknown item": (invoice(acme["Id"], line("10.00", item="404")), "2500", "ItemRef"),
        "unknown customer": (invoice("404"), "2500", "CustomerRef"),
        "no customer": ({"Line": [line("10.00")]}, "2020", "CustomerRef"),
        "no tax code": (invoice(acme["Id"], line("10.00", tax=None)), "6000", "GST rate"),
        "unknown tax code": (invoice(acme["Id"], line("10.00", tax="99")), "6000", "tax code"),
        "purchase-only code": (
            invoice(acme["Id"], line("10.00", tax=CAP)),
            "6000",
            "can't be used on sales",
        ),
        "amount not qty x price": (
            invoice(acme["Id"], line("10.00", qty="3", price="3.33")),
            "6070",
            "Supplied value:10.00",
        ),
        "no lines": (invoice(acme["Id"], Line=[]), "2020", "Line"),
        "tax inclusive": (
            invoice(acme["Id"], GlobalTaxCalculation="TaxInclusive"),
            "6000",
            "TaxInclusive",
        ),
    }
    for case, (payload, code, words) in cases.items():
        got_code, detail = fault(post(http, "/invoice", payload))
        assert (got_code, words in detail) == (code, True), (case, detail)
    assert quickbooks_emulator.realm().table("Invoice") == {}  # nothing half-written


def test_estimates_stand_in_for_sales_orders_and_credit_memos_and_sales_receipts_total_alike(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    lines = (line("100.00", qty="2", price="50"),)
    estimate = body(
        post(http, "/estimate", invoice(acme["Id"], *lines, ExpirationDate="2026-12-01"))
    )["Estimate"]
    assert (estimate["TxnStatus"], estimate["TotalAmt"], estimate["ExpirationDate"]) == (
        "Pending",
        D("110.00"),
        "2026-12-01",
    )
    assert "Balance" not in estimate
    memo = body(post(http, "/creditmemo", invoice(acme["Id"], *lines)))["CreditMemo"]
    assert memo["RemainingCredit"] == memo["Balance"] == D("110.00")
    receipt = body(post(http, "/salesreceipt", invoice(acme["Id"], *lines)))["SalesReceipt"]
    assert (receipt["Balance"], receipt["DepositToAccountRef"]["name"]) == (
        D("0.00"),
        "Undeposited Funds",
    )
    bad = invoice(acme["Id"], TxnStatus="Maybe")
    assert fault(post(http, "/estimate", bad))[0] == "2010"


def test_purchase_orders_take_vendor_item_and_account_lines_with_purchase_tax_codes(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    realm = quickbooks_emulator.realm()
    vendor = body(post(http, "/vendor", {"DisplayName": "Dicker Data"}))["Vendor"]
    income, cogs = (
        realm.account_named("Sales of Product Income")["Id"],
        realm.account_named("Cost of Goods Sold")["Id"],
    )
    item = body(
        post(
            http,
            "/item",
            {
                "Name": "Disk",
                "Type": "NonInventory",
                "IncomeAccountRef": {"value": income},
                "ExpenseAccountRef": {"value": cogs},
                "PurchaseDesc": "4 TB disk",
            },
        )
    )["Item"]
    office = realm.account_named("Office expenses")["Id"]

    def item_line(amount: str, item_id: str, tax: str) -> dict[str, Any]:
        detail = {
            "ItemRef": {"value": item_id},
            "Qty": D("3"),
            "UnitPrice": D(amount) / 3,
            "TaxCodeRef": {"value": tax},
        }
        return {
            "Amount": D(amount),
            "DetailType": "ItemBasedExpenseLineDetail",
            "ItemBasedExpenseLineDetail": detail,
        }

    account_line = {
        "Amount": D("20.00"),
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {
            "AccountRef": {"value": office},
            "TaxCodeRef": {"value": GST},
        },
    }
    order = {
        "VendorRef": {"value": vendor["Id"]},
        "Line": [item_line("300.00", item["Id"], GST), account_line],
    }
    made = body(post(http, "/purchaseorder", order))["PurchaseOrder"]
    assert (made["POStatus"], made["APAccountRef"]["name"], made["DocNumber"]) == (
        "Open",
        "Accounts Payable (A/P)",
        "1001",
    )
    assert made["TxnTaxDetail"]["TotalTax"] == D("32.00") and made["TotalAmt"] == D("352.00")
    assert made["Line"][0]["Description"] == "4 TB disk"
    assert (
        made["Line"][0]["ItemBasedExpenseLineDetail"]["ItemAccountRef"]["name"]
        == "Cost of Goods Sold"
    )
    assert (
        fault(
            post(http, "/purchaseorder", {**order, "Line": [item_line("3.00", item["Id"], EXP)]})
        )[0]
        == "6000"
    )
    code, detail = fault(
        post(http, "/purchaseorder", {**order, "Line": [item_line("3.00", HOURS, GST)]})
    )
    assert code == "6000" and "no expense account" in detail
    assert fault(post(http, "/purchaseorder", {"Line": order["Line"]}))[1].endswith(
        "VendorRef is missing in the request"
    )


# --- queries ----------------------------------------------------------------------------------------------


def test_queries_filter_sort_page_and_count(quickbooks_emulator: QuickBooksEmulatorHandle) -> None:
    http = quickbooks_emulator.client()
    for name in ("O'Brien Plumbing", "Acme", "Zed Co", "Acme North"):
        customer(http, name)

    def query(statement: str) -> dict[str, Any]:
        answer = http.get("/query", params={"query": statement, "minorversion": "75"})
        assert answer.status_code == 200, answer.text
        return body(answer)["QueryResponse"]

    assert [
        c["DisplayName"]
        for c in query("select * from Customer where DisplayName = 'o\\'brien plumbing'")[
            "Customer"
        ]
    ] == ["O'Brien Plumbing"]
    assert (
        len(query("SELECT * FROM Customer WHERE DisplayName IN ('Acme', 'Zed Co')")["Customer"])
        == 2
    )
    assert [
        c["DisplayName"]
        for c in query(
            "select * from customer where DisplayName like 'Acme%' orderby DisplayName desc"
        )["Customer"]
    ] == ["Acme North", "Acme"]
    page = query("select * from Customer orderby DisplayName startposition 2 maxresults 2")
    assert (
        [c["DisplayName"] for c in page["Customer"]],
        page["startPosition"],
        page["maxResults"],
    ) == (["Acme North", "O'Brien Plumbing"], 2, 2)
    assert query("select count(*) from Customer") == {"totalCount": 4}
    assert query("select * from Customer where DisplayName = 'Nobody'") == {}
    picked = query("select Id, DisplayName from Customer where DisplayName = 'Acme'")["Customer"][0]
    assert set(picked) == {"Id", "DisplayName", "domain", "sparse"}
    posted = http.post(
        "/query",
        content="select * from TaxCode where Name = 'GST'",
        headers={"Content-Type": "application/text"},
    )
    assert body(posted)["QueryResponse"]["TaxCode"][0]["Id"] == GST
    since = query(
        "select * from Customer where MetaData.LastUpdatedTime >= '2026-11-02T01:00:00-08:00'"
    )
    assert len(since["Customer"]) == 4
    assert (
        query("select * from Customer where MetaData.LastUpdatedTime > '2026-11-02T09:00:00Z'")
        == {}
    )


def test_queries_refuse_what_qbo_refuses_and_hide_inactive_names(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    old = customer(http, "Old Client")
    post(http, "/customer", {"Id": old["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    customer(http, "New Client")

    def refused(statement: str) -> str:
        return fault(http.get("/query", params={"query": statement}))[0]

    assert refused("select * from Customer where DisplayName = 'a' or DisplayName = 'b'") == "4000"
    assert refused("select * from Widget") == "4000"
    assert refused("select * from Customer where Name = 'a'") == "4001"
    assert refused("select * from Customer maxresults 1001") == "4001"
    active = body(http.get("/query", params={"query": "select * from Customer"}))["QueryResponse"][
        "Customer"
    ]
    assert [c["DisplayName"] for c in active] == ["New Client"]
    both = "select * from Customer where Active in (true, false)"
    assert len(body(http.get("/query", params={"query": both}))["QueryResponse"]["Customer"]) == 2


# --- batches --------------------------------------------------------------------------------------------


def test_a_batch_answers_200_with_a_fault_inside_each_failed_item(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    items = [
        {"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Beta"}},
        {"bId": "c2", "operation": "create", "Vendor": {"DisplayName": "beta"}},
        {
            "bId": "i1",
            "operation": "create",
            "Invoice": invoice(acme["Id"], line("10.00", item="404")),
        },
        {
            "bId": "u1",
            "operation": "update",
            "Customer": {"Id": acme["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
        },
        {"bId": "q1", "Query": "select count(*) from Customer"},
    ]
    answer = post(http, "/batch", {"BatchItemRequest": items})
    assert answer.status_code == 200
    results = body(answer)["BatchItemResponse"]
    assert [r["bId"] for r in results] == ["c1", "c2", "i1", "u1", "q1"]
    assert results[0]["Customer"]["DisplayName"] == "Beta"
    assert results[1]["Fault"]["Error"][0]["code"] == "6240"
    assert results[1]["Fault"]["type"] == "ValidationFault"
    assert results[2]["Fault"]["Error"][0]["code"] == "2500"
    assert results[3]["Customer"]["SyncToken"] == "1"
    assert results[4]["QueryResponse"] == {"totalCount": 2}
    assert quickbooks_emulator.realm().find("Vendor", "DisplayName", "beta") is None


def test_a_batch_over_30_items_or_with_a_repeated_bid_is_refused_whole(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    many = [
        {"bId": str(i), "operation": "create", "Customer": {"DisplayName": f"C{i}"}}
        for i in range(31)
    ]
    assert fault(post(http, "/batch", {"BatchItemRequest": many}))[0] == "6000"
    assert fault(post(http, "/batch", {"BatchItemRequest": many[:2] + many[:1]}))[0] == "6000"
    assert fault(post(http, "/batch", {"BatchItemRequest": []}))[0] == "2020"
    assert quickbooks_emulator.realm().table("Customer") == {}
    thirty = post(http, "/batch", {"BatchItemRequest": many[:30]})
    assert len([r for r in body(thirty)["BatchItemResponse"] if "Customer" in r]) == 30


def test_with_a_requestid_batch_ids_may_have_10_characters_and_the_requestid_36(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    items = [
        {"bId": "short", "operation": "create", "Customer": {"DisplayName": "A"}},
        {"bId": "much-too-long", "operation": "create", "Customer": {"DisplayName": "B"}},
    ]
    results = body(post(http, "/batch", {"BatchItemRequest": items}, params={"requestid": "r1"}))[
        "BatchItemResponse"
    ]
    assert "Customer" in results[0] and results[1]["Fault"]["Error"][0]["code"] == "6000"
    long_id = "x" * 37
    results = body(
        post(http, "/batch", {"BatchItemRequest": items[:1]}, params={"requestid": long_id})
    )["BatchItemResponse"]
    assert "37 characters" in results[0]["Fault"]["Error"][0]["Detail"]
    without = body(
        post(http, "/batch", {"BatchItemRequest": [{**items[1], "Customer": {"DisplayName": "C"}}]})
    )
    assert "Customer" in without["BatchItemResponse"][0]  # long bIds are fine without a requestid


# --- requestid replay -------------------------------------------------------------------------------------


def test_a_repeated_requestid_returns_the_first_answer_without_a_second_object(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    first = post(http, "/customer", {"DisplayName": "Acme"}, params={"requestid": "req-1"})
    again = post(
        http, "/customer", {"DisplayName": "Something else"}, params={"requestid": "req-1"}
    )
    assert (again.status_code, again.text) == (
        first.status_code,
        first.text,
    )  # QBO does not compare bodies
    assert len(quickbooks_emulator.realm().table("Customer")) == 1
    taken = post(http, "/vendor", {"DisplayName": "Acme"}, params={"requestid": "req-2"})
    customer(http, "Beta")
    assert (
        post(http, "/vendor", {"DisplayName": "Acme"}, params={"requestid": "req-2"}).text
        == taken.text
    )  # faults replay too
    other = post(
        quickbooks_emulator.client(1),
        "/customer",
        {"DisplayName": "Zed"},
        params={"requestid": "req-1"},
    )
    assert body(other)["Customer"]["DisplayName"] == "Zed"  # requestids are per company
    code, detail = fault(
        post(http, "/customer", {"DisplayName": "Long"}, params={"requestid": "y" * 51})
    )
    assert code == "6000" and "more than 50 characters" in detail


def test_a_write_whose_answer_was_lost_is_applied_and_its_retry_with_the_requestid_replays_it(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    acme = customer(http)
    quickbooks_emulator.faults.timeout_after_commit()
    with pytest.raises(httpx.TransportError):
        post(http, "/invoice", invoice(acme["Id"]), params={"requestid": "inv-1"})
    assert len(quickbooks_emulator.realm().table("Invoice")) == 1
    retry = post(http, "/invoice", invoice(acme["Id"]), params={"requestid": "inv-1"})
    assert retry.status_code == 200
    assert body(retry)["Invoice"]["Id"] == next(iter(quickbooks_emulator.realm().table("Invoice")))
    assert len(quickbooks_emulator.realm().table("Invoice")) == 1


# --- companies and what they start with -------------------------------------------------------------------


def test_each_company_starts_like_a_new_au_company_and_keeps_its_own_data(
    quickbooks_emulator_factory: Any,
) -> None:
    handle = quickbooks_emulator_factory(realms=2, account_numbers=True)
    http = handle.client(0)

    def names(entity: str) -> dict[str, Any]:
        found = body(http.get("/query", params={"query": f"select * from {entity}"}))[
            "QueryResponse"
        ]
        return {r.get("Name"): r for r in found[entity]}

    accounts = names("Account")
    assert accounts["Sales of Product Income"]["AccountType"] == "Income"
    assert accounts["Services"]["AccountSubType"] == "ServiceFeeIncome"
    assert accounts["Cost of Goods Sold"]["AccountType"] == "Cost of Goods Sold"
    assert accounts["Services"]["AcctNum"] == "4100"
    rates = {r["Name"]: r["RateValue"] for r in names("TaxRate").values()}
    assert (rates["GST (sales)"], rates["GST free (sales)"]) == (D("10"), D("0"))
    codes = names("TaxCode")
    assert {"GST", "FRE"} <= set(codes) and codes["GST"]["Taxable"] is True
    assert set(names("Item")) == {"Hours", "Sales"}
    info = body(http.get(f"/companyinfo/{handle.realms[0].realm_id}"))["CompanyInfo"]
    assert (info["Country"], info["CompanyName"]) == ("AU", handle.realms[0].name)
    customer(http, "Only In Zero")
    assert handle.realm(1).find("Customer", "DisplayName", "Only In Zero") is None


# --- fault switches ------------------------------------------------------------------------------------------


def test_fault_switches_fail_storm_and_drop_api_calls_but_never_the_token_endpoint(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    quickbooks_emulator.faults.fail_next(2, status=503, retry_after=5)
    first = post(http, "/customer", {"DisplayName": "Acme"})
    assert (first.status_code, first.headers["Retry-After"]) == (503, "5")
    assert body(first)["Fault"]["type"] == "SystemFault"
    assert (
        refresh(quickbooks_emulator, quickbooks_emulator.realms[0].refresh_token).status_code == 200
    )
    assert http.get("/preferences").status_code == 503
    assert quickbooks_emulator.realm().table("Customer") == {}  # a gateway 5xx applies nothing

    realm_id = quickbooks_emulator.realms[0].realm_id
    before = quickbooks_emulator.emulator.limiter.used(realm_id)
    quickbooks_emulator.faults.rate_limit_storm(3)
    assert [http.get("/preferences").status_code for _ in range(3)] == [429] * 3
    assert quickbooks_emulator.emulator.limiter.used(realm_id) == before  # the storm did not count
    kinds = [f.kind.value for f in quickbooks_emulator.faults.fired]
    assert kinds == ["error", "error", "rate_limit", "rate_limit", "rate_limit"]


# --- command line ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_quickbooks_command_starts_an_emulator_and_prints_tokens_that_work() -> None:
    script = Path(sys.executable).with_name("booksync-emulator")
    process = subprocess.Popen(
        [str(script), "quickbooks", "--port", "0", "--realms", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        printed = []
        assert process.stdout is not None
        for text in process.stdout:
            printed.append(text)
            if text.startswith("Press Ctrl+C"):
                break
        output = "".join(printed)
        realms = re.findall(r"^Realm: (\d+) (.+) AUD$", output, re.MULTILINE)
        apis = re.findall(r"^Company API: (\S+)$", output, re.MULTILINE)
        tokens = re.findall(r"^Access token: (\S+)$", output, re.MULTILINE)
        assert len(realms) == len(apis) == len(tokens) == 2, output
        answer = httpx.get(
            f"{apis[1]}/companyinfo/{realms[1][0]}",
            headers={"Authorization": f"Bearer {tokens[1]}"},
        )
        assert answer.status_code == 200
        assert answer.json()["CompanyInfo"]["CompanyName"] == realms[1][1]
        discovery = re.search(r"^Discovery document: (\S+)$", output, re.MULTILINE)
        assert discovery is not None and httpx.get(discovery.group(1)).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_the_quickbooks_command_refuses_a_bad_realm_count_and_a_taken_port(
    quickbooks_emulator: QuickBooksEmulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["quickbooks", "--port", "0", "--realms", "none"])
    assert exit_info.value.code == 2
    assert "'none' is not a whole number of 1 or more" in capsys.readouterr().err
    taken = str(quickbooks_emulator.server.port)
    assert cli_main(["quickbooks", "--port", taken]) == 2
    assert f"cannot listen on 127.0.0.1:{taken}" in capsys.readouterr().err


def test_limits_can_be_narrowed_for_a_test(quickbooks_emulator_factory: Any) -> None:
    handle = quickbooks_emulator_factory(realms=1, limits=QboLimits(per_minute=2))
    http = handle.client()
    assert [http.get("/preferences").status_code for _ in range(3)] == [200, 200, 429]
