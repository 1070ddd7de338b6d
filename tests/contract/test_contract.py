"""The connector contract: what every tool's connector must do, checked against every tool.

Modelled on singer-sdk's standard target tests: the cases are written once, against the protocol
(`booksync.connectors.protocol`), and run for each `ContractTarget` (tests/contract/targets.py):
the embedded ledger, Xero and QuickBooks behind their emulators over loopback, and the in-memory
RecordingTool. Every case asserts what the tool ends up holding, read from the tool's own store,
not only what the connector answered. A case that cannot apply to a tool is skipped with its reason
(shown by `-ra`); a known gap is a strict xfail, so closing it turns the suite red until the
marker goes.

Payloads are built by hand in each target's `Chart`: no store is involved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from booksync.connectors.protocol import (
    BatchLookup,
    Connector,
    DocumentPayload,
    ItemPayload,
    LinePayload,
    Outcome,
    PartyPayload,
    Payload,
    PushItem,
    PushResult,
    TransientError,
)
from booksync.connectors.registry import tools
from booksync.domain.types import EntityType
from contract.targets import Chart, ContractTarget, Held

E = EntityType

# --- payloads, in the target's chart ---------------------------------------------------------------


def client_item(number: str = "C-000001", name: str = "Acme Pty") -> PushItem:
    payload = PartyPayload(E.CLIENT, name, "accounts@acme.example", "AUD", number)
    return PushItem(f"{number}:v1", E.CLIENT, 1, number, None, payload)


def product_item(chart: Chart, code: str = "SUP-1", *, income: str | None = None) -> PushItem:
    payload = ItemPayload(
        code,
        f"Support hour {code}",
        "An hour of support",
        Decimal("120.00"),
        Decimal("60.00"),
        income or chart.income,
        chart.expense,
        chart.tax,
    )
    return PushItem(f"{code}:v1", E.PRODUCT, 2, code, None, payload)


def invoice_item(
    chart: Chart,
    number: str,
    parties: tuple[str, str],
    *,
    account: str | None = None,
    tax: str | None = None,
) -> PushItem:
    """An invoice to the pushed client for 2.5 of the pushed product (`parties`: their remote ids)."""
    contact, product = parties
    line = LinePayload(
        "SUP-1",
        product,
        "Support hours",
        Decimal("2.5"),
        Decimal("120.00"),
        account or chart.income,
        tax or chart.tax,
        chart.percent,
    )
    payload = DocumentPayload(
        E.INVOICE,
        number,
        contact,
        "Acme Pty",
        date(2026, 11, 2),
        date(2026, 12, 2),
        chart.currency,
        "authorised",
        "PO-1",
        (line,),
    )
    return PushItem(f"{number}:v1", E.INVOICE, 3, number, None, payload)


def edited(item: PushItem, remote_id: str, version: int = 2) -> PushItem:
    """The next version of `item`, linked to `remote_id`, with the field the suite edits changed."""
    payload: Payload = item.payload
    if isinstance(payload, PartyPayload):
        payload = replace(payload, name=f"{payload.name} Ltd")
    elif isinstance(payload, ItemPayload):
        payload = replace(payload, name=f"{payload.name} on site")
    else:
        payload = replace(payload, reference=f"PO-{version}")
    return replace(item, key=f"{item.reference}:v{version}", remote_id=remote_id, payload=payload)


def find(connector: Connector, contract: ContractTarget, item: PushItem) -> str | None:
    """What the engine does after a lost answer: look `item` up, with everything it carries
    (`lookup_many`, where the connector has it), else by its reference alone."""
    if isinstance(connector, BatchLookup):
        found = connector.lookup_many(contract.tenant, item.entity, [item])
        assert set(found) <= {item.reference}, found
        return found.get(item.reference)
    return connector.lookup(contract.tenant, item.entity, item.reference)


def value_of(payload: Payload) -> str | None:
    """The field `Held.value` shows: a name, or an invoice's reference."""
    return payload.reference if isinstance(payload, DocumentPayload) else payload.name


def push(contract: ContractTarget, entity: EntityType, items: list[PushItem]) -> list[PushResult]:
    results = contract.connector.push(contract.tenant, entity, items)
    assert [r.key for r in results] == [i.key for i in items], "one result per element, in order"
    return results


def parties(contract: ContractTarget) -> tuple[str, str]:
    """Push what an invoice needs in every tool (its client and its product): their remote ids."""
    (client,) = push(contract, E.CLIENT, [client_item()])
    (product,) = push(contract, E.PRODUCT, [product_item(contract.chart)])
    assert client.remote_id and product.remote_id, (client.message, product.message)
    return client.remote_id, product.remote_id


def first_version(contract: ContractTarget, entity: EntityType) -> PushItem:
    """A new record of `entity`, with whatever it depends on already in the tool."""
    if entity is E.CLIENT:
        return client_item()
    if entity is E.PRODUCT:
        return product_item(contract.chart)
    return invoice_item(contract.chart, "INV-1", parties(contract))


