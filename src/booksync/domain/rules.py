"""The sync rules: the seed guide's checklist ("Accounting Tool Not Syncing"), as code.

`RULES` is the checklist as data, in the guide's order: each rule's stable id, the question a person
would ask, what it applies to, and the guide's heading it comes from. It is the one place rule ids
are defined (the engine, the doctor and the docs read them from it). After the guide's questions
come booksync's own: will the tool accept the document (its currency, tracking, number, lock date
and due date), and did it accept and book what booksync computed.

Below it, one check per rule of the guide, in the same order; the checks of booksync's own
questions are in `rules_tool` and registered here, so `CHECKLIST` holds every rule. A check looks at
a record (and, for documents, at each line) and returns the problems it finds; none means the check
passes. Each problem names the record and field at fault and its fix, as data
(`booksync.domain.fixes`). The engine gates every push on these findings and the doctor explains
them: nobody else re-derives them. Checks read `Books` only; they do no I/O. Scopes are explained
in `rulebook`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from booksync.domain import fixes, rules_tool
from booksync.domain.dependencies import cross_tenant, dependency, knock_on
from booksync.domain.findings import Finding, Status, at_fault
from booksync.domain.lines import LineUse, account_for, accounts_sent, tax_for
from booksync.domain.lines import expense_account as expense_account  # for the payload builders
from booksync.domain.records import (
    Books,
    DocumentView,
    PartyView,
    ProductView,
    Subject,
)
from booksync.domain.rulebook import CheckFn, Evaluate, Rule, RuleInfo, Scope, Target
from booksync.domain.tool_codes import tool_account, tool_tax_type
from booksync.domain.types import DOCUMENT_TYPES, ConnectionState, EntityType

__all__ = ["CHECKLIST", "RULES", "RULES_BY_ID", "at_fault", "check", "checklist_for", "holds"]

ALL = frozenset(EntityType)
OWNED = frozenset({EntityType.CLIENT, EntityType.SUPPLIER, EntityType.PRODUCT})
PARTIES = frozenset({EntityType.CLIENT, EntityType.SUPPLIER})
PRICED = DOCUMENT_TYPES | {EntityType.PRODUCT}
CLIENT_DOCUMENTS = DOCUMENT_TYPES - {EntityType.PURCHASE_ORDER}
PURCHASE_ORDERS = frozenset({EntityType.PURCHASE_ORDER})
#: The documents that post to the ledger (a lock date stops them); orders never post.
POSTING = frozenset({EntityType.INVOICE, EntityType.CREDIT_NOTE})

CLIENT_CONNECTED = "Is the client connected to the tenant?"
PRODUCTS_CONNECTED = "Are the products connected to the tenant?"
SUPPLIER_CONNECTED = "Is the supplier connected to the tenant?"
TAX = "Are tax rates set?"
ACCOUNTS = "Are accounts codes set?"

# fmt: off
RULES: tuple[RuleInfo, ...] = (
    # -- Is the integration enabled? --------------------------------------------------------------
    RuleInfo("integration.enabled", "Is the integration enabled?",
             ALL, Scope.TARGET, "the integration is enabled",
             seed=("Is the integration enabled?",)),
    # -- Is the entity set to sync? ---------------------------------------------------------------
    RuleInfo("integration.entity_synced", 'Is this entity type in "Entities to Sync"?',
             ALL, Scope.TARGET, "ticked in Entities to Sync",
             seed=("Is the entity set to sync?",)),
    RuleInfo("tenant.connected", "Is the tenant connected (token valid, not revoked)?",
             ALL, Scope.TARGET, "the tenant is connected"),
    # -- Is the client / product / supplier connected to the tenant? ------------------------------
    RuleInfo("record.not_excluded", 'Is "Exclude from Accounting Integration" off?',
             OWNED, Scope.RECORD, "not excluded",
             seed=(CLIENT_CONNECTED, PRODUCTS_CONNECTED, SUPPLIER_CONNECTED)),
    RuleInfo("record.tenant_set", "Is the integration's tenant set on the record?",
             OWNED, Scope.RECORD, "the tenant is set",
             seed=(CLIENT_CONNECTED, PRODUCTS_CONNECTED, SUPPLIER_CONNECTED)),
    RuleInfo("contact.not_archived", "Is the contact active (not archived) in the tool?",
             PARTIES | DOCUMENT_TYPES, Scope.OWN, "the contact is active in the tool",
             holds_when_unknown=False, seed=(CLIENT_CONNECTED, SUPPLIER_CONNECTED)),
    # -- ... which also stops the documents that use it -------------------------------------------
    RuleInfo("dependency.client", "Is the document's client syncable and linked (has a remote ID)?",
             CLIENT_DOCUMENTS, Scope.RECORD, "the client is linked",
             seed=(CLIENT_CONNECTED,)),
    RuleInfo("dependency.supplier", "Is the purchase order's supplier syncable and linked?",
             PURCHASE_ORDERS, Scope.RECORD, "the supplier is linked",
             seed=(SUPPLIER_CONNECTED,)),
    RuleInfo("dependency.product", "Is every line's product syncable and linked?",
             DOCUMENT_TYPES, Scope.LINE, "every product is linked",
             seed=(PRODUCTS_CONNECTED,)),
    RuleInfo("dependency.same_tenant",
             "Do the client/supplier and every product belong to the same tenant?",
             DOCUMENT_TYPES, Scope.LINE, "all in one tenant",
             seed=(CLIENT_CONNECTED, PRODUCTS_CONNECTED, SUPPLIER_CONNECTED)),
    # -- Are tax rates set? -----------------------------------------------------------------------
    RuleInfo("tax.resolved", "Does every line resolve a tax rate?",
             PRICED, Scope.LINE, "a tax rate resolves (see tax below)", seed=(TAX,)),
    RuleInfo("tax.mapped", "Is that tax rate mapped to a tax type of the tenant's tool?",
             CLIENT_DOCUMENTS | {EntityType.PRODUCT}, Scope.LINE,
             "mapped to the tool's tax type", seed=(TAX,)),
    RuleInfo("tax.purchase_mapped",
             "Is that tax rate mapped to a purchase tax type of the tenant's tool?",
             PURCHASE_ORDERS, Scope.LINE, "mapped to the tool's purchase tax type", seed=(TAX,)),
    # -- Are accounts codes set? ------------------------------------------------------------------
    RuleInfo("account_code.set",
             "Does every line's product (or its item group) have the account code this document "
             "needs?",
             PRICED, Scope.LINE, "the account code is set", seed=(ACCOUNTS,)),
    RuleInfo("account_code.code_set", 'Is the "Code" field of that account code filled in?',
             PRICED, Scope.LINE, "the Code is filled in", seed=(ACCOUNTS,)),
    RuleInfo("account_code.matches_tool",
             "Does that code match an active account imported from the tool?",
             PRICED, Scope.LINE, "the code matches an active account in the tool", seed=(ACCOUNTS,)),
    # -- Will the tool accept it? (booksync's own checks before sending) --------------------------
    RuleInfo("currency.enabled", "Is the currency enabled in the tenant?",
             PARTIES | DOCUMENT_TYPES, Scope.OWN, "the tenant has the currency enabled",
             holds_when_unknown=False),
    RuleInfo("tracking.matches_tool",
             "Does every tracking category and option exist in the tenant's tool?",
             OWNED | DOCUMENT_TYPES, Scope.OWN, "the tracking exists in the tool",
             holds_when_unknown=False),
    RuleInfo("document.number_free",
             "Is the document's number free in the tool, or is it this document there?",
             DOCUMENT_TYPES, Scope.OWN, "the number is free in the tool",
             holds_when_unknown=False),
    RuleInfo("document.after_lock_date", "Is the document dated after the tool's lock date?",
             POSTING, Scope.OWN, "dated after the lock date", holds_when_unknown=False),
    RuleInfo("document.due_date_set",
             "Does an approved invoice have a due date, its own or from payment terms?",
             frozenset({EntityType.INVOICE}), Scope.OWN, "the due date is set",
             holds_when_unknown=False),
    RuleInfo("document.editable_in_tool",
             "Can the tool still take an edit of the document (not paid, part-paid, voided or "
             "deleted there)?",
             DOCUMENT_TYPES, Scope.OWN, "the tool takes an edit of it",
             holds_when_unknown=False),
    # -- Did the tool accept it? (the guide's "Show a message for each successful sync") ----------
    RuleInfo("tool.accepted", "Did the tool accept the last push?",
             ALL, Scope.PUSH, "the tool accepted the last push", holds_when_unknown=False),
    RuleInfo("tool.totals_match",
             "Did the tool book what booksync computed (total, tax, line count, contact)?",
             DOCUMENT_TYPES, Scope.PUSH, "the tool booked what booksync computed",
             holds_when_unknown=False),
)
# fmt: on

RULES_BY_ID: dict[str, RuleInfo] = {r.id: r for r in RULES}
CHECKS: dict[str, CheckFn] = {}


def check(rule_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register the check of `rule_id`, which `RULES` must define. The check gets the id first."""
    if rule_id not in RULES_BY_ID:
        raise KeyError(f"{rule_id!r} is not in RULES")

    def register(fn: CheckFn) -> CheckFn:
        CHECKS[rule_id] = fn
        return fn

    return register


