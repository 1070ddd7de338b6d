"""The connector protocol's data and the registry that builds connectors lazily."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

import booksync.connectors as connectors
from booksync.connectors import (
    AuthError,
    Connector,
    ConnectorError,
    ItemPayload,
    Limits,
    Outcome,
    OutcomeUnknown,
    PartyPayload,
    PushItem,
    PushResult,
    RemoteAccount,
    RemoteContact,
    RemoteItem,
    RemoteTaxType,
    RemoteTenant,
    TransientError,
    connector_for,
)
from booksync.connectors.registry import tools
from booksync.domain.types import EntityType


def test_public_names_are_exported() -> None:
    for name in connectors.__all__:
        assert hasattr(connectors, name), name
    assert "connector_for" in connectors.__all__ and "Connector" in connectors.__all__


def test_limits_give_each_record_type_its_batch_and_one_for_unlisted_types() -> None:
    limits = Limits(
        {EntityType.INVOICE: 50, EntityType.CLIENT: 0}, calls_per_minute=60, concurrency=5
    )
    assert limits.batch_for(EntityType.INVOICE) == 50
    assert limits.batch_for(EntityType.PRODUCT) == 1
    assert limits.batch_for(EntityType.CLIENT) == 1  # a zero limit still lets one through


def test_payloads_are_frozen_and_compare_by_value() -> None:
    party = PartyPayload(EntityType.CLIENT, "Acme", None, "AUD", "C-000001")
    assert party == PartyPayload(EntityType.CLIENT, "Acme", None, "AUD", "C-000001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        party.name = "Other"  # type: ignore[misc]
    item = ItemPayload("W", "Widget", "", Decimal("1.50"), None, "200", None, "OUTPUT")
    push = PushItem("product:7:v2", EntityType.PRODUCT, 7, "W", None, item)
    assert push.payload.price == Decimal("1.50")  # type: ignore[union-attr]


def test_push_result_defaults_and_ignores_the_exchange_when_compared() -> None:
    a = PushResult("k", Outcome.CREATED, "r-1", request={"a": 1}, response="ok")
    b = PushResult("k", Outcome.CREATED, "r-1")
    assert a == b
    assert (a.message, a.rule, a.fix, a.retry_after) == ("", None, None, None)
    assert [o.value for o in Outcome] == ["created", "updated", "rejected", "unknown"]


def test_errors_the_engine_branches_on_share_one_base() -> None:
    transient = TransientError("429 Too Many Requests", retry_after=12.5)
    assert transient.retry_after == 12.5 and str(transient) == "429 Too Many Requests"
    assert TransientError("boom").retry_after is None
    for error in (transient, AuthError("expired"), OutcomeUnknown("timeout after send")):
        assert isinstance(error, ConnectorError)


class _FakeConnector:
    kind = "xero"
    limits = Limits({})

    def list_tenants(self) -> list[RemoteTenant]:
        return [RemoteTenant("t", "T", "NZD")]

    def account_codes(self, tenant: str) -> list[RemoteAccount]:
        return []

    def tax_types(self, tenant: str) -> list[RemoteTaxType]:
        return []

    def contacts(self, tenant: str) -> list[RemoteContact]:
        return []

    def items(self, tenant: str) -> list[RemoteItem]:
        return []

    def push(self, tenant: str, entity: EntityType, items: Sequence[PushItem]) -> list[PushResult]:
        return [PushResult(i.key, Outcome.UNKNOWN, None) for i in items]

    def lookup(self, tenant: str, entity: EntityType, reference: str) -> str | None:
        return None

    def close(self) -> None:
        pass


def test_a_class_with_the_protocols_members_is_a_connector() -> None:
    assert isinstance(_FakeConnector(), Connector)

    class NoLookup:
        kind = "xero"
        limits = Limits({})
        list_tenants = account_codes = tax_types = contacts = items = push = close = print

    assert not isinstance(NoLookup(), Connector)
    assert not isinstance(object(), Connector)


def test_registry_builds_the_ledger_connector(tmp_path: Path) -> None:
    connector = connector_for("ledger", directory=tmp_path)
    assert isinstance(connector, Connector)
    assert connector.kind == "ledger"


def test_registry_refuses_an_unknown_kind_naming_the_accepted_ones() -> None:
    with pytest.raises(ConnectorError, match=r"unknown integration 'sage'; accepted: ledger, xero"):
        connector_for("sage")


def test_missing_beancount_says_how_to_install_the_ledger_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(sys.modules):
        if name == "beancount" or name.startswith(("beancount.", "booksync.connectors.ledger")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "beancount", None)  # what an absent package looks like
    with pytest.raises(ConnectorError) as caught:
        connector_for("ledger", directory=tmp_path)
    assert "pip install 'booksync[ledger]'" in str(caught.value)
    assert "beancount" in str(caught.value)


def test_the_core_does_not_import_beancount() -> None:
    import subprocess

    code = (
        "import sys, booksync.connectors, booksync.connectors.protocol, booksync.domain.types;"
        "print(any(m == 'beancount' or m.startswith('beancount.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_connector_package_not_in_this_build_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_built(*args: object, **settings: object) -> object:
        raise ModuleNotFoundError(
            "No module named 'booksync.connectors.xero.connect'",
            name="booksync.connectors.xero.connect",
        )

    monkeypatch.setattr(tools()["xero"], "connector", not_built)
    with pytest.raises(ConnectorError, match="Xero connector is not available"):
        connector_for("xero")


def test_an_unrelated_missing_module_is_not_disguised(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **settings: object) -> object:
        raise ModuleNotFoundError("No module named 'yaml'", name="yaml")

    monkeypatch.setattr(tools()["ledger"], "connector", fail)
    with pytest.raises(ModuleNotFoundError, match="yaml"):
        connector_for("ledger", directory=".")