def assert_holds_one(
    contract: ContractTarget, entity: EntityType, item: PushItem, remote_id: str
) -> None:
    """The tool holds exactly one object of `entity`: `remote_id`, with `item`'s reference and
    value."""
    held = contract.held(entity)
    assert [h.remote_id for h in held] == [remote_id], held
    expected = Held(remote_id, item.reference, value_of(item.payload))
    assert held[0] == (replace(expected, reference=None) if held[0].reference is None else expected)


def expect_rule_ids(contract: ContractTarget, request: pytest.FixtureRequest) -> None:
    if not contract.maps_rules:
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason=f"{contract.label} refuses with a message only: its `reject` knob "
                "cannot name a rule id",
            )
        )


# --- 1. create --------------------------------------------------------------------------------------


def test_create_puts_one_client_one_product_and_one_invoice_in_the_tool(
    contract: ContractTarget,
) -> None:
    client = client_item()
    (made_client,) = push(contract, E.CLIENT, [client])
    product = product_item(contract.chart)
    (made_product,) = push(contract, E.PRODUCT, [product])
    assert made_client.remote_id and made_product.remote_id
    invoice = invoice_item(contract.chart, "INV-1", (made_client.remote_id, made_product.remote_id))
    (made_invoice,) = push(contract, E.INVOICE, [invoice])

    for entity, item, result in (
        (E.CLIENT, client, made_client),
        (E.PRODUCT, product, made_product),
        (E.INVOICE, invoice, made_invoice),
    ):
        assert result.outcome is Outcome.CREATED, result.message
        assert result.remote_id
        assert_holds_one(contract, entity, item, result.remote_id)
    # The connector's own listings see each once too.
    contacts = contract.connector.contacts(contract.tenant)
    assert [c.remote_id for c in contacts if c.remote_id == made_client.remote_id] == [
        made_client.remote_id
    ]
    items = contract.connector.items(contract.tenant)
    assert [i.code for i in items if i.remote_id == made_product.remote_id] == [product.reference]


# --- 2. update --------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", [E.CLIENT, E.PRODUCT, E.INVOICE], ids=str)
def test_update_by_remote_id_changes_the_same_object(
    contract: ContractTarget, entity: EntityType
) -> None:
    item = first_version(contract, entity)
    (created,) = push(contract, entity, [item])
    assert created.outcome is Outcome.CREATED and created.remote_id, created.message

    change = edited(item, created.remote_id)
    (updated,) = push(contract, entity, [change])
    assert updated.outcome is Outcome.UPDATED, updated.message
    assert updated.remote_id == created.remote_id
    assert_holds_one(contract, entity, change, created.remote_id)


# --- 3. lookup after a lost answer ---------------------------------------------------------------------


@pytest.mark.parametrize("entity", [E.CLIENT, E.PRODUCT, E.INVOICE], ids=str)
def test_lookup_finds_what_a_lost_answer_created_and_the_next_push_updates_it(
    contract: ContractTarget, entity: EntityType
) -> None:
    item = first_version(contract, entity)
    answer = contract.push_losing_answer(entity, [item])
    if answer is not None:  # the connector answered, but without knowing what was applied
        assert [r.key for r in answer] == [item.key]
        assert answer[0].outcome in (Outcome.UNKNOWN, Outcome.CREATED), answer[0].message
    (held,) = contract.held(entity)  # applied exactly once, although the answer was lost

    found = contract.connector.lookup(contract.tenant, entity, item.reference)
    assert found == held.remote_id
    if answer is not None and answer[0].remote_id is not None:
        assert answer[0].remote_id == found

    change = edited(item, found)
    (again,) = push(contract, entity, [change])
    assert again.outcome is Outcome.UPDATED and again.remote_id == found, again.message
    assert_holds_one(contract, entity, change, found)


@pytest.mark.parametrize("entity", [E.CLIENT, E.PRODUCT, E.INVOICE], ids=str)
def test_lookup_after_a_restart_finds_what_the_lost_answer_created(
    contract: ContractTarget, entity: EntityType, request: pytest.FixtureRequest
) -> None:
    """A lost answer usually means the worker died: the connector that looks up is a new one."""
    if entity in contract.lookup_in_memory:
        reason = contract.lookup_in_memory[entity]
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    item = first_version(contract, entity)
    contract.push_losing_answer(entity, [item])
    (held,) = contract.held(entity)

    restarted = contract.new_connector()
    found = find(restarted, contract, item)
    assert found == held.remote_id
    (again,) = restarted.push(contract.tenant, entity, [edited(item, found)])
    assert again.outcome is Outcome.UPDATED and again.remote_id == found, again.message
    assert_holds_one(contract, entity, edited(item, found), found)


