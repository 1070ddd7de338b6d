"""The QuickBooks connector end to end against the QuickBooks emulator over loopback: sign-in through
Intuit's discovery document, import, mixed batches, a duplicate name, a stale SyncToken, a requestid
replay after a lost answer, a 429, token refresh, and the engine syncing books into a company."""

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
from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    PushItem,
    TransientError,
)
from booksync.connectors.quickbooks import QuickBooksConnector
from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.domain.types import EntityType
from booksync.secrets import KEY_ENV
from booksync.services.connect import connect_tool
from booksync.services.errors import BadInput
from booksync.services.records import TENANTS
from booksync.services.tenants import connect_tenant, import_from_tool, tenant_connector
from booksync.store.db import Store
from booksync.store.models import AccountCode, RemoteObject, Tenant, TenantTaxType
from emulators.conftest import QuickBooksEmulatorHandle

_OPEN: list[QuickBooksConnector] = []


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    yield
    while _OPEN:
        _OPEN.pop().close()


def connector(
    handle: QuickBooksEmulatorHandle, realm: int = 0, **kwargs: Any
) -> QuickBooksConnector:
    seeded = handle.realms[realm]
    tokens = TokenSet(
        seeded.access_token, seeded.refresh_token, handle.clock.utcnow() + timedelta(hours=1)
    )
    built = QuickBooksConnector(
        tokens,
        realm=seeded.realm_id,
        base_url=handle.api_url,
        token_url=handle.token_url,
        client_id=handle.client_id,
        client_secret=handle.client_secret,
        clock=kwargs.pop("clock", handle.clock),
        timeout=5.0,
        tenant_names={seeded.realm_id: seeded.name},
        **kwargs,
    )
    _OPEN.append(built)
    return built


