"""The tools the connector contract runs against, each behind one `ContractTarget`.

A target knows how to build its tool's connector for a fresh tenant (through the plug-in registry,
as the engine does), what the tool calls the accounts and tax type a push names (`Chart`), how to
read what the tool ends up holding without going through the connector (`held`), and how to make
the tool misbehave where a case needs it: lose the answer to a write, answer 429, refuse one
element of a batch. A new tool joins the contract by adding a target here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from beancount import loader
from beancount.core import data

from booksync.connectors import connector_for
from booksync.connectors.oauth import TokenSet
from booksync.connectors.protocol import (
    Connector,
    DocumentPayload,
    ItemPayload,
    OutcomeUnknown,
    PushItem,
    PushResult,
)
from booksync.connectors.registry import tools
from booksync.connectors.tool import ConnectRequest, TenantLink
from booksync.domain.types import EntityType
from booksync_emulators import recording
from booksync_emulators.faults import FaultKind, FaultSwitches
from booksync_emulators.recording import RecordingTool

#: Enough dropped answers to outlast any connector's in-request retries of one write.
LOST_ANSWERS = 10
#: Enough 429s to outlast any connector's in-request retries of one call.
RATE_LIMITED_CALLS = 10


@dataclass(frozen=True)
class Chart:
    """The tool's own names for what a pushed product and invoice line refer to."""

    income: str
    expense: str
    tax: str
    percent: Decimal
    currency: str = "AUD"


@dataclass(frozen=True)
class Held:
    """One object as the tool itself stores it. `reference` is booksync's reference when the tool
    keeps it (None for QuickBooks customers, which have no field for it); `value` is the field the
    suite edits: a contact's or item's name, an invoice's reference."""

    remote_id: str
    reference: str | None
    value: str | None


class ContractTarget:
    """One tool under the contract, on a fresh tenant. Subclasses fill in the hooks."""

    id: ClassVar[str]
    label: ClassVar[str]
    chart: ClassVar[Chart]
    #: The record whose account code the tool checks (QuickBooks puts an invoice's income account
    #: on the item, so there it is the product; elsewhere the invoice line names it).
    account_code_on: ClassVar[EntityType] = EntityType.INVOICE
    #: False when the tool's refusals carry no rule id (the case is then a strict xfail).
    maps_rules: ClassVar[bool] = True

    #: Record types whose `lookup` only finds what this same connector object pushed (it keeps
    #: what it needs in memory), with why: a new connector, as after a restart, finds nothing.
    lookup_in_memory: ClassVar[dict[EntityType, str]] = {}
    #: Record types found by a name the suite's edit changes (see `QuickBooksTarget`).
    lookup_by_name: ClassVar[frozenset[EntityType]] = frozenset()

    connector: Connector
    tenant: str
    _opened: list[Connector]

    def new_connector(self) -> Connector:
        """Another connector on the same tenant, sharing nothing with the first in memory: what a
        worker started after a crash gets."""
        built = self._build()
        self._opened.append(built)
        return built

    def _build(self) -> Connector:
        raise NotImplementedError

    def held(self, entity: EntityType) -> list[Held]:
        """What the tool holds of `entity` beyond what the tenant started with, oldest first."""
        raise NotImplementedError

    def push_losing_answer(
        self, entity: EntityType, items: list[PushItem]
    ) -> list[PushResult] | None:
        """Push `items` so that the tool applies them and the answer is lost; None when the
        connector got no answer at all (`OutcomeUnknown`, or a tool that has no wire to lose it on
        and whose answer the suite throws away)."""
        raise NotImplementedError

    def refused_invoice(self, item: PushItem) -> PushItem:
        """`item` made into an invoice this tool refuses on its side: a line on account "999"."""
        payload = item.payload
        assert isinstance(payload, DocumentPayload)
        lines = tuple(replace(line, account_code="999") for line in payload.lines)
        return replace(item, payload=replace(payload, lines=lines))

    def answer_rate_limited(self) -> float:
        """Make the tool answer 429 to the next calls; return the `retry_after` the connector must
        report (the tool's Retry-After, or the wait its vendor documents when it sends none)."""
        raise NotImplementedError

    def answered_429(self) -> bool:
        """Whether the tool really answered 429 (the switch fired), so the case proves something."""
        raise NotImplementedError

    def close(self) -> None:
        for opened in self._opened:
            opened.close()


# --- the embedded ledger ---------------------------------------------------------------------------


