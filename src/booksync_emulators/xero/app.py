"""The Xero emulator: Xero's three hosts under one server, and the path every API call takes.

| Xero                                             | emulator                           |
|--------------------------------------------------|------------------------------------|
| https://api.xero.com/api.xro/2.0/{Collection}    | {base}/api.xro/2.0/{Collection}    |
| https://api.xero.com/connections                 | {base}/connections                 |
| https://identity.xero.com/connect/token          | {base}/connect/token               |
| https://identity.xero.com/connect/revocation     | {base}/connect/revocation          |
| https://login.xero.com/identity/connect/authorize| {base}/identity/connect/authorize  |

So a client pointed at the emulator swaps the scheme and host of each Xero URL for `{base}` and
keeps the path. Paths are matched without regard to case, as Xero does.

An Accounting API call is checked in Xero's order: bearer token (401 AuthenticationUnsuccessful /
TokenExpired) -> `xero-tenant-id` must be a tenant this token's user has connected (403) -> rate
limits (429) -> injected faults -> Idempotency-Key replay -> the endpoint. Every answer past the
tenant check carries the `X-*Limit-Remaining` headers. Fault switches act on Accounting API calls
only; the identity endpoints always answer.
"""

from __future__ import annotations

import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Request, Response
from booksync_emulators.faults import WRITE_METHODS, FaultKind, FaultSwitches
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import errors, payment_delete, resources, settings
from booksync_emulators.xero.auth import OAuthServer
from booksync_emulators.xero.errors import XeroError
from booksync_emulators.xero.idempotency import IdempotencyCache, fingerprint
from booksync_emulators.xero.limits import RateLimiter, XeroLimits
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.webhooks import XeroWebhooks, change

ACCOUNTING_PREFIX = "/api.xro/2.0"
TOKEN_PATH = "/connect/token"
REVOCATION_PATH = "/connect/revocation"
AUTHORIZE_PATH = "/identity/connect/authorize"
CONNECTIONS_PATH = "/connections"


@dataclass(frozen=True)
class SeededTenant:
    """A tenant made at start-up, with a connection and tokens that work against it."""

    tenant_id: str
    name: str
    region: str
    currency: str
    connection_id: str
    auth_event_id: str
    access_token: str
    refresh_token: str | None


