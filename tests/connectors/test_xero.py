"""The Xero connector against a scripted `httpx.MockTransport`: mapping, batches, errors, tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    AuthError,
    Connector,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
    RemoteAccount,
    TransientError,
)
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.connector import batch_key
from booksync.domain.types import AccountKind, EntityType
from booksync.sync.pacing import VirtualClock

API = "https://xero.test/api.xro/2.0"
IDENTITY = "https://identity.xero.test"
TENANT = "7b1a3c1e-0000-4000-8000-000000000001"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeXero:
    """Routes requests to per-path handlers and keeps every request for assertions."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return httpx.Response(404, json={"Title": "Not Found"})
        return handler(request)

    def writes(self) -> list[httpx.Request]:
        return [
            r for r in self.requests if r.method in ("POST", "PUT") and "/api.xro/" in r.url.path
        ]


def accept_all(id_field: str, collection: str) -> Handler:
    """A write endpoint that accepts every element, giving new ones an id."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        out = []
        for element in body[collection]:
            out.append(
                {
                    **element,
                    id_field: element.get(id_field) or str(uuid.uuid4()),
                    "StatusAttributeString": "OK",
                }
            )
        return httpx.Response(200, json={collection: out})

    return handler


def tokens(clock: VirtualClock, minutes: float = 30) -> TokenSet:
    return TokenSet("access-1", "refresh-1", clock.utcnow() + timedelta(minutes=minutes))


def make(
    fake: FakeXero, clock: VirtualClock, *, minutes: float = 30, **kwargs: Any
) -> XeroConnector:
    return XeroConnector(
        tokens(clock, minutes),
        base_url=API,
        identity_url=IDENTITY,
        client_id="client-1",
        transport=httpx.MockTransport(fake),
        clock=clock,
        tenant_names={TENANT: "Acme AU"},
        **kwargs,
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> FakeXero:
    return FakeXero(clock)


def party(n: int, entity: EntityType = EntityType.CLIENT, remote_id: str | None = None) -> PushItem:
    return PushItem(
        key=f"k-{entity.value}-{n}",
        entity=entity,
        record_id=n,
        reference=f"C-{n:06d}",
        remote_id=remote_id,
        payload=PartyPayload(entity, f"Client {n}", f"c{n}@example.com", "AUD", f"C-{n:06d}"),
    )


def line(**overrides: Any) -> LinePayload:
    values: dict[str, Any] = {
        "item_code": "P-000001",
        "item_remote_id": "item-1",
        "description": "Managed services",
        "quantity": Decimal("3"),
        "unit_price": Decimal("120.50"),
        "account_code": "200",
        "tax_type": "OUTPUT",
        "tax_percent": Decimal("10"),
    }
    values.update(overrides)
    return LinePayload(**values)


def doc(
    entity: EntityType, number: str = "INV-1001", status: str = "authorised", **overrides: Any
) -> PushItem:
    values: dict[str, Any] = {
        "entity": entity,
        "number": number,
        "contact_remote_id": "contact-1",
        "contact_name": "Client 1",
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "AUD",
        "status": status,
        "reference": "PO 55",
        "lines": (line(),),
    }
    values.update(overrides)
    return PushItem(f"k-{number}", entity, 1, number, None, DocumentPayload(**values))


def product(code: str = "P-000001", name: str = "Managed services", **overrides: Any) -> PushItem:
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": "Monthly managed services",
        "price": Decimal("120.50"),
        "cost": Decimal("80"),
        "income_account_code": "200",
        "expense_account_code": "310",
        "tax_type": "OUTPUT",
    }
    values.update(overrides)
    return PushItem(f"k-{code}", EntityType.PRODUCT, 1, code, None, ItemPayload(**values))


def sent(request: httpx.Request) -> Any:
    return json.loads(request.content)


# --- the protocol ---------------------------------------------------------------------------------


def test_is_a_connector_with_xeros_limits(fake: FakeXero, clock: VirtualClock) -> None:
    connector = make(fake, clock)
    assert isinstance(connector, Connector)
    assert connector.limits.batch_for(EntityType.INVOICE) == 50
    assert connector.limits.calls_per_minute == 60
    assert connector.limits.concurrency == 5


def test_registry_builds_it(clock: VirtualClock) -> None:
    from booksync.connectors import connector_for

    built = connector_for("xero", tokens=tokens(clock), base_url=API)
    assert isinstance(built, XeroConnector)
    built.close()


# --- mapping --------------------------------------------------------------------------------------


def test_contacts_carry_booksync_number_and_never_the_read_only_flags(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route("POST", "/api.xro/2.0/Contacts", accept_all("ContactID", "Contacts"))
    results = make(fake, clock).push(
        TENANT,
        EntityType.SUPPLIER,
        [party(1, EntityType.SUPPLIER), party(2, EntityType.SUPPLIER, remote_id="existing-2")],
    )
    elements = sent(fake.writes()[0])["Contacts"]
    assert elements[0] == {
        "Name": "Client 1",
        "ContactNumber": "C-000001",
        "EmailAddress": "c1@example.com",
    }
    assert elements[1]["ContactID"] == "existing-2"
    assert not {"IsCustomer", "IsSupplier"} & set(elements[0])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.UPDATED]
    assert results[1].remote_id == "existing-2"


def test_items_map_sales_and_purchase_details(fake: FakeXero, clock: VirtualClock) -> None:
    fake.route("POST", "/api.xro/2.0/Items", accept_all("ItemID", "Items"))
    long_name = "Managed services for the whole fleet of laptops, desktops and servers"
    make(fake, clock).push(TENANT, EntityType.PRODUCT, [product(name=long_name)])
    element = sent(fake.writes()[0])["Items"][0]
    assert element["Code"] == "P-000001"
    assert len(element["Name"]) == 50 and element["Name"].endswith("…")
    assert element["SalesDetails"] == {
        "UnitPrice": 120.5,
        "AccountCode": "200",
        "TaxType": "OUTPUT",
    }
    assert element["PurchaseDetails"] == {"UnitPrice": 80, "AccountCode": "310"}
    assert b'"UnitPrice":120.50' in fake.writes()[0].content  # exact decimal text, no float


def test_item_code_longer_than_xero_allows_is_rejected_without_a_call(
    fake: FakeXero, clock: VirtualClock
) -> None:
    results = make(fake, clock).push(TENANT, EntityType.PRODUCT, [product(code="X" * 31)])
    assert results[0].outcome is Outcome.REJECTED
    assert "at most 30" in results[0].message
    assert fake.requests == []


def test_invoice_is_accrec_exclusive_with_full_lines(fake: FakeXero, clock: VirtualClock) -> None:
    fake.route("PUT", "/api.xro/2.0/Invoices", accept_all("InvoiceID", "Invoices"))
    results = make(fake, clock).push(TENANT, EntityType.INVOICE, [doc(EntityType.INVOICE)])
    request = fake.writes()[0]
    # A create is a PUT (create-only), with four-decimal unit prices opted in.
    assert request.method == "PUT"
    assert parse_qs(request.url.query.decode()) == {"summarizeErrors": ["false"], "unitdp": ["4"]}
    element = sent(request)["Invoices"][0]
    assert element == {
        "Type": "ACCREC",
        "Contact": {"ContactID": "contact-1"},
        "Date": "2026-03-02",
        "DueDate": "2026-04-01",
        "InvoiceNumber": "INV-1001",
        "Reference": "PO 55",
        "CurrencyCode": "AUD",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "ItemCode": "P-000001",
                "Description": "Managed services",
                "Quantity": 3,
                "UnitAmount": 120.5,
                "AccountCode": "200",
                "TaxType": "OUTPUT",
            }
        ],
    }
    assert results[0].outcome is Outcome.CREATED
    assert results[0].request == element  # the timeline shows what was sent for this record


@pytest.mark.parametrize(
    ("entity", "path", "number_field", "due_field", "status", "expected"),
    [
        (EntityType.SALES_ORDER, "Quotes", "QuoteNumber", "ExpiryDate", "submitted", "SENT"),
        (
            EntityType.PURCHASE_ORDER,
            "PurchaseOrders",
            "PurchaseOrderNumber",
            "DeliveryDate",
            "draft",
            "DRAFT",
        ),
        (
            EntityType.CREDIT_NOTE,
            "CreditNotes",
            "CreditNoteNumber",
            "DueDate",
            "paid",
            "AUTHORISED",
        ),
        (EntityType.INVOICE, "Invoices", "InvoiceNumber", "DueDate", "submitted", "SUBMITTED"),
    ],
)
def test_each_document_type_goes_to_its_endpoint(
    fake: FakeXero,
    clock: VirtualClock,
    entity: EntityType,
    path: str,
    number_field: str,
    due_field: str,
    status: str,
    expected: str,
) -> None:
    id_field = {"Quotes": "QuoteID", "PurchaseOrders": "PurchaseOrderID"}.get(
        path, path[:-1] + "ID"
    )
    fake.route("PUT", f"/api.xro/2.0/{path}", accept_all(id_field, path))
    results = make(fake, clock).push(TENANT, entity, [doc(entity, "D-1", status)])
    element = sent(fake.writes()[0])[path][0]
    assert element[number_field] == "D-1"
    assert element[due_field] == "2026-04-01"
    assert element["Status"] == expected
    if entity is EntityType.CREDIT_NOTE:
        assert element["Type"] == "ACCRECCREDIT"
    assert results[0].outcome is Outcome.CREATED


def test_unknown_status_is_rejected_naming_what_is_accepted(
    fake: FakeXero, clock: VirtualClock
) -> None:
    results = make(fake, clock).push(
        TENANT, EntityType.INVOICE, [doc(EntityType.INVOICE, status="archived")]
    )
    assert results[0].outcome is Outcome.REJECTED
    assert "accepted: draft, submitted, authorised, paid, voided" in results[0].message


# --- batches and per-element results --------------------------------------------------------------


def test_batches_are_split_at_50_and_results_keep_their_order(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route("POST", "/api.xro/2.0/Contacts", accept_all("ContactID", "Contacts"))
    items = [party(n) for n in range(120)]
    results = make(fake, clock).push(TENANT, EntityType.CLIENT, items)
    sizes = [len(sent(r)["Contacts"]) for r in fake.writes()]
    assert sizes == [50, 50, 20]
    assert [r.key for r in results] == [i.key for i in items]
    assert all(r.outcome is Outcome.CREATED for r in results)


def test_every_write_says_summarize_errors_false_tenant_and_idempotency_key(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route("POST", "/api.xro/2.0/Contacts", accept_all("ContactID", "Contacts"))
    make(fake, clock).push(TENANT, EntityType.CLIENT, [party(1)])
    request = fake.writes()[0]
    assert parse_qs(request.url.query.decode()) == {"summarizeErrors": ["false"]}
    assert request.headers["xero-tenant-id"] == TENANT
    assert request.headers["Authorization"] == "Bearer access-1"
    key = request.headers["Idempotency-Key"]
    assert key.startswith("bs-") and len(key) <= 128


def test_idempotency_key_is_stable_for_the_same_request_and_changes_with_the_body() -> None:
    items = [party(1), party(2)]
    body = {"Contacts": [{"Name": "a"}]}
    assert batch_key(items, body) == batch_key(list(items), {"Contacts": [{"Name": "a"}]})
    assert batch_key(items, body) != batch_key(items, {"Contacts": [{"Name": "b"}]})
    assert batch_key(items, body) != batch_key(items[:1], body)


def xero_errors(*messages: str) -> list[dict[str, str]]:
    return [{"Message": m} for m in messages]


def test_mixed_batch_maps_each_element_and_translates_xeros_reasons(
    fake: FakeXero, clock: VirtualClock
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        invoices = sent(request)["Invoices"]
        answers = [
            {**invoices[0], "InvoiceID": "inv-ok", "StatusAttributeString": "OK"},
            {
                **invoices[1],
                "StatusAttributeString": "ERROR",
                "HasErrors": True,
                "ValidationErrors": xero_errors(
                    "Account code '999' is not a valid code for this document."
                ),
            },
            {
                **invoices[2],
                "StatusAttributeString": "ERROR",
                "ValidationErrors": xero_errors(
                    "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of transaction."
                ),
            },
            {**invoices[3], "InvoiceID": "inv-ok-2", "StatusAttributeString": "WARNING"},
        ]
        return httpx.Response(200, json={"Invoices": answers})

    fake.route("PUT", "/api.xro/2.0/Invoices", handler)
    batch = [doc(EntityType.INVOICE, f"INV-{n}") for n in range(4)]
    results = make(fake, clock).push(TENANT, EntityType.INVOICE, batch)
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.CREATED,
    ]
    assert results[0].remote_id == "inv-ok"
    account, tax = results[1], results[2]
    assert account.rule == "account_code.matches_tool"
    assert account.fix == "booksync tenant import 'Acme AU'"
    assert "Account code '999' is not a valid code" in account.message
    assert tax.rule == "tax.mapped"
    assert tax.fix == "booksync tax-rate map RATE --tenant 'Acme AU' --tax-type TAX_TYPE"
    assert tax.response["ValidationErrors"][0]["Message"].startswith("The TaxType code")


def test_duplicate_contact_name_gives_matching_advice(fake: FakeXero, clock: VirtualClock) -> None:
    message = (
        "The contact name Client 1 is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )

    def handler(request: httpx.Request) -> httpx.Response:
        element = sent(request)["Contacts"][0]
        return httpx.Response(
            200,
            json={
                "Contacts": [
                    {
                        **element,
                        "HasValidationErrors": True,
                        "ValidationErrors": xero_errors(message),
                    }
                ]
            },
        )

    fake.route("POST", "/api.xro/2.0/Contacts", handler)
    result = make(fake, clock).push(TENANT, EntityType.CLIENT, [party(1)])[0]
    assert result.outcome is Outcome.REJECTED
    assert result.fix == "booksync tenant import 'Acme AU'"
    assert "links C-000001 to it" in result.message
    assert "booksync sync retry client C-000001" in result.message


def validation_exception(elements: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(
        400,
        json={
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def test_a_refused_request_rejects_the_named_elements_and_sends_the_others_again(
    fake: FakeXero, clock: VirtualClock
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        elements = sent(request)["Invoices"]
        return validation_exception(
            [
                {**elements[0], "ValidationErrors": xero_errors("Account must be valid.")},
                {**elements[1], "ValidationErrors": []},
            ]
        )

    fake.route("PUT", "/api.xro/2.0/Invoices", handler)
    batch = [doc(EntityType.INVOICE, "INV-1"), doc(EntityType.INVOICE, "INV-2")]
    results = make(fake, clock).push(TENANT, EntityType.INVOICE, batch)
    assert results[0].outcome is Outcome.REJECTED
    assert results[0].rule == "account_code.matches_tool"
    # Nothing in a refused request is applied: the innocent element goes again (after a lookup).
    assert results[1].outcome is Outcome.UNKNOWN
    assert "other elements" in results[1].message


def test_a_summarised_refusal_is_paired_by_number(fake: FakeXero, clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        second = sent(request)["Invoices"][1]
        return validation_exception(
            [{**second, "ValidationErrors": xero_errors("Invoice # must be unique.")}]
        )

    fake.route("PUT", "/api.xro/2.0/Invoices", handler)
    batch = [doc(EntityType.INVOICE, "INV-1"), doc(EntityType.INVOICE, "INV-2")]
    results = make(fake, clock).push(TENANT, EntityType.INVOICE, batch)
    assert [r.outcome for r in results] == [Outcome.UNKNOWN, Outcome.REJECTED]
    assert "renumber" in results[1].message


def test_a_refusal_naming_no_element_rejects_all_with_xeros_message(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route(
        "POST",
        "/api.xro/2.0/Contacts",
        lambda r: httpx.Response(
            400,
            json={
                "ErrorNumber": 14,
                "Type": "PostDataInvalidException",
                "Message": "Invalid Json data: unexpected token",
            },
        ),
    )
    results = make(fake, clock).push(TENANT, EntityType.CLIENT, [party(1), party(2)])
    assert [r.outcome for r in results] == [Outcome.REJECTED, Outcome.REJECTED]
    assert results[0].message.startswith("Invalid Json data")


def test_rate_limited_push_raises_transient_with_retry_after(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route(
        "POST",
        "/api.xro/2.0/Contacts",
        lambda r: httpx.Response(
            429, headers={"Retry-After": "3600", "X-Rate-Limit-Problem": "day"}
        ),
    )
    with pytest.raises(TransientError) as caught:
        make(fake, clock).push(TENANT, EntityType.CLIENT, [party(1)])
    assert caught.value.retry_after == 3600


# --- lookups --------------------------------------------------------------------------------------


def test_lookup_uses_where_filters_and_matches_exactly(fake: FakeXero, clock: VirtualClock) -> None:
    def contacts(request: httpx.Request) -> httpx.Response:
        where = request.url.params["where"]
        assert where == 'ContactNumber=="C-000001"'
        return httpx.Response(
            200, json={"Contacts": [{"ContactID": "c-1", "ContactNumber": "C-000001"}]}
        )

    def invoices(request: httpx.Request) -> httpx.Response:
        # Only invoices this app created count (createdByMyApp, spec line 7437).
        assert request.url.params["InvoiceNumbers"] == 'INV-"7'
        assert request.url.params["createdByMyApp"] == "true"
        return httpx.Response(200, json={"Invoices": []})

    fake.route("GET", "/api.xro/2.0/Contacts", contacts)
    fake.route("GET", "/api.xro/2.0/Invoices", invoices)
    connector = make(fake, clock)
    assert connector.lookup(TENANT, EntityType.CLIENT, "C-000001") == "c-1"
    assert connector.lookup(TENANT, EntityType.INVOICE, 'INV-"7') is None


def test_lookup_of_purchase_orders_and_quotes(fake: FakeXero, clock: VirtualClock) -> None:
    fake.route(
        "GET",
        "/api.xro/2.0/PurchaseOrders/PO-1",
        lambda r: httpx.Response(
            200,
            json={"PurchaseOrders": [{"PurchaseOrderID": "po-1", "PurchaseOrderNumber": "PO-1"}]},
        ),
    )
    fake.route(
        "GET",
        "/api.xro/2.0/Quotes",
        lambda r: httpx.Response(
            200,
            json={
                "Quotes": [
                    {
                        "QuoteID": "q-old",
                        "QuoteNumber": r.url.params["QuoteNumber"],
                        "Status": "DELETED",
                    },
                    {
                        "QuoteID": "q-1",
                        "QuoteNumber": r.url.params["QuoteNumber"],
                        "Status": "DRAFT",
                    },
                ]
            },
        ),
    )
    connector = make(fake, clock)
    assert connector.lookup(TENANT, EntityType.PURCHASE_ORDER, "PO-1") == "po-1"
    assert connector.lookup(TENANT, EntityType.PURCHASE_ORDER, "PO-2") is None  # 404
    assert connector.lookup(TENANT, EntityType.SALES_ORDER, "SO-1") == "q-1"


# --- imports --------------------------------------------------------------------------------------


def test_import_of_accounts_tax_rates_contacts_and_items(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route(
        "GET",
        "/api.xro/2.0/Accounts",
        lambda r: httpx.Response(
            200,
            json={
                "Accounts": [
                    {
                        "Code": "200",
                        "Name": "Sales",
                        "Type": "REVENUE",
                        "Class": "REVENUE",
                        "Status": "ACTIVE",
                    },
                    {
                        "Code": "310",
                        "Name": "Cost of Goods",
                        "Type": "DIRECTCOSTS",
                        "Class": "EXPENSE",
                        "Status": "ARCHIVED",
                    },
                    {
                        "Code": "090",
                        "Name": "Bank",
                        "Type": "BANK",
                        "Class": "ASSET",
                        "Status": "ACTIVE",
                    },
                    {"Name": "No code", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE"},
                ]
            },
        ),
    )
    fake.route(
        "GET",
        "/api.xro/2.0/TaxRates",
        lambda r: httpx.Response(
            200,
            content=b'{"TaxRates": [{"Name": "GST on Income", "TaxType": "OUTPUT", '
            b'"EffectiveRate": 10.0000, "Status": "ACTIVE"}, {"Name": "Old", "TaxType": "TAX002", '
            b'"EffectiveRate": 12.5, "Status": "DELETED"}]}',
            headers={"Content-Type": "application/json"},
        ),
    )

    def contacts(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        assert request.url.params["includeArchived"] == "true"
        rows = [
            {"ContactID": f"c-{page}-{i}", "Name": f"Contact {page}-{i}", "ContactStatus": "ACTIVE"}
            for i in range(100 if page == 1 else 3)
        ]
        if page == 2:
            rows[0]["ContactStatus"] = "ARCHIVED"
            rows[1]["ContactNumber"] = "C-000009"
        return httpx.Response(200, json={"Contacts": rows})

    fake.route("GET", "/api.xro/2.0/Contacts", contacts)
    fake.route(
        "GET",
        "/api.xro/2.0/Items",
        lambda r: httpx.Response(
            200, json={"Items": [{"ItemID": "i-1", "Code": "P-1", "Name": "Thing"}]}
        ),
    )
    connector = make(fake, clock)
    assert connector.account_codes(TENANT) == [
        RemoteAccount("200", "Sales", AccountKind.INCOME, True),
        RemoteAccount("310", "Cost of Goods", AccountKind.EXPENSE, False),
    ]
    taxes = connector.tax_types(TENANT)
    assert [(t.tax_type, t.percent, t.active) for t in taxes] == [
        ("OUTPUT", Decimal("10.0000"), True),
        ("TAX002", Decimal("12.5"), False),
    ]
    contacts_found = connector.contacts(TENANT)
    assert len(contacts_found) == 103
    assert not contacts_found[100].active
    assert contacts_found[101].number == "C-000009"
    assert [(i.remote_id, i.code) for i in connector.items(TENANT)] == [("i-1", "P-1")]
    assert all(r.headers["xero-tenant-id"] == TENANT for r in fake.requests)


def test_list_tenants_reads_connections_and_each_organisations_currency(
    fake: FakeXero, clock: VirtualClock
) -> None:
    fake.route(
        "GET",
        "/connections",
        lambda r: httpx.Response(
            200,
            json=[
                {
                    "id": "x",
                    "tenantId": TENANT,
                    "tenantType": "ORGANISATION",
                    "tenantName": "Acme AU",
                },
                {"id": "y", "tenantId": "p-1", "tenantType": "PRACTICE", "tenantName": "Practice"},
            ],
        ),
    )
    fake.route(
        "GET",
        "/api.xro/2.0/Organisation",
        lambda r: httpx.Response(
            200, json={"Organisations": [{"Name": "Acme", "BaseCurrency": "AUD"}]}
        ),
    )
    tenants = make(fake, clock).list_tenants()
    assert [(t.remote_id, t.name, t.base_currency) for t in tenants] == [(TENANT, "Acme AU", "AUD")]
    assert "xero-tenant-id" not in fake.requests[0].headers


# --- tokens ---------------------------------------------------------------------------------------


def token_endpoint(fake: FakeXero, issued: list[dict[str, str]], *, fail: bool = False) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        issued.append(form)
        if fail:
            return httpx.Response(400, json={"error": "invalid_grant"})
        n = len(issued) + 1
        return httpx.Response(
            200,
            json={
                "access_token": f"access-{n}",
                "refresh_token": f"refresh-{n}",
                "expires_in": 1800,
                "token_type": "Bearer",
            },
        )

    fake.route("POST", "/connect/token", handler)


def test_tokens_refresh_before_expiry_and_rotation_is_persisted(
    fake: FakeXero, clock: VirtualClock
) -> None:
    issued: list[dict[str, str]] = []
    saved: list[TokenSet] = []
    token_endpoint(fake, issued)
    fake.route("GET", "/api.xro/2.0/Items", lambda r: httpx.Response(200, json={"Items": []}))
    connector = make(fake, clock, on_tokens_refreshed=saved.append)
    connector.items(TENANT)
    assert issued == []  # 30 minutes left: no refresh
    clock.sleep(29 * 60)  # inside the margin before expiry
    connector.items(TENANT)
    assert issued == [
        {"grant_type": "refresh_token", "refresh_token": "refresh-1", "client_id": "client-1"}
    ]
    assert [t.refresh_token for t in saved] == ["refresh-2"]
    assert fake.requests[-1].headers["Authorization"] == "Bearer access-2"
    clock.sleep(29 * 60)
    connector.items(TENANT)
    assert issued[-1]["refresh_token"] == "refresh-2"  # the rotated token is the one used next


def test_token_expired_answer_refreshes_once_and_retries(
    fake: FakeXero, clock: VirtualClock
) -> None:
    issued: list[dict[str, str]] = []
    token_endpoint(fake, issued)

    def items(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer access-1":
            return httpx.Response(
                401,
                json={
                    "Title": "Unauthorized",
                    "Status": 401,
                    "Detail": "TokenExpired: token expired",
                },
            )
        return httpx.Response(200, json={"Items": [{"ItemID": "i", "Code": "c", "Name": "n"}]})

    fake.route("GET", "/api.xro/2.0/Items", items)
    assert len(make(fake, clock).items(TENANT)) == 1
    assert len(issued) == 1


def test_revoked_refresh_token_is_an_auth_error(fake: FakeXero, clock: VirtualClock) -> None:
    token_endpoint(fake, [], fail=True)
    fake.route("GET", "/api.xro/2.0/Items", lambda r: httpx.Response(200, json={"Items": []}))
    connector = make(fake, clock, minutes=1)
    with pytest.raises(AuthError, match="connect the tenant again") as caught:
        connector.items(TENANT)
    assert "refresh-1" not in str(caught.value)


def test_reloaded_tokens_from_another_worker_are_used_instead_of_refreshing(
    fake: FakeXero, clock: VirtualClock
) -> None:
    issued: list[dict[str, str]] = []
    token_endpoint(fake, issued)
    fake.route("GET", "/api.xro/2.0/Items", lambda r: httpx.Response(200, json={"Items": []}))
    theirs = TokenSet("access-9", "refresh-9", clock.utcnow() + timedelta(minutes=60))
    connector = make(fake, clock, minutes=1, reload_tokens=lambda: theirs)
    connector.items(TENANT)
    assert issued == []
    assert fake.requests[-1].headers["Authorization"] == "Bearer access-9"


def test_token_values_never_show_in_reprs(clock: VirtualClock) -> None:
    assert "access-1" not in repr(tokens(clock))
    assert "refresh-1" not in repr(tokens(clock))
