"""The checklist as data: the `RULES` table is the one source of rule ids and questions, and every
finding's fix is a value (an action on a record's field), worded by no one in the domain.

Pure: hand-built `Books` from test_rules, no database.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from booksync.domain.evaluation import Evaluator, Tools, evaluate
from booksync.domain.fixes import UNNAMED, Action, Fix
from booksync.domain.records import Subject, SyncState
from booksync.domain.rulebook import RuleInfo, Scope
from booksync.domain.rules import CHECKLIST, RULES, RULES_BY_ID, check
from booksync.domain.types import EntityType, SyncStatus
from domain.test_rules import ACME, INVOICE, LEDGER, SALES, books

#: The seed guide's headings ("Accounting Tool Not Syncing"), in its order.
SEED_HEADINGS = (
    "Is the integration enabled?",
    "Is the entity set to sync?",
    "Is the client connected to the tenant?",
    "Are the products connected to the tenant?",
    "Is the supplier connected to the tenant?",
    "Are tax rates set?",
    "Are accounts codes set?",
)


def test_the_table_is_data_and_every_rule_in_it_has_exactly_one_check() -> None:
    assert all(isinstance(rule, RuleInfo) for rule in RULES)
    assert [r.info for r in CHECKLIST] == list(RULES)
    assert len(RULES_BY_ID) == len(RULES)
    assert {r.scope for r in RULES} == set(Scope)


def test_a_check_for_a_rule_the_table_does_not_define_is_refused() -> None:
    with pytest.raises(KeyError, match="not in RULES"):
        check("record.misspelt")


def test_every_heading_of_the_seed_guide_is_answered_by_a_rule() -> None:
    answered = [heading for rule in RULES for heading in rule.seed]
    assert set(answered) == set(SEED_HEADINGS)
    assert answered.index("Are tax rates set?") < answered.index("Are accounts codes set?")
    assert [r.id for r in RULES if not r.seed] == [
        "tenant.connected",
        "currency.enabled",
        "tracking.matches_tool",
        "document.number_free",
        "document.after_lock_date",
        "document.due_date_set",
        "document.editable_in_tool",
        "tool.accepted",
        "tool.totals_match",
    ]


def test_a_fix_is_an_action_on_the_record_and_field_at_fault() -> None:
    b = books(account_codes={1: replace(SALES, code="")})
    (found,) = evaluate(b, INVOICE).blockers()
    assert found.fix == Fix(Action.SET_FIELD, replace(SALES, code="").subject, "code")
    excluded = replace(ACME, exclude_from_accounting=True)
    (root,) = evaluate(books(clients={1: excluded}), INVOICE).blockers()
    assert root.fix == Fix(Action.SET_FIELD, ACME.subject, "exclude_from_accounting", False)


def test_an_unticked_entity_is_ticked_keeping_the_others_in_order() -> None:
    ticked = replace(LEDGER, entities_to_sync=frozenset({EntityType.PRODUCT, EntityType.CLIENT}))
    (found,) = evaluate(books(integrations={1: ticked}), INVOICE).blockers()
    assert found.fix is not None and found.fix.action is Action.TICK_ENTITIES
    assert found.fix.entities == (EntityType.CLIENT, EntityType.PRODUCT, EntityType.INVOICE)


def test_a_tool_refusal_keeps_the_connectors_advice_and_otherwise_suggests_a_retry() -> None:
    advised = SyncState(SyncStatus.FAILED, "Email address must be valid", "tool.accepted", "X")
    (found,) = evaluate(books(sync_states={(ACME.type, ACME.id): advised}), ACME).blockers()
    assert found.fix == Fix(Action.TOOL_ADVICE, ACME.subject, advice="X")
    failed = SyncState(SyncStatus.FAILED)
    (bare,) = evaluate(books(sync_states={(ACME.type, ACME.id): failed}), ACME).blockers()
    assert bare.fix == Fix(Action.RETRY_SYNC, ACME.subject)


def test_the_tools_names_come_from_the_caller_and_default_to_the_kind() -> None:
    disabled = books(integrations={1: replace(LEDGER, enabled=False)})
    named = Evaluator(disabled, Tools({"ledger": "Ledger"})).problems(ACME)[0]
    assert named.detail == "the Ledger integration is disabled"
    assert Evaluator(disabled).problems(ACME)[0].detail == "the ledger integration is disabled"


def test_with_no_integration_the_first_installed_tool_is_suggested_or_none_is_named() -> None:
    bare = books(integrations={}, tenants={}, clients={1: replace(ACME, tenant_id=None)})
    client = bare.clients[1]
    suggested = Evaluator(bare, Tools({"xero": "Xero", "ledger": "Ledger"})).problems(client)[0]
    assert suggested.fix == Fix(
        Action.ENABLE_INTEGRATION, Subject("integration", None, "xero"), "enabled"
    )
    unnamed = Evaluator(bare).problems(client)[0]
    assert unnamed.fix is not None and unnamed.fix.subject.ref == UNNAMED
