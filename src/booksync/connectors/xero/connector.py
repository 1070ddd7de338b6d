"""The Xero connector: Xero's Accounting API (api.xro/2.0) behind booksync's `Connector` protocol.

Writes go in batches of up to 50 elements with `summarizeErrors=false`, so Xero answers every element
(OK or ERROR with its ValidationErrors) and one bad invoice never holds back the others; each carries
an `Idempotency-Key` derived from the record versions and the exact body, so a retried batch is
replayed by Xero rather than applied twice. Tokens refresh themselves before their 30 minutes are up;
calls are paced per tenant from Xero's X-MinLimit-Remaining headers and held back after a 429 for as
long as its Retry-After says. Base URLs are settings, so the same code talks to the emulator.

Xero's endpoints, app and limits are in app.py; reading its answers into results in answers.py;
writing documents (creates by PUT, updates by POST, voids, allocations) in documents.py; the
organisation's settings and the documents it already holds in settings.py; what comes back
(states, changes since a time, payments) in two_way.py and payments.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from booksync.clock import Clock
from booksync.connectors.http import HttpClient, RateBudget, Recorder, problem_detail
from booksync.connectors.oauth import TokenKeeper, TokenSet
from booksync.connectors.protocol import (
    ConnectorError,
    Limits,
    Outcome,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteDocument,
    RemoteItem,
    RemoteSettings,
    RemoteTaxType,
    RemoteTenant,
)
from booksync.connectors.xero import answers, documents, lookups, mapping
from booksync.connectors.xero import settings as tenant_settings
from booksync.connectors.xero.answers import MAX_KEY, batch_key
from booksync.connectors.xero.app import (
    API_URL,
    AUTHORIZE_PATH,
    BATCH,
    IDENTITY_URL,
    LOGIN_URL,
    PAGE_SIZE,
    SCOPES,
    TOKEN_PATH,
    XERO_RATE_HEADERS,
    connections_url_for,
    xero_app,
)
from booksync.connectors.xero.two_way import XeroTwoWay
from booksync.domain.types import EntityType

#: Kept here for callers that imported it: references per lookup GET.
LOOKUP_CHUNK = lookups.LOOKUP_CHUNK

#: Names this module has always offered; they now live in app.py and answers.py.
__all__ = [
    "API_URL",
    "AUTHORIZE_PATH",
    "BATCH",
    "IDENTITY_URL",
    "LOGIN_URL",
    "MAX_KEY",
    "PAGE_SIZE",
    "SCOPES",
    "TOKEN_PATH",
    "XERO_RATE_HEADERS",
    "XeroConnector",
    "batch_key",
    "connections_url_for",
    "xero_app",
]


class XeroConnector(XeroTwoWay):
    """A `Connector` for Xero. `tokens` is a TokenSet (refreshed here when `client_id` is given) or a
    TokenKeeper shared by every tenant of one grant."""

    kind = "xero"
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
        return answers.json_of(response)

    def collection(
        self, tenant: str, path: str, key: str, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """The `key` list of GET `path` (empty when Xero answers 404)."""
        return self._collection(tenant, path, key, params)

    def write(
        self,
        tenant: str,
        method: str,
        path: str,
        body: Any,
        params: Mapping[str, str],
        key: str,
    ) -> tuple[Any, httpx.Response]:
        """One write with its Idempotency-Key: Xero's answer (200 or 400) and the response."""
        response = self.http.request(
            method,
            f"{self.base_url}/{path}",
            params=params,
            json_body=body,
            headers={"xero-tenant-id": tenant, "Idempotency-Key": key},
            auth=self.tokens,
            tenant=tenant,
        )
        if response.status_code not in (200, 400):
            raise ConnectorError(
                f"Xero answered {response.status_code} to {method} {path}: "
                f"{problem_detail(response)}"
            )
        return answers.json_of(response), response

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
        body = answers.json_of(response)
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

    # --- settings and documents already in Xero ---------------------------------------------------

    def settings(self, tenant: str) -> RemoteSettings:
        """Currencies, lock date, default payment terms and tracking (`SettingsImport`)."""
        return tenant_settings.read_settings(self, tenant)

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]:
        """The documents Xero holds under these numbers (`DocumentImport`)."""
        return tenant_settings.read_documents(self, tenant, entity, numbers)

    # --- pushing ------------------------------------------------------------------------------------

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        if entity.is_document:
            return documents.push_documents(self, tenant, entity, items)
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
        """Contacts and items: POST creates or updates (by ContactID / ItemID, else by
        ContactNumber / Code, which are booksync's own); items' prices keep 4 decimals."""
        params = {"summarizeErrors": "false"}
        if entity is EntityType.PRODUCT:
            # unitdp "also applies to the UnitPrice elements on the Items endpoint" (Xero's
            # rounding guide, developer.xero.com/documentation/api-guides/rounding-in-xero)
            params["unitdp"] = "4"
        results, _ = self.write_chunk(tenant, entity, chunk, "POST", params)
        return results

    def write_chunk(
        self,
        tenant: str,
        entity: EntityType,
        chunk: list[tuple[int, PushItem, dict[str, Any]]],
        method: str,
        params: dict[str, str],
    ) -> tuple[list[PushResult], list[dict[str, Any]]]:
        """One write request: each element's result, and the elements Xero answered (empty when
        it refused the request)."""
        endpoint = mapping.ENDPOINTS[entity]
        elements = [element for _, _, element in chunk]
        body = {endpoint.collection: elements}
        pushed = [item for _, item, _ in chunk]
        answer, response = self.write(
            tenant, method, endpoint.path, body, params, batch_key(pushed, body)
        )
        name = self.tenant_names.get(tenant, tenant)
        if response.status_code == 400:
            return answers.refused(endpoint, pushed, elements, answer, response, name), []
        answered = answers.elements(answer, endpoint.collection)
        if answered is None or len(answered) != len(pushed):
            raise ConnectorError(
                f"Xero answered {len(answered or [])} elements for the {len(pushed)} sent to "
                f"{method} {endpoint.path}"
            )
        return answers.accepted(endpoint, pushed, elements, answered, name), answered

    # --- finding what a lost answer created -----------------------------------------------------------

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        return lookups.find(self, tenant, entity, [reference], {}).get(reference)

    def lookup_many(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> dict[str, str]:
        """Many references at once (see lookups.py: a document only counts when it is to the
        contact the item names, an invoice only when this app created it)."""
        return lookups.find_items(self, tenant, entity, items)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()
