"""The QuickBooks Online connector against a scripted `httpx.MockTransport`: mapping, batches of 30,
requestid replays, Faults translated into rule ids, SyncToken retries, 429s, pacing and tokens.

`FakeQBO` below is just enough of the v3 API (query, batch, void, company info, token endpoint) to
drive the connector, with switches for the failures it must survive; every request is kept."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from booksync.connectors.http import HttpClient
from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    AuthError,
    Connector,
    ConnectorError,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    OutcomeUnknown,
    PartyPayload,
    PushItem,
    RemoteAccount,
    RemoteTenant,
    TransientError,
)
from booksync.connectors.quickbooks import QuickBooksConnector, discover, request_id
from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.connectors.quickbooks.errors import FaultError, fault_errors, translate
from booksync.domain.types import AccountKind, EntityType
from booksync.services.errors import BadInput
from booksync.sync.pacing import VirtualClock

# --- a scripted QuickBooks Online ----------------------------------------------------------------------

REALM = "9130355377282"
API = "https://qbo.test/v3"
TOKEN_URL = "https://oauth.qbo.test/oauth2/v1/tokens/bearer"
NAMES = ("Customer", "Vendor")

_QUERY = re.compile(
    r"^SELECT \* FROM (\w+)(?: WHERE (.*?))?(?: ORDERBY (.*?))? STARTPOSITION (\d+) "
    r"MAXRESULTS (\d+)$",
    re.S,
)
_IN = re.compile(r"^(\w+) IN \((.*)\)$", re.S)
_EQ = re.compile(r"^(\w+) = '((?:[^'\\]|\\.)*)'$", re.S)


def fault(code: str, message: str, detail: str = "", element: str = "") -> dict[str, Any]:
    return {
        "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
        "type": "ValidationFault",
    }


def _value(row: dict[str, Any], field: str) -> Any:
    """A field as a query compares it: a reference by its Id."""
    value = row.get(field)
    return value.get("value") if isinstance(value, dict) else value


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class FakeQBO:
    """One company (realm). `tables[entity][id]` holds records in QBO's shape."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.next_id = 100
        self.answers: dict[str, bytes] = {}  # requestid -> first answer
        #: element name (DisplayName / Name / DocNumber) -> Fault to answer for it
        self.refuse: dict[str, dict[str, Any]] = {}
        #: answers to give before anything else, one per request: (status, headers, body)
        self.script: list[tuple[int, dict[str, str], Any]] = []
        self.lose_next_answer = False
        self.always_stale = False
        self.issued = 0
        self.token_forms: list[dict[str, str]] = []
        self.token_auth: list[str | None] = []
        self.access = "AT-0"
        #: An MSP's company: booksync's numbers on its sales forms (custom numbers on).
        self.preferences: dict[str, Any] = {
            "CurrencyPrefs": {"HomeCurrency": {"value": "AUD"}},
            "SalesFormsPrefs": {"CustomTxnNumbers": True},
        }
        self.country = "AU"
        self.seed()

    # --- data -------------------------------------------------------------------------------------

    def seed(self) -> None:
        self.put(
            "Account",
            {
                "Id": "1",
                "Name": "Services",
                "AcctNum": "4100",
                "Classification": "Revenue",
                "AccountType": "Income",
            },
        )
        self.put(
            "Account",
            {
                "Id": "2",
                "Name": "Sales of Product Income",
                "Classification": "Revenue",
                "AccountType": "Income",
            },
        )
        self.put(
            "Account",
            {
                "Id": "3",
                "Name": "Subcontractors",
                "AcctNum": "6250",
                "Classification": "Expense",
                "AccountType": "Expense",
            },
        )
        self.put(
            "Account",
            {
                "Id": "4",
                "Name": "Old income",
                "AcctNum": "4900",
                "Active": False,
                "Classification": "Revenue",
                "AccountType": "Other Income",
            },
        )
        self.put(
            "Account",
            {
                "Id": "5",
                "Name": "Accounts Receivable (A/R)",
                "Classification": "Asset",
                "AccountType": "Accounts Receivable",
            },
        )
        self.put(
            "Account",
            {
                "Id": "6",
                "Name": "A" * 60,
                "Classification": "Expense",
                "AccountType": "Cost of Goods Sold",
            },
        )
        self.put("TaxRate", {"Id": "1", "Name": "GST (sales)", "RateValue": Decimal("10")})
        self.put("TaxRate", {"Id": "2", "Name": "GST (purchases)", "RateValue": Decimal("10")})
        self.put("TaxRate", {"Id": "3", "Name": "Capital", "RateValue": Decimal("10")})
        self.put(
            "TaxCode",
            {
                "Id": "7",
                "Name": "GST",
                "Description": "GST 10%",
                "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "1"}}]},
                "PurchaseTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "2"}}]},
            },
        )
        self.put(
            "TaxCode",
            {
                "Id": "8",
                "Name": "FRE",
                "Description": "GST free",
                "SalesTaxRateList": {"TaxRateDetail": []},
            },
        )
        self.put(
            "TaxCode",
            {
                "Id": "9",
                "Name": "CAP",
                "PurchaseTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": "3"}}]},
            },
        )
        self.put("Item", {"Id": "1", "Name": "Hours", "Type": "Service"})
        self.put("Item", {"Id": "2", "Name": "Backup", "Sku": "P-BACKUP", "Type": "Service"})
        self.put("Item", {"Id": "3", "Name": "Hardware", "Type": "Category"})

    def put(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        record = {"SyncToken": "0", "Active": True, **record}
        self.tables.setdefault(entity, {})[str(record["Id"])] = record
        return record

    def find(self, entity: str, field: str, value: Any) -> dict[str, Any] | None:
        return next(
            (r for r in self.tables.get(entity, {}).values() if r.get(field) == value), None
        )

    # --- what the connector sent -----------------------------------------------------------------

    def batches(self) -> list[list[dict[str, Any]]]:
        return [
            json.loads(r.content)["BatchItemRequest"]
            for r in self.requests
            if r.method == "POST" and r.url.path.endswith("/batch")
        ]

    def batch_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/batch")]

    def queries(self) -> list[str]:
        return [r.url.params["query"] for r in self.requests if r.url.path.endswith("/query")]

    # --- the API --------------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/tokens/bearer"):
            return self._token(request)
        if self.script:
            status, headers, body = self.script.pop(0)
            return httpx.Response(status, headers=headers, json=body)
        if request.headers.get("Authorization") != f"Bearer {self.access}":
            return httpx.Response(
                401,
                json={
                    "fault": {
                        "error": [
                            {
                                "message": "AuthenticationFailed",
                                "detail": "Token expired",
                                "code": "3200",
                            }
                        ],
                        "type": "AUTHENTICATION",
                    }
                },
            )
        assert request.url.params["minorversion"] == "75"
        prefix = f"/v3/company/{REALM}/"
        assert path.startswith(prefix), path
        route = path[len(prefix) :]
        if route == "query":
            return self._query(request.url.params["query"])
        if route == f"companyinfo/{REALM}":
            return _ok({"CompanyInfo": {"CompanyName": "Acme Pty Ltd", "Country": self.country}})
        if route == "preferences":
            return _ok({"Preferences": self.preferences})
        if route == "batch":
            return self._replayable(request, self._batch)
        if route == "invoice" and request.url.params.get("operation") == "void":
            return self._replayable(request, self._void)
        return httpx.Response(400, json={"Fault": fault("500", "Unsupported Operation", path)})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_forms.append(form)
        self.token_auth.append(request.headers.get("Authorization"))
        self.issued += 1
        self.access = f"AT-{self.issued}"
        return _ok(
            {
                "access_token": self.access,
                "refresh_token": f"RT-{self.issued}",
                "expires_in": 3600,
                "x_refresh_token_expires_in": 8640000,
                "token_type": "bearer",
            }
        )

    def _replayable(
        self, request: httpx.Request, handler: Callable[[dict[str, Any]], httpx.Response]
    ) -> httpx.Response:
        key = request.url.params.get("requestid")
        assert key and len(key) <= 36, key
        if key in self.answers:
            return httpx.Response(
                200, content=self.answers[key], headers={"content-type": "application/json"}
            )
        response = handler(json.loads(request.content))
        self.answers[key] = response.content
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def _query(self, statement: str) -> httpx.Response:
        match = _QUERY.match(statement)
        assert match, statement
        entity, where, order = match.group(1), match.group(2), match.group(3)
        start, size = match.group(4), match.group(5)
        rows = list(self.tables.get(entity, {}).values())
        for condition in (where or "").split(" AND "):
            if not condition or condition == "Active IN (true, false)":
                continue
            found = _IN.match(condition)
            if found:
                values = {_unquote(v.strip()[1:-1]) for v in found.group(2).split(",")}
                rows = [r for r in rows if str(_value(r, found.group(1))) in values]
            else:
                eq = _EQ.match(condition)
                assert eq, condition
                rows = [r for r in rows if str(_value(r, eq.group(1))) == _unquote(eq.group(2))]
        if order == "MetaData.CreateTime DESC":
            rows.reverse()  # created in Id order
        page = rows[int(start) - 1 : int(start) - 1 + int(size)]
        body: dict[str, Any] = {"startPosition": int(start), "maxResults": len(page)}
        if page:
            body[entity] = page
        return _ok({"QueryResponse": body, "time": "2026-11-02T01:00:00.000-08:00"})

    def _batch(self, body: dict[str, Any]) -> httpx.Response:
        requests = body["BatchItemRequest"]
        if len(requests) > 30:
            return httpx.Response(
                400, json={"Fault": fault("10000", "Too many operations", "at most 30")}
            )
        out = []
        for entry in requests:
            bid, operation = entry["bId"], entry["operation"]
            entity = next(k for k in entry if k not in ("bId", "operation"))
            try:
                out.append({"bId": bid, entity: self._apply(entity, operation, entry[entity])})
            except _Refused as refused:
                out.append({"bId": bid, "Fault": refused.fault})
        return _ok({"BatchItemResponse": out, "time": "2026-11-02T01:00:00.000-08:00"})

    def _apply(self, entity: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        label = body.get("DisplayName") or body.get("Name") or body.get("DocNumber")
        if label in self.refuse:
            raise _Refused(self.refuse[label])
        table = self.tables.setdefault(entity, {})
        current = table.get(str(body.get("Id"))) if body.get("Id") else None
        if operation != "create":
            if current is None:
                raise _Refused(fault("610", "Object Not Found", f"{entity} {body.get('Id')}"))
            if self.always_stale or body.get("SyncToken") != current["SyncToken"]:
                raise _Refused(fault("5010", "Stale Object Error", "Stale Object Error : ..."))
        if operation == "delete":
            del table[current["Id"]]  # type: ignore[index]
            return {"Id": current["Id"], "status": "Deleted"}  # type: ignore[index]
        merged = {**(current or {}), **{k: v for k, v in body.items() if k != "sparse"}}
        self._unique(entity, merged, current)
        if current is None:
            self.next_id += 1
            merged.update(Id=str(self.next_id), SyncToken="0", Active=True)
        else:
            merged["SyncToken"] = str(int(current["SyncToken"]) + 1)
        table[merged["Id"]] = merged
        return merged

    def _unique(self, entity: str, merged: dict[str, Any], current: Any) -> None:
        own = current["Id"] if current else None
        if entity in NAMES:
            for other in NAMES:
                for record in self.tables.get(other, {}).values():
                    if record["DisplayName"].casefold() == merged["DisplayName"].casefold() and (
                        other != entity or record["Id"] != own
                    ):
                        raise _Refused(
                            fault(
                                "6240",
                                "Duplicate Name Exists Error",
                                "The name supplied already exists. : Another customer, "
                                "vendor or employee is already using this name.",
                            )
                        )
        if entity == "Item":
            for record in self.tables["Item"].values():
                if record["Name"].casefold() == merged["Name"].casefold() and record["Id"] != own:
                    raise _Refused(fault("6240", "Duplicate Name Exists Error", "item name"))
        if merged.get("DocNumber"):
            for record in self.tables.get(entity, {}).values():
                if record.get("DocNumber") == merged["DocNumber"] and record["Id"] != own:
                    raise _Refused(
                        fault(
                            "6140",
                            "Duplicate Document Number Error",
                            f"DocNumber={merged['DocNumber']}",
                        )
                    )

    def _void(self, body: dict[str, Any]) -> httpx.Response:
        current = self.tables.get("Invoice", {}).get(str(body["Id"]))
        if current is None:
            return httpx.Response(400, json={"Fault": fault("610", "Object Not Found", "Invoice")})
        if body["SyncToken"] != current["SyncToken"]:
            return httpx.Response(400, json={"Fault": fault("5010", "Stale Object Error", "...")})
        current.update(
            SyncToken=str(int(current["SyncToken"]) + 1), PrivateNote="Voided", Line=[], TotalAmt=0
        )
        return _ok({"Invoice": current})


class _Refused(Exception):
    def __init__(self, fault: dict[str, Any]) -> None:
        super().__init__(fault)
        self.fault = fault


def _ok(body: Any) -> httpx.Response:
    return httpx.Response(200, content=_dumps(body), headers={"content-type": "application/json"})


def _dumps(body: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)  # only on the fake's way out; the connector reads Decimals back
        raise TypeError(value)

    return json.dumps(body, default=default).encode()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# --- fixtures and payloads -------------------------------------------------------------------------


def tokens(clock: VirtualClock, minutes: float = 60) -> TokenSet:
    return TokenSet("AT-0", "RT-0", clock.utcnow() + timedelta(minutes=minutes))


def make(
    fake: FakeQBO, clock: VirtualClock, *, minutes: float = 60, **kwargs: Any
) -> QuickBooksConnector:
    return QuickBooksConnector(
        tokens(clock, minutes),
        realm=REALM,
        base_url=API,
        token_url=TOKEN_URL,
        client_id="app-1",
        client_secret="secret-1",
        transport=httpx.MockTransport(fake),
        clock=clock,
        tenant_names={REALM: "Acme AU"},
        **kwargs,
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> FakeQBO:
    return FakeQBO(clock)


@pytest.fixture
def qbo(fake: FakeQBO, clock: VirtualClock) -> Iterator[QuickBooksConnector]:
    connector = make(fake, clock)
    yield connector
    connector.close()


def party(
    n: int,
    entity: EntityType = EntityType.CLIENT,
    *,
    name: str | None = None,
    remote_id: str | None = None,
    key: str | None = None,
) -> PushItem:
    number = f"{'C' if entity is EntityType.CLIENT else 'S'}-{n:06d}"
    payload = PartyPayload(entity, name or f"Client {n}", f"c{n}@example.com", "AUD", number)
    return PushItem(key or f"k-{number}", entity, n, number, remote_id, payload)


def product(code: str = "P-000001", name: str = "Managed services", **overrides: Any) -> PushItem:
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": "Monthly managed services",
        "price": Decimal("120.50"),
        "cost": None,
        "income_account_code": "4100",
        "expense_account_code": None,
        "tax_type": "GST",
    }
    remote_id = overrides.pop("remote_id", None)
    values.update(overrides)
    return PushItem(f"k-{code}", EntityType.PRODUCT, 1, code, remote_id, ItemPayload(**values))


def line(**overrides: Any) -> LinePayload:
    values: dict[str, Any] = {
        "item_code": "P-BACKUP",
        "item_remote_id": "2",
        "description": "Backup, per seat",
        "quantity": Decimal("3"),
        "unit_price": Decimal("33.335"),
        "account_code": "4100",
        "tax_type": "GST",
        "tax_percent": Decimal("10"),
    }
    values.update(overrides)
    return LinePayload(**values)


def doc(
    entity: EntityType = EntityType.INVOICE,
    number: str = "INV-1001",
    status: str = "authorised",
    *,
    remote_id: str | None = None,
    **overrides: Any,
) -> PushItem:
    values: dict[str, Any] = {
        "entity": entity,
        "number": number,
        "contact_remote_id": "58",
        "contact_name": "Client 1",
        "issue_date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "AUD",
        "status": status,
        "reference": "PO 55",
        "lines": (line(),),
    }
    values.update(overrides)
    return PushItem(f"k-{number}", entity, 1, number, remote_id, DocumentPayload(**values))


def sent(fake: FakeQBO, n: int = -1) -> list[dict[str, Any]]:
    """The BatchItemRequests of the n-th batch, with numbers read back as Decimal."""
    request = fake.batch_requests()[n]
    return json.loads(request.content, parse_float=Decimal)["BatchItemRequest"]


# --- the protocol ---------------------------------------------------------------------------------


def test_is_a_connector_with_quickbooks_limits(qbo: QuickBooksConnector) -> None:
    assert isinstance(qbo, Connector)
    assert qbo.limits.batch_for(EntityType.INVOICE) == 30
    assert qbo.limits.batch_for(EntityType.CLIENT) == 30
    assert qbo.limits.calls_per_minute == 500
    assert qbo.limits.concurrency == 10


def test_registry_builds_it(clock: VirtualClock) -> None:
    from booksync.connectors import connector_for

    built = connector_for("quickbooks", tokens=tokens(clock), realm=REALM, base_url=API)
    assert isinstance(built, QuickBooksConnector)
    built.close()


# --- mapping --------------------------------------------------------------------------------------


def test_customers_and_vendors_go_by_display_name_with_currency_only_on_create(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    results = qbo.push(REALM, EntityType.CLIENT, [party(1)])
    assert results[0].outcome is Outcome.CREATED
    (request,) = sent(fake)
    assert request["operation"] == "create" and request["bId"]
    assert request["Customer"] == {
        "DisplayName": "Client 1",
        "PrimaryEmailAddr": {"Address": "c1@example.com"},
        "CurrencyRef": {"value": "AUD"},
    }
    remote = str(results[0].remote_id)
    qbo.push(REALM, EntityType.CLIENT, [party(1, name="Client One", remote_id=remote, key="k2")])
    (update,) = sent(fake)
    assert update["operation"] == "update"
    assert update["Customer"] == {
        "Id": remote,
        "SyncToken": "0",
        "DisplayName": "Client One",
        "PrimaryEmailAddr": {"Address": "c1@example.com"},
        "sparse": True,
    }
    assert fake.tables["Customer"][remote]["DisplayName"] == "Client One"
    vendor = qbo.push(REALM, EntityType.SUPPLIER, [party(2, EntityType.SUPPLIER, name="Telco")])
    assert vendor[0].outcome is Outcome.CREATED
    assert "Vendor" in sent(fake)[0]


def test_a_name_quickbooks_cannot_hold_is_refused_before_sending(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1, name="Acme: Sydney")])
    assert result.outcome is Outcome.REJECTED
    assert "client name 'Acme: Sydney' contains ':'" in result.message
    assert result.fix == "booksync client edit 'C-000001' --name NAME"
    assert fake.batches() == []


def test_items_resolve_accounts_and_tax_codes_to_quickbooks_ids(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    service = product()
    resold = product(
        "P-000002",
        "Firewall",
        cost=Decimal("80.10"),
        income_account_code="Sales of Product Income",  # no number: imported by its name
        expense_account_code="6250",
    )
    results = qbo.push(REALM, EntityType.PRODUCT, [service, resold])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]
    first, second = (r["Item"] for r in sent(fake))
    assert first == {
        "Name": "Managed services",
        "Sku": "P-000001",
        "Type": "Service",
        "Description": "Monthly managed services",
        "IncomeAccountRef": {"value": "1"},
        "UnitPrice": Decimal("120.50"),
        "SalesTaxCodeRef": {"value": "7"},
    }
    assert second["Type"] == "NonInventory"
    assert second["IncomeAccountRef"] == {"value": "2"}
    assert second["ExpenseAccountRef"] == {"value": "3"}
    assert second["PurchaseCost"] == Decimal("80.10")
    assert b'"UnitPrice":120.50' in fake.batch_requests()[-1].content  # exact, never via float


def test_an_item_whose_account_or_tax_code_is_unknown_names_the_rule_and_sends_nothing(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    results = qbo.push(
        REALM,
        EntityType.PRODUCT,
        [
            product(income_account_code="999"),
            product("P-2", income_account_code="4900"),  # archived in QuickBooks
            product("P-3", income_account_code=None),
            product("P-4", tax_type="OUTPUT9"),
        ],
    )
    assert [r.rule for r in results] == [
        "account_code.matches_tool",
        "account_code.matches_tool",
        "account_code.set",
        "tax.mapped",
    ]
    assert "account code '999' is not an active account" in results[0].message
    assert fake.batches() == []


def test_an_account_added_in_quickbooks_later_is_found_after_reading_the_chart_again(
    qbo: QuickBooksConnector, fake: FakeQBO, clock: VirtualClock
) -> None:
    (first,) = qbo.push(REALM, EntityType.PRODUCT, [product(income_account_code="4200")])
    assert first.rule == "account_code.matches_tool"
    fake.put("Account", {"Id": "40", "Name": "Consulting", "AcctNum": "4200",
                         "Classification": "Revenue", "AccountType": "Income"})  # fmt: skip
    reads = len([q for q in fake.queries() if "FROM Account" in q])
    (soon,) = qbo.push(REALM, EntityType.PRODUCT, [product(income_account_code="4200")])
    assert soon.outcome is Outcome.REJECTED  # read a moment ago: not read again for every push
    assert len([q for q in fake.queries() if "FROM Account" in q]) == reads
    clock.sleep(300)
    (later,) = qbo.push(REALM, EntityType.PRODUCT, [product(income_account_code="4200")])
    assert later.outcome is Outcome.CREATED
    assert sent(fake)[0]["Item"]["IncomeAccountRef"] == {"value": "40"}


def test_an_invoice_is_a_tax_exclusive_invoice_of_item_lines(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    (result,) = qbo.push(REALM, EntityType.INVOICE, [doc()])
    assert result.outcome is Outcome.CREATED
    (request,) = sent(fake)
    invoice = request["Invoice"]
    assert invoice == {
        "CustomerRef": {"value": "58"},
        "DocNumber": "INV-1001",
        "TxnDate": "2026-11-02",
        "DueDate": "2026-12-02",
        "CurrencyRef": {"value": "AUD"},
        "CustomerMemo": {"value": "PO 55"},  # prints on the invoice
        "PrivateNote": "[booksync INV-1001]",  # booksync's trace, never printed
        "GlobalTaxCalculation": "TaxExcluded",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal("100.01"),  # 3 × 33.335, rounded half up as QuickBooks checks
                "Description": "Backup, per seat",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "2"},
                    "Qty": Decimal("3"),
                    "UnitPrice": Decimal("33.335"),
                    "TaxCodeRef": {"value": "7"},
                },
            }
        ],
    }


