"""Xero's and QuickBooks' webhook formats on the vendors' own sample payloads: signatures checked
against independently computed ones (openssl for Xero, whose SDKs ship no helper; python-quickbooks'
`validate_webhook_signature` for Intuit), events parsed to ids only, bad bodies refused with the
field named."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from quickbooks.client import QuickBooks

from booksync.connectors.quickbooks.webhooks import QuickBooksWebhooks
from booksync.connectors.quickbooks.webhooks import signature as intuit_signature
from booksync.connectors.xero.webhooks import XeroWebhooks
from booksync.domain.types import EntityType
from booksync.errors import BadInput

KEY = "the-webhook-key"

# --- Xero ------------------------------------------------------------------------------------------

#: The credit note example of tests/specs/xero/xero-webhooks.yaml (webhooks.creditNotes), as sent.
XERO_CREDIT_NOTE = (
    b'{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/CreditNotes/55d84274-a3da-4829-'
    b'a7c0-0cab601b95cc","resourceId":"55d84274-a3da-4829-a7c0-0cab601b95cc","tenantId":"aef86862'
    b'-2015-4b6b-88bc-d89032cecc50","tenantType":"ORGANISATION","eventCategory":"CREDITNOTE","even'
    b'tType":"CREATE","eventDateUtc":"2025-12-02T00:44:09.923","data":{"Type":"ACCPAYCREDIT","Stat'
    b'us":"DRAFT"}}],"firstEventSequence":76,"lastEventSequence":76,"entropy":"FXNGWLCCGVANWHKILRUB"}'
)
#: `printf '%s' BODY | openssl dgst -sha256 -hmac the-webhook-key -binary | base64`
XERO_CREDIT_NOTE_SIGNATURE = "m9SfeVVxrZ1Nb2z+UHjcP6JvlqHm+rhdKdfMaNun80s="
#: The intent-to-receive payload: no events.
XERO_INTENT = (
    b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
)
XERO_INTENT_SIGNATURE = "VlOQH/uvtZlEL4F0wsViI3bSKGaJWeJvcnuJRs+8Ty4="
#: The contact example of the same spec (components.responses.200WebhookDataReceivedOk).
XERO_CONTACT = {
    "events": [
        {
            "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
            "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
            "eventDateUtc": "2024-06-21T01:15:39.902",
            "eventType": "UPDATE",
            "eventCategory": "CONTACT",
            "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
            "tenantType": "ORGANISATION",
        }
    ],
    "lastEventSequence": 1,
    "firstEventSequence": 1,
    "entropy": "S0m3r4Nd0mt3xt",
}


def test_xero_signatures_match_openssls_and_nothing_else() -> None:
    fmt = XeroWebhooks()
    assert fmt.signature_header == "x-xero-signature"
    good = {"x-xero-signature": XERO_CREDIT_NOTE_SIGNATURE}
    assert fmt.verify(good, XERO_CREDIT_NOTE, KEY)
    assert fmt.verify({"X-Xero-Signature": XERO_CREDIT_NOTE_SIGNATURE}, XERO_CREDIT_NOTE, KEY)
    assert fmt.verify({"x-xero-signature": XERO_INTENT_SIGNATURE}, XERO_INTENT, KEY)
    assert not fmt.verify(good, XERO_CREDIT_NOTE.replace(b"DRAFT", b"PAID"), KEY)
    assert not fmt.verify(good, XERO_CREDIT_NOTE, "another-key")
    assert not fmt.verify({}, XERO_CREDIT_NOTE, KEY)
    assert not fmt.verify(good, XERO_CREDIT_NOTE, "")
    assert not fmt.verify({"x-xero-signature": "not base64 at all"}, XERO_CREDIT_NOTE, KEY)


def test_xero_intent_to_receive_has_no_events() -> None:
    assert XeroWebhooks().events(XERO_INTENT) == []


def test_a_xero_credit_note_event_names_only_the_record() -> None:
    (event,) = XeroWebhooks().events(XERO_CREDIT_NOTE)
    assert event.tenant == "aef86862-2015-4b6b-88bc-d89032cecc50"
    assert (event.entity, event.resource) == (EntityType.CREDIT_NOTE, "CREDITNOTE")
    assert (event.remote_id, event.operation) == ("55d84274-a3da-4829-a7c0-0cab601b95cc", "create")
    assert event.occurred_at == datetime(2025, 12, 2, 0, 44, 9, 923000, tzinfo=UTC)
    assert len(event.key) <= 255


def test_a_xero_contact_event_stands_for_a_client_and_a_supplier() -> None:
    events = XeroWebhooks().events(json.dumps(XERO_CONTACT).encode())
    assert [(e.entity, e.operation) for e in events] == [
        (EntityType.CLIENT, "update"),
        (EntityType.SUPPLIER, "update"),
    ]
    assert len({e.key for e in events}) == 2
    again = XeroWebhooks().events(json.dumps(XERO_CONTACT).encode())
    assert [e.key for e in again] == [e.key for e in events]  # a redelivery is the same events


def test_a_xero_subscription_event_has_no_record_type() -> None:
    payload = json.loads(json.dumps(XERO_CONTACT))
    payload["events"][0].update(eventCategory="SUBSCRIPTION", tenantType="APPLICATION")
    (event,) = XeroWebhooks().events(json.dumps(payload).encode())
    assert event.entity is None and event.resource == "SUBSCRIPTION"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b'{"firstEventSequence": 1}', "events"),
        (b'{"events": ["x"]}', "events[0]"),
        (b'{"events": [{"resourceId": "1", "eventType": "UPDATE"}]}', "events[0].tenantId"),
    ],
)
def test_a_body_that_is_not_a_xero_payload_is_refused_naming_the_field(
    body: bytes, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        XeroWebhooks().events(body)
    assert refused.value.field == field


# --- QuickBooks ------------------------------------------------------------------------------------

#: Both samples of https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure
INTUIT_LEGACY = {
    "eventNotifications": [
        {
            "realmId": "310687",
            "dataChangeEvent": {
                "entities": [
                    {
                        "id": "1234",
                        "operation": "Create",
                        "name": "Account",
                        "lastUpdated": "2025-09-08T20:52:31.657Z",
                    }
                ]
            },
        }
    ]
}
INTUIT_CLOUDEVENT = {
    "specversion": "1.0",
    "id": "88cd52aa-33b6-4351-9aa4-47572edbd068",
    "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
    "type": "qbo.account.created.v1",
    "datacontenttype": "application/json",
    "time": "2025-09-10T21:31:25.179851517Z",
    "intuitentityid": "1234",
    "intuitaccountid": "310687",
    "data": {},
}
#: "Customer merged", https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/data-objects
INTUIT_MERGED = {
    "specversion": "1.0",
    "id": "00000000-0000-0000-0000-000000000000-Customer-123",
    "source": "intuit.0000",
    "type": "qbo.customer.merged.v1",
    "datacontenttype": "application/json",
    "time": "2025-12-04T15:25:05Z",
    "intuitentityid": "123",
    "intuitaccountid": "9341455600000",
    "data": {"deletedid": "27"},
}


def sdk_accepts(body: bytes, signature: str, token: str) -> bool:
    """python-quickbooks 0.9.12's own check (it reads the token it is given, not the client)."""
    return bool(QuickBooks.validate_webhook_signature(None, body.decode(), signature, token))  # type: ignore[arg-type]


