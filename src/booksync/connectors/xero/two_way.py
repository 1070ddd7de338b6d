"""What comes back from Xero (issue 13): `StateRead`, `ChangeFeed` and `PaymentPush` for the Xero
connector, mixed into `XeroConnector`.

- States are read as few GETs as Xero allows, by the same reads as `RemoteRead.fetch`
  (`XeroReading._rows`: contacts and invoices by `IDs`, credit notes by a `where` of ids, quotes
  and purchase orders one by one), so each call counts against the tenant's budget. An id Xero
  does not answer for is DELETED.
- Changes: each collection with the `If-Modified-Since` header (spec parameter `ifModifiedSince`
  on GET /Invoices, /CreditNotes, /Contacts, /Quotes, /PurchaseOrders, /Items and /Payments,
  tests/specs/xero/xero_accounting.yaml), page by page (`page=1..`, 100 a page, until a page is
  short: "paging ... 100 per page", api-facts.md). Contacts with `includeArchived=true`, so an
  archived or merged one comes back. A payment made or deleted since (GET /Payments, also
  If-Modified-Since) marks its invoice changed: that invoice is read by id if its own list did not
  bring it. The header is sent in UTC to the second, rounded down, so the read overlaps rather
  than misses. Xero's feed has no window (`feed_window_days` None). A Xero contact serves as
  customer and supplier at once, so with both types asked each changed contact comes back twice,
  once as each (the caller matches it to whichever record it links).
- Payments: `payments.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from booksync.connectors.http import HttpClient, problem_detail
from booksync.connectors.protocol import ConnectorError
from booksync.connectors.two_way import PaymentPayload, RemotePayment, RemoteState
from booksync.connectors.xero import answers, payments
from booksync.connectors.xero.app import PAGE_SIZE
from booksync.connectors.xero.mapping import ENDPOINTS
from booksync.connectors.xero.reading import XeroReading
from booksync.connectors.xero.states import deleted, state_of
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.oauth import TokenKeeper

#: The document type booksync writes to each shared collection (bills and supplier credit notes
#: are not booksync's).
DOC_TYPES = {"Invoices": "ACCREC", "CreditNotes": "ACCRECCREDIT"}
#: Pages per collection before the feed gives up on an answer that never ends.
MAX_PAGES = 10_000


def if_modified_since(since: datetime) -> str:
    """The header's value: UTC, to the second, rounded down, as RFC 3339 ("2026-11-02T09:00:00Z",
    the spec's date-time format for `ifModifiedSince`)."""
    if since.tzinfo is None:
        raise ValueError(f"since {since!r} has no time zone; booksync's times are UTC")
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class XeroTwoWay(XeroReading):
    """`StateRead`, `ChangeFeed` and `PaymentPush` for Xero."""

    http: HttpClient
    base_url: str
    tokens: TokenKeeper
    #: Xero's If-Modified-Since reaches any time back.
    feed_window_days: int | None = None

    def write(
        self,
        tenant: str,
        method: str,
        path: str,
        body: Any,
        params: Mapping[str, str],
        key: str,
    ) -> tuple[Any, httpx.Response]:  # provided by XeroConnector
        raise NotImplementedError

    # --- StateRead ----------------------------------------------------------------------------

    def states(
        self, tenant: str, entity: EntityType, remote_ids: Sequence[str]
    ) -> dict[str, RemoteState]:
        wanted = list(dict.fromkeys(r for r in remote_ids if r))
        id_field = ENDPOINTS[entity].id_field
        found: dict[str, RemoteState] = {}
        for row in self._rows(tenant, entity, wanted):
            remote_id = str(row.get(id_field) or "")
            if remote_id in wanted:
                found[remote_id] = state_of(entity, row)
        return {r: found.get(r) or deleted(entity, r) for r in wanted}

    # --- ChangeFeed ---------------------------------------------------------------------------

    def changes(
        self, tenant: str, entities: Sequence[EntityType], since: datetime | None
    ) -> Iterator[RemoteState]:
        wanted = list(dict.fromkeys(entities))
        read: dict[str, list[dict[str, Any]]] = {}
        seen_invoices: set[str] = set()
        for entity in wanted:
            endpoint = ENDPOINTS[entity]
            if endpoint.path not in read:
                read[endpoint.path] = self._changed_rows(tenant, endpoint.path, since)
            doc_type = DOC_TYPES.get(endpoint.path)
            for row in read[endpoint.path]:
                if doc_type and row.get("Type", doc_type) != doc_type:
                    continue
                state = state_of(entity, row)
                if entity is EntityType.INVOICE:
                    seen_invoices.add(state.remote_id)
                yield state
        if EntityType.INVOICE in wanted:
            paid = self._paid_invoices(tenant, since) - seen_invoices
            yield from self.states(tenant, EntityType.INVOICE, sorted(paid)).values()

    def _paid_invoices(self, tenant: str, since: datetime | None) -> set[str]:
        """The sales invoices that payments made, changed or deleted since `since` are on."""
        found: set[str] = set()
        for payment in self._changed_rows(tenant, "Payments", since):
            invoice = payment.get("Invoice")
            if (
                isinstance(invoice, dict)
                and invoice.get("InvoiceID")
                and invoice.get("Type", "ACCREC") == "ACCREC"
            ):
                found.add(str(invoice["InvoiceID"]))
        return found

    def _changed_rows(self, tenant: str, path: str, since: datetime | None) -> list[dict[str, Any]]:
        """Every row of GET `path` changed after `since` (all of them for None), page by page."""
        headers = {"xero-tenant-id": tenant}
        if since is not None:
            headers["If-Modified-Since"] = if_modified_since(since)
        params: dict[str, str] = {}
        if path == "Contacts":
            params["includeArchived"] = "true"
        if path in ("Invoices", "CreditNotes", "Items"):  # the lists the spec gives `unitdp`
            params["unitdp"] = "4"  # as `fetch` reads them, so fields compare alike
        paged = path != "Items"  # GET /Items answers every item at once (line 8875)
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            if paged:
                params["page"] = str(page)
            chunk = self._get_rows(tenant, path, params, headers)
            rows.extend(chunk)
            if not paged or len(chunk) < PAGE_SIZE:
                return rows
        raise ConnectorError(f"Xero's answer to GET {path} did not end after {MAX_PAGES} pages")

    def _get_rows(
        self, tenant: str, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        response = self.http.request(
            "GET",
            f"{self.base_url}/{path}",
            params=params,
            headers=headers,
            auth=self.tokens,
            tenant=tenant,
        )
        if response.status_code in (304, 404):  # nothing changed / nothing there
            return []
        if response.status_code != 200:
            raise ConnectorError(
                f"Xero answered {response.status_code} to GET {path}: {problem_detail(response)}"
            )
        body = answers.json_of(response)
        rows = body.get(path) if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ConnectorError(f"Xero's answer to GET {path} has no '{path}' list")
        return [r for r in rows if isinstance(r, dict)]

    # --- PaymentPush --------------------------------------------------------------------------

    def push_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment:
        return payments.push(self, tenant, payment)

    def find_payment(self, tenant: str, payment: PaymentPayload) -> RemotePayment | None:
        return payments.find(self, tenant, payment)


__all__ = ["XeroTwoWay", "if_modified_since"]
