"""Change Data Capture on the QuickBooks emulator (issue 13), read with python-quickbooks' own
`quickbooks.cdc.change_data_capture`: what changed since a time, deleted objects as
status "Deleted", the 30-day window and the 1,000-object cap; and the per-endpoint call counter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from booksync_emulators.quickbooks.store import stamp
from emulators.conftest import QuickBooksEmulatorHandle
from emulators.test_quickbooks_sdk import Sdk, form, new_customer, sales_line, sdk  # noqa: F401


def test_cdc_lists_changes_and_deletions_since_a_time(
    quickbooks_emulator: QuickBooksEmulatorHandle,
    sdk: Callable[..., Sdk],  # noqa: F811
) -> None:
    realm, client = sdk()
    customer = new_customer(client, "Old Client")
    kept = form(Invoice, customer, sales_line("10.00")).save(qb=client)
    doomed = form(Invoice, customer, sales_line("20.00")).save(qb=client)
    clock = quickbooks_emulator.clock
    clock.advance(600)
    since = clock.utcnow()
    clock.advance(60)
    kept.PrivateNote = "edited in QuickBooks"
    kept.save(qb=client)
    Invoice.get(doomed.Id, qb=client).delete(qb=client)
    calls = quickbooks_emulator.emulator.calls
    calls.clear()

    # an aware ISO time: the SDK formats a datetime without its offset, which QBO reads as Pacific
    answer = change_data_capture([Invoice, Customer], since.isoformat(), qb=client)
    invoices = answer.Invoice
    assert [(i.Id, getattr(i, "status", None)) for i in invoices] == [
        (kept.Id, None),
        (doomed.Id, "Deleted"),
    ]
    assert invoices[0].PrivateNote == "edited in QuickBooks"
    assert not hasattr(answer, "Customer")  # the customer did not change since
    assert calls["GET cdc"] == 1 and sum(calls.values()) == 1


def test_cdc_refuses_more_than_30_days_back(
    quickbooks_emulator: QuickBooksEmulatorHandle,
    sdk: Callable[..., Sdk],  # noqa: F811
) -> None:
    _, client = sdk()
    too_old = quickbooks_emulator.clock.utcnow() - timedelta(days=31)
    with pytest.raises(QuickbooksException) as refused:
        change_data_capture([Invoice], too_old, qb=client)
    assert "older than fixed days is not supported" in refused.value.detail


def test_cdc_caps_each_entity_at_1000_objects_oldest_first(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    realm = quickbooks_emulator.realm()
    start = quickbooks_emulator.clock.utcnow()
    for i in range(1001):
        record = {"Id": f"9{i:04d}", "DisplayName": f"Bulk {i}", "Active": True, "SyncToken": "0"}
        realm.table("Customer")[record["Id"]] = stamp(record, start, created=True)
        realm.changed("Customer", record["Id"], "Create", start + timedelta(seconds=i))
    since = (start - timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    http = quickbooks_emulator.client()
    answer = http.get("/cdc", params={"entities": "Customer", "changedSince": since}).json()
    (response,) = answer["CDCResponse"][0]["QueryResponse"]
    customers = response["Customer"]
    assert len(customers) == 1000 and customers[0]["Id"] == "90000"
    assert customers[-1]["Id"] == "90999"
    assert "time" in answer


def test_cdc_names_what_is_missing_or_unknown(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    http = quickbooks_emulator.client()
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).isoformat()
    missing = http.get("/cdc", params={"changedSince": now}).json()["Fault"]["Error"][0]
    assert "entities" in missing["Detail"]
    unknown = http.get("/cdc", params={"entities": "Widget", "changedSince": now}).json()
    assert "'Widget'" in unknown["Fault"]["Error"][0]["Detail"]