def test_sales_orders_are_estimates_and_purchase_orders_use_expense_lines(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    qbo.push(REALM, EntityType.SALES_ORDER, [doc(EntityType.SALES_ORDER, "SO-7")])
    estimate = sent(fake)[0]["Estimate"]
    assert estimate["ExpirationDate"] == "2026-12-02" and "DueDate" not in estimate
    assert estimate["TxnStatus"] == "Accepted"
    assert estimate["Line"][0]["DetailType"] == "SalesItemLineDetail"

    qbo.push(REALM, EntityType.PURCHASE_ORDER, [doc(EntityType.PURCHASE_ORDER, "PO-3", "draft")])
    order = sent(fake)[0]["PurchaseOrder"]
    assert order["VendorRef"] == {"value": "58"} and "CustomerRef" not in order
    assert order["POStatus"] == "Open"
    assert order["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"] == {"value": "2"}

    qbo.push(REALM, EntityType.CREDIT_NOTE, [doc(EntityType.CREDIT_NOTE, "CN-1")])
    memo = sent(fake)[0]["CreditMemo"]
    assert memo["CustomerRef"] == {"value": "58"} and "DueDate" not in memo
    assert set(fake.tables) >= {"Estimate", "PurchaseOrder", "CreditMemo"}


def test_documents_quickbooks_cannot_take_name_the_rule_or_the_field(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    results = qbo.push(
        REALM,
        EntityType.INVOICE,
        [
            doc(number="INV-1", contact_remote_id=None),
            doc(number="INV-2", lines=(line(item_remote_id=None),)),
            doc(number="INV-" + "9" * 20),
            doc(number="INV-4", status="archived"),
            doc(number="INV-5", status="voided"),
        ],
    )
    assert [r.rule for r in results[:2]] == ["dependency.client", "dependency.product"]
    assert "at most 21 in DocNumber" in results[2].message
    assert "accepted: draft, submitted, authorised, paid, voided" in results[3].message
    assert "voided and never reached QuickBooks" in results[4].message
    assert all(r.outcome is Outcome.REJECTED for r in results)
    assert fake.batches() == []
    (po,) = qbo.push(
        REALM,
        EntityType.PURCHASE_ORDER,
        [doc(EntityType.PURCHASE_ORDER, "PO-1", contact_remote_id=None)],
    )
    assert po.rule == "dependency.supplier"


def test_us_companies_mark_items_taxable_and_leave_tax_calculation_to_quickbooks(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    """The tax model follows CompanyInfo.Country, not the codes the lines happen to name."""
    fake.country = "US"
    fake.put("TaxCode", {"Id": "TAX", "Name": "TAX"})
    fake.put("TaxCode", {"Id": "NON", "Name": "NON"})
    qbo.push(REALM, EntityType.PRODUCT, [product(tax_type="TAX")])
    item = sent(fake)[0]["Item"]
    assert item["Taxable"] is True and "SalesTaxCodeRef" not in item
    qbo.push(REALM, EntityType.INVOICE, [doc(lines=(line(tax_type="NON"),))])
    invoice = sent(fake)[0]["Invoice"]
    assert "GlobalTaxCalculation" not in invoice and "TxnTaxDetail" not in invoice
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    # A rate code (here "GST", Id 7) becomes TAX on the line and the transaction's tax code.
    qbo.push(REALM, EntityType.INVOICE, [doc(number="INV-2")])
    invoice = sent(fake)[0]["Invoice"]
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert invoice["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "7"}}
    # With automated sales tax the ship-to address decides: no transaction tax code is sent.
    fake.preferences["TaxPrefs"] = {"PartnerTaxEnabled": True}
    qbo.company(REALM, again=True)
    qbo.push(REALM, EntityType.INVOICE, [doc(number="INV-3")])
    assert "TxnTaxDetail" not in sent(fake)[0]["Invoice"]


def test_an_au_company_that_names_a_tax_code_tax_still_gets_the_global_model(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.put("TaxCode", {"Id": "TAX", "Name": "TAX"})
    qbo.push(REALM, EntityType.INVOICE, [doc(lines=(line(tax_type="TAX"),))])
    invoice = sent(fake)[0]["Invoice"]
    assert invoice["GlobalTaxCalculation"] == "TaxExcluded"
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}


def test_without_custom_numbers_quickbooks_numbers_the_invoice_and_booksync_sends_none(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.preferences["SalesFormsPrefs"]["CustomTxnNumbers"] = False
    (made,) = qbo.push(REALM, EntityType.INVOICE, [doc()])
    invoice = sent(fake)[0]["Invoice"]
    assert "DocNumber" not in invoice and invoice["PrivateNote"] == "[booksync INV-1001]"
    assert made.outcome is Outcome.CREATED
    # Purchase orders are numbered under a setting of their own: they keep booksync's number.
    qbo.push(REALM, EntityType.PURCHASE_ORDER, [doc(EntityType.PURCHASE_ORDER, "PO-1")])
    assert sent(fake)[0]["PurchaseOrder"]["DocNumber"] == "PO-1"


# --- batches, requestid, replays --------------------------------------------------------------------


def test_batches_hold_at_most_30_operations_and_answers_keep_the_push_order(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    items = [party(n) for n in range(65)]
    results = qbo.push(REALM, EntityType.CLIENT, items)
    assert [len(b) for b in fake.batches()] == [30, 30, 5]
    for batch in fake.batches():
        bids = [r["bId"] for r in batch]
        assert len(set(bids)) == len(bids) and all(len(b) <= 10 for b in bids)
    assert [r.key for r in results] == [i.key for i in items]
    names = [fake.tables["Customer"][str(r.remote_id)]["DisplayName"] for r in results]
    assert names == [f"Client {n}" for n in range(65)]


def test_every_write_carries_a_requestid_derived_from_the_record_versions(
    fake: FakeQBO, clock: VirtualClock
) -> None:
    other = FakeQBO(clock)
    first, second = make(fake, clock), make(other, clock)
    first.push(REALM, EntityType.CLIENT, [party(1), party(2)])
    second.push(REALM, EntityType.CLIENT, [party(1), party(2)])
    ids = [r.url.params["requestid"] for r in (*fake.batch_requests(), *other.batch_requests())]
    assert ids[0] == ids[1] and len(ids[0]) <= 36  # same versions, same body: same requestid
    assert request_id(["a"], {"x": 1}) != request_id(["b"], {"x": 1})
    assert request_id(["a"], {"x": 1}) != request_id(["a"], {"x": 2})
    first.push(REALM, EntityType.CLIENT, [party(3, key="k-other")])
    assert fake.batch_requests()[-1].url.params["requestid"] not in ids
    first.close()
    second.close()


def test_a_lost_answer_is_retried_with_the_same_requestid_and_replayed_not_applied_twice(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.lose_next_answer = True
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1)])
    assert result.outcome is Outcome.CREATED
    first, again = fake.batch_requests()
    assert first.url.params["requestid"] == again.url.params["requestid"]
    assert len(fake.tables["Customer"]) == 1
    assert result.remote_id == next(iter(fake.tables["Customer"]))


def test_a_lost_answer_on_every_try_is_outcome_unknown_and_lookup_finds_what_was_made(
    fake: FakeQBO, clock: VirtualClock
) -> None:
    connector = make(
        fake,
        clock,
        http=HttpClient(
            tool="QuickBooks", transport=httpx.MockTransport(fake), clock=clock, retries=0
        ),
    )
    fake.lose_next_answer = True
    with pytest.raises(OutcomeUnknown):
        connector.push(REALM, EntityType.INVOICE, [doc()])
    found = connector.lookup(REALM, EntityType.INVOICE, "INV-1001")
    assert found == fake.find("Invoice", "DocNumber", "INV-1001")["Id"]  # type: ignore[index]
    connector.close()


# --- faults ------------------------------------------------------------------------------------------


def test_a_duplicate_name_rejects_only_that_record_with_matching_advice(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.put("Vendor", {"Id": "9", "DisplayName": "Acme"})
    results = qbo.push(REALM, EntityType.CLIENT, [party(1, name="acme"), party(2)])
    assert [r.outcome for r in results] == [Outcome.REJECTED, Outcome.CREATED]
    rejected = results[0]
    assert rejected.rule == "tool.accepted"
    assert rejected.fix == "booksync tenant import 'Acme AU'"
    assert "QuickBooks error 6240" in rejected.message
    assert "unique across customers, vendors and employees" in rejected.message
    assert "booksync sync retry client C-000001" in rejected.message
    assert rejected.response["Fault"]["Error"][0]["code"] == "6240"


def test_faults_name_the_rule_of_the_field_at_fault(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.refuse["INV-1"] = fault(
        "6000",
        "A business validation error has occurred",
        "Business Validation Error: Invalid tax code Id 7 in TaxCodeRef.",
        "Line.SalesItemLineDetail.TaxCodeRef",
    )
    fake.refuse["INV-2"] = fault(
        "2500", "Invalid Reference Id", "Invalid Reference Id : CustomerRef", "CustomerRef"
    )
    fake.refuse["INV-3"] = fault(
        "6000",
        "A business validation error has occurred",
        "Business Validation Error: Currency NZD is not available.",
        "CurrencyRef",
    )
    fake.refuse["INV-4"] = fault("6140", "Duplicate Document Number Error", "DocNumber=INV-4")
    fake.refuse["INV-5"] = fault(
        "2500",
        "Invalid Reference Id",
        "Invalid Reference Id : ItemRef",
        "Line.SalesItemLineDetail.ItemRef",
    )
    fake.refuse["INV-6"] = fault(
        "6000",
        "A business validation error has occurred",
        "Business Validation Error: IncomeAccountRef 'Travel' is an Expense account.",
    )
    numbers = [f"INV-{n}" for n in range(1, 7)]
    results = qbo.push(REALM, EntityType.INVOICE, [doc(number=n) for n in numbers])
    assert [r.rule for r in results] == [
        "tax.mapped",
        "dependency.client",
        "currency.enabled",
        "document.number_free",
        "dependency.product",
        "account_code.matches_tool",
    ]
    assert results[0].fix == "booksync tax-rate map RATE --tenant 'Acme AU' --tax-type TAX_CODE"
    assert "field CurrencyRef" in results[2].message
    assert "renumber one of them" in results[3].message
    assert results[3].fix == "booksync invoice edit INV-4 --number NUMBER"


def test_a_linked_record_gone_from_quickbooks_says_how_to_relink(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1, remote_id="404")])
    assert result.outcome is Outcome.REJECTED
    assert result.fix == "booksync client edit C-000001 --remote-id ''"
    assert "deleted or made inactive" in result.message
    assert fake.batches() == []  # nothing to send: the object could not be read


def test_a_fault_on_the_whole_batch_is_a_connector_error(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    qbo.company(REALM)  # what the company takes is read first; then the batch is refused
    fake.script.append((400, {}, {"Fault": fault("10000", "An application error", "bad request")}))
    with pytest.raises(
        ConnectorError,
        match=r"refused the batch request: An application error: bad request \(QuickBooks error 10000\)",
    ):
        qbo.push(REALM, EntityType.CLIENT, [party(1)])


# --- SyncToken ---------------------------------------------------------------------------------------


def test_a_stale_synctoken_is_read_again_and_the_update_sent_once_more(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.put("Customer", {"Id": "58", "DisplayName": "Client 1", "SyncToken": "3"})
    qbo.contacts(REALM)  # the import remembers SyncToken 3
    fake.tables["Customer"]["58"]["SyncToken"] = "4"  # someone edits it in QuickBooks
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1, name="Client 1 Pty", remote_id="58")])
    assert result.outcome is Outcome.UPDATED and result.remote_id == "58"
    tokens_sent = [b[0]["Customer"]["SyncToken"] for b in fake.batches()]
    assert tokens_sent == ["3", "4"]
    assert fake.queries()[-1].startswith("SELECT * FROM Customer WHERE Id IN ('58')")
    assert fake.tables["Customer"]["58"]["DisplayName"] == "Client 1 Pty"
    ids = {r.url.params["requestid"] for r in fake.batch_requests()}
    assert len(ids) == 2  # the second body differs, so QuickBooks does not replay the 5010


def test_a_second_stale_answer_rejects_the_update(qbo: QuickBooksConnector, fake: FakeQBO) -> None:
    fake.put("Customer", {"Id": "58", "DisplayName": "Client 1"})
    fake.always_stale = True
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1, remote_id="58")])
    assert result.outcome is Outcome.REJECTED
    assert len(fake.batches()) == 2  # one retry, no more
    assert "QuickBooks error 5010" in result.message
    assert result.fix == "booksync sync retry client C-000001"


