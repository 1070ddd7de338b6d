"""The QuickBooks Online emulator: Intuit's hosts under one server, and the path every API call
takes.

| QuickBooks Online / Intuit                                      | emulator                             |
|-----------------------------------------------------------------|--------------------------------------|
| https://quickbooks.api.intuit.com/v3/company/{realmId}/...      | {base}/v3/company/{realmId}/...      |
| https://developer.api.intuit.com/.well-known/openid_configuration | {base}/.well-known/openid_configuration |
| https://appcenter.intuit.com/connect/oauth2                     | {base}/connect/oauth2                |
| https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer       | {base}/oauth2/v1/tokens/bearer       |
| https://developer.api.intuit.com/v2/oauth2/tokens/revoke        | {base}/v2/oauth2/tokens/revoke       |

So a client points its API base (python-quickbooks' `api_url_v3`) at `{base}/v3` and its OAuth
client at the discovery URL, and keeps every path.

API paths under `/v3/company/{realmId}`: `POST /{entity}` (create, update, `?operation=delete`,
`?operation=void` for invoices, `?operation=update&include=void` for sales receipts and payments),
`GET /{entity}/{id}`, `GET|POST /query`, `POST /batch`, `GET /companyinfo/{realmId}`,
`GET /preferences`. `minorversion` is accepted (QBO answers minor version 75 whatever is asked).

A call is checked in QBO's order: bearer token (401 AuthenticationFailed) -> the token's grant is
for this realm (403 AuthorizationFault 120) and has the accounting scope (403) -> throttles (429)
-> injected faults -> `requestid` replay -> the endpoint. Fault switches act on API calls only; the
OAuth endpoints always answer.

`?requestid=` (at most 50 characters; 36 on a batch): the first answer to a requestid is kept for
the emulator's life, per realm, and returned again for any call that repeats it, whatever its body
(QBO does not compare bodies). Failures the tool gave (Faults, its own 500s) are kept too; injected
gateway faults and 429s are not. Replays count against the throttles.
"""

from __future__ import annotations

import secrets
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Request, Response
from booksync_emulators.faults import FaultKind, FaultSwitches
from booksync_emulators.quickbooks import auth, batch, cdc, errors, query
from booksync_emulators.quickbooks.auth import IntuitOAuth, TokenPolicy, TokenSet
from booksync_emulators.quickbooks.company import Profile
from booksync_emulators.quickbooks.entities import Options, entity_named, read, write
from booksync_emulators.quickbooks.errors import Fault, GatewayError
from booksync_emulators.quickbooks.limits import QboLimits, RateLimiter
from booksync_emulators.quickbooks.store import Realm
from booksync_emulators.quickbooks.webhooks import QuickBooksWebhooks, change
from booksync_emulators.quickbooks.wire import api_time, dumps
from booksync_emulators.replay import ReplayCache
from booksync_emulators.server import EmulatorServer

API_PREFIX = "/v3/company"
MAX_REQUEST_ID = 50


@dataclass(frozen=True)
class SeededRealm:
    """A company made at start-up, with tokens that work against it."""

    realm_id: str
    name: str
    access_token: str
    refresh_token: str


