"""The QuickBooks Online connector: the Accounting API v3 behind booksync's `Connector` protocol.

Writes go through the batch endpoint, up to 30 operations a request, each request carrying a
`requestid` derived from the record versions and the exact body, so a request repeated after a lost
answer is answered from QuickBooks' memory instead of being applied twice. Updates are sparse and
carry the object's SyncToken (read with the import or just before, and kept from every answer); when
QuickBooks says the token is stale (5010), the object is read again and the update sent once more.
A Fault on one operation rejects only that record, translated into the brief's rule ids.

Calls are paced per realm (company): 500 a minute, 10 at once, and at most 40 batch requests a
minute; a 429 holds the realm back for Retry-After, or the 60 s Intuit asks for when it gives none.
Base URLs are settings, so the same code talks to the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from booksync.clock import Clock
from booksync.connectors.http import HttpClient, RateBudget, Recorder
from booksync.connectors.oauth import TokenKeeper, TokenSet
from booksync.connectors.protocol import (
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
from booksync.connectors.quickbooks import imports, lookups, mapping
from booksync.connectors.quickbooks.api import ACTIVE_OR_NOT, CompanyApi, literal
from booksync.connectors.quickbooks.auth import API_URL, TOKEN_URL, quickbooks_app
from booksync.connectors.quickbooks.errors import (
    NOT_FOUND,
    STALE_OBJECT,
    FaultError,
    fault_errors,
    translate,
)
from booksync.connectors.refusals import refused
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
_REF_RULES = frozenset({"account_code.matches_tool", "tax.mapped"})


@dataclass(frozen=True)
class _Pending:
    index: int
    item: PushItem
    write: mapping.Write


class QuickBooksConnector:
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
        self._refs_read: dict[str, float] = {}
        self._names: dict[tuple[str, EntityType, str], str] = {}

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
        active = [r for r in self._account_rows(realm) if r.get("Active", True) is not False]
        codes = [r for r in self._tax_code_rows(realm) if r.get("Active", True) is not False]
        return mapping.Refs(imports.account_refs(active), imports.tax_code_refs(codes))

    # --- pushing ----------------------------------------------------------------------------------

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        results, pending = self._map(tenant, entity, items)
        stale = self.clock.now() - self._refs_read.get(tenant, 0.0) >= REREAD_REFS
        if stale and any(r.rule in _REF_RULES for r in results.values()):
            # The company may have gained the account or tax code since it was read: read again.
            results, pending = self._map(tenant, entity, items, again=True)
        batched = [p for p in pending if p.write.operation != "void"]
        for start in range(0, len(batched), BATCH):
            results.update(self._send(tenant, entity, batched[start : start + BATCH]))
        for void in (p for p in pending if p.write.operation == "void"):
            results.update(self._void(tenant, entity, void))
        return [results[i] for i in range(len(items))]

    def _map(
        self, tenant: str, entity: EntityType, items: Sequence[PushItem], *, again: bool = False
    ) -> tuple[dict[int, PushResult], list[_Pending]]:
        """Each item as a QuickBooks write, or its rejection when one cannot be made."""
        results: dict[int, PushResult] = {}
        pending: list[_Pending] = []
        refs = mapping.Refs() if entity.is_party else self.refs(tenant, again=again)
        for index, item in enumerate(items):
            if item.entity is not entity:
                message = f"a {item.entity.label} cannot be pushed in a {entity.label} batch"
                results[index] = PushResult(item.key, Outcome.REJECTED, item.remote_id, message)
                continue
            try:
                write = mapping.to_qbo(item, refs)
            except mapping.MappingError as exc:
                results[index] = PushResult(
                    item.key, Outcome.REJECTED, item.remote_id, str(exc), exc.rule, exc.fix
                )
                continue
            if entity.is_party:
                self._names[(tenant, entity, item.reference)] = write.body["DisplayName"]
            pending.append(_Pending(index, item, write))
        return results, pending

    def _send(
        self, realm: str, entity: EntityType, chunk: list[_Pending], *, again: bool = True
    ) -> dict[int, PushResult]:
        """One batch request; operations refused with 5010 are read again and sent once more."""
        name = mapping.ENTITIES[entity]
        results: dict[int, PushResult] = {}
        current = self.api.sync_tokens(
            realm, name, (p.item.remote_id for p in chunk if p.item.remote_id)
        )
        operations: list[tuple[_Pending, dict[str, Any]]] = []
        for pending in chunk:
            body = pending.write.body
            remote_id = pending.item.remote_id
            if remote_id:
                token = current.get(remote_id)
                if token is None:
                    gone = FaultError(NOT_FOUND, "Object Not Found", f"{name} {remote_id}", "")
                    results[pending.index] = self._rejected(realm, pending, [gone], None)
                    continue
                body = {"Id": remote_id, "SyncToken": token, **body}
                if pending.write.operation == "update":
                    body["sparse"] = True
            operations.append((pending, body))
        if not operations:
            return results
        requests = [
            {"bId": str(n), "operation": pending.write.operation, name: body}
            for n, (pending, body) in enumerate(operations)
        ]
        answers = self.api.batch(realm, [p.item.key for p, _ in operations], requests)
        stale: list[_Pending] = []
        for n, (pending, body) in enumerate(operations):
            answer = answers.get(str(n))
            if answer is None:
                results[pending.index] = PushResult(
                    pending.item.key,
                    Outcome.UNKNOWN,
                    pending.item.remote_id,
                    "QuickBooks' batch answer left this operation out",
                    request=body,
                )
                continue
            errors = fault_errors(answer.get("Fault"))
            if errors and again and any(e.code == STALE_OBJECT for e in errors):
                self.api.forget(realm, name, str(pending.item.remote_id))
                stale.append(pending)
            elif errors:
                results[pending.index] = self._rejected(realm, pending, errors, answer, body)
            else:
                results[pending.index] = self._accepted(
                    realm, name, pending, answer.get(name), body
                )
        if stale:
            results.update(self._send(realm, entity, stale, again=False))
        return results

    def _void(self, realm: str, entity: EntityType, pending: _Pending) -> dict[int, PushResult]:
        """Void an invoice (its own operation, outside the batch), re-reading once on 5010."""
        name = mapping.ENTITIES[entity]
        remote_id = str(pending.item.remote_id)
        for attempt in (1, 2):
            token = self.api.sync_tokens(realm, name, [remote_id]).get(remote_id)
            if token is None:
                gone = FaultError(NOT_FOUND, "Object Not Found", f"{name} {remote_id}", "")
                return {pending.index: self._rejected(realm, pending, [gone], None)}
            body = {"Id": remote_id, "SyncToken": token}
            status, answer = self.api.operation(realm, name, "void", body, pending.item.key)
            errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
            if errors and attempt == 1 and any(e.code == STALE_OBJECT for e in errors):
                self.api.forget(realm, name, remote_id)
                continue
            if errors or status != 200:
                reason = errors or [FaultError("", "", f"status {status}", "")]
                return {pending.index: self._rejected(realm, pending, reason, answer, body)}
            returned = answer.get(name) if isinstance(answer, dict) else None
            return {pending.index: self._accepted(realm, name, pending, returned, body)}
        raise AssertionError("unreachable")  # pragma: no cover

    def _accepted(
        self, realm: str, name: str, pending: _Pending, returned: Any, sent: dict[str, Any]
    ) -> PushResult:
        item = pending.item
        remote_id = returned.get("Id") if isinstance(returned, dict) else None
        if not remote_id:
            return PushResult(
                item.key,
                Outcome.UNKNOWN,
                item.remote_id,
                "QuickBooks answered without the object's Id",
                request=sent,
                response=returned,
            )
        if pending.write.operation == "delete":
            self.api.forget(realm, name, str(remote_id))
        else:
            self.api.remember(realm, name, returned)
        outcome = Outcome.UPDATED if item.remote_id else Outcome.CREATED
        return PushResult(item.key, outcome, str(remote_id), request=sent, response=returned)

    def _rejected(
        self,
        realm: str,
        pending: _Pending,
        errors: list[FaultError],
        returned: Any,
        sent: dict[str, Any] | None = None,
    ) -> PushResult:
        item = pending.item
        translation = translate(
            errors,
            item.entity,
            self.tenant_names.get(realm, realm),
            item.reference,
            operation=pending.write.operation,
        )
        return refused(
            item,
            [str(e) for e in errors],
            translation,
            request=sent if sent is not None else pending.write.body,
            response=returned,
        )

    # --- finding what a lost answer created -------------------------------------------------------

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        """Documents by DocNumber, products by SKU. Customers and vendors have no field for
        booksync's number: one pushed by this connector is found by the display name it was sent
        with; otherwise None, and the repeated push's requestid (or QuickBooks' unique names) keeps
        it from being created twice."""
        name = mapping.ENTITIES[entity]
        if entity.is_document:
            where = f"DocNumber = {literal(reference)}"
        elif entity is EntityType.PRODUCT:
            where = f"Sku = {literal(reference)}"
        else:
            display = self._names.get((tenant, entity, reference))
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
        exact DisplayName their payload carries, so they are found after a restart too."""
        return lookups.find_many(self.api, tenant, entity, items)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()
