"""The Xero connector: Xero's Accounting API (api.xro/2.0) behind booksync's `Connector` protocol.

Writes go in batches of up to 50 elements with `summarizeErrors=false`, so Xero answers every element
(OK or ERROR with its ValidationErrors) and one bad invoice never holds back the others; each carries
an `Idempotency-Key` derived from the record versions and the exact body, so a retried batch is
replayed by Xero rather than applied twice. Tokens refresh themselves before their 30 minutes are up;
calls are paced per tenant from Xero's X-MinLimit-Remaining headers and held back after a 429 for as
long as its Retry-After says. Base URLs are settings, so the same code talks to the emulator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from booksync.connectors.http import (
    HttpClient,
    RateBudget,
    RateHeaders,
    Recorder,
    dumps,
    parse_json,
    problem_detail,
)
from booksync.connectors.oauth import OAuthApp, TokenKeeper, TokenSet
from booksync.connectors.protocol import (
    ConnectorError,
    Limits,
    Outcome,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteItem,
    RemoteTaxType,
    RemoteTenant,
)
from booksync.connectors.xero import mapping
from booksync.connectors.xero.errors import translate
from booksync.domain.types import EntityType, IntegrationKind
from booksync.sync.pacing import Clock

API_URL = "https://api.xero.com/api.xro/2.0"
IDENTITY_URL = "https://identity.xero.com"
LOGIN_URL = "https://login.xero.com"
TOKEN_PATH = "/connect/token"
AUTHORIZE_PATH = "/identity/connect/authorize"
#: What booksync reads and writes; offline_access is what yields a refresh token.
SCOPES = (
    "offline_access",
    "accounting.settings",
    "accounting.contacts",
    "accounting.transactions",
)
XERO_RATE_HEADERS = RateHeaders(
    minute="X-MinLimit-Remaining",
    day="X-DayLimit-Remaining",
    app_minute="X-AppMinLimit-Remaining",
    problem="X-Rate-Limit-Problem",
)
#: Elements per write request: Xero's guidance is about 50 (and 3.5 MB) per request. Items are said
#: to allow more, but only by a secondary source, so they stay at 50 too.
BATCH = 50
PAGE_SIZE = 100
#: Idempotency-Key: Xero accepts up to 128 characters.
MAX_KEY = 128


def connections_url_for(base_url: str) -> str:
    """Xero serves /connections beside /api.xro/2.0 on the same host (api.xero.com, or an emulator)."""
    root = base_url.rstrip("/")
    if root.endswith("/api.xro/2.0"):
        root = root[: -len("/api.xro/2.0")]
    return f"{root}/connections"


def xero_app(
    client_id: str,
    *,
    identity_url: str = IDENTITY_URL,
    login_url: str = LOGIN_URL,
    client_secret: str | None = None,
    scopes: Sequence[str] = SCOPES,
) -> OAuthApp:
    return OAuthApp(
        client_id=client_id,
        authorize_url=login_url.rstrip("/") + AUTHORIZE_PATH,
        token_url=identity_url.rstrip("/") + TOKEN_PATH,
        scopes=tuple(scopes),
        client_secret=client_secret,
    )


def batch_key(items: Sequence[PushItem], body: Any) -> str:
    """One Idempotency-Key per request: the same record versions with the same body replay; any
    change to the body (Xero answers 400 to a reused key with a different request) gets a new key."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.key.encode() + b"\0")
    digest.update(dumps(body).encode())
    return ("bs-" + digest.hexdigest())[:MAX_KEY]


