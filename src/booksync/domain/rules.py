"""The sync rules: the seed guide's checklist ("Accounting Tool Not Syncing"), as code.

Each rule answers one question a person would ask, in the guide's order. A rule looks at a record
(and, for documents, at each line) and returns the problems it finds; no problem means the check
passes. The engine gates every push on these findings and the doctor explains them: nobody else
re-derives them. Rules read `Books` only; they do no I/O.

Scopes, so that a health report over 100,000 documents evaluates each shared fact once:
- `target`: the integration and tenant a record syncs to;
- `record`: the record itself (a client, supplier or product's flags, a document's client/supplier);
- `line`: a product as used by a document line (or by the product record itself);
- `push`: what the tool said about the last push of this very record.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from booksync.domain.findings import Finding, Fix, Status
from booksync.domain.records import (
    AccountCodeView,
    Books,
    DocumentView,
    IntegrationView,
    LineView,
    PartyView,
    ProductView,
    Record,
    Subject,
    TenantView,
)
from booksync.domain.tax import TaxResolution, resolve_tax
from booksync.domain.types import (
    DOCUMENT_TYPES,
    AccountKind,
    ConnectionState,
    EntityType,
    SyncStatus,
    document_account_kind,
)

PARTIES = frozenset({EntityType.CLIENT, EntityType.SUPPLIER})
OWNED = PARTIES | {EntityType.PRODUCT}
ALL = frozenset(EntityType)
PRICED = DOCUMENT_TYPES | {EntityType.PRODUCT}
CLIENT_DOCUMENTS = DOCUMENT_TYPES - {EntityType.PURCHASE_ORDER}


def q(text: str) -> str:
    """Quote a reference for a shell command the user can paste."""
    return shlex.quote(text)


def page(subject: Subject, field: str | None = None) -> str:
    """Where the web admin shows `subject` (and the field to change)."""
    if subject.type == "integration":
        path = f"/integrations/{subject.ref}"
    else:
        path = f"/{subject.type.replace('_', '-')}s/{subject.id}"
    return path + (f"#{field}" if field else "")


def cli_type(subject: Subject) -> str:
    return subject.type.replace("_", "-")


@dataclass(frozen=True, slots=True)
class Target:
    """The integration and tenant a record syncs to, as far as they can be known."""

    integration: IntegrationView | None
    tenant: TenantView | None


@dataclass(frozen=True, slots=True)
class LineUse:
    """A product as one document line (or the product record itself) uses it."""

    entity: EntityType
    product: ProductView
    party: PartyView | None
    tenant: TenantView | None
    line: LineView | None = None
    document: Subject | None = None

    @property
    def account_kind(self) -> AccountKind:
        return document_account_kind(self.entity) if self.document else AccountKind.INCOME


@dataclass(frozen=True)
class Rule:
    id: str
    question: str
    applies_to: frozenset[EntityType]
    scope: str
    check: Callable[..., Iterator[Finding]]
    #: Whether "not yet known" holds the record back (True) or is only shown (False).
    holds_when_unknown: bool = True
    #: What the doctor shows when the check passes.
    passed: str = "yes"


RULES: list[Rule] = []


def rule(
    rule_id: str,
    question: str,
    applies_to: frozenset[EntityType],
    scope: str,
    *,
    passed: str,
    holds: bool = True,
) -> Callable[[Callable[..., Iterator[Finding]]], Callable[..., Iterator[Finding]]]:
    def register(check: Callable[..., Iterator[Finding]]) -> Callable[..., Iterator[Finding]]:
        RULES.append(Rule(rule_id, question, applies_to, scope, check, holds, passed))
        return check

    return register


def finding(
    rule_id: str,
    status: Status,
    subject: Subject,
    field: str | None,
    detail: str,
    command: str | None = None,
    *,
    fix_page: str | None = None,
    cause: Finding | None = None,
) -> Finding:
    fix = Fix(command, fix_page or page(subject, field)) if command else None
    return Finding(rule_id, status, subject, field, detail, fix, cause)


# --- Is the integration enabled? ------------------------------------------------------------------


@rule(
    "integration.enabled",
    "Is the integration enabled?",
    ALL,
    "target",
    passed="the integration is enabled",
)
def integration_enabled(books: Books, entity: EntityType, target: Target) -> Iterator[Finding]:
    integration = target.integration
    if integration is None:
        if not books.integrations:
            subject = Subject("integration", None, "ledger")
            yield finding(
                "integration.enabled",
                Status.BLOCKED,
                subject,
                "enabled",
                "no accounting integration is set up",
                "booksync integration enable ledger",
            )
        else:
            yield finding(
                "integration.enabled",
                Status.UNKNOWN,
                Subject("integration", None, "?"),
                None,
                "several integrations are enabled; which one applies is known once a tenant is set",
            )
    elif not integration.enabled:
        yield finding(
            "integration.enabled",
            Status.BLOCKED,
            integration.subject,
            "enabled",
            f"the {integration.kind.label} integration is disabled",
            f"booksync integration enable {integration.kind.value}",
        )


# --- Is the entity set to sync? -------------------------------------------------------------------


@rule(
    "integration.entity_synced",
    'Is this entity type in "Entities to Sync"?',
    ALL,
    "target",
    passed="ticked in Entities to Sync",
)
def entity_synced(books: Books, entity: EntityType, target: Target) -> Iterator[Finding]:
    integration = target.integration
    if integration is None:
        return
    if entity not in integration.entities_to_sync:
        wanted = [e.value for e in EntityType if e in integration.entities_to_sync or e is entity]
        yield finding(
            "integration.entity_synced",
            Status.BLOCKED,
            integration.subject,
            "entities_to_sync",
            f'{entity.label} is not ticked in "Entities to Sync" of the {integration.kind.label} integration',
            f"booksync integration configure {integration.kind.value} --entities {','.join(wanted)}",
        )


# --- Is the tenant connected? ---------------------------------------------------------------------


@rule(
    "tenant.connected",
    "Is the tenant connected (token valid, not revoked)?",
    ALL,
    "target",
    passed="the tenant is connected",
)
def tenant_connected(books: Books, entity: EntityType, target: Target) -> Iterator[Finding]:
    tenant = target.tenant
    if tenant is None:
        yield finding(
            "tenant.connected",
            Status.UNKNOWN,
            Subject("tenant", None, "?"),
            None,
            "no tenant is set, so there is no connection to check",
        )
        return
    connect = f"booksync tenant connect {q(tenant.name)}"
    if tenant.connection is ConnectionState.NEVER:
        yield finding(
            "tenant.connected",
            Status.UNKNOWN,
            tenant.subject,
            "connection",
            f"tenant '{tenant.name}' has not been connected yet",
            connect,
        )
    elif tenant.connection is ConnectionState.EXPIRED:
        yield finding(
            "tenant.connected",
            Status.BLOCKED,
            tenant.subject,
            "connection",
            f"tenant '{tenant.name}': the connection expired and could not be refreshed",
            connect,
        )
    elif tenant.connection is ConnectionState.REVOKED:
        yield finding(
            "tenant.connected",
            Status.BLOCKED,
            tenant.subject,
            "connection",
            f"tenant '{tenant.name}': access was revoked in the tool"
            + (f" ({tenant.connection_detail})" if tenant.connection_detail else ""),
            connect,
        )


# --- Is the client / product / supplier connected to the tenant? ----------------------------------


@rule(
    "record.not_excluded",
    'Is "Exclude from Accounting Integration" off?',
    OWNED,
    "record",
    passed="not excluded",
)
def not_excluded(books: Books, record: PartyView | ProductView) -> Iterator[Finding]:
    if record.exclude_from_accounting:
        yield finding(
            "record.not_excluded",
            Status.BLOCKED,
            record.subject,
            "exclude_from_accounting",
            f'{record.subject} has "Exclude from Accounting Integration" ticked',
            f"booksync {cli_type(record.subject)} edit {q(record.name)} --include-in-accounting",
        )


@rule(
    "record.tenant_set",
    "Is the integration's tenant set on the record?",
    OWNED,
    "record",
    passed="the tenant is set",
)
def tenant_set(books: Books, record: PartyView | ProductView) -> Iterator[Finding]:
    if record.tenant_id is None:
        names = sorted(t.name for t in books.tenants.values())
        hint = q(names[0]) if len(names) == 1 else "TENANT"
        yield finding(
            "record.tenant_set",
            Status.BLOCKED,
            record.subject,
            "tenant",
            f"{record.subject} has no tenant set",
            f"booksync {cli_type(record.subject)} edit {q(record.name)} --tenant {hint}",
        )
    elif record.tenant_id not in books.tenants:
        yield finding(
            "record.tenant_set",
            Status.BLOCKED,
            record.subject,
            "tenant",
            f"{record.subject} names a tenant that no longer exists",
            f"booksync {cli_type(record.subject)} edit {q(record.name)} --tenant TENANT",
        )


# --- Dependencies: a document's client, supplier and products -------------------------------------

Evaluate = Callable[[PartyView | ProductView], tuple[Finding, ...]]


def dependency(
    rule_id: str, dep: PartyView | ProductView, problems: tuple[Finding, ...]
) -> Finding | None:
    """How a client, supplier or product stands as a dependency of a document.

    Linked (tenant and remote ID set): fine. Failing its own rules: blocks, naming the root cause.
    Not yet known: not yet known. Otherwise syncable but unlinked: the engine pushes it first.
    """
    if dep.remote_id and dep.tenant_id is not None and not dep.exclude_from_accounting:
        return None
    blocked = [p for p in problems if p.status is Status.BLOCKED]
    if blocked or dep.exclude_from_accounting or dep.tenant_id is None:
        cause = blocked[0].root if blocked else None
        reason = cause.detail if cause else f"{dep.subject} cannot sync"
        return Finding(
            rule_id,
            Status.BLOCKED,
            dep.subject,
            None,
            f"{dep.subject} cannot sync: {reason}",
            cause.fix if cause else None,
            cause,
        )
    unknown = [p for p in problems if p.status is Status.UNKNOWN and holds(p.rule)]
    if unknown:
        return Finding(
            rule_id,
            Status.UNKNOWN,
            dep.subject,
            None,
            f"{dep.subject} cannot be checked yet: {unknown[0].detail}",
            unknown[0].fix,
            unknown[0],
        )
    return Finding(
        rule_id,
        Status.WAITING,
        dep.subject,
        "remote_id",
        f"waiting on {dep.subject}: it has no remote ID yet and will be pushed first",
    )


@rule(
    "dependency.client",
    "Is the document's client syncable and linked (has a remote ID)?",
    CLIENT_DOCUMENTS,
    "record",
    passed="the client is linked",
)
def dependency_client(books: Books, record: DocumentView, evaluate: Evaluate) -> Iterator[Finding]:
    yield from _dependency_party("dependency.client", books, record, evaluate)


@rule(
    "dependency.supplier",
    "Is the purchase order's supplier syncable and linked?",
    frozenset({EntityType.PURCHASE_ORDER}),
    "record",
    passed="the supplier is linked",
)
def dependency_supplier(
    books: Books, record: DocumentView, evaluate: Evaluate
) -> Iterator[Finding]:
    yield from _dependency_party("dependency.supplier", books, record, evaluate)


def _dependency_party(
    rule_id: str, books: Books, record: DocumentView, evaluate: Evaluate
) -> Iterator[Finding]:
    party = books.party(record)
    if party is None:
        kind = rule_id.split(".")[1]
        yield finding(
            rule_id,
            Status.BLOCKED,
            record.subject,
            kind,
            f"{record.subject} has no {kind}",
            f"booksync {cli_type(record.subject)} edit {q(record.number)} --{kind} NAME",
        )
        return
    found = dependency(rule_id, party, evaluate(party))
    if found is not None:
        yield found


@rule(
    "dependency.product",
    "Is every line's product syncable and linked?",
    DOCUMENT_TYPES,
    "line",
    passed="every product is linked",
)
def dependency_product(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    found = dependency("dependency.product", use.product, evaluate(use.product))
    if found is not None:
        yield found


@rule(
    "dependency.same_tenant",
    "Do the client/supplier and every product belong to the same tenant?",
    DOCUMENT_TYPES,
    "line",
    passed="all in one tenant",
)
def same_tenant(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    party, product = use.party, use.product
    if party is None or party.tenant_id is None or product.tenant_id is None:
        return  # record.tenant_set on the dependency already says so
    if party.tenant_id != product.tenant_id:
        mine, theirs = books.tenants.get(product.tenant_id), books.tenants.get(party.tenant_id)
        yield finding(
            "dependency.same_tenant",
            Status.BLOCKED,
            product.subject,
            "tenant",
            f"{product.subject} belongs to tenant "
            f"'{mine.name if mine else '?'}' but {party.subject} to '{theirs.name if theirs else '?'}'",
            f"booksync product edit {q(product.name)} --tenant {q(theirs.name if theirs else 'TENANT')}",
        )


# --- Are tax rates set? ---------------------------------------------------------------------------


def tax_for(books: Books, use: LineUse) -> TaxResolution:
    return resolve_tax(
        books, product=use.product, party=use.party, line=use.line, line_source=use.document
    )


@rule(
    "tax.resolved",
    "Does every line resolve a tax rate?",
    PRICED,
    "line",
    passed="a tax rate resolves (see tax below)",
)
def tax_resolved(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    tax = tax_for(books, use)
    if tax.resolved:
        return
    culprit = tax.culprit or use.product.subject
    why = "; ".join(tax.notes)
    if culprit.type == "item_group":
        command = f"booksync item-group edit {q(culprit.ref)} --tax-rate RATE"
    else:
        command = f"booksync product edit {q(culprit.ref)} --tax-rate RATE"
    yield finding(
        "tax.resolved",
        Status.BLOCKED,
        culprit,
        "tax_rate",
        f"no tax rate resolves for {use.product.subject}: {why}"
        + " (or set a global default: booksync tax-rate edit RATE --default)",
        command,
    )


@rule(
    "tax.mapped",
    "Is that tax rate mapped to a tax type of the tenant's tool?",
    PRICED,
    "line",
    passed="mapped to the tool's tax type",
)
def tax_mapped(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    rate = tax_for(books, use).rate
    tenant = use.tenant
    if rate is None:
        return
    if tenant is None:
        yield finding(
            "tax.mapped",
            Status.UNKNOWN,
            rate.subject,
            "tax_types",
            f"tax rate '{rate.name}' cannot be checked until a tenant is set",
        )
        return
    tax_type = rate.tax_types.get(tenant.id)
    mapping = f"booksync tax-rate map {q(rate.name)} --tenant {q(tenant.name)} --tax-type TAX_TYPE"
    if tax_type is None:
        offered = (
            f" (the tool offers: {', '.join(sorted(tenant.tool_tax_types))})"
            if tenant.tool_tax_types
            else ""
        )
        yield finding(
            "tax.mapped",
            Status.BLOCKED,
            rate.subject,
            "tax_types",
            f"tax rate '{rate.name}' is not mapped to a tax type of tenant '{tenant.name}'{offered}",
            mapping,
        )
    elif tenant.tool_tax_types is None:
        yield finding(
            "tax.mapped",
            Status.UNKNOWN,
            rate.subject,
            "tax_types",
            f"tax rate '{rate.name}' maps to {tax_type}, not yet checked against tenant "
            f"'{tenant.name}': its tax types have not been imported",
            f"booksync tenant import {q(tenant.name)}",
            fix_page=page(tenant.subject),
        )
    elif tax_type not in tenant.tool_tax_types:
        yield finding(
            "tax.mapped",
            Status.BLOCKED,
            rate.subject,
            "tax_types",
            f"tax rate '{rate.name}' maps to {tax_type}, which tenant '{tenant.name}' does not have "
            f"(it offers: {', '.join(sorted(tenant.tool_tax_types))})",
            mapping,
        )


# --- Are accounts codes set? ----------------------------------------------------------------------


def account_for(books: Books, use: LineUse) -> tuple[AccountCodeView | None, Subject, int | None]:
    """The account code a line posts to, the record that supplies it, and its id (even if dangling)."""
    product = use.product
    income = use.account_kind is AccountKind.INCOME
    own = product.income_account_id if income else product.expense_account_id
    if own is not None:
        return books.account_codes.get(own), product.subject, own
    group = books.item_groups.get(product.item_group_id) if product.item_group_id else None
    if group is not None:
        inherited = group.income_account_id if income else group.expense_account_id
        if inherited is not None:
            return books.account_codes.get(inherited), group.subject, inherited
    return None, product.subject, None


def accounts_sent(books: Books, use: LineUse) -> list[AccountCodeView]:
    """The account codes the tool will receive: the document's side of the product; for a product
    record its income account and, when it has one, its expense account (both go to the tool)."""
    account, _, _ = account_for(books, use)
    sent = [account] if account is not None else []
    if use.document is None:
        expense = expense_account(books, use.product)
        if expense is not None and expense not in sent:
            sent.append(expense)
    return sent


def expense_account(books: Books, product: ProductView) -> AccountCodeView | None:
    """The product's purchase account: its own, else its item group's."""
    group = books.item_groups.get(product.item_group_id) if product.item_group_id else None
    expense_id = product.expense_account_id or (group.expense_account_id if group else None)
    return books.account_codes.get(expense_id) if expense_id is not None else None


@rule(
    "account_code.set",
    "Does every line's product (or its item group) have the account code this document needs?",
    PRICED,
    "line",
    passed="the account code is set",
)
def account_code_set(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    account, source, account_id = account_for(books, use)
    if account is not None:
        return
    side = use.account_kind.value
    product = use.product
    problem = (
        "names an account code that no longer exists"
        if account_id
        else f"has no {side} account code"
    )
    group = (
        " and its item group has none either" if product.item_group_id and not account_id else ""
    )
    yield finding(
        "account_code.set",
        Status.BLOCKED,
        product.subject,
        f"{side}_account",
        f"{source} {problem}{group}",
        f"booksync product edit {q(product.name)} --{side}-account CODE",
    )


@rule(
    "account_code.code_set",
    'Is the "Code" field of that account code filled in?',
    PRICED,
    "line",
    passed="the Code is filled in",
)
def account_code_code_set(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    for account in accounts_sent(books, use):
        if account.code.strip():
            continue
        yield finding(
            "account_code.code_set",
            Status.BLOCKED,
            account.subject,
            "code",
            f"account code '{account.name}' has an empty Code",
            f"booksync account-code edit {account.id} --code CODE",
        )


@rule(
    "account_code.matches_tool",
    "Does that code match an active account imported from the tool?",
    PRICED,
    "line",
    passed="the code matches an active account in the tool",
)
def account_code_matches_tool(books: Books, use: LineUse, evaluate: Evaluate) -> Iterator[Finding]:
    for account in accounts_sent(books, use):
        if account.code.strip():  # an empty Code is account_code.code_set's finding
            yield from _matches_tool(account, use.tenant)


def _matches_tool(account: AccountCodeView, tenant: TenantView | None) -> Iterator[Finding]:
    code = account.code.strip()
    if tenant is None:
        yield finding(
            "account_code.matches_tool",
            Status.UNKNOWN,
            account.subject,
            "code",
            f"account code {code} cannot be checked until a tenant is set",
        )
        return
    if tenant.tool_account_codes is None:
        yield finding(
            "account_code.matches_tool",
            Status.UNKNOWN,
            account.subject,
            "code",
            f"account code {code} is not yet checked: tenant '{tenant.name}' has no account codes "
            "imported yet",
            f"booksync tenant import {q(tenant.name)}",
            fix_page=page(tenant.subject),
        )
        return
    fix = f"booksync account-code edit {account.id} --code CODE"
    if code in tenant.tool_account_codes and (account.active or not account.imported_from_tool):
        return
    if code in tenant.tool_archived_codes or (account.imported_from_tool and not account.active):
        detail = f"account code {code} ('{account.name}') is archived in tenant '{tenant.name}'"
    else:
        detail = f"account code {code} ('{account.name}') does not match any account in tenant '{tenant.name}'"
    yield finding("account_code.matches_tool", Status.BLOCKED, account.subject, "code", detail, fix)


# --- Did the tool accept it? ----------------------------------------------------------------------


@rule(
    "tool.accepted",
    "Did the tool accept the last push?",
    ALL,
    "push",
    holds=False,
    passed="the tool accepted the last push",
)
def tool_accepted(books: Books, record: Record) -> Iterator[Finding]:
    state = books.sync_states.get((record.type, record.id))
    subject = record.subject
    ref = record.number if isinstance(record, DocumentView) else record.name
    if state is None:
        yield finding(
            "tool.accepted", Status.UNKNOWN, subject, None, f"{subject} has not been pushed yet"
        )
    elif state.status in (SyncStatus.FAILED, SyncStatus.DEAD):
        gave_up = " (gave up retrying)" if state.status is SyncStatus.DEAD else ""
        command = state.error_fix or f"booksync sync retry {record.type.value} {q(ref)}"
        yield finding(
            "tool.accepted",
            Status.BLOCKED,
            subject,
            None,
            f"the tool rejected {subject}{gave_up}: {state.last_error or 'no reason given'}",
            command,
        )
    elif state.status is not SyncStatus.SYNCED and state.last_error:
        yield finding(
            "tool.accepted",
            Status.WAITING,
            subject,
            None,
            f"the last push of {subject} failed and will be retried: {state.last_error}",
        )
    elif state.status is not SyncStatus.SYNCED:
        # Held by the checks above, or on its way now: the tool has not answered for this version.
        doing = (
            "is being pushed now"
            if state.status is SyncStatus.IN_FLIGHT
            else "has not been pushed yet"
        )
        yield finding("tool.accepted", Status.UNKNOWN, subject, None, f"{subject} {doing}")


RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def holds(rule_id: str) -> bool:
    return RULES_BY_ID[rule_id].holds_when_unknown


def rules_for(entity: EntityType) -> list[Rule]:
    return [r for r in RULES if entity in r.applies_to]