def settings_for(handle: QuickBooksEmulatorHandle) -> QuickBooksSettings:
    return QuickBooksSettings.from_env(
        {
            "BOOKSYNC_QUICKBOOKS_URL": handle.base_url,
            "BOOKSYNC_QUICKBOOKS_CLIENT_ID": handle.client_id,
            "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": handle.client_secret or "",
            "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )


def browser(url: str) -> None:
    """A person who signs in and picks a company: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=5)


def party(n: int, name: str | None = None, entity: EntityType = EntityType.CLIENT) -> PushItem:
    number = f"{'C' if entity is EntityType.CLIENT else 'S'}-{n:06d}"
    payload = PartyPayload(entity, name or f"Client {n}", f"c{n}@example.com", "AUD", number)
    return PushItem(f"key-{uuid.uuid4()}", entity, n, number, None, payload)


def product(code: str, name: str, **overrides: Any) -> PushItem:
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": "",
        "price": Decimal("120.00"),
        "cost": None,
        "income_account_code": "Services",
        "expense_account_code": None,
        "tax_type": "GST",
    }
    values.update(overrides)
    return PushItem(f"key-{code}", EntityType.PRODUCT, 1, code, None, ItemPayload(**values))


def document(
    entity: EntityType, number: str, contact: str, item: str, *, tax: str = "GST"
) -> PushItem:
    line = LinePayload(
        None, item, "Support hours", Decimal("2.5"), Decimal("120.00"), None, tax, Decimal(10)
    )
    payload = DocumentPayload(
        entity,
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
    return PushItem(f"key-{number}", entity, 1, number, None, payload)


# --- sign-in -------------------------------------------------------------------------------------


def test_sign_in_discovers_intuit_connects_the_company_and_imports_it(
    quickbooks_emulator: QuickBooksEmulatorHandle, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = quickbooks_emulator
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", handle.client_secret or "")
    with store.session() as s:
        (tenant,) = connect_tool(
            s,
            "quickbooks",
            settings=settings_for(handle),
            announce=browser,
            timeout=10,
            clock=handle.clock,
        )
        assert tenant.name == handle.realms[0].name
        assert tenant.remote_tenant_id == handle.realms[0].realm_id
        assert tenant.base_currency == "AUD"
        summary = import_from_tool(s, tenant.name)
        assert summary.account_codes >= 5 and summary.tax_types == 6 and summary.items == 2
    with store.session() as s:
        tenant = s.scalars(select(Tenant)).one()
        assert tenant.connection_state == "connected"
        assert tenant.connection_detail == handle.api_url
        assert tenant.credentials is not None and b"RT1-" not in tenant.credentials
        codes = set(s.scalars(select(AccountCode.code).where(AccountCode.tenant_id == tenant.id)))
        assert {"Services", "Sales of Product Income", "Cost of Goods Sold"} <= codes
        taxes = {t.tax_type: t.percent for t in s.scalars(select(TenantTaxType))}
        assert taxes["GST"] == Decimal("10") and taxes["FRE"] == 0
    token_calls = [e for e in handle.exchanges if e.request.path.endswith("/tokens/bearer")]
    assert token_calls and token_calls[0].request.headers["authorization"].startswith("Basic ")


def test_tenant_connect_links_the_named_tenant_to_the_company_chosen(
    quickbooks_emulator: QuickBooksEmulatorHandle, store: Store
) -> None:
    handle = quickbooks_emulator
    second = handle.realms[1]
    handle.emulator.auth.consent_realm = second.realm_id
    with store.session() as s:
        TENANTS.create_for(
            s, "quickbooks", {"name": "Acme US", "remote_tenant_id": second.realm_id}
        )
        TENANTS.create_for(s, "quickbooks", {"name": "Other", "remote_tenant_id": "123"})
    with store.session() as s:
        linked = connect_tenant(
            s,
            "Acme US",
            settings=settings_for(handle),
            announce=browser,
            timeout=10,
            clock=handle.clock,
        )
        assert linked.name == "Acme US" and linked.connection_state == "connected"
    options = {"settings": settings_for(handle), "announce": browser, "timeout": 10}
    with pytest.raises(BadInput, match="which is already tenant 'Acme US'"), store.session() as s:
        connect_tenant(s, "Other", clock=handle.clock, **options)
    handle.emulator.auth.consent_realm = handle.realms[0].realm_id
    with pytest.raises(BadInput, match="is realm 123, but the sign-in chose"), store.session() as s:
        connect_tenant(s, "Other", clock=handle.clock, **options)
    with store.session() as s:
        assert s.scalars(select(Tenant).where(Tenant.name == "Other")).one().credentials is None


def test_cli_quickbooks_connect_runs_the_whole_flow(
    quickbooks_emulator: QuickBooksEmulatorHandle, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = quickbooks_emulator
    monkeypatch.setattr("webbrowser.open", browser)
    env = {
        "BOOKSYNC_QUICKBOOKS_URL": handle.base_url,
        "BOOKSYNC_QUICKBOOKS_CLIENT_ID": handle.client_id,
        "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": handle.client_secret or "",
        "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
    }
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["--db", db, "quickbooks", "connect", "--open", "--timeout", "10"]
    result = CliRunner().invoke(cli_app, args, env=env)
    assert result.exit_code == 0, result.output
    assert handle.realms[0].realm_id in result.output
    assert "6 tax types" in result.output  # imported right away
    missing = CliRunner().invoke(
        cli_app, args, env={**env, "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": ""}
    )
    assert missing.exit_code == 2
    assert "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET" in missing.output


# --- pushing -------------------------------------------------------------------------------------


def test_mixed_batches_create_what_quickbooks_accepts_and_name_what_it_refuses(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    qbo = connector(handle)
    realm = handle.realms[0].realm_id
    handle.client(0).post("/customer", json={"DisplayName": "Taken Name"}).raise_for_status()
    parties = qbo.push(
        realm, EntityType.CLIENT, [party(1, "Acme Pty"), party(2, "taken name"), party(3, "Beta")]
    )
    assert [r.outcome for r in parties] == [Outcome.CREATED, Outcome.REJECTED, Outcome.CREATED]
    assert parties[1].fix == f"booksync tenant import '{handle.realms[0].name}'"
    assert "QuickBooks error 6240" in parties[1].message
    items = qbo.push(
        realm,
        EntityType.PRODUCT,
        [
            product("SUP-1", "Support hour"),
            product(
                "HW-1", "Firewall", expense_account_code="Cost of Goods Sold", cost=Decimal("80")
            ),
            product("BAD-1", "Bad", tax_type="CAP"),  # a purchases-only code on the sales side
        ],
    )
    assert [r.outcome for r in items] == [Outcome.CREATED, Outcome.CREATED, Outcome.REJECTED]
    assert items[2].rule == "tax.mapped"
    company = handle.realm(0)
    assert company.find("Item", "Sku", "HW-1")["Type"] == "NonInventory"  # type: ignore[index]
    acme, support = str(parties[0].remote_id), str(items[0].remote_id)
    invoices = qbo.push(
        realm,
        EntityType.INVOICE,
        [
            document(EntityType.INVOICE, "INV-1", acme, support),
            document(EntityType.INVOICE, "INV-2", "9999", support),  # no such customer
            document(EntityType.INVOICE, "INV-3", acme, support, tax="CAP"),
        ],
    )
    assert [r.outcome for r in invoices] == [Outcome.CREATED, Outcome.REJECTED, Outcome.REJECTED]
    assert [r.rule for r in invoices[1:]] == ["dependency.client", "tax.mapped"]
    invoice = company.find("Invoice", "DocNumber", "INV-1")
    assert invoice is not None and invoice["TotalAmt"] == Decimal("330.00")  # 300 + 10 % GST
    for entity, number in (
        (EntityType.SALES_ORDER, "SO-1"),
        (EntityType.CREDIT_NOTE, "CN-1"),
    ):
        (result,) = qbo.push(realm, entity, [document(entity, number, acme, support)])
        assert result.outcome is Outcome.CREATED
        assert qbo.lookup(realm, entity, number) == result.remote_id
    assert company.find("Estimate", "DocNumber", "SO-1")["TxnStatus"] == "Accepted"  # type: ignore[index]
    (supplier,) = qbo.push(realm, EntityType.SUPPLIER, [party(4, "Telco", EntityType.SUPPLIER)])
    hardware = str(items[1].remote_id)
    (order,) = qbo.push(
        realm,
        EntityType.PURCHASE_ORDER,
        [document(EntityType.PURCHASE_ORDER, "PO-1", str(supplier.remote_id), hardware)],
    )
    assert order.outcome is Outcome.CREATED, order.message
    assert company.find("PurchaseOrder", "DocNumber", "PO-1")["POStatus"] == "Open"  # type: ignore[index]


def test_a_stale_synctoken_is_read_again_and_the_update_applied(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    qbo = connector(handle)
    realm = handle.realms[0].realm_id
    (created,) = qbo.push(realm, EntityType.CLIENT, [party(1, "Acme Pty")])
    remote = str(created.remote_id)
    # Someone edits the customer in QuickBooks: its SyncToken moves on from the one booksync holds.
    edit = {"Id": remote, "SyncToken": "0", "sparse": True, "Notes": "VIP"}
    handle.client(0).post("/customer", json=edit).raise_for_status()
    renamed = PushItem(
        "key-rename", EntityType.CLIENT, 1, "C-000001", remote,
        PartyPayload(EntityType.CLIENT, "Acme Pty Ltd", None, "AUD", "C-000001"),
    )  # fmt: skip
    (updated,) = qbo.push(realm, EntityType.CLIENT, [renamed])
    assert updated.outcome is Outcome.UPDATED, updated.message
    customer = handle.realm(0).get("Customer", remote)
    assert customer is not None
    assert customer["DisplayName"] == "Acme Pty Ltd" and customer["Notes"] == "VIP"  # sparse
    assert customer["SyncToken"] == "2"
    batches = [e for e in handle.exchanges if e.request.path.endswith("/batch")]
    assert len(batches) == 3  # the create, the stale update, the update after reading again


def test_a_lost_answer_is_replayed_by_requestid_without_a_duplicate(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    qbo = connector(handle)
    realm = handle.realms[0].realm_id
    handle.faults.timeout_after_commit(1, path="/batch")
    (result,) = qbo.push(realm, EntityType.CLIENT, [party(10, "Delta Co")])
    assert result.outcome is Outcome.CREATED
    assert handle.faults.fired, "the emulator never dropped the answer"
    posts = [e for e in handle.exchanges if e.request.path.endswith("/batch")]
    request_ids = {e.request.param("requestid") for e in posts}
    assert len(posts) == 2 and len(request_ids) == 1 and None not in request_ids
    named = [
        c for c in handle.realm(0).table("Customer").values() if c["DisplayName"] == "Delta Co"
    ]
    assert len(named) == 1 and named[0]["Id"] == result.remote_id


def test_a_429_holds_the_realm_for_60_seconds_and_the_next_push_waits_it_out(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    qbo = connector(handle)
    realm = handle.realms[0].realm_id
    qbo.company(realm)  # read first, so the 429 falls on the write
    handle.faults.rate_limit_storm(1)
    with pytest.raises(TransientError) as caught:
        qbo.push(realm, EntityType.CLIENT, [party(1)])
    assert caught.value.retry_after == 60  # QuickBooks sends no Retry-After: Intuit says 60 s
    before = handle.clock.now()
    (result,) = qbo.push(realm, EntityType.CLIENT, [party(1)])
    assert result.outcome is Outcome.CREATED
    assert handle.clock.now() - before >= 59
    assert [e.response.status for e in handle.exchanges][-2:] == [429, 200]


def test_batches_stay_under_the_emulators_batch_limit(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    qbo = connector(handle)
    realm = handle.realms[0].realm_id
    for n in range(41):
        qbo.push(realm, EntityType.CLIENT, [party(n)])
    assert 429 not in [e.response.status for e in handle.exchanges]
    assert handle.clock.now() >= 60
    assert len(handle.realm(0).table("Customer")) == 41


# --- tokens --------------------------------------------------------------------------------------


def test_the_access_token_is_refreshed_before_its_hour_is_up(
    quickbooks_emulator: QuickBooksEmulatorHandle,
) -> None:
    handle = quickbooks_emulator
    saved: list[TokenSet] = []
    qbo = connector(handle, on_tokens_refreshed=saved.append)
    realm = handle.realms[0].realm_id
    assert len(qbo.items(realm)) == 2
    handle.clock.advance(timedelta(minutes=59))
    assert len(qbo.items(realm)) == 2
    assert len(saved) == 1 and saved[0].access_token != handle.realms[0].access_token
    handle.clock.advance(timedelta(days=2))  # past 24 h, Intuit hands back a new refresh token
    qbo.items(realm)
    assert len(saved) == 2 and saved[1].refresh_token != saved[0].refresh_token
    assert 401 not in [e.response.status for e in handle.exchanges]


# --- the engine, through the connector, into the emulator ---------------------------------------


def test_engine_syncs_books_to_a_company_and_explains_a_duplicate_name(
    quickbooks_emulator_factory: Any, store: Store, monkeypatch: pytest.MonkeyPatch
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

    handle = quickbooks_emulator_factory(realms=1, account_numbers=True)
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", handle.client_secret or "")
    with store.session() as s:
        configure_integration(
            s, "quickbooks", {"enabled": True, "entities_to_sync": list(EntityType)}
        )
        (tenant,) = connect_tool(
            s, "quickbooks", settings=settings_for(handle), announce=browser, clock=handle.clock
        )
        import_from_tool(s, tenant.name)
        TAX_RATES.create(s, {"name": "GST on Income", "percent": "10"})
        TAX_RATES.map(s, "GST on Income", tenant.name, "GST")
        ACCOUNT_CODES.create(s, {"name": "Services", "code": "4100", "kind": "income"})
        ACCOUNT_CODES.create(s, {"name": "COGS", "code": "5000", "kind": "expense"})
        ITEM_GROUPS.create(
            s,
            {
                "name": "Support",
                "tax_rate": "GST on Income",
                "income_account": "4100",
                "expense_account": "5000",
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
        for number, party_name in (("INV-1", "Acme Pty"), ("INV-2", "Taken Name")):
            DOCUMENTS[EntityType.INVOICE].create(
                s,
                {
                    "number": number,
                    "party": party_name,
                    "lines": [{"product": "Support hour", "quantity": "2"}],
                },
            )
    # Someone already typed this customer into QuickBooks by hand: booksync's push is refused.
    handle.client(0).post("/customer", json={"DisplayName": "Taken Name"}).raise_for_status()

    engine = Engine(store, lambda t: tenant_connector(t, clock=handle.clock), clock=handle.clock)
    try:
        result = engine.run_pass(max_wait=120)
    finally:
        engine.close()
    company = handle.realm(0)
    invoice = company.find("Invoice", "DocNumber", "INV-1")
    assert invoice is not None and invoice["TotalAmt"] == Decimal("264.00")
    assert company.find("Invoice", "DocNumber", "INV-2") is None
    assert company.find("Item", "Sku", "SUP-1")["Type"] == "NonInventory"  # type: ignore[index]
    assert result.count("failed") == 1
    with store.session() as s:
        failed = s.scalars(select(SyncJob).where(SyncJob.status == SyncStatus.FAILED.value)).one()
        assert failed.entity_type == "client"
        assert failed.error_fix == f"booksync tenant import '{tenant.name}'"
        assert "QuickBooks error 6240" in (failed.last_error or "")
        # The fix works: the import links the hand-typed customer by its exact name.
        summary = import_from_tool(s, tenant.name)
        assert any("Taken Name" in line for line in summary.linked)
        kinds = set(s.scalars(select(RemoteObject.object_type)))
        assert {"client", "item"} <= kinds