class XeroEmulator:
    """An `App` for `EmulatorServer`; see the module docstring for paths and checks.

    `orgs` is the store (tenant id -> `Org`), `auth` the identity service, `client` the app whose
    credentials work against it, `faults` the switches, `limiter` the rate limits.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        faults: FaultSwitches | None = None,
        limits: XeroLimits | None = None,
        client_id: str | None = None,
        client_secret: str | None = "generate",
    ) -> None:
        self.clock = clock or VirtualClock.real()
        self.faults = faults or FaultSwitches()
        self.orgs: dict[str, Org] = {}
        self.auth = OAuthServer(
            self.clock,
            tenant_name=lambda t: self.orgs[t].name if t in self.orgs else None,
            all_tenants=lambda: list(self.orgs),
        )
        self.client = self.auth.register_client(client_id, client_secret)
        self.limiter = RateLimiter(self.clock, limits or XeroLimits())
        self.idempotency = IdempotencyCache(self.clock)
        #: Signed webhooks to a receiver: `webhooks.configure(url, key)` (xero/webhooks.py).
        self.webhooks = XeroWebhooks()
        #: Accounting API calls per endpoint, "GET Invoices" style, for tests counting a poller.
        self.calls: Counter[str] = Counter()

    # -- set-up -------------------------------------------------------------------------------------------

    def add_org(self, name: str, region: str = "AU", tenant_id: str | None = None) -> Org:
        """A new organisation with the region's default chart of accounts and tax rates."""
        org = Org.new(tenant_id or str(uuid.uuid4()), name, region, self.clock.utcnow())
        org.clock = self.clock.utcnow

        def tell(collection: str, record: Record, created: bool, when: datetime) -> None:
            event = change(org.tenant_id, collection, record, created, when)
            if event is not None:
                self.webhooks.emit(event)

        org.listener = tell
        self.orgs[org.tenant_id] = org
        return org

    def seed(
        self,
        tenants: int = 1,
        *,
        regions: tuple[str, ...] = ("AU",),
        token_per_tenant: bool = False,
    ) -> list[SeededTenant]:
        """Make `tenants` organisations and connect them to `client`.

        By default one user connects them all at once (one token set reaches every tenant, as a
        bookkeeper's does); with `token_per_tenant` each is connected by a user of its own, so each
        has its own tokens and revoking or expiring one leaves the others alone."""
        if tenants < 1:
            raise ValueError(f"tenants={tenants} must be at least 1")
        orgs = [
            self.add_org(
                f"Emulated Org {i + 1} ({regions[i % len(regions)]})", regions[i % len(regions)]
            )
            for i in range(tenants)
        ]
        if token_per_tenant:
            grants = [
                (
                    self.auth.connect(
                        self.client.client_id, [o.tenant_id], user_id=str(uuid.uuid4())
                    ),
                    o,
                )
                for o in orgs
            ]
        else:
            shared = self.auth.connect(self.client.client_id, [o.tenant_id for o in orgs])
            grants = [(shared, o) for o in orgs]
        seeded = []
        for tokens, org in grants:
            connection = self.auth.connections[(tokens.user_id, self.client.client_id)][
                org.tenant_id
            ]
            seeded.append(
                SeededTenant(
                    org.tenant_id,
                    org.name,
                    org.region,
                    org.currency,
                    connection.id,
                    tokens.auth_event_id,
                    tokens.access_token,
                    tokens.refresh_token,
                )
            )
        return seeded

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, log: Callable[[str], None] | None = None
    ) -> EmulatorServer:
        """A server for this emulator (not yet started), sharing its fault switches."""
        return EmulatorServer(self, host=host, port=port, faults=self.faults, log=log)

    # -- requests --------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except XeroError as exc:
            return exc.response

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        lower, method = path.lower(), request.method
        if lower.startswith(ACCOUNTING_PREFIX.lower() + "/"):
            return self._accounting(request, path[len(ACCOUNTING_PREFIX) + 1 :])
        routes = {
            (TOKEN_PATH, "POST"): self.auth.token,
            (REVOCATION_PATH, "POST"): self.auth.revoke,
            (AUTHORIZE_PATH, "GET"): self.auth.authorize,
            (CONNECTIONS_PATH, "GET"): self.auth.list_connections,
        }
        if (lower, method) in routes:
            return routes[(lower, method)](request)
        if lower.startswith(CONNECTIONS_PATH + "/") and method == "DELETE":
            return self.auth.delete_connection(request, unquote(path[len(CONNECTIONS_PATH) + 1 :]))
        if lower in {p for p, _ in routes}:
            return errors.problem(405, "Method Not Allowed", f"{method} is not allowed on {path}")
        return errors.not_found()

    def _accounting(self, request: Request, rest: str) -> Response:
        parts = [unquote(p) for p in rest.split("/")]
        if len(parts) > 3:
            return errors.not_found()
        self.calls[f"{request.method} {_endpoint_name(parts)}"] += 1
        access = self.auth.authenticate(request)
        tenant_id = (request.header("xero-tenant-id") or "").strip()
        org = self.orgs.get(tenant_id)
        if org is None or self.auth.connection_for(access, tenant_id) is None:
            return errors.forbidden()
        admission = self.limiter.acquire(tenant_id)
        if not admission.allowed:
            assert admission.problem is not None
            return errors.too_many_requests(
                admission.problem, admission.retry_after, admission.headers
            )
        headers, released = admission.headers, False
        try:
            fault = self.faults.take("before", request.method, request.path)
            if fault is not None and fault.kind is FaultKind.RATE_LIMIT:
                headers, released = self.limiter.refund(tenant_id), True
                return errors.too_many_requests(fault.problem, fault.retry_after or 60, headers)
            if fault is not None and fault.kind is FaultKind.ERROR:
                response = errors.server_error(fault.status)
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(int(fault.retry_after))
            else:
                if fault is not None and fault.gate is not None:
                    fault.gate.wait()
                response = self._idempotent(request, access.client_id, org, parts)
        finally:
            if not released:
                self.limiter.release(tenant_id)
        response.headers.update(headers)
        response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
        return response

    def _idempotent(self, request: Request, app: str, org: Org, parts: list[str]) -> Response:
        key = request.header("idempotency-key")
        if key is None or request.method not in WRITE_METHODS:
            return self._endpoint(request, org, parts, app)
        refused = self.idempotency.check_key(key)
        if refused is not None:
            return refused
        entry, answer = self.idempotency.begin(app, key, fingerprint(request, org.tenant_id))
        if answer is not None:
            return answer
        assert entry is not None
        response = self._endpoint(request, org, parts, app)
        self.idempotency.finish(entry, response)
        return response

    def _endpoint(self, request: Request, org: Org, parts: list[str], app: str) -> Response:
        now = self.clock.utcnow()
        try:
            with org.lock:  # one call at a time per tenant touches its data
                response = self._call(request, org, parts, now, app)
        except XeroError as exc:
            response = exc.response
        except Exception:  # noqa: BLE001 - Xero answers its own failures with a 500, so do we
            traceback.print_exc()
            response = errors.server_error(500)
        response.committed = request.method in WRITE_METHODS
        return response

    def _call(
        self, request: Request, org: Org, parts: list[str], now: datetime, app: str
    ) -> Response:
        name, key = parts[0].lower(), (parts[1] if len(parts) >= 2 else None)
        method = request.method
        if len(parts) == 3:
            return self._sub_resource(request, org, name, parts[1], parts[2].lower(), now)
        if name in ("accounts", "taxrates") and method == "GET":
            return resources.list_settings(
                org, "Accounts" if name == "accounts" else "TaxRates", request, now, key
            )
        if method == "GET" and (name, key) == ("organisation", None):
            return settings.organisation(org, now)
        if method == "GET" and (name, key) == ("currencies", None):
            return settings.currencies(org, request, now)
        if method == "GET" and name == "trackingcategories":
            return settings.tracking_categories(org, request, now, key)
        resource = resources.RESOURCES.get(name)
        if resource is None:
            return errors.not_found()
        if method == "GET":
            if key is None:
                return resources.list_records(org, resource, request, now, app)
            return resources.get_record(org, resource, key, now, request)
        if name == "payments" and key is not None:
            if method != "POST":
                return errors.problem(405, "Method Not Allowed", f"{method} is not allowed here")
            return payment_delete.delete_payment(org, request, now, key)
        if method == "PUT" and key is None or method == "POST":
            return resources.write_records(org, resource, request, now, key, app)
        return errors.problem(
            405, "Method Not Allowed", f"{method} is not allowed on {request.path}"
        )

    def _sub_resource(
        self, request: Request, org: Org, name: str, key: str, sub: str, now: datetime
    ) -> Response:
        """What hangs off one document: a credit note's allocations, an invoice's online URL."""
        if (name, sub, request.method) == ("creditnotes", "allocations", "PUT"):
            return resources.allocations(org, request, now, key)
        if (name, sub, request.method) == ("invoices", "onlineinvoice", "GET"):
            return resources.online_invoice(org, key, now)
        return errors.not_found()


def _endpoint_name(parts: list[str]) -> str:
    """ "Invoices", "Invoices/{id}", "CreditNotes/{id}/Allocations": the counter's key."""
    names = {p.lower(): p for p in ("Contacts", "Invoices", "CreditNotes", "Payments", "Items")}
    head = names.get(parts[0].lower(), parts[0])
    return "/".join([head, *(["{id}"] if len(parts) > 1 else []), *parts[2:]])
