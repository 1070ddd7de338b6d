"""The Xero connector end to end against the Xero emulator over loopback: sign-in with PKCE, import,
batches with good and bad elements, idempotent replays, 429s, token expiry and revocation.

The emulator's fixture checks every exchange against Xero's OpenAPI specs at teardown, so each test
also proves that what the connector sends is what Xero documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from booksync.cli import app as cli_app
from booksync.connectors.grant import Credentials
from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    AuthError,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
)
from booksync.connectors.xero import XeroConnector
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services.connect import connect_tool, read_secret
from booksync.services.tenants import import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import AccountCode, Tenant, TenantTaxType
from emulators.conftest import XeroEmulatorHandle

_OPEN: list[XeroConnector] = []


def _credentials(tenant: Tenant) -> Credentials:
    secret = read_secret(tenant)
    assert secret is not None
    return Credentials.from_dict(secret)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    yield
    while _OPEN:
        _OPEN.pop().close()


def connector(handle: XeroEmulatorHandle, tenant: int = 0, **kwargs: Any) -> XeroConnector:
    seeded = handle.tenants[tenant]
    tokens = TokenSet(
        seeded.access_token,
        seeded.refresh_token,
        handle.clock.utcnow() + timedelta(minutes=30),
    )
    built = XeroConnector(
        tokens,
        base_url=handle.accounting_url,
        identity_url=handle.base_url,
        client_id=handle.client_id,
        client_secret=handle.client_secret,
        clock=kwargs.pop("clock", handle.clock),
        timeout=5.0,
        tenant_names={seeded.tenant_id: seeded.name},
        **kwargs,
    )
    _OPEN.append(built)
    return built


def browser(url: str) -> None:
    """A person who signs in and consents: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=5)


def party(n: int, name: str | None = None, entity: EntityType = EntityType.CLIENT) -> PushItem:
    number = f"{'C' if entity is EntityType.CLIENT else 'S'}-{n:06d}"
    return PushItem(
        f"key-{uuid.uuid4()}",
        entity,
        n,
        number,
        None,
        PartyPayload(entity, name or f"Client {n}", None, "AUD", number),
    )


def product(code: str, tax_type: str = "OUTPUT") -> PushItem:
    payload = ItemPayload(
        code, f"Product {code}", "", Decimal("100.00"), Decimal("60"), "200", "310", tax_type
    )
    return PushItem(f"key-{code}", EntityType.PRODUCT, 1, code, None, payload)


def invoice(number: str, contact: str, *, account: str = "200", tax: str = "OUTPUT") -> PushItem:
    line = LinePayload(
        "P-1", None, "Support hours", Decimal("2.5"), Decimal("120.00"), account, tax, Decimal(10)
    )
    payload = DocumentPayload(
        EntityType.INVOICE,
        number,
        contact,
        "Client",
        date(2026, 11, 2),
        date(2026, 12, 2),
        "AUD",
        "authorised",
        None,
        (line,),
    )
    return PushItem(f"key-{number}", EntityType.INVOICE, 1, number, None, payload)


# --- sign-in -------------------------------------------------------------------------------------


def test_pkce_sign_in_connects_every_organisation_and_imports_its_chart(
    xero_emulator_factory: Any, store: Store
) -> None:
    handle = xero_emulator_factory(tenants=2)
    public = handle.emulator.auth.register_client("booksync-cli", None)  # a PKCE app: no secret
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": public.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        tenants = connect_tool(
            s, "xero", settings=settings, announce=browser, timeout=10, clock=handle.clock
        )
        assert sorted(t.name for t in tenants) == sorted(t.name for t in handle.tenants)
    with store.session() as s:
        for tenant in s.scalars(select(Tenant)):
            assert tenant.connection_state == "connected"
            assert tenant.remote_tenant_id in {t.tenant_id for t in handle.tenants}
            import_from_tool(s, tenant.name)
        au = s.scalars(select(Tenant).where(Tenant.base_currency == "AUD")).one()
        codes = set(s.scalars(select(AccountCode.code).where(AccountCode.tenant_id == au.id)))
        assert {"200", "310"} <= codes
        types = set(
            s.scalars(select(TenantTaxType.tax_type).where(TenantTaxType.tenant_id == au.id))
        )
        assert "OUTPUT" in types
        assert b"access" not in (au.credentials or b"")