def holds(rule_id: str) -> bool:
    return RULES_BY_ID[rule_id].holds_when_unknown


def rules_for(entity: EntityType) -> list[RuleInfo]:
    return [r for r in RULES if entity in r.applies_to]


# --- Is the integration enabled? ------------------------------------------------------------------


@check("integration.enabled")
def integration_enabled(
    rule: str, books: Books, entity: EntityType, target: Target
) -> Iterator[Finding]:
    integration = target.integration
    if integration is None and books.integrations:
        unknown = Subject("integration", None, fixes.UNNAMED)
        detail = "several integrations are enabled; which one applies is known once a tenant is set"
        yield Finding(rule, Status.UNKNOWN, unknown, None, detail)
    elif integration is None:
        suggested = Subject("integration", None, target.tools.suggested or fixes.UNNAMED)
        detail = "no accounting integration is set up"
        yield at_fault(rule, detail, fixes.enable_integration(suggested))
    elif not integration.enabled:
        detail = f"the {target.label} integration is disabled"
        yield at_fault(rule, detail, fixes.enable_integration(integration.subject))


# --- Is the entity set to sync? -------------------------------------------------------------------


@check("integration.entity_synced")
def entity_synced(rule: str, books: Books, entity: EntityType, target: Target) -> Iterator[Finding]:
    integration = target.integration
    if integration is not None and entity not in integration.entities_to_sync:
        ticked = integration.entities_to_sync | {entity}
        detail = (
            f'{entity.label} is not ticked in "Entities to Sync" of the {target.label} integration'
        )
        yield at_fault(rule, detail, fixes.tick_entities(integration.subject, ticked))