class LedgerTarget(ContractTarget):
    id = "ledger"
    label = "the embedded ledger"
    chart = Chart("200", "310", "OUTPUT", Decimal("10"))

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.directory = tmp_path / "ledgers"
        self.tenant = "contract-au"
        link = TenantLink(self.tenant, "Contract AU", "AUD")
        tools()["ledger"].connect(
            ConnectRequest(wanted=link, options={"directory": str(self.directory)})
        )
        self._opened = []
        self.connector = self.new_connector()

    def _build(self) -> Connector:
        return connector_for("ledger", directory=self.directory)

    def held(self, entity: EntityType) -> list[Held]:
        """Read back with beancount's own loader, which must find nothing wrong with the file."""
        entries, errors, _ = loader.load_file(str(self.directory / f"{self.tenant}.beancount"))
        assert not errors, [e.message for e in errors]
        found = []
        for entry in entries:
            meta = entry.meta or {}
            remote_id = meta.get("remote_id")
            if remote_id is None:
                continue
            if isinstance(entry, data.Open) and entity.is_party and "number" in meta:
                is_client = entry.account.startswith("Assets:")
                if is_client == (entity is EntityType.CLIENT):
                    found.append(Held(remote_id, meta["number"], meta["name"]))
            elif isinstance(entry, data.Custom) and entity is EntityType.PRODUCT:
                code, name = (v.value for v in entry.values[:2])
                found.append(Held(remote_id, code, name))
            elif isinstance(entry, data.Transaction) and entity.value in entry.tags:
                found.append(Held(remote_id, meta["number"], meta.get("reference")))
        return found

    def push_losing_answer(
        self, entity: EntityType, items: list[PushItem]
    ) -> list[PushResult] | None:
        self.connector.push(self.tenant, entity, items)  # the answer is thrown away: "lost"
        return None


# --- Xero, over loopback ----------------------------------------------------------------------------


class _EmulatedTarget(ContractTarget):
    """A cloud tool behind its emulator; faults are the emulator's switches."""

    faults: FaultSwitches

    def push_losing_answer(
        self, entity: EntityType, items: list[PushItem]
    ) -> list[PushResult] | None:
        self.faults.timeout_after_commit(LOST_ANSWERS)
        try:
            answer = self.connector.push(self.tenant, entity, items)
        except OutcomeUnknown:
            answer = None
        finally:
            self.faults.clear()
        assert self._fired(FaultKind.TIMEOUT_AFTER_COMMIT), f"{self.label} never dropped an answer"
        return answer

    def answered_429(self) -> bool:
        return self._fired(FaultKind.RATE_LIMIT)

    def _fired(self, kind: FaultKind) -> bool:
        return any(f.kind is kind for f in self.faults.fired)


class XeroTarget(_EmulatedTarget):
    id = "xero"
    label = "Xero (emulator)"
    chart = Chart("200", "310", "OUTPUT", Decimal("10"))

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.handle = request.getfixturevalue("xero_emulator_factory")(tenants=1, regions=("AU",))
        seeded = self.handle.tenants[0]
        self.tenant, self.faults = seeded.tenant_id, self.handle.faults
        self._opened = []
        self.connector = self.new_connector()

    def _build(self) -> Connector:
        seeded = self.handle.tenants[0]
        tokens = TokenSet(
            seeded.access_token,
            seeded.refresh_token,
            self.handle.clock.utcnow() + timedelta(minutes=30),
        )
        return connector_for(
            "xero",
            tokens=tokens,
            base_url=self.handle.accounting_url,
            identity_url=self.handle.base_url,
            client_id=self.handle.client_id,
            client_secret=self.handle.client_secret,
            clock=self.handle.clock,
            timeout=5.0,
            tenant_names={seeded.tenant_id: seeded.name},
        )

    def held(self, entity: EntityType) -> list[Held]:
        org = self.handle.org(0)
        with org.lock:
            if entity.is_party:
                return [
                    Held(c["ContactID"], c.get("ContactNumber"), c["Name"])
                    for c in org.collection("Contacts").values()
                ]
            if entity is EntityType.PRODUCT:
                return [
                    Held(i["ItemID"], i["Code"], i["Name"])
                    for i in org.collection("Items").values()
                ]
            assert entity is EntityType.INVOICE
            return [
                Held(i["InvoiceID"], i.get("InvoiceNumber"), i.get("Reference"))
                for i in org.collection("Invoices").values()
                if i.get("Type") == "ACCREC"
            ]

    def answer_rate_limited(self) -> float:
        # A Retry-After longer than a connector waits in-request goes back to the engine.
        self.faults.rate_limit_storm(RATE_LIMITED_CALLS, retry_after=3600, problem="day")
        return 3600.0


# --- QuickBooks Online, over loopback ---------------------------------------------------------------