def test_cli_xero_connect_runs_the_whole_flow(
    xero_emulator_factory: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = xero_emulator_factory(tenants=1)
    public = handle.emulator.auth.register_client("booksync-cli-2", None)
    monkeypatch.setattr("webbrowser.open", browser)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {
        "BOOKSYNC_XERO_URL": handle.base_url,
        "BOOKSYNC_XERO_CLIENT_ID": public.client_id,
        "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
    }
    result = CliRunner().invoke(
        cli_app, ["--db", db, "xero", "connect", "--open", "--timeout", "10"], env=env
    )
    assert result.exit_code == 0, result.output
    assert handle.tenants[0].name in result.output
    assert "account codes" in result.output  # imported right away


# --- pushing -------------------------------------------------------------------------------------


def test_batches_with_valid_and_invalid_elements_map_back_per_element(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    xero = connector(xero_emulator)
    tenant = xero_emulator.tenants[0].tenant_id
    contacts = xero.push(tenant, EntityType.CLIENT, [party(1, "Acme Pty"), party(2, "Beta Ltd")])
    assert [r.outcome for r in contacts] == [Outcome.CREATED, Outcome.CREATED]
    # A second booksync record with a name Xero already has: refused, with matching advice.
    again = xero.push(tenant, EntityType.CLIENT, [party(3, "Gamma"), party(4, "Acme Pty")])
    assert again[0].outcome is Outcome.CREATED
    assert again[1].outcome is Outcome.REJECTED
    assert again[1].fix == f"booksync tenant import '{xero_emulator.tenants[0].name}'"
    assert "already" in again[1].message

    contact = contacts[0].remote_id
    assert contact is not None
    assert xero.push(tenant, EntityType.PRODUCT, [product("P-1")])[0].outcome is Outcome.CREATED
    results = xero.push(
        tenant,
        EntityType.INVOICE,
        [
            invoice("INV-1", contact),
            invoice("INV-2", contact, account="999"),
            invoice("INV-3", contact, tax="NOSUCHTAX"),
            invoice("INV-4", contact),
        ],
    )
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.CREATED,
    ]
    assert results[1].rule == "account_code.matches_tool"
    assert results[2].rule == "tax.mapped"
    org = xero_emulator.org(0)
    assert org.find("Invoices", "InvoiceNumber", "INV-1") is not None
    assert org.find("Invoices", "InvoiceNumber", "INV-2") is None
    assert xero.lookup(tenant, EntityType.INVOICE, "INV-4") == results[3].remote_id
    assert xero.lookup(tenant, EntityType.CLIENT, "C-000001") == contact
    # An edit updates the same object rather than creating another.
    edited = xero.push(
        tenant,
        EntityType.CLIENT,
        [
            PushItem(
                "k-edit",
                EntityType.CLIENT,
                1,
                "C-000001",
                contact,
                PartyPayload(EntityType.CLIENT, "Acme Pty Ltd", None, "AUD", "C-000001"),
            )
        ],
    )
    assert edited[0].outcome is Outcome.UPDATED and edited[0].remote_id == contact
    assert org.find("Contacts", "Name", "Acme Pty Ltd") is not None


def test_items_go_in_with_their_codes_and_import_back(xero_emulator: XeroEmulatorHandle) -> None:
    xero = connector(xero_emulator)
    tenant = xero_emulator.tenants[0].tenant_id
    results = xero.push(tenant, EntityType.PRODUCT, [product("P-1"), product("P-2")])
    assert all(r.outcome is Outcome.CREATED for r in results)
    found = {i.code: i.remote_id for i in xero.items(tenant)}
    assert found["P-1"] == results[0].remote_id
    assert xero.lookup(tenant, EntityType.PRODUCT, "P-2") == results[1].remote_id


def test_a_lost_answer_is_replayed_by_idempotency_key_without_a_duplicate(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    xero = connector(xero_emulator)
    tenant = xero_emulator.tenants[0].tenant_id
    xero_emulator.faults.timeout_after_commit(1, path="/api.xro/2.0/Contacts")
    results = xero.push(tenant, EntityType.CLIENT, [party(10, "Delta Co")])
    assert results[0].outcome is Outcome.CREATED
    assert xero_emulator.faults.fired, "the emulator never dropped the answer"
    posts = [
        e
        for e in xero_emulator.exchanges
        if e.request.method == "POST" and e.request.path.endswith("/Contacts")
    ]
    keys = {e.request.headers.get("idempotency-key") for e in posts}
    assert len(posts) == 2 and len(keys) == 1  # sent twice, with the same key
    named = [
        c for c in xero_emulator.org(0).collection("Contacts").values() if c["Name"] == "Delta Co"
    ]
    assert len(named) == 1


# --- limits --------------------------------------------------------------------------------------


def test_retry_after_is_honoured(xero_emulator: XeroEmulatorHandle) -> None:
    xero = connector(xero_emulator)
    tenant = xero_emulator.tenants[0].tenant_id
    xero_emulator.faults.rate_limit_storm(1, retry_after=7)
    before = xero_emulator.clock.now()
    assert xero.items(tenant) == []
    assert xero_emulator.clock.now() - before >= 7
    statuses = [e.response.status for e in xero_emulator.exchanges]
    assert statuses[-2:] == [429, 200]


def test_a_long_retry_after_goes_back_to_the_engine(xero_emulator: XeroEmulatorHandle) -> None:
    xero = connector(xero_emulator)
    xero_emulator.faults.rate_limit_storm(1, retry_after=3600, problem="day")
    with pytest.raises(Exception) as caught:
        xero.items(xero_emulator.tenants[0].tenant_id)
    assert getattr(caught.value, "retry_after", None) == 3600


def test_calls_pause_before_the_minute_limit_instead_of_meeting_a_429(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    xero = connector(xero_emulator)
    tenant = xero_emulator.tenants[0].tenant_id
    before = xero_emulator.clock.now()
    for _ in range(65):
        xero.lookup(tenant, EntityType.PRODUCT, "nothing")
    assert 429 not in [e.response.status for e in xero_emulator.exchanges]
    assert xero_emulator.clock.now() - before >= 60  # it waited for the next minute


# --- tokens --------------------------------------------------------------------------------------


def test_tokens_refresh_after_30_virtual_minutes_and_rotation_is_handed_back(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    saved: list[TokenSet] = []
    xero = connector(xero_emulator, on_tokens_refreshed=saved.append)
    tenant = xero_emulator.tenants[0].tenant_id
    xero.items(tenant)
    xero_emulator.clock.advance(timedelta(minutes=31))
    xero.items(tenant)
    assert len(saved) == 1
    assert saved[0].refresh_token != xero_emulator.tenants[0].refresh_token
    xero_emulator.clock.advance(timedelta(minutes=31))
    xero.items(tenant)  # the rotated refresh token works for the next refresh
    assert len(saved) == 2


def test_an_expired_token_the_connector_did_not_see_coming_is_refreshed_on_401(
    xero_emulator: XeroEmulatorHandle,
) -> None:
    from booksync.sync.pacing import VirtualClock as EngineClock

    # The connector's own clock stands still: only the emulator's answer says the token expired.
    xero = connector(xero_emulator, clock=EngineClock())
    xero_emulator.clock.advance(timedelta(minutes=31))
    assert xero.items(xero_emulator.tenants[0].tenant_id) == []
    assert xero.tokens.refreshes == 1


def test_a_revoked_connection_is_an_auth_error(xero_emulator: XeroEmulatorHandle) -> None:
    xero = connector(xero_emulator)
    seeded = xero_emulator.tenants[0]
    deleted = httpx.delete(
        f"{xero_emulator.connections_url}/{seeded.connection_id}",
        headers={"Authorization": f"Bearer {seeded.access_token}"},
    )
    assert deleted.status_code == 204
    with pytest.raises(AuthError):
        xero.push(seeded.tenant_id, EntityType.CLIENT, [party(20)])
    # The other tenant, connected by someone else, is untouched.
    assert connector(xero_emulator, 1).items(xero_emulator.tenants[1].tenant_id) == []


# --- through the store ---------------------------------------------------------------------------


def test_stored_tenant_refreshes_and_persists_rotated_tokens(
    xero_emulator_factory: Any, store: Store
) -> None:
    handle = xero_emulator_factory(tenants=1)
    public = handle.emulator.auth.register_client("booksync-cli-3", None)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": public.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        connect_tool(s, "xero", settings=settings, announce=browser, timeout=10, clock=handle.clock)
    with store.session() as s:
        tenant = s.scalars(select(Tenant)).one()
        first = _credentials(tenant).tokens.refresh_token
        xero = tenant_connector(tenant, clock=handle.clock)
        remote = tenant.remote_tenant_id
    handle.clock.advance(timedelta(minutes=31))
    assert xero.items(remote) == []
    xero.close()
    with store.session() as s:
        stored = _credentials(s.scalars(select(Tenant)).one()).tokens
    assert stored.refresh_token != first
    assert stored.expires_at > handle.clock.utcnow()


# --- the engine, through the connector, into the emulator ---------------------------------------


def test_engine_syncs_books_to_the_emulator_and_explains_a_refusal(
    xero_emulator_factory: Any, store: Store
) -> None:
    from booksync.domain.types import SyncStatus
    from booksync.services.records import (
        ACCOUNT_CODES,
        CLIENTS,
        DOCUMENTS,
        ITEM_GROUPS,
        PRODUCTS,
        TAX_RATES,
        configure_integration,
    )
    from booksync.store.models import SyncJob
    from booksync.sync.engine import Engine

    handle = xero_emulator_factory(tenants=1)
    public = handle.emulator.auth.register_client("booksync-engine", None)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": public.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        configure_integration(s, "xero", {"enabled": True, "entities_to_sync": list(EntityType)})
        (tenant,) = connect_tool(s, "xero", settings=settings, announce=browser, clock=handle.clock)
        import_from_tool(s, tenant.name)
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant.name, "OUTPUT")
        ACCOUNT_CODES.create(s, {"name": "Sales", "code": "200", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "COGS", "code": "310", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {
                "name": "Support",
                "tax_rate": "GST on Income",
                "income_account": "200",
                "expense_account": "310",
            },
        )
        for name in ("Acme Pty", "Taken Name"):
            CLIENTS.create(s, {"name": name, "tenant": tenant.name})
        PRODUCTS.create(
            s,
            {
                "name": "Support hour",
                "code": "SUP-1",
                "price": "120.00",
                "item_group": "Support",
                "use_item_group_tax": True,
                "tenant": tenant.name,
            },
        )
        for number, party_name in (
            ("INV-1", "Acme Pty"),
            ("INV-2", "Acme Pty"),
            ("INV-3", "Taken Name"),
        ):
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": number,
                    "party": party_name,
                    "lines": [{"product": "Support hour", "quantity": "2"}],
                },
            )
    # Someone already typed this contact into Xero by hand: booksync's push must be refused.
    handle.client(0).put(
        "/Contacts", json={"Contacts": [{"Name": "Taken Name"}]}
    ).raise_for_status()

    engine = Engine(store, lambda t: tenant_connector(t, clock=handle.clock), clock=handle.clock)
    try:
        result = engine.run_pass(max_wait=120)
    finally:
        engine.close()
    org = handle.org(0)
    assert org.find("Invoices", "InvoiceNumber", "INV-1") is not None
    assert org.find("Invoices", "InvoiceNumber", "INV-2") is not None
    assert org.find("Invoices", "InvoiceNumber", "INV-3") is None
    assert result.count("failed") == 1
    with store.session() as s:
        failed = s.scalars(select(SyncJob).where(SyncJob.status == SyncStatus.FAILED.value)).one()
        assert failed.entity_type == "client"
        assert failed.error_fix == f"booksync tenant import '{tenant.name}'"
        assert "already assigned to another contact" in (failed.last_error or "")
