"""A tenant import brings the tool's settings and the documents it already holds under booksync's
numbers, and matches the tool's accounts by code then name, so an edited account is neither passed
as imported nor imported twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from booksync.connectors.protocol import (
    ConnectorError,
    DocumentImport,
    PaymentTerms,
    RemoteAccount,
    RemoteDocument,
    RemoteSettings,
    SettingsImport,
)
from booksync.connectors.quickbooks.connect import QuickBooksSettings
from booksync.connectors.xero.connect import XeroSettings
from booksync.domain.findings import Status
from booksync.domain.types import EntityType
from booksync.errors import BadInput
from booksync.services.connect import connect_tool
from booksync.services.doctor import diagnose
from booksync.services.records import ACCOUNT_CODES, CLIENTS, DOCUMENTS, PRODUCTS, TENANTS
from booksync.services.serialize import to_dict
from booksync.services.tenants import import_from_tool
from booksync.store.db import Store
from booksync.store.models import AccountCode, Document, Tenant
from booksync.store.models import RemoteDocument as RemoteDocumentRow
from booksync_emulators.recording import CHART, RecordingTool
from support.books import REMOTE_TENANT, TENANT, ready_books

SETTINGS = RemoteSettings(
    currencies=frozenset({"AUD", "USD"}),
    lock_date=date(2025, 6, 30),
    payment_terms=PaymentTerms(20, "OFFOLLOWINGMONTH"),
    tracking_categories={"Region": ("North", "South")},
    tool_settings={"country": "AU", "custom_txn_numbers": False, "since": date(2020, 1, 1)},
)


class SettingsTool(RecordingTool):
    """The RecordingTool with settings of its own, a chart that can change, and a settings call
    that can fail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chart = [RemoteAccount(code, name, kind, True) for code, name, kind in CHART]
        self.fail_settings = False
        self.asked: list[tuple[EntityType, list[str]]] = []

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        return list(self.chart)

    def settings(self, tenant: str) -> RemoteSettings:
        if self.fail_settings:
            raise ConnectorError("503 Service Unavailable")
        return SETTINGS

    def documents(
        self, tenant: str, entity: EntityType, numbers: Sequence[str]
    ) -> list[RemoteDocument]:
        self.asked.append((entity, list(numbers)))
        return super().documents(tenant, entity, numbers)


class BareTool:
    """A connector with neither `SettingsImport` nor `DocumentImport`: only the chart and lists."""

    kind = "ledger"

    def __init__(self, inner: RecordingTool) -> None:
        self.inner = inner

    def connect(self, tenant: str, name: str, currency: str) -> Any:
        return self.inner.connect(tenant, name, currency)

    def account_codes(self, tenant: str) -> Any:
        return self.inner.account_codes(tenant)

    def tax_types(self, tenant: str) -> Any:
        return self.inner.tax_types(tenant)

    def contacts(self, tenant: str) -> Any:
        return self.inner.contacts(tenant)

    def items(self, tenant: str) -> Any:
        return self.inner.items(tenant)

    def close(self) -> None:
        pass


def imported(store: Store, tool: Any) -> Any:
    with store.session() as s:
        return import_from_tool(s, TENANT, connector=tool)


def tenant_json(store: Store) -> dict[str, Any]:
    with store.session() as s:
        return to_dict(TENANTS.get(s, TENANT))


def test_settings_are_imported_and_shown_with_the_tenant(store: Store) -> None:
    tool = SettingsTool()
    ready_books(store, tool, invoices=0)
    shown = tenant_json(store)
    assert shown["currencies"] == ["AUD", "USD"]
    assert shown["lock_date"] == "2025-06-30"
    assert shown["payment_terms"] == {"days": 20, "type": "OFFOLLOWINGMONTH"}
    assert shown["tracking_categories"] == {"Region": ["North", "South"]}
    assert shown["settings_imported_at"] is not None
    with store.session() as s:
        tenant = TENANTS.get(s, TENANT)
        assert tenant.tool_settings == {
            "country": "AU",
            "custom_txn_numbers": False,
            "since": "2020-01-01",
        }


def test_a_connector_without_the_protocols_leaves_the_settings_unknown(store: Store) -> None:
    inner = RecordingTool()
    tool = BareTool(inner)
    assert not isinstance(tool, SettingsImport) and not isinstance(tool, DocumentImport)
    ready_books(store, inner, invoices=1)
    summary = imported(store, tool)
    assert not summary.settings_imported and summary.documents_found is None
    assert any("cannot read them" in note for note in summary.notes)
    shown = tenant_json(store)
    assert shown["currencies"] is None and shown["settings_imported_at"] is None
    assert shown["payment_terms"] is None and shown["lock_date"] is None


