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
from booksync_emulators.faults import FaultSwitches
from booksync_emulators.server import EmulatorServer, Exchange
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