def test_intuit_signatures_agree_with_python_quickbooks() -> None:
    fmt = QuickBooksWebhooks()
    assert fmt.signature_header == "intuit-signature"
    body = json.dumps(INTUIT_LEGACY).encode()
    signed = intuit_signature(KEY, body)
    assert sdk_accepts(body, signed, KEY)
    assert fmt.verify({"intuit-signature": signed}, body, KEY)
    assert fmt.verify({"Intuit-Signature": signed}, body, KEY)
    forged = base64.b64encode(hmac.new(b"guess", body, hashlib.sha256).digest()).decode()
    assert not sdk_accepts(body, forged, KEY)
    assert not fmt.verify({"intuit-signature": forged}, body, KEY)
    assert not fmt.verify({"intuit-signature": signed}, body + b" ", KEY)
    assert not fmt.verify({}, body, KEY)


def test_the_legacy_and_cloudevents_samples_name_the_same_change() -> None:
    fmt = QuickBooksWebhooks()
    (legacy,) = fmt.events(json.dumps(INTUIT_LEGACY).encode())
    (cloud,) = fmt.events(json.dumps([INTUIT_CLOUDEVENT]).encode())
    for event in (legacy, cloud):
        assert (event.tenant, event.resource, event.remote_id) == ("310687", "Account", "1234")
        assert event.entity is None  # booksync keeps no accounts: the caller ignores it
        assert event.operation == "create"
    assert legacy.occurred_at == datetime(2025, 9, 8, 20, 52, 31, 657000, tzinfo=UTC)
    assert cloud.occurred_at is not None and cloud.occurred_at.tzinfo is not None