def test_documents_under_booksyncs_unsent_numbers_are_found_and_replaced_on_reimport(
    store: Store,
) -> None:
    tool = SettingsTool()
    names = ready_books(store, tool, invoices=2, purchase_orders=1)
    taken = names["invoices"][0]
    first = tool.add_document(
        REMOTE_TENANT, EntityType.INVOICE, taken, contact_remote_id="c-9", total=Decimal("999.00")
    )
    with store.session() as s:  # a client of another tenant: its invoice is never asked about
        TENANTS.create_for(s, "ledger", {"name": "Other", "remote_tenant_id": "other"})
        CLIENTS.create(s, {"name": "Elsewhere", "tenant": "Other"})
        line = {"product": names["products"][0], "quantity": "1"}
        DOCUMENTS[EntityType.INVOICE].create(
            s, {"number": "INV-OTHER", "party": "Elsewhere", "lines": [line]}
        )
    tool.asked.clear()
    summary = imported(store, tool)
    assert summary.documents_found == 1
    asked = dict(tool.asked)
    assert asked[EntityType.INVOICE] == names["invoices"]
    assert asked[EntityType.PURCHASE_ORDER] == names["purchase_orders"]
    with store.session() as s:
        rows = s.scalars(select(RemoteDocumentRow)).all()
        assert [(r.entity, r.number, r.remote_id, r.total) for r in rows] == [
            ("invoice", taken, first, Decimal("999.00"))
        ]
        # Once the invoice is linked (it has a remote id), it is no longer asked about.
        s.scalars(select(Document).where(Document.number == taken)).one().remote_id = first
    tool.asked.clear()
    again = imported(store, tool)
    assert again.documents_found == 0
    assert taken not in dict(tool.asked)[EntityType.INVOICE]
    with store.session() as s:
        assert s.scalars(select(RemoteDocumentRow)).all() == []


def test_a_failed_settings_call_writes_nothing(store: Store) -> None:
    tool = SettingsTool()
    ready_books(store, tool, invoices=0)
    tool.chart.append(RemoteAccount("999", "New income", CHART[0][2], True))
    tool.fail_settings = True
    with pytest.raises(Exception, match="import from tenant 'Acme AU' failed: 503"):
        imported(store, tool)
    with store.session() as s:
        assert s.scalars(select(AccountCode).where(AccountCode.code == "999")).first() is None


def _imported_sales(store: Store) -> int:
    with store.session() as s:
        return s.scalars(
            select(AccountCode.id).where(
                AccountCode.imported_from_tool.is_(True), AccountCode.code == "200"
            )
        ).one()


def _matches_tool(store: Store, product: str) -> Status:
    with store.session() as s:
        evaluation = diagnose(s, EntityType.PRODUCT, product)
    return next(c.status for c in evaluation.checks() if c.rule.id == "account_code.matches_tool")


def test_editing_an_imported_code_makes_it_your_own_and_reimport_restores_it(
    store: Store,
) -> None:
    tool = SettingsTool()
    names = ready_books(store, tool, invoices=0)
    product = names["products"][0]
    sales = _imported_sales(store)
    with store.session() as s:
        PRODUCTS.update(s, product, {"income_account": f"#{sales}"})
    assert _matches_tool(store, product) is Status.OK

    with store.session() as s:
        edited = ACCOUNT_CODES.update(s, f"#{sales}", {"code": "4999"})
        assert edited.imported_from_tool is False  # no longer passes as the tool's
    assert _matches_tool(store, product) is Status.BLOCKED

    summary = imported(store, tool)
    assert "account code 'Sales' has the tool's code 200 again (was 4999)" in summary.notes
    with store.session() as s:
        tenant_id = TENANTS.get(s, TENANT).id
        named = s.scalars(
            select(AccountCode).where(
                AccountCode.tenant_id == tenant_id, AccountCode.name == "Sales"
            )
        ).all()
        assert [(a.id, a.code, a.imported_from_tool, a.active) for a in named] == [
            (sales, "200", True, True)
        ]
    assert _matches_tool(store, product) is Status.OK


def test_a_code_changed_in_the_tool_updates_the_same_account(store: Store) -> None:
    tool = SettingsTool()
    ready_books(store, tool, invoices=0)
    sales = _imported_sales(store)
    tool.chart = [
        RemoteAccount("201" if a.code == "200" else a.code, a.name, a.kind, a.active)
        for a in tool.chart
    ]
    imported(store, tool)
    with store.session() as s:
        rows = s.scalars(
            select(AccountCode).where(AccountCode.imported_from_tool, AccountCode.name == "Sales")
        ).all()
        assert [(a.id, a.code, a.active) for a in rows] == [(sales, "201", True)]