@pytest.mark.parametrize("entity", [E.CLIENT, E.PRODUCT, E.INVOICE], ids=str)
def test_a_lost_answer_then_an_edit_the_new_version_finds_and_updates_the_same_object(
    contract: ContractTarget, entity: EntityType, request: pytest.FixtureRequest
) -> None:
    """Issue 15: the record is edited while the answer to its create is lost. The engine keeps
    the lookup mark, so the next push looks the new version up first and updates what it finds."""
    if entity in contract.lookup_by_name:
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason=f"{contract.label} finds a {entity.label} by the name it was sent with; "
                "the edit renamed it, so the lookup misses",
            )
        )
    item = first_version(contract, entity)
    contract.push_losing_answer(entity, [item])
    (held,) = contract.held(entity)
    change = edited(item, "")  # the next version, not linked to anything yet
    restarted = contract.new_connector()
    found = find(restarted, contract, replace(change, remote_id=None))
    assert found == held.remote_id
    (again,) = restarted.push(contract.tenant, entity, [replace(change, remote_id=found)])
    assert again.outcome is Outcome.UPDATED and again.remote_id == found, again.message
    assert_holds_one(contract, entity, change, found)


def test_lookup_many_finds_several_at_once_and_leaves_out_what_is_not_there(
    contract: ContractTarget,
) -> None:
    connector = contract.connector
    assert isinstance(connector, BatchLookup), f"{contract.label} looks up one at a time"
    mine = [client_item("C-000001", "Acme Pty"), client_item("C-000002", "Beta Pty")]
    made = push(contract, E.CLIENT, mine)
    assert all(m.remote_id for m in made), [m.message for m in made]
    never = client_item("C-000003", "Gamma Pty")
    found = connector.lookup_many(contract.tenant, E.CLIENT, [*mine, never])
    assert found == {i.reference: m.remote_id for i, m in zip(mine, made, strict=True)}


# --- 4. a batch with per-element errors ----------------------------------------------------------------


def test_a_batch_rejects_only_its_refused_element_and_answers_in_order(
    contract: ContractTarget,
) -> None:
    ids = parties(contract)
    good = invoice_item(contract.chart, "INV-1", ids)
    bad = contract.refused_invoice(invoice_item(contract.chart, "INV-2", ids))
    also_good = invoice_item(contract.chart, "INV-3", ids)

    results = push(contract, E.INVOICE, [good, bad, also_good])
    outcomes = [r.outcome for r in results]
    assert outcomes == [Outcome.CREATED, Outcome.REJECTED, Outcome.CREATED], results
    assert results[1].message.strip(), "a rejection says why"
    held = contract.held(E.INVOICE)
    assert [h.remote_id for h in held] == [results[0].remote_id, results[2].remote_id]
    assert [h.reference for h in held] == ["INV-1", "INV-3"]


# --- 5. a rate-limit answer --------------------------------------------------------------------------


def test_a_429_is_a_transient_error_with_retry_after_and_applies_nothing(
    contract: ContractTarget,
) -> None:
    kind = contract.connector.kind
    if tools()[kind].limits.calls_per_minute is None:
        assert contract.connector.limits.calls_per_minute is None
        pytest.skip(
            f"not applicable to {contract.label}: the '{kind}' tool declares no per-minute "
            "limit (Tool.limits.calls_per_minute is None), so it never answers 429"
        )
    retry_after = contract.answer_rate_limited()
    with pytest.raises(TransientError) as caught:
        contract.connector.push(contract.tenant, E.CLIENT, [client_item()])
    assert contract.answered_429()
    assert caught.value.retry_after == retry_after
    assert contract.held(E.CLIENT) == []


# --- 6. refusals mapped to a rule id ---------------------------------------------------------------------


def test_an_account_code_the_tool_lacks_is_refused_as_account_code_matches_tool(
    contract: ContractTarget, request: pytest.FixtureRequest
) -> None:
    expect_rule_ids(contract, request)
    if contract.account_code_on is E.PRODUCT:
        item = product_item(contract.chart, "BAD-1", income="999")
    else:
        item = invoice_item(contract.chart, "INV-9", parties(contract), account="999")
    entity = item.entity
    before = contract.held(entity)

    (result,) = push(contract, entity, [item])
    assert result.outcome is Outcome.REJECTED and result.message.strip()
    assert contract.held(entity) == before
    assert result.rule == "account_code.matches_tool", result.message


def test_a_tax_type_the_tool_lacks_is_refused_as_tax_mapped(
    contract: ContractTarget, request: pytest.FixtureRequest
) -> None:
    expect_rule_ids(contract, request)
    item = invoice_item(contract.chart, "INV-9", parties(contract), tax="NOSUCHTAX")

    (result,) = push(contract, E.INVOICE, [item])
    assert result.outcome is Outcome.REJECTED and result.message.strip()
    assert contract.held(E.INVOICE) == []
    assert result.rule == "tax.mapped", result.message
