"""The rules and their evaluation, on hand-built `Books`: fast, pure, no database.

Each rule passes on books that are ready to sync and fails, naming the record, the field and the
fix, on books broken in one place. The evaluator's readiness, dependency closure and shared memo
are checked here too; tests/services/test_rules_store.py repeats the rules through the store.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from booksync.domain.evaluation import Check, Evaluation, Evaluator, Tools, evaluate, readiness_of
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.records import (
    AccountCodeView,
    Books,
    DocumentView,
    IntegrationView,
    ItemGroupView,
    LineView,
    PartyView,
    ProductView,
    Record,
    Subject,
    SyncState,
    TaxRateView,
    TenantView,
)
from booksync.domain.rules import RULES
from booksync.domain.types import (
    AccountKind,
    ConnectionState,
    EntityType,
    SyncStatus,
)
from booksync.services.fixes import command_line

E = EntityType
DOCS = frozenset({E.INVOICE, E.SALES_ORDER, E.PURCHASE_ORDER, E.CREDIT_NOTE})

#: The brief's table of rules, in its order, with what each applies to.
BRIEF_RULES: list[tuple[str, frozenset[EntityType]]] = [
    ("integration.enabled", frozenset(E)),
    ("integration.entity_synced", frozenset(E)),
    ("tenant.connected", frozenset(E)),
    ("record.not_excluded", frozenset({E.CLIENT, E.SUPPLIER, E.PRODUCT})),
    ("record.tenant_set", frozenset({E.CLIENT, E.SUPPLIER, E.PRODUCT})),
    ("contact.not_archived", DOCS | {E.CLIENT, E.SUPPLIER}),
    ("dependency.client", frozenset({E.INVOICE, E.SALES_ORDER, E.CREDIT_NOTE})),
    ("dependency.supplier", frozenset({E.PURCHASE_ORDER})),
    ("dependency.product", DOCS),
    ("dependency.same_tenant", DOCS),
    ("tax.resolved", DOCS | {E.PRODUCT}),
    ("tax.mapped", frozenset({E.INVOICE, E.SALES_ORDER, E.CREDIT_NOTE, E.PRODUCT})),
    ("tax.purchase_mapped", frozenset({E.PURCHASE_ORDER})),
    ("account_code.set", DOCS | {E.PRODUCT}),
    ("account_code.code_set", DOCS | {E.PRODUCT}),
    ("account_code.matches_tool", DOCS | {E.PRODUCT}),
    ("currency.enabled", DOCS | {E.CLIENT, E.SUPPLIER}),
    ("tracking.matches_tool", frozenset(E)),
    ("document.number_free", DOCS),
    ("document.after_lock_date", frozenset({E.INVOICE, E.CREDIT_NOTE})),
    ("document.due_date_set", frozenset({E.INVOICE})),
    ("document.editable_in_tool", DOCS),
    ("tool.accepted", frozenset(E)),
    ("tool.totals_match", DOCS),
]

LEDGER = IntegrationView(1, "ledger", True, frozenset(E))
XERO = IntegrationView(2, "xero", True, frozenset(E))
#: The installed tools, as the service layer tells the rules (the embedded ledger first).
TOOLS = Tools({"ledger": "Ledger", "xero": "Xero"})
AU = TenantView(
    1,
    LEDGER.id,
    "Northwind IT AU",
    "northwind-au",
    "AUD",
    ConnectionState.CONNECTED,
    tool_account_codes=frozenset({"200", "300"}),
    tool_archived_codes=frozenset({"250"}),
    tool_tax_types=frozenset({"OUTPUT", "INPUT", "EXEMPTOUTPUT"}),
    currencies=frozenset({"AUD"}),
    settings_imported=True,
)
NZ = replace(
    AU,
    id=2,
    name="Northwind IT NZ",
    remote_tenant_id="northwind-nz",
    base_currency="NZD",
    currencies=frozenset({"NZD", "AUD"}),
)
GST = TaxRateView(1, "GST on Income", Decimal("10"), True, {AU.id: "OUTPUT", NZ.id: "OUTPUT"})
FREE = TaxRateView(2, "GST Free Income", Decimal("0"), False, {AU.id: "EXEMPTOUTPUT"})
EXPENSES = TaxRateView(
    3, "GST on Expenses", Decimal("10"), False, {AU.id: "INPUT", NZ.id: "INPUT"},
    purchase_tax_types={AU.id: "INPUT", NZ.id: "INPUT"},
)  # fmt: skip
SALES = AccountCodeView(1, "Sales", "200", AccountKind.INCOME)
PURCHASES = AccountCodeView(2, "Purchases", "300", AccountKind.EXPENSE)
BACKUP = ItemGroupView(1, "Backup", GST.id, SALES.id, PURCHASES.id)
ACME = PartyView(1, E.CLIENT, "Acme Pty Ltd", tenant_id=AU.id, remote_id="c-1")
DICKER = PartyView(1, E.SUPPLIER, "Dicker Data", tax_rate_id=EXPENSES.id, tenant_id=AU.id, remote_id="s-1")  # fmt: skip
BACKUP_1TB = ProductView(
    1, "Backup 1TB", item_group_id=BACKUP.id, use_item_group_tax=True, tenant_id=AU.id, remote_id="p-1"
)  # fmt: skip
LINE = LineView(1, BACKUP_1TB.id, Decimal("2"), Decimal("49.00"))
INVOICE = DocumentView(1, E.INVOICE, "INV-1007", ACME.id, lines=(LINE,))
SALES_ORDER = DocumentView(2, E.SALES_ORDER, "SO-1007", ACME.id, lines=(LINE,))
CREDIT_NOTE = DocumentView(3, E.CREDIT_NOTE, "CN-1007", ACME.id, lines=(LINE,))
PURCHASE_ORDER = DocumentView(4, E.PURCHASE_ORDER, "PO-1007", DICKER.id, lines=(LINE,))
RECORDS: dict[EntityType, Record] = {
    E.CLIENT: ACME,
    E.SUPPLIER: DICKER,
    E.PRODUCT: BACKUP_1TB,
    E.INVOICE: INVOICE,
    E.SALES_ORDER: SALES_ORDER,
    E.CREDIT_NOTE: CREDIT_NOTE,
    E.PURCHASE_ORDER: PURCHASE_ORDER,
}


def books(**changes: Any) -> Books:
    """Books where every record is ready; `changes` replace whole mappings or fields."""
    base = Books(
        integrations={LEDGER.id: LEDGER},
        tenants={AU.id: AU, NZ.id: NZ},
        tax_rates={r.id: r for r in (GST, FREE, EXPENSES)},
        account_codes={a.id: a for a in (SALES, PURCHASES)},
        item_groups={BACKUP.id: BACKUP},
        clients={ACME.id: ACME},
        suppliers={DICKER.id: DICKER},
        products={BACKUP_1TB.id: BACKUP_1TB},
        default_tax_rate_id=GST.id,
        sync_states={(r.type, r.id): SyncState(SyncStatus.SYNCED) for r in RECORDS.values()},
    )
    return replace(base, **changes)


def check(b: Books, record: Record, rule_id: str) -> Check:
    return next(c for c in evaluate(b, record, TOOLS).checks() if c.rule.id == rule_id)


def only(c: Check) -> Finding:
    assert len(c.findings) == 1, c.findings
    return c.findings[0]


def fix_of(f: Finding) -> str | None:
    return command_line(f.fix) if f.fix else None


# -- the table of rules ----------------------------------------------------------------------------


def test_the_rule_ids_are_exactly_the_briefs_table_in_its_order() -> None:
    assert [r.id for r in RULES] == [rule_id for rule_id, _ in BRIEF_RULES]
    assert {r.id: r.applies_to for r in RULES} == dict(BRIEF_RULES)


def test_every_rule_asks_its_question_and_says_what_a_pass_means() -> None:
    for rule in RULES:
        assert rule.question.endswith("?"), rule.id
        assert rule.passed, rule.id


def test_a_checklist_lists_the_rules_of_its_record_type_in_the_seed_order() -> None:
    for entity, record in RECORDS.items():
        ids = [c.rule.id for c in evaluate(books(), record).checks()]
        assert ids == [rule_id for rule_id, applies in BRIEF_RULES if entity in applies]


@pytest.mark.parametrize("entity", list(RECORDS))
def test_every_check_passes_on_books_that_are_ready(entity: EntityType) -> None:
    ev = evaluate(books(), RECORDS[entity])
    assert [c.rule.id for c in ev.checks() if not c.ok] == []
    assert ev.problems == ()
    assert (ev.readiness, ev.ready, ev.pushable) == (Readiness.READY, True, True)
    assert all(c.detail == c.rule.passed for c in ev.checks())


# -- integration.enabled, integration.entity_synced, tenant.connected --------------------------------


def test_a_disabled_integration_blocks_every_record_and_says_how_to_enable_it() -> None:
    b = books(integrations={1: replace(LEDGER, enabled=False)})
    for record in RECORDS.values():
        f = only(check(b, record, "integration.enabled"))
        assert (f.status, f.subject.type, f.subject.ref, f.field) == (
            Status.BLOCKED,
            "integration",
            "ledger",
            "enabled",
        )
        assert f.detail == "the Ledger integration is disabled"
        assert fix_of(f) == "booksync integration enable ledger"


def test_no_integration_at_all_blocks_and_suggests_the_embedded_ledger() -> None:
    client = replace(ACME, tenant_id=None)
    f = only(
        check(
            books(integrations={}, tenants={}, clients={1: client}), client, "integration.enabled"
        )
    )
    assert (f.status, f.subject.ref) == (Status.BLOCKED, "ledger")
    assert f.detail == "no accounting integration is set up"
    assert fix_of(f) == "booksync integration enable ledger"


def test_with_two_integrations_and_no_tenant_which_applies_is_not_yet_known() -> None:
    client = replace(ACME, tenant_id=None, remote_id=None)
    b = books(integrations={1: LEDGER, 2: XERO}, clients={1: client})
    assert check(b, client, "integration.enabled").status is Status.UNKNOWN


def test_an_entity_type_not_ticked_blocks_and_the_fix_ticks_it_keeping_the_others() -> None:
    ticked = frozenset({E.CLIENT, E.PRODUCT})
    b = books(integrations={1: replace(LEDGER, entities_to_sync=ticked)})
    f = only(check(b, INVOICE, "integration.entity_synced"))
    assert (f.status, f.subject.ref, f.field) == (Status.BLOCKED, "ledger", "entities_to_sync")
    assert f.detail == 'invoice is not ticked in "Entities to Sync" of the Ledger integration'
    assert fix_of(f) == "booksync integration configure ledger --entities client,product,invoice"
    assert check(b, ACME, "integration.entity_synced").ok


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (ConnectionState.CONNECTED, Status.OK),
        (ConnectionState.NEVER, Status.UNKNOWN),
        (ConnectionState.EXPIRED, Status.BLOCKED),
        (ConnectionState.REVOKED, Status.BLOCKED),
    ],
)
def test_the_tenant_connection_decides_tenant_connected(
    state: ConnectionState, status: Status
) -> None:
    b = books(tenants={1: replace(AU, connection=state, connection_detail="token revoked"), 2: NZ})
    c = check(b, INVOICE, "tenant.connected")
    assert c.status is status
    if status is not Status.OK:
        f = only(c)
        assert (f.subject.type, f.subject.ref, f.field) == ("tenant", AU.name, "connection")
        assert fix_of(f) == "booksync tenant connect 'Northwind IT AU'"


def test_a_record_without_tenant_cannot_check_the_connection_yet() -> None:
    client = replace(ACME, tenant_id=None)
    assert check(books(clients={1: client}), client, "tenant.connected").status is Status.UNKNOWN


# -- record.not_excluded, record.tenant_set ----------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "field", "value"),
    [
        (E.CLIENT, "clients", ACME),
        (E.SUPPLIER, "suppliers", DICKER),
        (E.PRODUCT, "products", BACKUP_1TB),
    ],
)
def test_an_excluded_record_is_blocked_with_the_command_to_include_it(
    entity: EntityType, field: str, value: PartyView | ProductView
) -> None:
    excluded = replace(value, exclude_from_accounting=True)
    f = only(check(books(**{field: {1: excluded}}), excluded, "record.not_excluded"))
    assert (f.status, f.subject, f.field) == (
        Status.BLOCKED,
        value.subject,
        "exclude_from_accounting",
    )
    command = f"booksync {entity.value} edit {_quoted(value.name)} --include-in-accounting"
    assert fix_of(f) == command


def _quoted(name: str) -> str:
    return f"'{name}'" if " " in name else name


def test_a_record_without_tenant_is_blocked_and_the_fix_names_the_only_tenant() -> None:
    client = replace(ACME, tenant_id=None)
    f = only(check(books(clients={1: client}, tenants={1: AU}), client, "record.tenant_set"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, ACME.subject, "tenant")
    assert f.detail == "client 'Acme Pty Ltd' has no tenant set"
    assert fix_of(f) == "booksync client edit 'Acme Pty Ltd' --tenant 'Northwind IT AU'"
    with_two = only(check(books(clients={1: client}), client, "record.tenant_set"))
    assert fix_of(with_two) == "booksync client edit 'Acme Pty Ltd' --tenant TENANT"


def test_a_tenant_that_no_longer_exists_blocks_like_no_tenant() -> None:
    client = replace(ACME, tenant_id=77)
    f = only(check(books(clients={1: client}), client, "record.tenant_set"))
    assert f.detail == "client 'Acme Pty Ltd' names a tenant that no longer exists"


# -- dependencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [INVOICE, SALES_ORDER, CREDIT_NOTE])
def test_a_document_is_blocked_by_an_excluded_client_naming_it_as_the_root_cause(
    document: DocumentView,
) -> None:
    b = books(clients={1: replace(ACME, exclude_from_accounting=True)})
    ev = evaluate(b, document)
    f = only(next(c for c in ev.checks() if c.rule.id == "dependency.client"))
    assert (f.status, f.subject) == (Status.BLOCKED, ACME.subject)
    assert f.detail == (
        "client 'Acme Pty Ltd' cannot sync: "
        "client 'Acme Pty Ltd' has \"Exclude from Accounting Integration\" ticked"
    )
    root = f.root
    assert (root.rule, root.subject, root.field) == (
        "record.not_excluded",
        ACME.subject,
        "exclude_from_accounting",
    )
    assert ev.blockers() == [root]
    assert fix_of(f) == "booksync client edit 'Acme Pty Ltd' --include-in-accounting"


@pytest.mark.parametrize("document", [INVOICE, SALES_ORDER, CREDIT_NOTE])
def test_a_document_waits_for_a_syncable_client_without_remote_id(document: DocumentView) -> None:
    b = books(clients={1: replace(ACME, remote_id=None)})
    ev = evaluate(b, document)
    f = only(next(c for c in ev.checks() if c.rule.id == "dependency.client"))
    assert (f.status, f.subject, f.field) == (Status.WAITING, ACME.subject, "remote_id")
    assert (
        f.detail
        == "waiting on client 'Acme Pty Ltd': it has no remote ID yet and will be pushed first"
    )
    assert (ev.readiness, ev.ready, ev.pushable) == (Readiness.WAITING, True, True)
    assert ev.waiting_on == (ACME.subject,)
    assert ev.blockers() == []


def test_a_purchase_order_is_blocked_by_a_supplier_without_tenant() -> None:
    b = books(suppliers={1: replace(DICKER, tenant_id=None, remote_id=None)})
    f = only(check(b, PURCHASE_ORDER, "dependency.supplier"))
    assert (f.status, f.subject) == (Status.BLOCKED, DICKER.subject)
    assert (f.root.rule, f.root.field) == ("record.tenant_set", "tenant")
    assert fix_of(f) == "booksync supplier edit 'Dicker Data' --tenant TENANT"


def test_a_document_whose_client_no_longer_exists_names_itself() -> None:
    first = replace(INVOICE, party_id=404)
    second = replace(INVOICE, id=9, number="INV-1009", party_id=404)
    evaluator = Evaluator(books())
    details = [
        only(_row(evaluator.evaluate(d), "dependency.client")).detail for d in (first, second)
    ]
    assert details == ["invoice 'INV-1007' has no client", "invoice 'INV-1009' has no client"]


def _row(ev: Evaluation, rule_id: str) -> Check:
    return next(c for c in ev.checks() if c.rule.id == rule_id)


def test_an_unlinked_product_failing_its_own_rules_blocks_the_invoice_with_that_root_cause() -> (
    None
):
    product = replace(BACKUP_1TB, item_group_id=None, use_item_group_tax=False, remote_id=None)
    ev = evaluate(books(products={1: product}), INVOICE)
    dependency = only(_row(ev, "dependency.product"))
    assert (dependency.status, dependency.subject) == (Status.BLOCKED, product.subject)
    root = dependency.root
    assert (root.rule, root.subject, root.field, root.detail) == (
        "account_code.set",
        product.subject,
        "income_account",
        "product 'Backup 1TB' has no income account code",
    )
    assert ev.blockers() == [root]  # the line's own check finds the same root: shown once
    assert fix_of(root) == "booksync product edit 'Backup 1TB' --income-account CODE"


def test_an_unlinked_but_syncable_product_makes_the_document_wait() -> None:
    ev = evaluate(books(products={1: replace(BACKUP_1TB, remote_id=None)}), PURCHASE_ORDER)
    assert _row(ev, "dependency.product").status is Status.WAITING
    assert ev.readiness is Readiness.WAITING


def test_a_dependency_that_cannot_be_checked_yet_holds_the_document_as_not_yet_known() -> None:
    b = books(
        clients={1: replace(ACME, remote_id=None)},
        tenants={1: replace(AU, connection=ConnectionState.NEVER), 2: NZ},
    )
    ev = evaluate(b, INVOICE)
    assert _row(ev, "dependency.client").status is Status.UNKNOWN
    assert (ev.readiness, ev.ready) == (Readiness.UNKNOWN, False)


def test_a_product_of_another_tenant_blocks_naming_both_tenants_and_the_fix() -> None:
    """The fix is on the document's line: moving the product would take it from its own tenant."""
    b = books(products={1: replace(BACKUP_1TB, tenant_id=NZ.id)})
    f = only(check(b, INVOICE, "dependency.same_tenant"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, INVOICE.subject, "lines")
    assert f.detail == (
        "line 1 of invoice 'INV-1007' uses product 'Backup 1TB' of tenant 'Northwind IT NZ' "
        "but client 'Acme Pty Ltd' belongs to 'Northwind IT AU': use a product of "
        "'Northwind IT AU' on that line"
    )
    assert fix_of(f) == "booksync invoice edit INV-1007 --line PRODUCT:QUANTITY"


def test_on_a_cross_tenant_line_the_first_root_cause_is_the_line_not_its_knock_ons() -> None:
    """Issue 11 point 8: the NZ product's rate and account are not the AU tenant's, but mapping the
    rate for AU or re-coding its account would break NZ; the one root cause is the line."""
    nz_gst = TaxRateView(4, "NZ GST on Income", Decimal("15"), False, {NZ.id: "OUTPUT2"})
    nz_sales = AccountCodeView(3, "NZ Sales", "201", AccountKind.INCOME, tenant_id=NZ.id)
    nz_product = ProductView(
        2, "Workstation (NZ)", tax_rate_id=nz_gst.id, income_account_id=nz_sales.id,
        expense_account_id=PURCHASES.id, tenant_id=NZ.id, remote_id="p-nz",
    )  # fmt: skip
    nz_tenant = replace(
        NZ, tool_account_codes=frozenset({"201", "300"}), tool_tax_types=frozenset({"OUTPUT2"})
    )
    invoice = replace(INVOICE, lines=(LINE, LineView(2, nz_product.id, Decimal(1), Decimal(9))))
    b = books(
        tenants={AU.id: AU, NZ.id: nz_tenant},
        tax_rates={r.id: r for r in (GST, FREE, EXPENSES, nz_gst)},
        account_codes={a.id: a for a in (SALES, PURCHASES, nz_sales)},
        products={BACKUP_1TB.id: BACKUP_1TB, nz_product.id: nz_product},
    )
    ev = evaluate(b, invoice, TOOLS)
    knock_ons = [p for p in ev.problems if p.rule in ("tax.mapped", "account_code.matches_tool")]
    assert {p.rule for p in knock_ons} == {"tax.mapped", "account_code.matches_tool"}
    assert all(p.root.rule == "dependency.same_tenant" for p in knock_ons)
    assert all(
        fix_of(p) == "booksync invoice edit INV-1007 --line PRODUCT:QUANTITY" for p in knock_ons
    )
    (root,) = ev.blockers()
    assert (root.rule, root.subject, root.field) == (
        "dependency.same_tenant",
        invoice.subject,
        "lines",
    )
    assert "line 2 of invoice 'INV-1007' uses product 'Workstation (NZ)'" in root.detail
    # The NZ product on its own tenant's documents is untouched by all this.
    nz_client = replace(ACME, id=2, name="Kiwi Ltd", tenant_id=NZ.id, remote_id="c-2")
    nz_invoice = DocumentView(
        9, E.INVOICE, "INV-NZ", nz_client.id, "NZD", lines=(invoice.lines[1],)
    )
    own = replace(b, clients={**b.clients, nz_client.id: nz_client})
    assert evaluate(own, nz_invoice, TOOLS).blockers() == []


# -- tax -------------------------------------------------------------------------------------------


def test_a_product_whose_group_has_no_rate_and_no_default_is_blocked_on_the_group() -> None:
    b = books(item_groups={1: replace(BACKUP, tax_rate_id=None)}, default_tax_rate_id=None)
    for record in (BACKUP_1TB, INVOICE):
        f = only(check(b, record, "tax.resolved"))
        assert (f.status, f.subject, f.field) == (Status.BLOCKED, BACKUP.subject, "tax_rate")
        assert "ticks Use Item Group Tax but item group 'Backup' has no tax rate" in f.detail
        assert fix_of(f) == "booksync item-group edit Backup --tax-rate RATE"


def test_a_product_with_no_rate_anywhere_is_blocked_on_the_product() -> None:
    product = replace(BACKUP_1TB, use_item_group_tax=False)
    f = only(check(books(products={1: product}, default_tax_rate_id=None), product, "tax.resolved"))
    assert f.subject == product.subject
    assert fix_of(f) == "booksync product edit 'Backup 1TB' --tax-rate RATE"


def test_an_unmapped_rate_is_blocked_and_lists_what_the_tool_offers() -> None:
    b = books(tax_rates={1: replace(GST, tax_types={NZ.id: "OUTPUT"}), 2: FREE, 3: EXPENSES})
    f = only(check(b, INVOICE, "tax.mapped"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, GST.subject, "tax_types")
    assert f.detail == (
        "tax rate 'GST on Income' is not mapped to a tax type of tenant 'Northwind IT AU' "
        "(the tool offers: EXEMPTOUTPUT, INPUT, OUTPUT)"
    )
    assert fix_of(f) == (
        "booksync tax-rate map 'GST on Income' --tenant 'Northwind IT AU' --tax-type TAX_TYPE"
    )


def test_a_rate_mapped_to_a_tax_type_the_tool_does_not_have_is_blocked() -> None:
    b = books(tax_rates={1: replace(GST, tax_types={AU.id: "OUTPUT9"}), 2: FREE, 3: EXPENSES})
    f = only(check(b, INVOICE, "tax.mapped"))
    assert f.status is Status.BLOCKED
    assert "maps to OUTPUT9, which tenant 'Northwind IT AU' does not have" in f.detail


def test_a_mapping_is_not_yet_known_before_the_tax_types_are_imported() -> None:
    b = books(tenants={1: replace(AU, tool_tax_types=None), 2: NZ})
    f = only(check(b, INVOICE, "tax.mapped"))
    assert (f.status, f.subject) == (Status.UNKNOWN, GST.subject)
    assert fix_of(f) == "booksync tenant import 'Northwind IT AU'"


def test_the_rate_checked_is_the_one_the_line_resolves() -> None:
    """A client-level rate that is not mapped blocks; the product's mapped one is never used."""
    overseas = TaxRateView(4, "Overseas", Decimal("0"))
    b = books(
        clients={1: replace(ACME, tax_rate_id=overseas.id)},
        tax_rates={1: GST, 2: FREE, 3: EXPENSES, 4: overseas},
    )
    assert only(check(b, INVOICE, "tax.mapped")).subject == overseas.subject
    assert check(b, BACKUP_1TB, "tax.mapped").ok  # the product alone resolves its group's rate


# -- account codes ---------------------------------------------------------------------------------


def test_a_product_and_its_group_without_income_account_block_sales_not_purchases() -> None:
    b = books(item_groups={1: replace(BACKUP, income_account_id=None)})
    f = only(check(b, INVOICE, "account_code.set"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, BACKUP_1TB.subject, "income_account")
    assert (
        f.detail
        == "product 'Backup 1TB' has no income account code and its item group has none either"
    )
    assert fix_of(f) == "booksync product edit 'Backup 1TB' --income-account CODE"
    assert check(b, PURCHASE_ORDER, "account_code.set").ok


def test_a_purchase_order_needs_the_expense_account() -> None:
    b = books(item_groups={1: replace(BACKUP, expense_account_id=None)})
    f = only(check(b, PURCHASE_ORDER, "account_code.set"))
    assert (f.field, fix_of(f)) == (
        "expense_account",
        "booksync product edit 'Backup 1TB' --expense-account CODE",
    )
    assert check(b, INVOICE, "account_code.set").ok


def test_a_product_own_account_wins_over_its_group() -> None:
    other = AccountCodeView(3, "Services", "", AccountKind.INCOME)
    b = books(
        account_codes={1: SALES, 2: PURCHASES, 3: other},
        products={1: replace(BACKUP_1TB, income_account_id=other.id)},
    )
    f = only(check(b, INVOICE, "account_code.code_set"))
    assert (f.subject, f.field) == (other.subject, "code")


def test_an_account_code_that_no_longer_exists_is_named() -> None:
    b = books(products={1: replace(BACKUP_1TB, income_account_id=99)})
    f = only(check(b, INVOICE, "account_code.set"))
    assert f.detail == "product 'Backup 1TB' names an account code that no longer exists"


def test_an_account_code_with_an_empty_code_blocks_with_the_command_to_fill_it() -> None:
    b = books(account_codes={1: replace(SALES, code=""), 2: PURCHASES})
    f = only(check(b, INVOICE, "account_code.code_set"))
    assert (f.status, f.subject.type, f.subject.id, f.field) == (
        Status.BLOCKED,
        "account_code",
        SALES.id,
        "code",
    )
    assert f.detail == "account code 'Sales' has an empty Code"
    assert fix_of(f) == "booksync account-code edit 1 --code CODE"
    assert check(b, INVOICE, "account_code.matches_tool").ok  # said once, by code_set


@pytest.mark.parametrize(
    ("code", "tenant", "status", "detail"),
    [
        ("200", AU, Status.OK, None),
        ("999", AU, Status.BLOCKED, "account code 999 ('Sales') does not match any account in tenant 'Northwind IT AU'"),
        ("250", AU, Status.BLOCKED, "account code 250 ('Sales') is archived in tenant 'Northwind IT AU'"),
        ("200", replace(AU, tool_account_codes=None), Status.UNKNOWN,
         "account code 200 is not yet checked: tenant 'Northwind IT AU' has no account codes imported yet"),
    ],
)  # fmt: skip
def test_an_account_code_must_match_an_active_account_imported_from_the_tool(
    code: str, tenant: TenantView, status: Status, detail: str | None
) -> None:
    b = books(account_codes={1: replace(SALES, code=code), 2: PURCHASES}, tenants={1: tenant})
    c = check(b, INVOICE, "account_code.matches_tool")
    assert c.status is status
    if detail is not None:
        f = only(c)
        assert (f.subject.id, f.field, f.detail) == (SALES.id, "code", detail)


def test_an_account_archived_in_the_tool_is_blocked() -> None:
    archived = replace(SALES, code="250", tenant_id=AU.id, imported_from_tool=True)
    b = books(account_codes={1: archived, 2: PURCHASES})
    assert "is archived" in only(check(b, INVOICE, "account_code.matches_tool")).detail


def test_the_imported_flag_does_not_vouch_for_a_code_the_tool_does_not_have() -> None:
    """Issue 11 point 8: `account-code edit "Sales" --code 4999` on an imported account (or a
    local one flagged imported) must fail: only the codes the tool reported count."""
    edited = replace(SALES, code="4999", tenant_id=AU.id, imported_from_tool=True, active=True)
    f = only(
        check(books(account_codes={1: edited, 2: PURCHASES}), INVOICE, "account_code.matches_tool")
    )
    assert f.status is Status.BLOCKED
    assert (
        f.detail
        == "account code 4999 ('Sales') does not match any account in tenant 'Northwind IT AU'"
    )
    # An account deactivated in booksync whose code the tool still has active passes.
    inactive = replace(SALES, tenant_id=AU.id, imported_from_tool=True, active=False)
    assert check(
        books(account_codes={1: inactive, 2: PURCHASES}), INVOICE, "account_code.matches_tool"
    ).ok


# -- tool.accepted ---------------------------------------------------------------------------------


def _states(state: SyncState | None) -> dict[tuple[EntityType, int], SyncState]:
    return {(E.CLIENT, ACME.id): state} if state else {}


def test_a_record_never_pushed_is_not_yet_known_but_not_held_back() -> None:
    ev = evaluate(books(sync_states=_states(None)), ACME)
    assert _row(ev, "tool.accepted").status is Status.UNKNOWN
    assert (ev.readiness, ev.ready, ev.pushable) == (Readiness.READY, True, True)


@pytest.mark.parametrize("status", [SyncStatus.FAILED, SyncStatus.DEAD])
def test_a_rejection_by_the_tool_blocks_with_its_translated_fix(status: SyncStatus) -> None:
    state = SyncState(status, "Email address must be valid", "tool.accepted", "booksync client edit 'Acme Pty Ltd' --email EMAIL")  # fmt: skip
    ev = evaluate(books(sync_states=_states(state)), ACME)
    f = only(_row(ev, "tool.accepted"))
    assert (f.status, f.subject) == (Status.BLOCKED, ACME.subject)
    assert f.detail.startswith("the tool rejected client 'Acme Pty Ltd'")
    assert f.detail.endswith(": Email address must be valid")
    assert fix_of(f) == "booksync client edit 'Acme Pty Ltd' --email EMAIL"
    assert (ev.ready, ev.pushable) == (False, True)  # the engine retries once it changes


def test_a_rejection_without_a_translated_fix_suggests_a_retry() -> None:
    ev = evaluate(books(sync_states=_states(SyncState(SyncStatus.FAILED))), ACME)
    assert fix_of(only(_row(ev, "tool.accepted"))) == "booksync sync retry client 'Acme Pty Ltd'"


def test_a_push_that_failed_and_will_be_retried_is_waiting_and_still_ready() -> None:
    state = SyncState(SyncStatus.PENDING, "timed out")
    ev = evaluate(books(sync_states=_states(state)), ACME)
    assert _row(ev, "tool.accepted").status is Status.WAITING
    assert ev.readiness is Readiness.READY


# -- readiness and the shared evaluator ------------------------------------------------------------


def _finding(rule: str, status: Status) -> Finding:
    return Finding(rule, status, Subject("client", 1, "x"), None, "d")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Readiness.READY),
        ([("dependency.client", Status.WAITING)], Readiness.WAITING),
        ([("tool.accepted", Status.WAITING)], Readiness.READY),
        ([("tool.accepted", Status.UNKNOWN)], Readiness.READY),
        ([("tenant.connected", Status.UNKNOWN), ("dependency.client", Status.WAITING)], Readiness.UNKNOWN),
        ([("record.tenant_set", Status.BLOCKED), ("tenant.connected", Status.UNKNOWN)], Readiness.BLOCKED),
    ],
)  # fmt: skip
def test_blocked_beats_not_yet_known_beats_waiting_beats_ready(
    statuses: list[tuple[str, Status]], expected: Readiness
) -> None:
    assert readiness_of(_finding(rule, status) for rule, status in statuses) is expected