def test_an_account_is_marked_imported_by_an_import_only(store: Store) -> None:
    tool = SettingsTool()
    ready_books(store, tool, invoices=0)
    marked = pytest.raises(BadInput, match="imported_from_tool: True is set only by importing")
    with marked, store.session() as s:
        ACCOUNT_CODES.create(
            s,
            {"name": "Fake", "code": "777", "kind": "income", "imported_from_tool": True},
        )
    sales = _imported_sales(store)
    with store.session() as s:  # as if the tool had archived it
        s.get(AccountCode, sales).active = False  # type: ignore[union-attr]
    archived = pytest.raises(BadInput, match="active: True cannot be set here: the account is arch")
    with archived, store.session() as s:
        ACCOUNT_CODES.update(s, f"#{sales}", {"active": True})
    with store.session() as s:
        own = ACCOUNT_CODES.update(
            s, f"#{sales}", {"active": True, "imported_from_tool": False, "code": "250"}
        )
        assert (own.active, own.imported_from_tool) == (True, False)
    with store.session() as s:
        assert s.scalars(select(Tenant)).one().name == TENANT
        assert s.scalars(select(AccountCode).where(AccountCode.name == "Fake")).first() is None


# --- against the Xero emulator, over loopback -----------------------------------------------------


def _browser(url: str) -> None:
    """A person who signs in and consents: follow the authorize redirect back to booksync."""
    httpx.get(url, follow_redirects=True, timeout=5)


def test_a_xero_import_brings_its_settings_and_a_bookkeepers_invoice(
    xero_emulator_factory: Any, store: Store
) -> None:
    handle = xero_emulator_factory(tenants=1)
    public = handle.emulator.auth.register_client("booksync-cli", None)
    settings = XeroSettings.from_env(
        {
            "BOOKSYNC_XERO_URL": handle.base_url,
            "BOOKSYNC_XERO_CLIENT_ID": public.client_id,
            "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        (tenant,) = connect_tool(
            s, "xero", settings=settings, announce=_browser, timeout=10, clock=handle.clock
        )
        name, currency = tenant.name, tenant.base_currency
    # A bookkeeper's own invoice in Xero, under the number booksync's next invoice carries.
    xero = handle.client(0)
    contact = xero.put("Contacts", json={"Contacts": [{"Name": "Bookkeeper's client"}]})
    contact_id = contact.json()["Contacts"][0]["ContactID"]
    made = xero.put(
        "Invoices",
        json={
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "InvoiceNumber": "INV-0042",
                    "Contact": {"ContactID": contact_id},
                    "Status": "AUTHORISED",
                    "Date": "2026-11-01",
                    "DueDate": "2026-11-30",
                    "LineItems": [
                        {
                            "Description": "Work",
                            "Quantity": 1,
                            "UnitAmount": 999,
                            "AccountCode": "200",
                        }
                    ],
                }
            ]
        },
    )
    assert made.status_code == 200, made.text
    with store.session() as s:
        CLIENTS.create(s, {"name": "Acme Pty Ltd", "tenant": name})
        PRODUCTS.create(s, {"name": "Hours", "price": "120", "tenant": name})
        line = {"product": "Hours", "quantity": "1"}
        DOCUMENTS[EntityType.INVOICE].create(
            s, {"number": "INV-0042", "party": "Acme Pty Ltd", "lines": [line]}
        )
    with store.session() as s:
        summary = import_from_tool(s, name)
    assert summary.settings_imported and summary.documents_found == 1
    with store.session() as s:
        shown = to_dict(TENANTS.get(s, name))
        assert currency in shown["currencies"]
        (found,) = s.scalars(select(RemoteDocumentRow)).all()
        assert (found.entity, found.number, found.contact_remote_id) == (
            "invoice",
            "INV-0042",
            contact_id,
        )
        assert found.total is not None and found.total >= Decimal("999.00")


def test_a_quickbooks_import_brings_its_settings(
    quickbooks_emulator: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = quickbooks_emulator
    monkeypatch.setenv("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", handle.client_secret or "")
    settings = QuickBooksSettings.from_env(
        {
            "BOOKSYNC_QUICKBOOKS_URL": handle.base_url,
            "BOOKSYNC_QUICKBOOKS_CLIENT_ID": handle.client_id,
            "BOOKSYNC_QUICKBOOKS_CLIENT_SECRET": handle.client_secret or "",
            "BOOKSYNC_QUICKBOOKS_REDIRECT_URI": "http://127.0.0.1:0/callback",
        }
    )
    with store.session() as s:
        (tenant,) = connect_tool(
            s, "quickbooks", settings=settings, announce=_browser, timeout=10, clock=handle.clock
        )
        summary = import_from_tool(s, tenant.name)
        assert summary.settings_imported
        shown = to_dict(tenant)
    assert tenant_currency_is_enabled(shown)
    assert shown["settings_imported_at"] is not None


def tenant_currency_is_enabled(tenant: dict[str, Any]) -> bool:
    return tenant["base_currency"] in (tenant["currencies"] or [])