@check("tenant.connected")
def tenant_connected(
    rule: str, books: Books, entity: EntityType, target: Target
) -> Iterator[Finding]:
    tenant = target.tenant
    if tenant is None:
        unknown = Subject("tenant", None, fixes.UNNAMED)
        detail = "no tenant is set, so there is no connection to check"
        yield Finding(rule, Status.UNKNOWN, unknown, None, detail)
        return
    name, status = f"tenant '{tenant.name}'", Status.BLOCKED
    if tenant.connection is ConnectionState.NEVER:
        detail, status = f"{name} has not been connected yet", Status.UNKNOWN
    elif tenant.connection is ConnectionState.EXPIRED:
        detail = f"{name}: the connection expired and could not be refreshed"
    elif tenant.connection is ConnectionState.REVOKED:
        why = f" ({tenant.connection_detail})" if tenant.connection_detail else ""
        detail = f"{name}: access was revoked in the tool{why}"
    else:
        return
    yield at_fault(rule, detail, fixes.connect_tenant(tenant.subject), status)


# --- Is the client / product / supplier connected to the tenant? ----------------------------------


@check("record.not_excluded")
def not_excluded(rule: str, books: Books, record: PartyView | ProductView) -> Iterator[Finding]:
    if record.exclude_from_accounting:
        detail = f'{record.subject} has "Exclude from Accounting Integration" ticked'
        yield at_fault(
            rule, detail, fixes.set_field(record.subject, "exclude_from_accounting", False)
        )