class QuickBooksTarget(_EmulatedTarget):
    id = "quickbooks"
    label = "QuickBooks Online (emulator)"
    chart = Chart("Services", "Cost of Goods Sold", "GST", Decimal("10"))
    account_code_on = EntityType.PRODUCT
    #: Found by what the payload carries: a customer by its exact DisplayName (QuickBooks has no
    #: field for booksync's number), so renaming one while its answer is lost defeats the lookup.
    lookup_by_name: ClassVar[frozenset[EntityType]] = frozenset({EntityType.CLIENT})

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.handle = request.getfixturevalue("quickbooks_emulator_factory")(realms=1)
        seeded = self.handle.realms[0]
        self.tenant, self.faults = seeded.realm_id, self.handle.faults
        self.seeded_items = set(self.handle.realm(0).table("Item"))  # a new company has two
        self._opened = []
        self.connector = self.new_connector()

    def _build(self) -> Connector:
        seeded = self.handle.realms[0]
        tokens = TokenSet(
            seeded.access_token,
            seeded.refresh_token,
            self.handle.clock.utcnow() + timedelta(hours=1),
        )
        return connector_for(
            "quickbooks",
            tokens=tokens,
            realm=seeded.realm_id,
            base_url=self.handle.api_url,
            token_url=self.handle.token_url,
            client_id=self.handle.client_id,
            client_secret=self.handle.client_secret,
            clock=self.handle.clock,
            timeout=5.0,
            tenant_names={seeded.realm_id: seeded.name},
        )

    def held(self, entity: EntityType) -> list[Held]:
        realm = self.handle.realm(0)
        with realm.lock:
            if entity.is_party:
                table = "Customer" if entity is EntityType.CLIENT else "Vendor"
                return [Held(c["Id"], None, c["DisplayName"]) for c in realm.table(table).values()]
            if entity is EntityType.PRODUCT:
                return [
                    Held(i["Id"], i.get("Sku"), i["Name"])
                    for i in realm.table("Item").values()
                    if i["Id"] not in self.seeded_items
                ]
            assert entity is EntityType.INVOICE
            return [  # the client's reference prints: CustomerMemo (PrivateNote is booksync's)
                Held(i["Id"], i.get("DocNumber"), (i.get("CustomerMemo") or {}).get("value"))
                for i in realm.table("Invoice").values()
            ]

    def refused_invoice(self, item: PushItem) -> PushItem:
        """QuickBooks takes an invoice's accounts from its items, so a line's account code is not
        what it checks; it refuses, on its side, an invoice to a customer it does not have."""
        payload = item.payload
        assert isinstance(payload, DocumentPayload)
        return replace(item, payload=replace(payload, contact_remote_id="9999"))

    def answer_rate_limited(self) -> float:
        self.faults.rate_limit_storm(RATE_LIMITED_CALLS)
        return 60.0  # QuickBooks sends no Retry-After; Intuit documents a 60 s wait


# --- the in-memory tool ----------------------------------------------------------------------------


def _chart_refusal(item: PushItem) -> tuple[str, str] | None:
    """The RecordingTool's `reject` knob set to check what it lists: its chart and tax types."""
    codes = {code for code, _, _ in recording.CHART}
    taxes = {tax for tax, _, _ in recording.TAX_TYPES}
    payload: Any = item.payload
    named: list[tuple[str | None, str | None]] = []
    if isinstance(payload, ItemPayload):
        named = [(payload.income_account_code, payload.tax_type)]
    elif isinstance(payload, DocumentPayload):
        named = [(line.account_code, line.tax_type) for line in payload.lines]
    for code, tax in named:
        if code is not None and code not in codes:
            return (
                f"account code {code!r} is not in the chart; accepted: {', '.join(sorted(codes))}",
                "account_code.matches_tool",
            )
        if tax is not None and tax not in taxes:
            return (
                f"tax type {tax!r} is unknown; accepted: {', '.join(sorted(taxes))}",
                "tax.mapped",
            )
    return None


class RecordingTarget(ContractTarget):
    id = "recording"
    label = "the in-memory RecordingTool"
    chart = Chart("200", "310", "OUTPUT", Decimal("10"))

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.tool = RecordingTool(":memory:", reject=_chart_refusal)
        self.tenant = "t1"
        self._opened = []
        self.connector = self.new_connector()

    def _build(self) -> Connector:
        # The tool is its own connector and keeps everything in its SQLite store, so a "new"
        # connector is the same object: nothing of it lives outside the store.
        connector: Connector = self.tool
        return connector

    def held(self, entity: EntityType) -> list[Held]:
        field = "reference" if entity.is_document else "name"
        return [
            Held(o["remote_id"], o["reference"], o["payload"].get(field))
            for o in self.tool.objects()
            if o["tenant"] == self.tenant and o["entity"] == entity.value
        ]

    def push_losing_answer(
        self, entity: EntityType, items: list[PushItem]
    ) -> list[PushResult] | None:
        self.tool.faults.append("unknown")  # apply the batch, then lose the answer
        try:
            return self.connector.push(self.tenant, entity, items)
        except OutcomeUnknown:
            return None


TARGETS: dict[str, Callable[[pytest.FixtureRequest, Path], ContractTarget]] = {
    t.id: t for t in (LedgerTarget, XeroTarget, QuickBooksTarget, RecordingTarget)
}
