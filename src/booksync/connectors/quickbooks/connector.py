"""The QuickBooks Online connector: the Accounting API v3 behind booksync's `Connector` protocol.

Writes go through the batch endpoint, up to 30 operations a request, each request carrying a
`requestid` derived from the record versions and the exact body, so a request repeated after a lost
answer is answered from QuickBooks' memory instead of being applied twice. Updates are sparse and
carry the object's SyncToken (read with the import or just before, and kept from every answer); when
QuickBooks says the token is stale (5010), the object is read again and the update sent once more.
A Fault on one operation rejects only that record, translated into the brief's rule ids.

Documents are written the way the company takes them (`company.Company`: tax model, numbering,
currencies, closed books, classes and locations), read once per realm and again with the chart;
each accepted one carries what QuickBooks booked, and a credit note is applied to the invoice it
credits (`credits.py`). The company's settings and the documents under booksync's numbers are
importable (`settings`, `documents`). What comes back (states, Change Data Capture, payments) is
in `two_way.py` and `payments.py`.

Calls are paced per realm (company): 500 a minute, 10 at once, and at most 40 batch requests a
minute; a 429 holds the realm back for Retry-After, or the 60 s Intuit asks for when it gives none.
Base URLs are settings, so the same code talks to the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from booksync.clock import Clock
from booksync.connectors.http import HttpClient, RateBudget, Recorder
from booksync.connectors.oauth import TokenKeeper, TokenSet
from booksync.connectors.protocol import (
    ConnectorError,
    DocumentPayload,
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
from booksync.connectors.quickbooks import company as companies
from booksync.connectors.quickbooks import credits, documents, imports, lookups, mapping
from booksync.connectors.quickbooks.api import ACTIVE_OR_NOT, CompanyApi, literal
from booksync.connectors.quickbooks.auth import API_URL, TOKEN_URL, quickbooks_app
from booksync.connectors.quickbooks.company import Company
from booksync.connectors.quickbooks.two_way import QuickBooksTwoWay
from booksync.connectors.quickbooks.writes import Pending, Writer
from booksync.domain.types import EntityType

#: Operations per batch request: the API reference's maximum (Intuit's guide suggests fewer, 10).
BATCH = 30
#: Per realm: batch requests a minute, all requests a minute, requests in flight.
BATCH_CALLS_PER_MINUTE = 40
CALLS_PER_MINUTE = 500
CONCURRENCY = 10
#: The API's minor version: the newest python-quickbooks asks for, and what the mapping follows.
MINOR_VERSION = "75"

#: A long-running worker reads the chart and tax codes again when a name is missing from what it
#: read, at most this often (seconds).
REREAD_REFS = 300.0
#: Refusals booksync makes itself from what it read of the company; when that is old, it is read
#: again before the refusal stands.
_REF_RULES = frozenset(
    {
        "account_code.matches_tool",
        "tax.mapped",
        "tax.purchase_mapped",
        "currency.enabled",
        "document.after_lock_date",
        "tracking.matches_tool",
    }
)


class QuickBooksConnector(QuickBooksTwoWay):
    """A `Connector` for QuickBooks Online. `tokens` is a TokenSet (refreshed here when `client_id`
    is given) or a TokenKeeper; one grant reaches one realm, given as `realm` (or several `realms`
    when a caller shares a keeper)."""

    kind = "quickbooks"
    limits = Limits(
        batch_size={e: BATCH for e in EntityType},
        calls_per_minute=CALLS_PER_MINUTE,
        concurrency=CONCURRENCY,
    )

    def __init__(
        self,
        tokens: TokenSet | TokenKeeper,
        *,
        realm: str | None = None,
        realms: Sequence[str] = (),
        base_url: str = API_URL,
        token_url: str = TOKEN_URL,
        client_id: str | None = None,
        client_secret: str | None = None,
        on_tokens_refreshed: Callable[[TokenSet], None] | None = None,
        reload_tokens: Callable[[], TokenSet | None] | None = None,
        http: HttpClient | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder | None = None,
        tenant_names: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_wait: float = 60.0,
        minor_version: str = MINOR_VERSION,
    ) -> None:
        self.realms = [*([realm] if realm else []), *(r for r in realms if r != realm)]
        self.clock = clock or (http.clock if http else Clock())
        self.http = http or HttpClient(
            tool="QuickBooks",
            transport=transport,
            timeout=timeout,
            clock=self.clock,
            recorder=recorder,
            budget=RateBudget(CALLS_PER_MINUTE, CONCURRENCY, clock=self.clock, max_wait=max_wait),
        )
        self._owns_http = http is None
        if isinstance(tokens, TokenKeeper):
            self.tokens = tokens
        else:
            app = quickbooks_app(client_id or "", client_secret, token_url=token_url)
            self.tokens = TokenKeeper(
                tokens,
                app,
                self.http,
                clock=self.clock,
                on_refreshed=on_tokens_refreshed,
                reload=reload_tokens,
            )
        #: The batch endpoint has its own limit, on top of the realm's.
        batches = RateBudget(
            BATCH_CALLS_PER_MINUTE, CONCURRENCY, clock=self.clock, max_wait=max_wait
        )
        self.api = CompanyApi(self.http, self.tokens, base_url, minor_version, batches)
        self.tenant_names = dict(tenant_names or {})
        self._accounts: dict[str, list[dict[str, Any]]] = {}
        self._tax_codes: dict[str, list[dict[str, Any]]] = {}
        self._companies: dict[str, Company] = {}
        self._refs_read: dict[str, float] = {}
        #: (realm, entity, reference) -> the contact a document was written to, for `lookup`
        self._contacts: dict[tuple[str, EntityType, str], str] = {}
        self.writer = Writer(self.api, self.tenant_names, self._rename)

    # --- tenants and imports ----------------------------------------------------------------------

    def list_tenants(self) -> list[RemoteTenant]:
        """The realms this grant reaches, named as the company calls itself."""
        tenants = []
        for realm in self.realms:
            info = self.api.get(realm, f"companyinfo/{quote(realm, safe='')}").get("CompanyInfo")
            name = str((info or {}).get("CompanyName") or self.tenant_names.get(realm) or realm)
            prefs = self.api.get(realm, "preferences").get("Preferences") or {}
            home = (prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}
            tenants.append(RemoteTenant(realm, name, str(home.get("value") or "")))
        return tenants

    def _account_rows(self, realm: str) -> list[dict[str, Any]]:
        if realm not in self._accounts:
            self._accounts[realm] = self.api.query(realm, "Account", ACTIVE_OR_NOT)
            self._refs_read[realm] = self.clock.now()
        return self._accounts[realm]

    def _tax_code_rows(self, realm: str) -> list[dict[str, Any]]:
        if realm not in self._tax_codes:
            self._tax_codes[realm] = self.api.query(realm, "TaxCode", ACTIVE_OR_NOT)
            self._refs_read[realm] = self.clock.now()
        return self._tax_codes[realm]

    def company(self, realm: str, *, again: bool = False) -> Company:
        """The company's settings (`company.read`), read once and kept, or read `again`."""
        if again or realm not in self._companies:
            self._companies[realm] = companies.read(self.api, realm)
            self._refs_read[realm] = self.clock.now()
        return self._companies[realm]

    def settings(self, tenant: str) -> RemoteSettings:
        """The tenant's currencies, close date, default terms, classes and locations, and its
        country and numbering (`SettingsImport`)."""
        return self.company(tenant, again=True).settings()

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]:
        """The documents QuickBooks holds under these numbers (`DocumentImport`). Only where
        booksync sends its numbers: a company numbering its own sales forms holds none of
        booksync's numbers, whatever its own happen to be."""
        if not documents.sends_number(entity, self.company(tenant)):
            return []
        found: list[RemoteDocument] = []
        wanted = list(dict.fromkeys(numbers))
        for start in range(0, len(wanted), lookups.LOOKUP_CHUNK):
            listed = ", ".join(literal(n) for n in wanted[start : start + lookups.LOOKUP_CHUNK])
            for row in self.api.query(tenant, mapping.ENTITIES[entity], f"DocNumber IN ({listed})"):
                remote = documents.remote_document(entity, row)
                if remote is not None:
                    found.append(remote)
        return found

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        self._accounts.pop(tenant, None)  # an import always reads the chart afresh
        rows = self._account_rows(tenant)
        return [a for a in (imports.account(r) for r in rows) if a is not None]

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        rates = imports.tax_rates(self.api.query(tenant, "TaxRate", ACTIVE_OR_NOT))
        self._tax_codes.pop(tenant, None)
        rows = self._tax_code_rows(tenant)
        return [t for t in (imports.tax_code(r, rates) for r in rows) if t is not None]

    def contacts(self, tenant: str) -> list[RemoteContact]:
        found: list[RemoteContact] = []
        for entity, name in ((EntityType.CLIENT, "Customer"), (EntityType.SUPPLIER, "Vendor")):
            for row in self.api.query(tenant, name, ACTIVE_OR_NOT):
                contact = imports.remote_contact(row, entity)
                if contact is not None:
                    found.append(contact)
        return found

    def items(self, tenant: str) -> list[RemoteItem]:
        rows = self.api.query(tenant, "Item", ACTIVE_OR_NOT)
        return [i for i in (imports.remote_item(r) for r in rows) if i is not None]

    def refs(self, realm: str, *, again: bool = False) -> mapping.Refs:
        """Account and tax code Ids by every name booksync may hold: read once and kept, or read
        `again` (when a name is missing from what was kept, at most every REREAD_REFS seconds)."""
        if again:
            self._accounts.pop(realm, None)
            self._tax_codes.pop(realm, None)
            self._companies.pop(realm, None)
        active = [r for r in self._account_rows(realm) if r.get("Active", True) is not False]
        codes = [r for r in self._tax_code_rows(realm) if r.get("Active", True) is not False]
        return mapping.Refs(imports.account_refs(active), imports.tax_code_refs(codes))

    # --- pushing ----------------------------------------------------------------------------------

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        results, pending = self._map(tenant, entity, items)
        stale = self.clock.now() - self._refs_read.get(tenant, 0.0) >= REREAD_REFS
        if stale and any(r.rule in _REF_RULES for r in results.values()):
            # The company may have gained the account, tax code, currency, ... since it was read.
            results, pending = self._map(tenant, entity, items, again=True)
        batched = [p for p in pending if p.write.operation != "void"]
        for start in range(0, len(batched), BATCH):
            results.update(self.writer.send(tenant, entity, batched[start : start + BATCH]))
        for void in (p for p in pending if p.write.operation == "void"):
            results.update(self.writer.void(tenant, entity, void))
        if entity is EntityType.CREDIT_NOTE:
            self._apply_credits(tenant, items, results)
        return [results[i] for i in range(len(items))]

    def _map(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem], *, again: bool = False
    ) -> tuple[dict[int, PushResult], list[Pending]]:
        """Each item as a QuickBooks write, or its rejection when one cannot be made."""
        results: dict[int, PushResult] = {}
        pending: list[Pending] = []
        refs = mapping.Refs() if entity.is_party else self.refs(tenant, again=again)
        company = self.company(tenant, again=again and entity.is_party)
        for index, item in enumerate(items):
            if item.entity is not entity:
                message = f"a {item.entity.label} cannot be pushed in a {entity.label} batch"
                results[index] = PushResult(item.key, Outcome.REJECTED, item.remote_id, message)
                continue
            display = None
            if (tenant, entity, item.reference) in self.writer.renamed:
                payload: Any = item.payload
                display = mapping.disambiguated(payload.name, entity)
            try:
                write = mapping.to_qbo(item, refs, company, display_name=display)
            except mapping.MappingError as exc:
                results[index] = PushResult(
                    item.key, Outcome.REJECTED, item.remote_id, str(exc), exc.rule, exc.fix
                )
                continue
            if entity.is_party:
                self.writer.names[(tenant, entity, item.reference)] = write.body["DisplayName"]
            elif isinstance(item.payload, DocumentPayload) and item.payload.contact_remote_id:
                self._contacts[(tenant, entity, item.reference)] = item.payload.contact_remote_id
            pending.append(Pending(index, item, write))
        return results, pending

    def _rename(self, item: PushItem, display_name: str) -> mapping.Write:
        return mapping.to_qbo(item, mapping.Refs(), display_name=display_name)

    def _apply_credits(
        self, tenant: str, items: Sequence[PushItem], results: dict[int, PushResult]
    ) -> None:
        """Apply each credit note QuickBooks took to the invoice it credits (`credits.py`)."""
        for index, item in enumerate(items):
            result = results[index]
            if result.outcome not in (Outcome.CREATED, Outcome.UPDATED):
                continue
            if not isinstance(result.response, dict) or "Id" not in result.response:
                continue
            try:
                problem = credits.allocate(self.api, tenant, item, result.response)
            except ConnectorError as exc:  # the credit note stands; applying it waits
                problem = f"the credit note was written but not applied to its invoice: {exc}"
            if problem:
                results[index] = replace(result, message=problem)

    # --- finding what a lost answer created -------------------------------------------------------

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        """Documents by booksync's trace (never by number alone: `lookups.py`), products by SKU.
        Customers and vendors have no field for booksync's number: one pushed by this connector
        is found by the display name it was sent with; otherwise None, and the repeated push's
        requestid (or QuickBooks' unique names) keeps it from being created twice."""
        name = mapping.ENTITIES[entity]
        if entity.is_document:
            contact = self._contacts.get((tenant, entity, reference))
            return lookups.find_document(
                self.api, tenant, entity, reference, self.company(tenant), contact
            )
        if entity is EntityType.PRODUCT:
            where = f"Sku = {literal(reference)}"
        else:
            display = self.writer.names.get((tenant, entity, reference))
            if display is None:
                return None
            where = f"DisplayName = {literal(display)}"
        for row in self.api.query(tenant, name, where):
            if row.get("Id"):
                return str(row["Id"])
        return None

    def lookup_many(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem]
    ) -> dict[str, str]:
        """Many records in one query per 30 (`lookups.find_many`): customers and vendors by the
        exact DisplayName their payload carries (or its disambiguated form), so they are found
        after a restart too; documents by booksync's trace."""
        return lookups.find_many(self.api, tenant, entity, items, self.company(tenant))

    def close(self) -> None:
        if self._owns_http:
            self.http.close()