class QuickBooksEmulator:
    """An `App` for `EmulatorServer`; see the module docstring for paths and checks.

    `realms` is the store (realm id -> `Realm`), `auth` the OAuth service, `client` the app whose
    credentials work against it, `faults` the switches, `limiter` the throttles.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        faults: FaultSwitches | None = None,
        limits: QboLimits | None = None,
        tokens: TokenPolicy | None = None,
        client_id: str | None = None,
        client_secret: str | None = "generate",
    ) -> None:
        self.clock = clock or VirtualClock.real()
        self.faults = faults or FaultSwitches()
        self.realms: dict[str, Realm] = {}
        self.auth = IntuitOAuth(self.clock, lambda: list(self.realms), tokens or TokenPolicy())
        self.client = self.auth.register_client(client_id, client_secret)
        self.limiter = RateLimiter(self.clock, limits or QboLimits())
        self.request_ids = ReplayCache(self.clock, ttl=None)
        #: Signed webhooks: `webhooks.configure(url, verifier_token, shape=...)` (webhooks.py).
        self.webhooks = QuickBooksWebhooks(self.client.client_id)
        #: API calls per endpoint ("GET cdc", "POST invoice", "GET query"), for tests that count
        #: what a poller costs.
        self.calls: Counter[str] = Counter()

    # -- set-up -------------------------------------------------------------------------------------------

    def add_realm(
        self,
        name: str,
        realm_id: str | None = None,
        *,
        account_numbers: bool = False,
        country: str = "AU",
        **settings: Any,
    ) -> Realm:
        """A new company, seeded like a new AU (or US) QuickBooks Online company; `settings` are
        `Profile` fields (custom_txn_numbers, multicurrency, book_close_date, ...), else QBO's
        defaults for a new company (`company.Profile`)."""
        realm_id = realm_id or "9130" + "".join(secrets.choice("0123456789") for _ in range(12))
        profile = Profile.us() if country == "US" else Profile.au()
        for key, value in settings.items():
            if not hasattr(profile, key):
                raise ValueError(f"{key!r} is not a company setting (see company.Profile)")
            setattr(profile, key, value)
        realm = Realm.new(
            realm_id, name, self.clock.utcnow(), account_numbers=account_numbers, profile=profile
        )
        realm.clock = self.clock.utcnow
        realm.listener = lambda entity, object_id, operation, when, extra: self.webhooks.emit(
            change(realm.realm_id, entity, object_id, operation, when, extra)
        )
        self.realms[realm_id] = realm
        return realm

    def connect(self, realm_id: str) -> TokenSet:
        """Tokens for `client` on one company, as finishing the consent screen would give."""
        return self.auth.connect(self.client.client_id, realm_id)

    def seed(
        self, realms: int = 1, *, account_numbers: bool = False, custom_txn_numbers: bool = True
    ) -> list[SeededRealm]:
        """Make `realms` companies, each connected to `client` by its own grant and tokens.

        Unlike `add_realm` (QBO's defaults), these number sales forms the way booksync does: an
        MSP that wants its own invoice numbers in QuickBooks turns custom transaction numbers on,
        and the fixtures' companies are set up that way. Pass `custom_txn_numbers=False` for a
        company that numbers its documents itself."""
        if realms < 1:
            raise ValueError(f"realms={realms} must be at least 1")
        seeded = []
        for i in range(realms):
            realm = self.add_realm(
                f"Emulated Company {i + 1}",
                account_numbers=account_numbers,
                custom_txn_numbers=custom_txn_numbers,
            )
            tokens = self.connect(realm.realm_id)
            seeded.append(
                SeededRealm(realm.realm_id, realm.name, tokens.access_token, tokens.refresh_token)
            )
        return seeded

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, log: Callable[[str], None] | None = None
    ) -> EmulatorServer:
        """A server for this emulator (not yet started), sharing its fault switches."""
        return EmulatorServer(self, host=host, port=port, faults=self.faults, log=log)

    # -- requests ---------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except GatewayError as exc:
            return exc.response

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path.lower().startswith(API_PREFIX + "/"):
            parts = [unquote(p) for p in path[len(API_PREFIX) + 1 :].split("/")]
            return self._api(request, parts[0], parts[1:])
        routes = {
            (auth.DISCOVERY_PATH, "GET"): self.auth.discovery,
            (auth.SANDBOX_DISCOVERY_PATH, "GET"): self.auth.discovery,
            (auth.AUTHORIZE_PATH, "GET"): self.auth.authorize,
            (auth.TOKEN_PATH, "POST"): self.auth.token,
            (auth.REVOKE_PATH, "POST"): self.auth.revoke,
            (auth.USERINFO_PATH, "GET"): self.auth.userinfo,
            (auth.JWKS_PATH, "GET"): self.auth.jwks,
        }
        handler = routes.get((path, request.method))
        if handler is not None:
            return handler(request)
        if path in {p for p, _ in routes}:
            return Response.json(
                405, dumps({"error": f"{request.method} is not allowed on {path}"})
            )
        return Response.json(404, dumps({"error": f"no such path: {path}"}))

    def _api(self, request: Request, realm_id: str, rest: list[str]) -> Response:
        now = self.clock.utcnow()
        self.calls[f"{request.method} {(rest[0].lower() if rest else '')}"] += 1
        access = self.auth.authenticate(request)
        realm = self.realms.get(realm_id)
        if realm is None or access.grant.realm_id != realm_id:
            return errors.authorization_failed(realm_id, now)
        if auth.ACCOUNTING_SCOPE not in access.grant.scopes:
            return errors.insufficient_scope(now)
        is_batch = [p.lower() for p in rest] == ["batch"] and request.method == "POST"
        if not self.limiter.acquire(realm_id, batch=is_batch):
            return errors.throttled(now)
        released = False
        try:
            fault = self.faults.take("before", request.method, request.path)
            if fault is not None and fault.kind is FaultKind.RATE_LIMIT:
                self.limiter.refund(realm_id, batch=is_batch)
                released = True
                return errors.throttled(now)
            if fault is not None and fault.kind is FaultKind.ERROR:
                response = errors.system_failure(fault.status, now)
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(int(fault.retry_after))
            else:
                if fault is not None and fault.gate is not None:
                    fault.gate.wait()
                response = self._replayable(request, realm, rest, is_batch)
        finally:
            if not released:
                self.limiter.release(realm_id)
        response.headers["intuit_tid"] = str(uuid.uuid4())
        return response

    def _replayable(
        self, request: Request, realm: Realm, rest: list[str], is_batch: bool
    ) -> Response:
        request_id = request.param("requestid")
        if request_id is None or request.method != "POST":
            return self._endpoint(request, realm, rest, None)
        if not is_batch and len(request_id) > MAX_REQUEST_ID:
            return errors.request_id_too_long(request_id, MAX_REQUEST_ID).response(
                self.clock.utcnow()
            )
        if is_batch and len(request_id) > batch.MAX_REQUEST_ID:
            return self._endpoint(request, realm, rest, request_id)  # every item fails
        entry, answer = self.request_ids.begin((realm.realm_id, request_id))
        if answer is not None:
            return answer
        assert entry is not None
        response = self._endpoint(request, realm, rest, request_id)
        self.request_ids.finish(entry, response)
        return response

    def _endpoint(
        self, request: Request, realm: Realm, rest: list[str], request_id: str | None
    ) -> Response:
        now = self.clock.utcnow()
        try:
            with realm.lock:  # one call at a time per company touches its data
                response = self._call(request, realm, rest, now, request_id)
        except Fault as fault:
            response = fault.response(now)
        except Exception:  # noqa: BLE001 - QBO answers its own failures with a 500, so do we
            traceback.print_exc()
            response = errors.system_failure(500, now)
        response.committed = request.method == "POST" and rest[:1] != ["query"]
        return response

    def _call(
        self, request: Request, realm: Realm, rest: list[str], now: datetime, request_id: str | None
    ) -> Response:
        version = request.param("minorversion")
        if version is not None and not version.isdigit():
            raise errors.invalid_property("minorversion", f"'{version}' is not a whole number")
        name, method = (rest[0].lower() if rest else ""), request.method
        include = {p.strip().lower() for p in (request.param("include") or "").split(",")}
        options = Options(allow_duplicate_number="allowduplicatedocnum" in include)
        if name == "query" and len(rest) == 1 and method in ("GET", "POST"):
            text = request.param("query") if method == "GET" else request.body.decode("utf-8")
            answer = query.run(realm, query.parse(text or ""))
            return _ok({"QueryResponse": answer}, now)
        if name == "batch" and len(rest) == 1 and method == "POST":
            results = batch.run(realm, _json(request, "BatchItemRequest"), now, options, request_id)
            return _ok({"BatchItemResponse": results}, now)
        if name == "cdc" and len(rest) == 1 and method == "GET":
            found = cdc.run(realm, request.param("entities"), request.param("changedSince"), now)
            return _ok({"CDCResponse": found}, now)
        if name == "companyinfo" and len(rest) == 2 and method == "GET":
            if rest[1] != realm.realm_id:
                raise errors.object_not_found("CompanyInfo", rest[1])
            return _ok({"CompanyInfo": realm.company_info()}, now)
        if name == "preferences" and len(rest) == 1 and method == "GET":
            return _ok({"Preferences": realm.preferences()}, now)
        entity = entity_named(name)
        if entity is not None and method == "GET" and len(rest) == 2:
            return _ok({entity.name: read(realm, entity, rest[1])}, now)
        if entity is not None and method == "POST" and len(rest) == 1:
            body = _json(request, entity.name)
            has_id = isinstance(body, dict) and body.get("Id") not in (None, "")
            operation = (request.param("operation") or ("update" if has_id else "create")).lower()
            if operation == "update" and "void" in include:
                # Sales receipts and payments are voided as an update with include=void
                # (python-quickbooks' VoidMixin.get_void_params); invoices with operation=void.
                operation = "void"
            record = write(realm, entity, body, operation, now, options)
            return _ok({entity.name: record}, now)
        return errors.no_such_path(method, request.path, now)


def _json(request: Request, element: str) -> object:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.invalid_property(element, f"the body is not JSON: {exc}") from None


def _ok(body: dict[str, object], now: datetime) -> Response:
    return Response.json(200, dumps({**body, "time": api_time(now)}))
