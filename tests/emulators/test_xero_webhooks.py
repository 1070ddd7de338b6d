"""The Xero emulator's signed webhooks (issue 13): every change to a contact, invoice or credit
note made through the API or behind an app's back sends Xero's payload, signed, from a background
thread, retried on failure, and droppable on purpose; If-Modified-Since finds what was dropped."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from decimal import Decimal
from typing import Any

from emulators.conftest import XeroEmulatorHandle
from emulators.receiver import Receiver
from emulators.test_xero_emulator import body, invoice, send
from emulators.test_xero_sdk import sdk  # noqa: F401
from emulators.test_xero_settlements import credit_note, made

D = Decimal
KEY = "webhook-key-for-tests"
FAST = {"retry_intervals": (0.01, 0.01, 0.01), "batch_window": 0.01, "timeout": 2.0}


def hooked(xero_emulator: XeroEmulatorHandle, receiver: Receiver, **options: Any) -> Any:
    hooks = xero_emulator.emulator.webhooks
    hooks.configure(receiver.url, KEY, **{**FAST, **options})
    return hooks


def signed(raw: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def pay(xero_emulator: XeroEmulatorHandle, invoice_id: str, amount: str) -> Any:
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"},
               "Date": "2026-11-10", "Amount": D(amount)}  # fmt: skip
    answer = send(xero_emulator.client(), "PUT", "/Payments", {"Payments": [payment]})
    assert answer.status_code == 200, answer.text
    return body(answer)["Payments"][0]


def test_creates_and_updates_arrive_signed_in_xeros_payload(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    hooks = hooked(xero_emulator, receiver)
    hooks.pause()  # both events of the call in one POST, however slow the machine
    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Webhook Client"))
    hooks.resume()
    assert hooks.wait_idle(5)
    first = receiver.received[0]
    assert first.headers["x-xero-signature"] == signed(first.body)
    payload = first.json()
    assert set(payload) == {"events", "firstEventSequence", "lastEventSequence", "entropy"}
    tenant = xero_emulator.tenants[0].tenant_id
    contact_id = sale["Contact"]["ContactID"]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in receiver.events()] == [
        ("CONTACT", "CREATE", contact_id),
        ("INVOICE", "CREATE", sale["InvoiceID"]),
    ]
    event = receiver.events()[1]
    assert event["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{sale['InvoiceID']}")
    assert (event["tenantId"], event["tenantType"]) == (tenant, "ORGANISATION")
    assert event["eventDateUtc"] == "2026-11-02T09:00:00.000"
    assert (payload["firstEventSequence"], payload["lastEventSequence"]) == (1, 2)

    pay(xero_emulator, sale["InvoiceID"], "10.00")
    assert hooks.wait_idle(5)
    assert receiver.events()[-1]["eventType"] == "UPDATE"
    assert receiver.received[-1].json()["firstEventSequence"] == 3
    assert hooks.stats["delivered"] == 3


def test_credit_note_events_carry_type_and_status(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    hooks = hooked(xero_emulator, receiver)
    (note,) = made(xero_emulator, "/CreditNotes", "CreditNotes", credit_note("CN Client", "5.00"))
    assert hooks.wait_idle(5)
    event = receiver.events()[-1]
    assert (event["eventCategory"], event["resourceId"]) == ("CREDITNOTE", note["CreditNoteID"])
    assert event["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}


def test_a_payment_and_its_deletion_show_in_webhooks_and_if_modified_since(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    hooks = hooked(xero_emulator, receiver)
    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Payer"))
    xero_emulator.clock.advance(60)
    since = "2026-11-02T09:00:30Z"
    payment = pay(xero_emulator, sale["InvoiceID"], str(sale["AmountDue"]))
    http = xero_emulator.client()
    changed = body(http.get("/Invoices", headers={"If-Modified-Since": since}))["Invoices"]
    assert [(i["InvoiceID"], i["Status"], i["AmountDue"]) for i in changed] == [
        (sale["InvoiceID"], "PAID", D("0.00"))
    ]
    assert hooks.wait_idle(5)  # sent, so the deletion's update is an event of its own
    xero_emulator.clock.advance(60)
    later = "2026-11-02T09:01:30Z"
    deleted = send(http, "POST", f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert body(deleted)["Payments"][0]["Status"] == "DELETED"
    again = body(http.get("/Invoices", headers={"If-Modified-Since": later}))["Invoices"]
    assert [(i["Status"], i["AmountPaid"]) for i in again] == [("AUTHORISED", D("0.00"))]
    payments = body(http.get("/Payments", headers={"If-Modified-Since": later}))["Payments"]
    assert [(p["PaymentID"], p["Status"]) for p in payments] == [(payment["PaymentID"], "DELETED")]
    assert hooks.wait_idle(5)
    updates = [e for e in receiver.events() if e["eventType"] == "UPDATE"]
    assert [e["resourceId"] for e in updates] == [sale["InvoiceID"]] * 2
    assert xero_emulator.emulator.calls["POST Payments/{id}"] == 1


def test_failed_deliveries_are_retried_then_given_up(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    hooks = hooked(xero_emulator, receiver)
    xero_emulator.org().add_contact("Retried Ltd")
    assert hooks.wait_idle(5)
    assert [r.json() == receiver.received[0].json() for r in receiver.received] == [True] * 3
    assert (hooks.stats["retried"], hooks.stats["delivered"], hooks.stats["failed"]) == (2, 1, 0)
    receiver.answers = [500] * 4
    xero_emulator.org().add_contact("Lost Ltd")
    assert hooks.wait_idle(5)
    assert (hooks.stats["delivered"], hooks.stats["failed"]) == (1, 1)


def test_a_receiver_too_slow_to_answer_is_retried(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    receiver.hold = threading.Event()
    hooks = hooked(xero_emulator, receiver, timeout=0.2)
    xero_emulator.org().add_contact("Slow Receiver Ltd")
    for _ in range(200):  # bounded: the first POST times out after 0.2 s, then it is retried
        if hooks.stats["retried"]:
            break
        hooks.wait_idle(0.05)
    receiver.hold.set()
    assert hooks.stats["retried"] >= 1
    assert hooks.wait_idle(5)
    assert hooks.stats["delivered"] == 1 and len(receiver.received) >= 2


def test_dropped_events_are_never_sent_but_polling_finds_them(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    hooks = hooked(xero_emulator, receiver)
    hooks.drop_next(2)
    org = xero_emulator.org()
    first, second, third = (org.add_contact(f"Dropped {i}")["ContactID"] for i in range(3))
    hooks.drop_all(True)
    fourth = org.add_contact("Dropped 3")["ContactID"]
    hooks.drop_all(False)
    assert hooks.wait_idle(5)
    assert [e["resourceId"] for e in receiver.events()] == [third]
    assert (hooks.stats["dropped"], hooks.stats["delivered"]) == (3, 1)
    http = xero_emulator.client()
    found = body(http.get("/Contacts", headers={"If-Modified-Since": "2026-11-02T08:59:00Z"}))
    assert {first, second, fourth} <= {c["ContactID"] for c in found["Contacts"]}


def test_intent_to_receive_checks_both_answers(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    hooks = hooked(xero_emulator, receiver)
    careless = hooks.intent_to_receive()  # answers 200 to anything
    assert (careless.good_status, careless.bad_status, careless.ok) == (200, 200, False)
    receiver.verify_with = ("x-xero-signature", KEY)
    checked = hooks.intent_to_receive()
    assert (checked.good_status, checked.bad_status, checked.ok) == (200, 401, True)
    probe = receiver.received[-1].json()
    assert probe["events"] == [] and probe["firstEventSequence"] == 0


def test_bookkeeper_changes_behind_the_apps_back_fire_events(
    xero_emulator: XeroEmulatorHandle, receiver: Receiver
) -> None:
    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Old Name"))
    (other,) = made(xero_emulator, "/Invoices", "Invoices", invoice("Keeper"))
    hooks = hooked(xero_emulator, receiver)
    hooks.pause()  # one batch: a record changed twice in it is one event
    org = xero_emulator.org()
    org.pay(sale["InvoiceID"], D("1.00"))
    org.edit("Invoices", other["InvoiceID"], Reference="typed in Xero")
    gone, kept = sale["Contact"]["ContactID"], other["Contact"]["ContactID"]
    org.merge_contacts(gone, kept)
    hooks.resume()
    assert hooks.wait_idle(5)
    assert len(receiver.received) == 1
    seen = [(e["eventCategory"], e["resourceId"]) for e in receiver.events()]
    assert seen == [
        ("INVOICE", sale["InvoiceID"]),
        ("INVOICE", other["InvoiceID"]),
        ("CONTACT", gone),
        ("CONTACT", kept),
    ]
    merged = body(xero_emulator.client().get(f"/Contacts/{gone}"))["Contacts"][0]
    assert (merged["ContactStatus"], merged["MergedToContactID"]) == ("ARCHIVED", kept)


def test_if_modified_since_pages_through_only_what_changed(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    org = xero_emulator.org()
    for i in range(5):
        org.add_contact(f"Unchanged {i}")
    xero_emulator.clock.advance(60)
    changed = [org.add_contact(f"Changed {i}")["ContactID"] for i in range(3)]
    http = xero_emulator.client()
    since = {"If-Modified-Since": "2026-11-02T09:00:30Z"}
    first = body(http.get("/Contacts", params={"page": 1, "pageSize": 2}, headers=since))
    second = body(http.get("/Contacts", params={"page": 2, "pageSize": 2}, headers=since))
    assert first["pagination"]["itemCount"] == 3
    assert [c["ContactID"] for c in first["Contacts"] + second["Contacts"]] == changed
    assert xero_emulator.emulator.calls["GET Contacts"] == 2


def test_the_cli_wants_url_and_key_together(capsys: Any) -> None:
    from booksync_emulators.cli import main

    assert main(["xero", "--port", "0", "--webhook-url", "http://127.0.0.1:1/hooks"]) == 2
    assert "--webhook-url and --webhook-key go together" in capsys.readouterr().err


def test_xero_python_deletes_a_payment_and_the_invoice_event_follows(
    xero_emulator: XeroEmulatorHandle,
    receiver: Receiver,
    sdk: Any,  # noqa: F811
) -> None:
    from xero_python.accounting.models import PaymentDelete

    (sale,) = made(xero_emulator, "/Invoices", "Invoices", invoice("SDK Payer"))
    payment = pay(xero_emulator, sale["InvoiceID"], "5.00")
    hooks = hooked(xero_emulator, receiver)
    tenant = xero_emulator.tenants[0].tenant_id
    answer = sdk.delete_payment(tenant, payment["PaymentID"], PaymentDelete(status="DELETED"))
    assert answer.payments[0].status == "DELETED"
    assert hooks.wait_idle(5)
    assert [(e["eventCategory"], e["resourceId"]) for e in receiver.events()] == [
        ("INVOICE", sale["InvoiceID"])
    ]