def test_a_cloudevents_merge_is_the_record_kept_and_the_one_merged_away() -> None:
    events = QuickBooksWebhooks().events(json.dumps([INTUIT_MERGED]).encode())
    assert [(e.entity, e.remote_id, e.operation) for e in events] == [
        (EntityType.CLIENT, "123", "merge"),
        (EntityType.CLIENT, "27", "merge"),
    ]
    assert len({e.key for e in events}) == 2


def test_several_companies_void_and_merge_in_one_legacy_post() -> None:
    payload = {
        "eventNotifications": [
            {
                "realmId": "111",
                "dataChangeEvent": {
                    "entities": [
                        {"name": "Invoice", "id": "9", "operation": "Void",
                         "lastUpdated": "2026-11-02T09:00:00.000Z"},
                        {"name": "Payment", "id": "4", "operation": "Create",
                         "lastUpdated": "2026-11-02T09:00:00.000Z"},
                    ]
                },
            },
            {
                "realmId": "222",
                "dataChangeEvent": {
                    "entities": [
                        {"name": "Vendor", "id": "5", "operation": "Merge", "deletedId": "6",
                         "lastUpdated": "2026-11-02T09:00:01.000Z"},
                        {"name": "CreditMemo", "id": "7", "operation": "Emailed",
                         "lastUpdated": "2026-11-02T09:00:01.000Z"},
                    ]
                },
            },
        ]
    }  # fmt: skip
    events = QuickBooksWebhooks().events(json.dumps(payload).encode())
    assert [(e.tenant, e.entity, e.remote_id, e.operation) for e in events] == [
        ("111", EntityType.INVOICE, "9", "void"),
        ("111", None, "4", "create"),
        ("222", EntityType.SUPPLIER, "5", "merge"),
        ("222", EntityType.SUPPLIER, "6", "merge"),
        ("222", EntityType.CREDIT_NOTE, "7", "update"),
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"something": []}, "eventNotifications"),
        (
            {"eventNotifications": [{"dataChangeEvent": {"entities": []}}]},
            "eventNotifications[0].realmId",
        ),
        ([{**INTUIT_CLOUDEVENT, "type": "qbo.account.exploded.v1"}], "[0].type"),
        ([{**INTUIT_CLOUDEVENT, "intuitaccountid": ""}], "[0].intuitaccountid"),
    ],
)
def test_a_body_that_is_not_an_intuit_payload_is_refused_naming_the_field(
    payload: object, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        QuickBooksWebhooks().events(json.dumps(payload).encode())
    assert refused.value.field == field