def _varied_books() -> tuple[Books, list[Record]]:
    """Books with every case the shared memo must keep apart: parties in two tenants, client
    rates, line overrides (one dangling), a missing party, and one LineView shared by many."""
    overseas = TaxRateView(4, "Overseas", Decimal("0"))
    clients = {
        1: ACME,
        2: PartyView(2, E.CLIENT, "Kiwi Ltd", tenant_id=NZ.id, remote_id="c-2"),
        3: PartyView(3, E.CLIENT, "Exporter Pty Ltd", tax_rate_id=overseas.id, tenant_id=AU.id),
        4: PartyView(
            4, E.CLIENT, "Ghost Rate Pty Ltd", tax_rate_id=55, tenant_id=AU.id, remote_id="c-4"
        ),  # fmt: skip
        5: PartyView(5, E.CLIENT, "Other AU Pty Ltd", tenant_id=AU.id, remote_id="c-5"),
        6: PartyView(
            6, E.CLIENT, "Ghost Two Pty Ltd", tax_rate_id=55, tenant_id=AU.id, remote_id="c-6"
        ),  # fmt: skip
    }
    products = {
        1: BACKUP_1TB,
        2: ProductView(
            2,
            "NZ Support",
            tax_rate_id=GST.id,
            income_account_id=SALES.id,
            tenant_id=NZ.id,
            remote_id="p-2",
        ),  # fmt: skip
        3: ProductView(3, "Unlinked Hour", tax_rate_id=FREE.id, tenant_id=AU.id),
        4: ProductView(4, "No Account", tax_rate_id=GST.id, tenant_id=AU.id),
        5: ProductView(5, "No Rate", income_account_id=SALES.id, tenant_id=AU.id, remote_id="p-5"),
    }
    b = books(
        clients=clients,
        products=products,
        tax_rates={1: GST, 2: FREE, 3: EXPENSES, 4: overseas},
        default_tax_rate_id=None,
        sync_states={},
    )
    shared = LineView(1, 2)  # the NZ product, on AU and NZ clients' invoices alike
    lines = [
        (shared,),
        (LineView(1, 1), LineView(2, 3)),
        (LineView(1, 1, tax_rate_id=FREE.id),),
        (LineView(1, 4, tax_rate_id=77), shared),
        (LineView(1, 3), LineView(2, 1, tax_rate_id=77)),
        (LineView(1, 5, tax_rate_id=77), LineView(2, 5)),
    ]
    documents: list[Record] = []
    for kind in (E.INVOICE, E.SALES_ORDER, E.CREDIT_NOTE, E.PURCHASE_ORDER):
        parties = (1,) if kind is E.PURCHASE_ORDER else (*clients, 404)
        for party in parties:
            for n, doc_lines in enumerate(lines):
                number = f"{kind.value[:2].upper()}-{party}-{n}"  # e.g. IN-1-0: invoice, client 1
                documents.append(
                    DocumentView(len(documents) + 1, kind, number, party, lines=doc_lines)
                )
    records: list[Record] = [*clients.values(), DICKER, *products.values(), *documents]
    return b, records


