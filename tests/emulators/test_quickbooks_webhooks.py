"""The QuickBooks emulator's webhooks (issue 13): `intuit-signature`, the legacy and CloudEvents
shapes, several companies in one POST, and Create / Update / Delete / Void / Merge, whoever made
the change (here python-quickbooks, as a bookkeeper's other app would)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine

from emulators.conftest import QuickBooksEmulatorHandle
from emulators.receiver import Receiver
from emulators.test_quickbooks_sdk import D, Sdk, form, new_customer, sales_line, sdk  # noqa: F401
from quickbooks import QuickBooks

TOKEN = "verifier-token-for-tests"
FAST = {"retry_intervals": (0.01, 0.01), "batch_window": 0.01}


def ops(receiver: Receiver) -> list[tuple[str, str, str]]:
    return [(e["name"], e["id"], e["operation"]) for e in receiver.events()]


def test_legacy_shape_groups_realms_and_is_signed(
    quickbooks_emulator: QuickBooksEmulatorHandle, receiver: Receiver
) -> None:
    hooks = quickbooks_emulator.emulator.webhooks
    hooks.configure(receiver.url, TOKEN, **FAST)
    hooks.pause()
    for realm in (0, 1):
        answer = quickbooks_emulator.client(realm).post("/customer", json={"DisplayName": "Acme"})
        assert answer.status_code == 200, answer.text
    hooks.resume()
    assert hooks.wait_idle(5)
    (post,) = receiver.received
    digest = hmac.new(TOKEN.encode(), post.body, hashlib.sha256).digest()
    assert post.headers["intuit-signature"] == base64.b64encode(digest).decode()
    # python-quickbooks' own check agrees, and refuses another token
    # (called unbound: with a token given, it reads nothing of the client)
    check = QuickBooks.validate_webhook_signature
    text, signature = post.body.decode(), post.headers["intuit-signature"]
    assert check(None, text, signature, TOKEN)
    assert not check(None, text, signature, "another-token")
    notes = post.json()["eventNotifications"]
    assert [n["realmId"] for n in notes] == [r.realm_id for r in quickbooks_emulator.realms]
    entity = notes[0]["dataChangeEvent"]["entities"][0]
    assert set(entity) == {"name", "id", "operation", "lastUpdated"}
    assert (entity["name"], entity["operation"]) == ("Customer", "Create")
    assert entity["lastUpdated"] == "2026-11-02T09:00:00.000Z"


def test_payment_void_delete_and_merge_behind_booksyncs_back(
    quickbooks_emulator: QuickBooksEmulatorHandle,
    receiver: Receiver,
    sdk: Callable[..., Sdk],  # noqa: F811
) -> None:
    realm, client = sdk()
    customer = new_customer(client, "Paying Client")
    other = new_customer(client, "Duplicate Client")
    sale = form(Invoice, customer, sales_line("100.00")).save(qb=client)
    doomed = form(Invoice, other, sales_line("5.00")).save(qb=client)
    hooks = quickbooks_emulator.emulator.webhooks
    hooks.configure(receiver.url, TOKEN, **FAST)

    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = D("40.00")
    line = PaymentLine()
    line.Amount = D("40.00")
    line.LinkedTxn = [sale.to_linked_txn()]
    payment.Line = [line]
    payment = payment.save(qb=client)
    assert hooks.wait_idle(5)
    assert ops(receiver) == [("Payment", payment.Id, "Create"), ("Invoice", sale.Id, "Update")]

    del receiver.received[:]
    payment.void(qb=client)
    Invoice.get(doomed.Id, qb=client).delete(qb=client)
    realm.merge("Customer", other.Id, customer.Id)
    assert hooks.wait_idle(5)
    assert sorted(ops(receiver)) == sorted(
        [
            ("Payment", payment.Id, "Void"),
            ("Invoice", sale.Id, "Update"),
            ("Invoice", doomed.Id, "Delete"),
            ("Customer", customer.Id, "Merge"),
        ]
    )
    assert receiver.events()[-1]["deletedId"] == other.Id
    assert realm.get("Invoice", sale.Id)["Balance"] == D("110.00")


def test_cloudevents_shape(
    quickbooks_emulator: QuickBooksEmulatorHandle, receiver: Receiver
) -> None:
    hooks = quickbooks_emulator.emulator.webhooks
    hooks.configure(receiver.url, TOKEN, shape="cloudevents", **FAST)
    http = quickbooks_emulator.client(1)
    made = http.post("/customer", json={"DisplayName": "Cloud Client"}).json()["Customer"]
    assert hooks.wait_idle(5)
    (event,) = receiver.received[0].json()
    assert event["type"] == "qbo.customer.created.v1"
    assert (event["specversion"], event["datacontenttype"]) == ("1.0", "application/json")
    assert event["source"].startswith("intuit.")
    assert (event["intuitentityid"], event["intuitaccountid"]) == (
        made["Id"],
        quickbooks_emulator.realms[1].realm_id,
    )
    assert event["time"] == "2026-11-02T09:00:00.000Z" and event["data"] == {}


def test_bad_shape_is_refused_with_the_choices() -> None:
    from booksync_emulators.quickbooks.webhooks import QuickBooksWebhooks

    hooks = QuickBooksWebhooks()
    try:
        hooks.configure("http://127.0.0.1:1/x", TOKEN, shape="xml")
    except ValueError as exc:
        assert "legacy, cloudevents" in str(exc)
    else:
        raise AssertionError("an unknown shape must be refused")
    assert not hooks.configured