@check("record.tenant_set")
def tenant_set(rule: str, books: Books, record: PartyView | ProductView) -> Iterator[Finding]:
    if record.tenant_id is None:
        names = [t.name for t in books.tenants.values()]
        only = names[0] if len(names) == 1 else None
        detail = f"{record.subject} has no tenant set"
    elif record.tenant_id not in books.tenants:
        only, detail = None, f"{record.subject} names a tenant that no longer exists"
    else:
        return
    yield at_fault(rule, detail, fixes.set_field(record.subject, "tenant", only))


# --- ... which also stops the documents that use it -----------------------------------------------


@check("dependency.client")
@check("dependency.supplier")
def dependency_party(
    rule: str, books: Books, record: DocumentView, evaluate: Evaluate
) -> Iterator[Finding]:
    party = books.party(record)
    if party is None:
        kind = rule.split(".")[1]
        yield at_fault(
            rule, f"{record.subject} has no {kind}", fixes.set_field(record.subject, kind)
        )
    else:
        yield from _linked(rule, party, evaluate)


@check("dependency.product")
def dependency_product(
    rule: str, books: Books, use: LineUse, evaluate: Evaluate
) -> Iterator[Finding]:
    yield from _linked(rule, use.product, evaluate)


def _linked(rule: str, dep: PartyView | ProductView, evaluate: Evaluate) -> Iterator[Finding]:
    found = dependency(rule, dep, evaluate(dep), holds)
    if found is not None:
        yield found


@check("dependency.same_tenant")
def same_tenant(rule: str, books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    found = cross_tenant(books, use)
    if found is not None:
        yield found


# --- Are tax rates set? ---------------------------------------------------------------------------


@check("tax.resolved")
def tax_resolved(rule: str, books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    tax = tax_for(books, use)
    if not tax.resolved:
        culprit = tax.culprit or use.product.subject
        detail = (
            f"no tax rate resolves for {use.product.subject}: {'; '.join(tax.notes)}"
            " (or make a tax rate the global default)"
        )
        yield at_fault(rule, detail, fixes.set_field(culprit, "tax_rate"))


@check("tax.mapped")
@check("tax.purchase_mapped")
def tax_mapped(rule: str, books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    """The sales side (client documents, products) or the purchase side (purchase orders): each
    checked exactly against the tax types imported from the tenant's tool."""
    rate = tax_for(books, use).rate
    if rate is not None:
        yield from knock_on(books, use, tool_tax_type(rule, rate, use.tenant))


# --- Are accounts codes set? ----------------------------------------------------------------------


@check("account_code.set")
def account_code_set(
    rule: str, books: Books, use: LineUse, evaluate: Evaluate
) -> Iterator[Finding]:
    account, source, account_id = account_for(books, use)
    if account is not None:
        return
    side, product = use.account_kind.value, use.product
    if account_id:
        problem = "names an account code that no longer exists"
    else:
        problem = f"has no {side} account code"
        problem += " and its item group has none either" if product.item_group_id else ""
    yield at_fault(rule, f"{source} {problem}", fixes.set_field(product.subject, f"{side}_account"))


@check("account_code.code_set")
def account_code_code_set(
    rule: str, books: Books, use: LineUse, evaluate: Evaluate
) -> Iterator[Finding]:
    for account in accounts_sent(books, use):
        if not account.code.strip():
            detail = f"account code '{account.name}' has an empty Code"
            yield at_fault(rule, detail, fixes.set_field(account.subject, "code"))


@check("account_code.matches_tool")
def account_code_matches_tool(
    rule: str, books: Books, use: LineUse, evaluate: Evaluate
) -> Iterator[Finding]:
    for account in accounts_sent(books, use):
        if account.code.strip():  # an empty Code is account_code.code_set's finding
            yield from knock_on(books, use, tool_account(rule, account, use.tenant))


# Booksync's own questions (will the tool accept it, did it book it): their checks live in
# `rules_tool`, registered here so that every rule of `RULES` has its check.
for _rule_id, _check in rules_tool.CHECKS.items():
    check(_rule_id)(_check)


#: Every rule with its check bound to its id, in the checklist's order (a rule without a check
#: fails here, at import).
CHECKLIST: tuple[Rule, ...] = tuple(Rule(r, partial(CHECKS[r.id], r.id)) for r in RULES)


def checklist_for(entity: EntityType, scope: Scope) -> tuple[Rule, ...]:
    return tuple(r for r in CHECKLIST if entity in r.info.applies_to and r.scope is scope)
