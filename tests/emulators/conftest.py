"""Fixtures that start the Xero emulator on a free loopback port with a virtual clock.

    def test_something(xero_emulator):
        with xero_emulator.client() as http:            # httpx, bearer + tenant headers set
            http.put("/Contacts", json={"Contacts": [{"Name": "Acme"}]})
        assert xero_emulator.org().find("Contacts", "Name", "Acme")
        xero_emulator.clock.advance(60)                  # a virtual minute passes
        xero_emulator.faults.fail_next(2, status=503)    # the next two calls answer 503

`xero_emulator` is the default handle: two tenants (AU, then NZ), each connected by its own user so
each has its own tokens; `xero_emulator_factory(...)` starts others (tenant count, regions, limits,
one shared token). On teardown **every exchange of the test is checked against Xero's OpenAPI
specs** (tests/emulators/openapi.py): a response that breaks the spec, or a request that does,
fails the test. A test that sends a bad request on purpose wraps it in
`handle.spec_violations_expected()`, and then that request must break the spec.

Xero's three hosts share one server: point a client's API base at `accounting_url` and its identity
(token) and login (authorize) hosts at `base_url`; `connections_url` is `base_url + /connections`.
Pass `clock=` to the factory to share one VirtualClock with the code under test.

Other test packages (the connector's) reuse these by importing them into their own conftest:
`from emulators.conftest import xero_emulator, xero_emulator_factory  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from booksync_emulators.clock import VirtualClock
from booksync_emulators.exchange import Exchange
from booksync_emulators.faults import FaultSwitches
from booksync_emulators.quickbooks import API_PREFIX as QBO_API_PREFIX
from booksync_emulators.quickbooks import AUTHORIZE_PATH as QBO_AUTHORIZE_PATH
from booksync_emulators.quickbooks import DISCOVERY_PATH as QBO_DISCOVERY_PATH
from booksync_emulators.quickbooks import REVOKE_PATH as QBO_REVOKE_PATH
from booksync_emulators.quickbooks import TOKEN_PATH as QBO_TOKEN_PATH
from booksync_emulators.quickbooks import (
    QboLimits,
    QuickBooksEmulator,
    Realm,
    SeededRealm,
    TokenPolicy,
)
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import (
    ACCOUNTING_PREFIX,
    AUTHORIZE_PATH,
    CONNECTIONS_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    Org,
    SeededTenant,
    XeroEmulator,
    XeroLimits,
)
from emulators.openapi import check_exchange
from emulators.receiver import Receiver, start_receiver

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class XeroEmulatorHandle:
    """What a test needs to drive and inspect a running emulator.

    `tenants[i]` carries `tenant_id`, `access_token`, `refresh_token`, `connection_id`; `org(i)` is
    that tenant's store (records as Xero-shaped dicts); `emulator` is the whole app.
    """

    emulator: XeroEmulator
    server: EmulatorServer
    tenants: list[SeededTenant]
    _expected: list[range] = field(default_factory=list)
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def clock(self) -> VirtualClock:
        return self.emulator.clock

    @property
    def faults(self) -> FaultSwitches:
        return self.emulator.faults

    @property
    def base_url(self) -> str:
        return self.server.url

    @property
    def accounting_url(self) -> str:
        return self.server.url + ACCOUNTING_PREFIX

    @property
    def connections_url(self) -> str:
        return self.server.url + CONNECTIONS_PATH

    @property
    def token_url(self) -> str:
        return self.server.url + TOKEN_PATH

    @property
    def revocation_url(self) -> str:
        return self.server.url + REVOCATION_PATH

    @property
    def authorize_url(self) -> str:
        return self.server.url + AUTHORIZE_PATH

    @property
    def client_id(self) -> str:
        return self.emulator.client.client_id

    @property
    def client_secret(self) -> str | None:
        return self.emulator.client.client_secret

    def org(self, tenant: int | str = 0) -> Org:
        tenant_id = self.tenants[tenant].tenant_id if isinstance(tenant, int) else tenant
        return self.emulator.orgs[tenant_id]

    def headers(self, tenant: int = 0, token: str | None = None) -> dict[str, str]:
        """Authorization and xero-tenant-id for `tenants[tenant]` (or another token)."""
        seeded = self.tenants[tenant]
        return {
            "Authorization": f"Bearer {token or seeded.access_token}",
            "xero-tenant-id": seeded.tenant_id,
            "Accept": "application/json",
        }

    def client(self, tenant: int = 0, **kwargs: Any) -> httpx.Client:
        """An httpx client on the Accounting API as `tenants[tenant]`; closed at teardown."""
        kwargs.setdefault("timeout", 5.0)
        http = httpx.Client(base_url=self.accounting_url, headers=self.headers(tenant), **kwargs)
        self._clients.append(http)
        return http

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self.server.recorder)

    @contextmanager
    def spec_violations_expected(self) -> Iterator[None]:
        """Requests sent inside must break the spec (they test the emulator's own refusals)."""
        start = len(self.server.recorder)
        yield
        self._expected.append(range(start, len(self.server.recorder)))

    def spec_problems(self) -> list[str]:
        """Everything in this test's exchanges that disagrees with Xero's specs."""
        problems = []
        for index, exchange in enumerate(self.exchanges):
            request_problems, response_problems = check_exchange(exchange)
            label = f"#{index} {exchange.request.method} {exchange.request.path}"
            if any(index in r for r in self._expected):
                if not request_problems:
                    problems.append(f"{label}: expected to break the spec, but it conforms")
            else:
                problems += [f"{label}: {p}" for p in request_problems]
            problems += [f"{label}: {p}" for p in response_problems]
        return problems

    def close(self) -> None:
        for http in self._clients:
            http.close()
        self.emulator.webhooks.close()
        self.server.stop()


StartEmulator = Callable[..., XeroEmulatorHandle]


@pytest.fixture
def xero_emulator_factory() -> Iterator[StartEmulator]:
    """`start(tenants=2, regions=("AU", "NZ"), limits=None, token_per_tenant=True, clock=None)`."""
    started: list[XeroEmulatorHandle] = []

    def start(
        tenants: int = 2,
        regions: tuple[str, ...] = ("AU", "NZ"),
        limits: XeroLimits | None = None,
        token_per_tenant: bool = True,
        clock: VirtualClock | None = None,
    ) -> XeroEmulatorHandle:
        emulator = XeroEmulator(clock=clock or VirtualClock(START), limits=limits)
        seeded = emulator.seed(tenants, regions=regions, token_per_tenant=token_per_tenant)
        handle = XeroEmulatorHandle(emulator, emulator.serve().start(), seeded)
        started.append(handle)
        return handle

    yield start
    problems = []
    for handle in started:
        handle.close()
        problems += handle.spec_problems()
    if problems:
        pytest.fail("exchanges that break Xero's OpenAPI specs:\n" + "\n".join(problems))


@pytest.fixture
def xero_emulator(xero_emulator_factory: StartEmulator) -> XeroEmulatorHandle:
    """A running emulator: two tenants (AU, NZ), a token per tenant, a virtual clock."""
    return xero_emulator_factory()


# --- QuickBooks Online ------------------------------------------------------------------------------
#
#     def test_something(quickbooks_emulator):
#         with quickbooks_emulator.client() as http:       # httpx on /v3/company/{realm}, bearer set
#             http.post("/customer", json={"DisplayName": "Acme"})
#         assert quickbooks_emulator.realm().find("Customer", "DisplayName", "Acme")
#
# `quickbooks_emulator` is two AU companies, each connected by its own grant (so each has its own
# tokens), on a virtual clock; `quickbooks_emulator_factory(...)` starts others (realm count,
# limits, token policy, account numbers, clock). Intuit's hosts share one server: point the API
# base (python-quickbooks' `api_url_v3`) at `api_url` and an OAuth client at `discovery_url`.
# There is no published OpenAPI spec for QBO to check exchanges against. Other test packages reuse
# these with `from emulators.conftest import quickbooks_emulator, quickbooks_emulator_factory`.


@dataclass
class QuickBooksEmulatorHandle:
    """What a test needs to drive and inspect a running QuickBooks emulator.

    `realms[i]` carries `realm_id`, `access_token`, `refresh_token`; `realm(i)` is that company's
    store (records as QBO-shaped dicts); `emulator` is the whole app.
    """

    emulator: QuickBooksEmulator
    server: EmulatorServer
    realms: list[SeededRealm]
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def clock(self) -> VirtualClock:
        return self.emulator.clock

    @property
    def faults(self) -> FaultSwitches:
        return self.emulator.faults

    @property
    def base_url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        return self.server.url + "/v3"

    def company_url(self, realm: int = 0) -> str:
        return self.server.url + f"{QBO_API_PREFIX}/{self.realms[realm].realm_id}"

    @property
    def discovery_url(self) -> str:
        return self.server.url + QBO_DISCOVERY_PATH

    @property
    def authorize_url(self) -> str:
        return self.server.url + QBO_AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        return self.server.url + QBO_TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        return self.server.url + QBO_REVOKE_PATH

    @property
    def client_id(self) -> str:
        return self.emulator.client.client_id

    @property
    def client_secret(self) -> str | None:
        return self.emulator.client.client_secret

    def realm(self, realm: int | str = 0) -> Realm:
        realm_id = self.realms[realm].realm_id if isinstance(realm, int) else realm
        return self.emulator.realms[realm_id]

    def headers(self, realm: int = 0, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.realms[realm].access_token}",
            "Accept": "application/json",
        }

    def client(self, realm: int = 0, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on `/v3/company/{realm id}` as `realms[realm]`; closed at teardown."""
        kwargs.setdefault("timeout", 5.0)
        http = httpx.Client(
            base_url=self.company_url(realm), headers=self.headers(realm, token), **kwargs
        )
        self._clients.append(http)
        return http

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self.server.recorder)

    def close(self) -> None:
        for http in self._clients:
            http.close()
        self.emulator.webhooks.close()
        self.server.stop()


StartQuickBooks = Callable[..., QuickBooksEmulatorHandle]


@pytest.fixture
def quickbooks_emulator_factory() -> Iterator[StartQuickBooks]:
    """`start(realms=2, limits=None, tokens=None, account_numbers=False, clock=None)`."""
    started: list[QuickBooksEmulatorHandle] = []

    def start(
        realms: int = 2,
        limits: QboLimits | None = None,
        tokens: TokenPolicy | None = None,
        account_numbers: bool = False,
        clock: VirtualClock | None = None,
    ) -> QuickBooksEmulatorHandle:
        emulator = QuickBooksEmulator(
            clock=clock or VirtualClock(START), limits=limits, tokens=tokens
        )
        seeded = emulator.seed(realms, account_numbers=account_numbers)
        handle = QuickBooksEmulatorHandle(emulator, emulator.serve().start(), seeded)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.close()


@pytest.fixture
def quickbooks_emulator(quickbooks_emulator_factory: StartQuickBooks) -> QuickBooksEmulatorHandle:
    """A running QuickBooks emulator: two AU companies, a grant each, a virtual clock."""
    return quickbooks_emulator_factory()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback webhook receiver (emulators/receiver.py), stopped at teardown."""
    started = start_receiver()
    yield started
    if started.hold is not None:
        started.hold.set()
    started.server.shutdown()
    started.server.server_close()