def test_a_shared_evaluator_says_exactly_what_a_fresh_one_says_for_every_record() -> None:
    b, records = _varied_books()
    fresh = {(r.type, r.id): Evaluator(b).problems(r) for r in records}
    for order in (records, list(reversed(records))):
        shared = Evaluator(b)
        for record in order:
            assert shared.problems(record) == fresh[(record.type, record.id)], record


def test_the_shared_memo_still_names_each_party_and_document_where_a_finding_does() -> None:
    b, records = _varied_books()
    evaluator = Evaluator(b)
    documents = [r for r in records if isinstance(r, DocumentView)]
    details: dict[tuple[str, str], str] = {}
    for d in documents:
        for f in evaluator.problems(d):
            if f.rule in ("dependency.same_tenant", "tax.resolved"):
                key = (d.number, f.rule)
                details[key] = details.get(key, "") + f.detail + " | "
    # The NZ product on two AU clients' invoices.
    assert "of invoice 'IN-1-0'" in details[("IN-1-0", "dependency.same_tenant")]
    assert (
        "but client 'Acme Pty Ltd' belongs to 'Northwind IT AU'"
        in details[("IN-1-0", "dependency.same_tenant")]
    )
    assert "of invoice 'IN-5-0'" in details[("IN-5-0", "dependency.same_tenant")]
    assert (
        "but client 'Other AU Pty Ltd' belongs to 'Northwind IT AU'"
        in details[("IN-5-0", "dependency.same_tenant")]
    )
    # A dangling override on a product without rate, and no default: each invoice names itself.
    assert "invoice 'IN-1-5' names a tax rate (id 77)" in details[("IN-1-5", "tax.resolved")]
    assert "invoice 'IN-5-5' names a tax rate (id 77)" in details[("IN-5-5", "tax.resolved")]
    # The client's own rate no longer exists, and the finding says whose it was.
    ghost = details[("IN-4-5", "tax.resolved")]
    assert "client 'Ghost Rate Pty Ltd' names a tax rate (id 55)" in ghost
    other_ghost = details[("IN-6-5", "tax.resolved")]
    assert "client 'Ghost Two Pty Ltd' names a tax rate (id 55)" in other_ghost