def test_closed_books_are_known_by_their_words_even_under_the_stale_object_code(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    """routablehq/python-quickbooks#208 saw "Account Period Closed" answered as 5010: it is not a
    stale SyncToken, so it is not read again and retried, and it names the lock-date rule."""
    for number, code in (("INV-1", "5010"), ("INV-2", "6210"), ("INV-3", "6200")):
        fake.refuse[number] = fault(code, "Account Period Closed", "The account period has closed.")
    results = qbo.push(REALM, EntityType.INVOICE, [doc(number=f"INV-{n}") for n in (1, 2, 3)])
    assert [r.rule for r in results] == ["document.after_lock_date"] * 3
    assert len(fake.batches()) == 1  # nothing retried
    assert results[0].fix == "booksync invoice edit INV-1 --date YYYY-MM-DD"


def test_a_lock_date_the_company_has_refuses_before_sending(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.preferences["AccountingInfoPrefs"] = {"BookCloseDate": "2026-11-02"}
    (result,) = qbo.push(REALM, EntityType.INVOICE, [doc()])
    assert result.rule == "document.after_lock_date" and fake.batches() == []
    assert "on or before the date this QuickBooks company's books are closed" in result.message


def test_updates_read_unknown_synctokens_in_one_query(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    for n in range(3):
        fake.put("Item", {"Id": str(50 + n), "Name": f"Item {n}", "SyncToken": str(n)})
    items = [product(f"P-{n}", f"Item {n}", remote_id=str(50 + n)) for n in range(3)]
    results = qbo.push(REALM, EntityType.PRODUCT, items)
    assert [r.outcome for r in results] == [Outcome.UPDATED] * 3
    reads = [q for q in fake.queries() if q.startswith("SELECT * FROM Item WHERE Id IN")]
    assert len(reads) == 1
    assert [r["Item"]["SyncToken"] for r in sent(fake)] == ["0", "1", "2"]


def test_voided_invoices_are_voided_and_voided_credit_notes_deleted(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.put("Invoice", {"Id": "70", "DocNumber": "INV-1001", "SyncToken": "1"})
    fake.put("CreditMemo", {"Id": "71", "DocNumber": "CN-1", "SyncToken": "0"})
    (voided,) = qbo.push(REALM, EntityType.INVOICE, [doc(status="voided", remote_id="70")])
    assert voided.outcome is Outcome.UPDATED and voided.remote_id == "70"
    void = fake.requests[-1]
    assert void.url.path.endswith("/invoice") and void.url.params["operation"] == "void"
    assert len(void.url.params["requestid"]) <= 36
    assert json.loads(void.content) == {"Id": "70", "SyncToken": "1"}
    assert fake.tables["Invoice"]["70"]["PrivateNote"] == "Voided"
    (deleted,) = qbo.push(
        REALM,
        EntityType.CREDIT_NOTE,
        [doc(EntityType.CREDIT_NOTE, "CN-1", "voided", remote_id="71")],
    )
    assert deleted.outcome is Outcome.UPDATED
    assert sent(fake)[0]["operation"] == "delete"
    assert "71" not in fake.tables["CreditMemo"]


# --- limits, 429, tokens ------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_waited_out(
    qbo: QuickBooksConnector, fake: FakeQBO, clock: VirtualClock
) -> None:
    fake.script.append((429, {"Retry-After": "5"}, {"Fault": fault("3001", "ThrottleExceeded")}))
    (result,) = qbo.push(REALM, EntityType.CLIENT, [party(1)])
    assert result.outcome is Outcome.CREATED
    assert clock.now() >= 5


def test_a_429_without_retry_after_holds_the_realm_for_60_seconds(
    qbo: QuickBooksConnector, fake: FakeQBO, clock: VirtualClock
) -> None:
    fake.script.append((429, {}, {"Fault": fault("3001", "ThrottleExceeded")}))
    with pytest.raises(TransientError) as caught:
        qbo.push(REALM, EntityType.CLIENT, [party(1)])
    assert caught.value.retry_after == 60
    assert "Customer" not in fake.tables
    assert qbo.http.budget is not None and qbo.http.budget.wait_for(REALM) == pytest.approx(60)


def test_batch_requests_are_paced_to_40_a_minute(
    qbo: QuickBooksConnector, fake: FakeQBO, clock: VirtualClock
) -> None:
    for n in range(40):
        qbo.push(REALM, EntityType.CLIENT, [party(n)])
    assert clock.now() < 1
    qbo.push(REALM, EntityType.CLIENT, [party(40)])
    assert clock.now() >= 60  # the 41st batch waited for the first to leave the minute
    assert len(fake.batches()) == 41


def test_the_access_token_is_refreshed_before_its_hour_is_up_and_saved(
    fake: FakeQBO, clock: VirtualClock
) -> None:
    saved: list[TokenSet] = []
    connector = make(fake, clock, on_tokens_refreshed=saved.append)
    connector.items(REALM)
    assert fake.token_forms == []
    clock.sleep(timedelta(minutes=59).total_seconds())
    connector.items(REALM)
    assert fake.token_forms == [{"grant_type": "refresh_token", "refresh_token": "RT-0"}]
    assert fake.token_auth == [basic("app-1", "secret-1")]  # Intuit wants the client secret
    assert [t.refresh_token for t in saved] == ["RT-1"]
    assert saved[0].expires_at == clock.utcnow() + timedelta(hours=1)
    connector.close()


def test_a_401_refreshes_once_and_repeats_the_call(fake: FakeQBO, clock: VirtualClock) -> None:
    connector = make(fake, clock)
    fake.access = "AT-1"  # the token booksync holds was revoked; the refresh gives AT-1
    assert connector.items(REALM)
    assert len(fake.token_forms) == 1
    unauthorised = {"fault": {"error": [{"code": "3200", "detail": "Token revoked"}]}}
    fake.script += [(401, {}, unauthorised), (401, {}, unauthorised)]
    with pytest.raises(AuthError, match="QuickBooks refused the connection: Token revoked"):
        connector.items(REALM)
    assert len(fake.token_forms) == 2  # one refresh per refusal, then it gives up
    connector.close()


# --- imports and lookup ---------------------------------------------------------------------------------


def test_imports_read_quickbooks_names_and_numbers(qbo: QuickBooksConnector, fake: FakeQBO) -> None:
    accounts = {a.code: a for a in qbo.account_codes(REALM)}
    assert accounts["4100"] == RemoteAccount("4100", "Services", AccountKind.INCOME, True)
    assert accounts["Sales of Product Income"].kind is AccountKind.INCOME  # no number: its name
    assert accounts["6250"].kind is AccountKind.EXPENSE
    assert accounts["4900"].active is False
    assert accounts["6"].name == "A" * 60  # a name too long for booksync's code: its Id
    assert "Accounts Receivable (A/R)" not in accounts
    taxes = {t.tax_type: t for t in qbo.tax_types(REALM)}
    assert taxes["GST"].percent == Decimal("10") and taxes["GST"].name == "GST 10%"
    assert taxes["FRE"].percent == 0
    assert taxes["CAP"].percent == Decimal("10")  # purchase-only codes carry their purchase rate
    fake.put("Customer", {"Id": "5", "DisplayName": "Acme"})
    fake.put("Vendor", {"Id": "5", "DisplayName": "Telco"})
    contacts = qbo.contacts(REALM)
    assert [(c.remote_id, c.name, c.entity) for c in contacts] == [
        ("5", "Acme", EntityType.CLIENT),
        ("5", "Telco", EntityType.SUPPLIER),
    ]
    assert [(i.remote_id, i.code, i.name) for i in qbo.items(REALM)] == [
        ("1", "Hours", "Hours"),
        ("2", "P-BACKUP", "Backup"),
    ]
    assert all("Active IN (true, false)" in q for q in fake.queries() if "TaxRate" not in q)


def test_list_tenants_names_the_realm_and_its_home_currency(qbo: QuickBooksConnector) -> None:
    assert qbo.list_tenants() == [RemoteTenant(REALM, "Acme Pty Ltd", "AUD")]


def test_lookup_finds_documents_by_trace_products_by_sku_and_pushed_names(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    fake.put("Estimate", {"Id": "80", "DocNumber": "SO-1", "PrivateNote": "[booksync SO-1]"})
    fake.put("Estimate", {"Id": "81", "DocNumber": "SO-2", "PrivateNote": "the bookkeeper's"})
    assert qbo.lookup(REALM, EntityType.SALES_ORDER, "SO-1") == "80"
    # Same number, but not booksync's: a lookup never links someone else's document.
    assert qbo.lookup(REALM, EntityType.SALES_ORDER, "SO-2") is None
    assert qbo.lookup(REALM, EntityType.SALES_ORDER, "SO-3") is None
    assert qbo.lookup(REALM, EntityType.PRODUCT, "P-BACKUP") == "2"
    assert (
        qbo.lookup(REALM, EntityType.CLIENT, "C-000001") is None
    )  # never pushed: no name to ask by
    qbo.push(REALM, EntityType.CLIENT, [party(1, name="O'Brien & Co")])
    assert (
        qbo.lookup(REALM, EntityType.CLIENT, "C-000001")
        == fake.find("Customer", "DisplayName", "O'Brien & Co")["Id"]
    )  # type: ignore[index]
    assert "DisplayName = 'O\\'Brien & Co'" in fake.queries()[-1]


def test_queries_page_through_a_thousand_rows_at_a_time(
    qbo: QuickBooksConnector, fake: FakeQBO
) -> None:
    for n in range(1001):
        fake.put("Customer", {"Id": str(1000 + n), "DisplayName": f"C{n}"})
    assert len(qbo.contacts(REALM)) == 1001
    customer_queries = [q for q in fake.queries() if "FROM Customer" in q]
    assert [q.split("STARTPOSITION ")[1] for q in customer_queries] == [
        "1 MAXRESULTS 1000",
        "1001 MAXRESULTS 1000",
    ]


# --- error translation -----------------------------------------------------------------------------------


def test_fault_errors_read_both_letter_cases_and_say_the_code_and_field() -> None:
    upper = fault_errors(
        {"Error": [{"Message": "M", "Detail": "D", "code": "6000", "element": "X"}]}
    )
    lower = fault_errors({"error": [{"message": "M", "detail": "D", "code": "3200"}]})
    assert str(upper[0]) == "M: D (QuickBooks error 6000, field X)"
    assert str(lower[0]) == "M: D (QuickBooks error 3200)"


def test_a_duplicate_item_name_points_at_the_import() -> None:
    error = FaultError("6240", "Duplicate Name Exists Error", "item", "")
    found = translate([error], EntityType.PRODUCT, "Acme AU", "P-1")
    assert found.rule == "tool.accepted" and found.fix == "booksync tenant import 'Acme AU'"
    assert "by SKU or exact name" in found.advice


def test_object_not_found_on_create_points_at_what_it_uses() -> None:
    error = FaultError(
        "610", "Object Not Found", "Something you're trying to use has been made inactive.", ""
    )
    found = translate([error], EntityType.INVOICE, "Acme AU", "INV-1")
    assert found.fix == "booksync tenant import 'Acme AU'" and "doctor names it" in found.advice


# --- settings and discovery ---------------------------------------------------------------------------


def test_settings_point_every_url_at_one_host_or_at_intuits_environments() -> None:
    local = QuickBooksSettings.from_env(
        {"BOOKSYNC_QUICKBOOKS_URL": "http://127.0.0.1:9999/", "BOOKSYNC_QUICKBOOKS_CLIENT_ID": "c"}
    )
    assert local.discovery_url == "http://127.0.0.1:9999/.well-known/openid_configuration"
    assert local.api_url == "http://127.0.0.1:9999/v3"
    sandbox = QuickBooksSettings.from_env({"BOOKSYNC_QUICKBOOKS_ENVIRONMENT": "Sandbox"})
    assert sandbox.api_url == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert sandbox.discovery_url.endswith("/openid_sandbox_configuration/")
    assert QuickBooksSettings.from_env({}).api_url == "https://quickbooks.api.intuit.com/v3"
    with pytest.raises(BadInput, match="BOOKSYNC_QUICKBOOKS_ENVIRONMENT: 'staging'"):
        QuickBooksSettings.from_env({"BOOKSYNC_QUICKBOOKS_ENVIRONMENT": "staging"})


def test_signing_in_needs_the_apps_id_and_secret() -> None:
    with pytest.raises(BadInput, match="BOOKSYNC_QUICKBOOKS_CLIENT_ID"):
        QuickBooksSettings().require_app()
    with pytest.raises(BadInput, match="BOOKSYNC_QUICKBOOKS_CLIENT_SECRET: '' is not set"):
        QuickBooksSettings(client_id="app-1").require_app()


def test_a_discovery_document_without_a_token_endpoint_is_refused(clock: VirtualClock) -> None:
    document = {"authorization_endpoint": "https://appcenter.test/connect/oauth2"}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=document))
    http = HttpClient(tool="QuickBooks", transport=transport, clock=clock)
    with pytest.raises(ConnectorError, match="has no token_endpoint"):
        discover(http, "https://intuit.test/.well-known/openid_configuration")
    http.close()