def _where_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XeroConnector:
    """A `Connector` for Xero. `tokens` is a TokenSet (refreshed here when `client_id` is given) or a
    TokenKeeper shared by every tenant of one grant."""

    kind = IntegrationKind.XERO
    limits = Limits(batch_size={e: BATCH for e in EntityType}, calls_per_minute=60, concurrency=5)

    def __init__(
        self,
        tokens: TokenSet | TokenKeeper,
        *,
        base_url: str = API_URL,
        identity_url: str = IDENTITY_URL,
        connections_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        on_tokens_refreshed: Callable[[TokenSet], None] | None = None,
        reload_tokens: Callable[[], TokenSet | None] | None = None,
        http: HttpClient | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder | None = None,
        tenant_names: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_wait: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connections_url = connections_url or connections_url_for(self.base_url)
        self.clock = clock or Clock()
        self.http = http or HttpClient(
            tool="Xero",
            transport=transport,
            timeout=timeout,
            clock=self.clock,
            recorder=recorder,
            budget=RateBudget(
                self.limits.calls_per_minute,
                self.limits.concurrency,
                headers=XERO_RATE_HEADERS,
                clock=self.clock,
                max_wait=max_wait,
            ),
        )
        self._owns_http = http is None
        if isinstance(tokens, TokenKeeper):
            self.tokens = tokens
        else:
            app = xero_app(client_id or "", identity_url=identity_url, client_secret=client_secret)
            self.tokens = TokenKeeper(
                tokens,
                app,
                self.http,
                clock=self.clock,
                on_refreshed=on_tokens_refreshed,
                reload=reload_tokens,
            )
        self.tenant_names = dict(tenant_names or {})

    # --- plumbing ---------------------------------------------------------------------------------

    def _get(self, tenant: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = self.http.request(
            "GET",
            f"{self.base_url}/{path}",
            params=params,
            headers={"xero-tenant-id": tenant},
            auth=self.tokens,
            tenant=tenant,
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ConnectorError(
                f"Xero answered {response.status_code} to GET {path}: {problem_detail(response)}"
            )
        return _json(response)

    def _collection(
        self, tenant: str, path: str, key: str, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        body = self._get(tenant, path, params)
        if body is None:
            return []
        rows = body.get(key) if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ConnectorError(f"Xero's answer to GET {path} has no '{key}' list")
        return [r for r in rows if isinstance(r, dict)]

    def _paged(
        self, tenant: str, path: str, key: str, params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._get(tenant, path, {**params, "page": str(page)})
            chunk = body.get(key) if isinstance(body, dict) else None
            if not isinstance(chunk, list):
                raise ConnectorError(f"Xero's answer to GET {path} has no '{key}' list")
            rows.extend(r for r in chunk if isinstance(r, dict))
            pagination = body.get("pagination") if isinstance(body, dict) else None
            if isinstance(pagination, dict) and pagination.get("pageCount") is not None:
                more = page < int(pagination["pageCount"])
            else:
                more = len(chunk) >= PAGE_SIZE
            if not more or not chunk:
                return rows
            page += 1

    # --- tenants and imports ------------------------------------------------------------------------

    def connections(self) -> list[dict[str, Any]]:
        """The organisations this grant may reach (GET /connections), as Xero lists them."""
        response = self.http.request("GET", self.connections_url, auth=self.tokens)
        if response.status_code != 200:
            raise ConnectorError(
                f"Xero answered {response.status_code} to GET /connections: {problem_detail(response)}"
            )
        body = _json(response)
        if not isinstance(body, list):
            raise ConnectorError("Xero's answer to GET /connections is not a list")
        return [c for c in body if isinstance(c, dict)]

    def list_tenants(self) -> list[RemoteTenant]:
        tenants = []
        for connection in self.connections():
            if connection.get("tenantType", "ORGANISATION") != "ORGANISATION":
                continue
            tenant_id = str(connection.get("tenantId") or "")
            if not tenant_id:
                continue
            organisations = self._collection(tenant_id, "Organisation", "Organisations")
            currency = str(organisations[0].get("BaseCurrency") or "") if organisations else ""
            name = str(
                connection.get("tenantName")
                or (organisations[0].get("Name") if organisations else "")
                or tenant_id
            )
            tenants.append(RemoteTenant(tenant_id, name, currency))
        return tenants

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        rows = self._collection(tenant, "Accounts", "Accounts")
        return [a for a in (mapping.account(r) for r in rows) if a is not None]

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        rows = self._collection(tenant, "TaxRates", "TaxRates")
        return [t for t in (mapping.tax_rate(r) for r in rows) if t is not None]

    def contacts(self, tenant: str) -> list[RemoteContact]:
        rows = self._paged(
            tenant,
            "Contacts",
            "Contacts",
            # Not summaryOnly: the summary leaves out fields, and ContactNumber is what links records.
            {"includeArchived": "true", "pageSize": str(PAGE_SIZE)},
        )
        return [c for c in (mapping.remote_contact(r) for r in rows) if c is not None]

    def items(self, tenant: str) -> list[RemoteItem]:
        rows = self._collection(tenant, "Items", "Items")
        return [i for i in (mapping.remote_item(r) for r in rows) if i is not None]

    # --- pushing ------------------------------------------------------------------------------------

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        results: dict[int, PushResult] = {}
        ready: list[tuple[int, PushItem, dict[str, Any]]] = []
        for index, item in enumerate(items):
            if item.entity is not entity:
                message = f"a {item.entity.label} cannot be pushed in a {entity.label} batch"
                results[index] = PushResult(item.key, Outcome.REJECTED, item.remote_id, message)
                continue
            try:
                ready.append((index, item, mapping.to_xero(item)))
            except mapping.MappingError as exc:
                results[index] = PushResult(
                    item.key, Outcome.REJECTED, item.remote_id, str(exc), exc.rule, exc.fix
                )
        for start in range(0, len(ready), BATCH):
            chunk = ready[start : start + BATCH]
            for (index, _, _), result in zip(chunk, self._send(tenant, entity, chunk), strict=True):
                results[index] = result
        return [results[i] for i in range(len(items))]

    def _send(
        self, tenant: str, entity: EntityType, chunk: list[tuple[int, PushItem, dict[str, Any]]]
    ) -> list[PushResult]:
        endpoint = mapping.ENDPOINTS[entity]
        elements = [element for _, _, element in chunk]
        body = {endpoint.collection: elements}
        pushed = [item for _, item, _ in chunk]
        response = self.http.request(
            "POST",
            f"{self.base_url}/{endpoint.path}",
            params={"summarizeErrors": "false"},
            json_body=body,
            headers={"xero-tenant-id": tenant, "Idempotency-Key": batch_key(pushed, body)},
            auth=self.tokens,
            tenant=tenant,
        )
        if response.status_code not in (200, 400):
            raise ConnectorError(
                f"Xero answered {response.status_code} to POST {endpoint.path}: "
                f"{problem_detail(response)}"
            )
        answer = _json(response)
        if response.status_code == 400:
            return self._refused(tenant, endpoint, pushed, elements, answer, response)
        answered = _elements(answer, endpoint.collection)
        if answered is None or len(answered) != len(pushed):
            raise ConnectorError(
                f"Xero answered {len(answered or [])} elements for the {len(pushed)} sent to "
                f"{endpoint.path}"
            )
        results = []
        for item, element, returned in zip(pushed, elements, answered, strict=True):
            errors = _messages(returned)
            failed = (
                errors
                or returned.get("StatusAttributeString") == "ERROR"
                or returned.get("HasErrors") is True
                or returned.get("HasValidationErrors") is True
            )
            remote_id = returned.get(endpoint.id_field)
            if failed or not remote_id:
                reason = errors or ["Xero did not accept it and gave no reason"]
                results.append(self._rejected(tenant, item, element, reason, returned))
                continue
            outcome = Outcome.UPDATED if item.remote_id else Outcome.CREATED
            results.append(
                PushResult(
                    item.key, outcome, str(remote_id), request=element, response=_slim(returned)
                )
            )
        return results

    def _refused(
        self,
        tenant: str,
        endpoint: mapping.Endpoint,
        pushed: list[PushItem],
        elements: list[dict[str, Any]],
        answer: Any,
        response: httpx.Response,
    ) -> list[PushResult]:
        """A 400 refuses the whole request: nothing in it was applied. Elements Xero names get its
        reasons; the others were held back only by them, so they go again (outcome unknown: the
        engine looks them up first, which costs one read and can never duplicate)."""
        answered = _elements(answer, endpoint.collection) or []
        if len(answered) == len(pushed):
            paired: list[Any] = answered
        else:  # a summarised answer lists only the failed elements: pair them by number/code
            number = endpoint.number_field or ""
            by_number = {str(a.get(number)): a for a in answered if a.get(number)}
            paired = [by_number.get(str(e.get(number))) for e in elements]
        general = [] if answered else (_messages(answer) or [problem_detail(response)])
        results = []
        for item, element, returned in zip(pushed, elements, paired, strict=True):
            reasons = _messages(returned) or general
            if reasons:
                results.append(self._rejected(tenant, item, element, reasons, returned or answer))
            else:
                results.append(
                    PushResult(
                        item.key,
                        Outcome.UNKNOWN,
                        item.remote_id,
                        "not applied: Xero refused other elements of the same batch",
                        request=element,
                    )
                )
        return results

    def _rejected(
        self,
        tenant: str,
        item: PushItem,
        element: dict[str, Any],
        messages: list[str],
        returned: Any,
    ) -> PushResult:
        name = self.tenant_names.get(tenant, tenant)
        translation = translate(messages, item.entity, name, item.reference)
        text = "; ".join(messages)
        if translation.advice:
            text += f" ({translation.advice})"
        return PushResult(
            item.key,
            Outcome.REJECTED,
            item.remote_id,
            text,
            translation.rule,
            translation.fix,
            request=element,
            response=_slim(returned),
        )

    # --- finding what a lost answer created -----------------------------------------------------------

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        endpoint = mapping.ENDPOINTS[entity]
        assert endpoint.number_field is not None
        field = endpoint.number_field
        if entity is EntityType.PURCHASE_ORDER:
            # GET /PurchaseOrders has no `where`; /PurchaseOrders/{PurchaseOrderNumber} finds one.
            path = f"PurchaseOrders/{quote(reference, safe='')}"
            rows = self._collection(tenant, path, "PurchaseOrders")
        elif entity is EntityType.SALES_ORDER:
            rows = self._collection(tenant, "Quotes", "Quotes", {"QuoteNumber": reference})
        else:
            where = f"{field}=={_where_string(reference)}"
            if endpoint.doc_type:
                where += f' AND Type=="{endpoint.doc_type}"'
            rows = self._collection(tenant, endpoint.path, endpoint.collection, {"where": where})
        for row in rows:
            if (
                row.get(field) == reference
                and row.get("Status") != "DELETED"
                and row.get(endpoint.id_field)
            ):
                return str(row[endpoint.id_field])
        return None

    def close(self) -> None:
        if self._owns_http:
            self.http.close()


def _json(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content)
    except ValueError:
        raise ConnectorError(
            f"Xero answered {response.status_code} with something other than JSON"
        ) from None


def _elements(answer: Any, collection: str) -> list[dict[str, Any]] | None:
    """The per-element answers: the collection (200) or a ValidationException's Elements (400)."""
    if not isinstance(answer, dict):
        return None
    rows = answer.get(collection)
    if not isinstance(rows, list):
        rows = answer.get("Elements")
    if not isinstance(rows, list):
        return None
    return [r if isinstance(r, dict) else {} for r in rows]


def _messages(data: Any) -> list[str]:
    """Every ValidationErrors message on an element (and its lines), or on a 400's Elements."""
    found: list[str] = []
    if isinstance(data, dict):
        for error in data.get("ValidationErrors") or []:
            if isinstance(error, dict) and error.get("Message"):
                found.append(str(error["Message"]))
        for key in ("LineItems", "Elements"):
            for child in data.get(key) or []:
                found.extend(m for m in _messages(child) if m not in found)
    return found


def _slim(returned: Any) -> Any:
    """The element as Xero answered it, without the bulky parts the timeline does not need."""
    if not isinstance(returned, dict):
        return returned
    return {
        k: v
        for k, v in returned.items()
        if k
        not in {
            "Attachments",
            "Payments",
            "Prepayments",
            "Overpayments",
            "CreditNotes",
            "Addresses",
            "Phones",
            "ContactPersons",
        }
    }
