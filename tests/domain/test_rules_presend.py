"""booksync's own checks before sending, and the verification after a push, on hand-built books.

Each rule: a passing case, a failing case naming the record, field and fix, and "not yet known"
(with the fix "import the tenant") before the tenant's settings were imported. None of them holds
a record back while unknown, and `tool.totals_match` never stops the next push.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from booksync.domain.evaluation import Evaluator, Tools, evaluate
from booksync.domain.findings import Readiness, Status
from booksync.domain.records import (
    Books,
    DocumentView,
    PartyView,
    Record,
    RemoteDocumentView,
    SyncState,
    TenantView,
)
from booksync.domain.rules import RULES_BY_ID
from booksync.domain.types import EntityType, SyncStatus
from domain.test_rules import (
    ACME,
    AU,
    BACKUP_1TB,
    DICKER,
    INVOICE,
    PURCHASE_ORDER,
    RECORDS,
    TOOLS,
    books,
    check,
    fix_of,
    only,
)

E = EntityType
PRESEND = (
    "contact.not_archived",
    "currency.enabled",
    "tracking.matches_tool",
    "document.number_free",
    "document.after_lock_date",
    "document.due_date_set",
)
NOT_IMPORTED = replace(AU, settings_imported=False, currencies=None)
IMPORT = "booksync tenant import 'Northwind IT AU'"
#: INVOICE's one line: 2 x 49.00 with GST 10%.
TOTAL = Decimal("107.80")
APPROVED = replace(INVOICE, status="authorised", issue_date=date(2026, 3, 10))


def with_tenant(tenant: TenantView, **changes: object) -> Books:
    return books(tenants={tenant.id: tenant}, **changes)


def row_status(b: Books, record: Record, rule_id: str) -> Status:
    return check(b, record, rule_id).status


def test_none_of_them_holds_a_record_back_while_unknown() -> None:
    assert not any(RULES_BY_ID[r].holds_when_unknown for r in PRESEND)
    assert not RULES_BY_ID["tool.totals_match"].holds_when_unknown


@pytest.mark.parametrize(
    ("rule_id", "record"),
    [
        ("contact.not_archived", ACME),
        ("currency.enabled", INVOICE),
        ("currency.enabled", ACME),
        ("tracking.matches_tool", replace(ACME, tracking={"Region": "North"})),
        ("document.number_free", INVOICE),
        ("document.after_lock_date", APPROVED),
        ("document.due_date_set", APPROVED),
    ],
)
def test_before_the_tenants_settings_are_imported_each_is_unknown_with_the_import_fix(
    rule_id: str, record: Record
) -> None:
    tenant = NOT_IMPORTED
    if rule_id == "contact.not_archived":
        tenant = replace(AU, tool_account_codes=None)  # the tenant was never imported at all
    clients = {ACME.id: record} if isinstance(record, PartyView) else {ACME.id: ACME}
    ev = evaluate(with_tenant(tenant, clients=clients, sync_states={}), record, TOOLS)
    f = only(next(c for c in ev.checks() if c.rule.id == rule_id))
    assert f.status is Status.UNKNOWN
    assert fix_of(f) == IMPORT
    assert ev.readiness is Readiness.READY and ev.pushable  # shown, not held


# -- contact.not_archived --------------------------------------------------------------------------


def test_a_contact_archived_in_the_tool_blocks_the_client_and_its_documents() -> None:
    archived = replace(ACME, archived_in_tool=True)
    b = books(clients={ACME.id: archived})
    for record in (archived, INVOICE):
        f = only(check(b, record, "contact.not_archived"))
        assert (f.status, f.subject, f.field) == (Status.BLOCKED, ACME.subject, "remote_id")
        assert "archived in tenant 'Northwind IT AU'" in f.detail
        assert fix_of(f) == IMPORT
    assert check(books(), ACME, "contact.not_archived").ok
    unlinked = replace(ACME, remote_id=None, archived_in_tool=True)
    assert check(books(clients={ACME.id: unlinked}), unlinked, "contact.not_archived").ok


# -- currency.enabled ------------------------------------------------------------------------------


def test_a_currency_the_tenant_has_not_enabled_blocks_naming_what_it_has() -> None:
    usd = replace(INVOICE, currency="USD")
    f = only(check(books(), usd, "currency.enabled"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, usd.subject, "currency")
    assert f.detail.startswith(
        "invoice 'INV-1007' is in USD, which tenant 'Northwind IT AU' has not enabled (it has: AUD)"
    )
    assert fix_of(f) == "booksync invoice edit INV-1007 --currency AUD"
    enabled = replace(AU, currencies=frozenset({"AUD", "USD"}))
    assert check(with_tenant(enabled), usd, "currency.enabled").ok


def test_the_base_currency_is_always_enabled() -> None:
    listed_nothing = replace(AU, currencies=frozenset())
    assert check(with_tenant(listed_nothing), INVOICE, "currency.enabled").ok


# -- tracking.matches_tool -------------------------------------------------------------------------


def test_tracking_the_tool_does_not_have_blocks_the_record_that_holds_it() -> None:
    tenant = replace(AU, tracking_categories={"Region": frozenset({"North", "South"})})
    tracked = replace(ACME, tracking={"Region": "East"})
    b = with_tenant(tenant, clients={ACME.id: tracked})
    for record in (tracked, INVOICE):  # the document through its client
        f = only(check(b, record, "tracking.matches_tool"))
        assert (f.status, f.subject, f.field) == (Status.BLOCKED, ACME.subject, "tracking")
        assert "'East' in tracking category 'Region'" in f.detail
        assert fix_of(f) == "booksync client edit 'Acme Pty Ltd' --tracking CATEGORY=OPTION"
    product = replace(BACKUP_1TB, tracking={"Cost centre": "IT"})
    f = only(check(with_tenant(tenant, products={1: product}), INVOICE, "tracking.matches_tool"))
    assert f.subject == BACKUP_1TB.subject and "tracking category 'Cost centre'" in f.detail
    good = replace(ACME, tracking={"Region": "North"})
    assert check(with_tenant(tenant, clients={ACME.id: good}), INVOICE, "tracking.matches_tool").ok


# -- document.number_free --------------------------------------------------------------------------


def _found(contact: str, total: str, remote_id: str = "x-42") -> DocumentView:
    theirs = RemoteDocumentView(remote_id, "INV-1007", contact, Decimal(total), "AUD")
    return replace(INVOICE, remote_matches=(theirs,))


def test_a_number_the_tool_holds_for_another_document_blocks_with_a_renumber() -> None:
    f = only(check(books(), _found("c-9", "999.00"), "document.number_free"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, INVOICE.subject, "number")
    assert f.detail.startswith("the tool already has INV-1007 (x-42: contact c-9, total 999.00)")
    assert fix_of(f) == "booksync invoice edit INV-1007 --number NUMBER"
    same_contact_other_total = _found(ACME.remote_id or "", "999.00")
    assert row_status(books(), same_contact_other_total, "document.number_free") is Status.BLOCKED


def test_the_same_document_in_the_tool_passes_saying_it_will_be_linked() -> None:
    ev = evaluate(books(), _found("c-1", "107.80"), TOOLS)
    c = next(c for c in ev.checks() if c.rule.id == "document.number_free")
    assert c.ok and c.detail.startswith("will be linked to x-42")
    assert (ev.readiness, ev.pushable, ev.blockers()) == (Readiness.READY, True, [])


def test_document_rounding_decides_the_total_a_tool_that_rounds_once_books() -> None:
    """Three lines of 0.05 at 10%: 0.18 when tax is rounded per line, 0.17 once per rate."""
    lines = tuple(replace(INVOICE.lines[0], position=n, quantity=Decimal(1), unit_price=Decimal("0.05")) for n in (1, 2, 3))  # fmt: skip
    per_line = replace(_found("c-1", "0.18"), lines=lines)
    once = replace(_found("c-1", "0.17"), lines=lines)
    assert check(books(), per_line, "document.number_free").ok
    assert row_status(books(), once, "document.number_free") is Status.BLOCKED  # 0.17 != 0.18
    by_document = Tools({"ledger": "Ledger"}, {"ledger": "document"})
    ev = Evaluator(books(), by_document).evaluate(once)
    c = next(c for c in ev.checks() if c.rule.id == "document.number_free")
    assert c.ok and c.detail.startswith("will be linked")


def test_a_document_already_linked_or_free_passes() -> None:
    assert check(books(), INVOICE, "document.number_free").ok
    linked = replace(_found("c-9", "999.00", remote_id="mine"), remote_id="mine")
    assert check(books(), linked, "document.number_free").ok


# -- document.after_lock_date ----------------------------------------------------------------------


def test_an_approved_document_dated_on_or_before_the_lock_date_blocks() -> None:
    locked = replace(AU, lock_date=date(2026, 3, 10))
    unsent = with_tenant(locked, sync_states={})  # a version still to be written
    f = only(check(unsent, APPROVED, "document.after_lock_date"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, INVOICE.subject, "issue_date")
    assert "dated 2026-03-10, on or before the lock date" in f.detail
    assert fix_of(f) == "booksync invoice edit INV-1007 --date YYYY-MM-DD"
    after = replace(APPROVED, issue_date=date(2026, 3, 11))
    assert check(unsent, after, "document.after_lock_date").ok
    draft = replace(APPROVED, status="draft")  # posts nothing
    assert check(unsent, draft, "document.after_lock_date").ok


def test_a_document_the_tool_already_has_in_a_locked_period_is_not_held() -> None:
    # Synced at its current version: nothing is written, so the lock date does not stand against
    # it (a settled invoice of last year is not shown as blocked once the lock date is imported).
    locked = replace(AU, lock_date=date(2026, 3, 10))
    assert check(with_tenant(locked), APPROVED, "document.after_lock_date").ok


# -- document.due_date_set -------------------------------------------------------------------------


def test_an_approved_invoice_without_due_date_or_terms_blocks() -> None:
    f = only(check(books(), APPROVED, "document.due_date_set"))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, INVOICE.subject, "due_date")
    assert fix_of(f) == "booksync invoice edit INV-1007 --due YYYY-MM-DD"
    assert check(books(), replace(APPROVED, due_date=date(2026, 4, 1)), "document.due_date_set").ok
    assert check(books(), INVOICE, "document.due_date_set").ok  # a draft needs none yet


def test_the_clients_terms_then_the_tenants_give_the_due_date() -> None:
    termed = replace(ACME, payment_terms=("DAYSAFTERBILLDATE", 14))
    c = check(books(clients={ACME.id: termed}), APPROVED, "document.due_date_set")
    assert c.ok and c.detail.startswith("due 2026-03-24 from the payment terms of client 'Acme")
    tenant_terms = replace(AU, payment_terms=("OFFOLLOWINGMONTH", 20))
    c = check(with_tenant(tenant_terms), APPROVED, "document.due_date_set")
    assert c.ok and c.detail.startswith("due 2026-04-20 from the payment terms of tenant")


# -- tool.totals_match -----------------------------------------------------------------------------


def _pushed(state: SyncState | None) -> Books:
    return books(sync_states={(E.INVOICE, INVOICE.id): state} if state else {})


def test_what_the_tool_booked_differently_is_shown_with_both_figures() -> None:
    mismatched = SyncState(
        SyncStatus.SYNCED, mismatches=(("total", "13.75", "11.00"), ("tax", "1.25", "1.00"))
    )
    ev = evaluate(_pushed(mismatched), INVOICE, TOOLS)
    f = only(next(c for c in ev.checks() if c.rule.id == "tool.totals_match"))
    assert f.status is Status.BLOCKED
    assert f.detail == (
        "the tool booked invoice 'INV-1007' differently from booksync: total 13.75 in booksync, "
        "11.00 in the tool; tax 1.25 in booksync, 1.00 in the tool"
    )
    assert fix_of(f) is not None and "correct it there" in (fix_of(f) or "")
    assert ev.readiness is Readiness.BLOCKED  # a person must look
    assert ev.pushable  # but an edit's next push is never stopped by it


def test_totals_are_unknown_before_the_first_push_and_pass_when_they_matched() -> None:
    assert row_status(_pushed(None), INVOICE, "tool.totals_match") is Status.UNKNOWN
    assert (
        row_status(_pushed(SyncState(SyncStatus.SYNCED)), INVOICE, "tool.totals_match") is Status.OK
    )


# -- the ready books pass everything ---------------------------------------------------------------


@pytest.mark.parametrize("entity", list(RECORDS))
def test_ready_books_pass_every_presend_check(entity: EntityType) -> None:
    ev = evaluate(books(), RECORDS[entity], TOOLS)
    assert [c.rule.id for c in ev.checks() if not c.ok] == []


def test_the_purchase_side_is_checked_on_purchase_orders_only() -> None:
    unmapped = replace(
        books().tax_rates[3], purchase_tax_types={}
    )  # GST on Expenses, the supplier's rate
    b = books(tax_rates={**books().tax_rates, 3: unmapped})
    f = only(check(b, PURCHASE_ORDER, "tax.purchase_mapped"))
    assert (f.status, f.field) == (Status.BLOCKED, "purchase_tax_types")
    assert fix_of(f) == (
        "booksync tax-rate map 'GST on Expenses' --tenant 'Northwind IT AU' "
        "--purchase-tax-type TAX_TYPE"
    )
    assert DICKER.tax_rate_id == 3
    lower = replace(unmapped, purchase_tax_types={AU.id: "input"})
    g = only(
        check(
            books(tax_rates={**books().tax_rates, 3: lower}), PURCHASE_ORDER, "tax.purchase_mapped"
        )
    )
    assert "maps to input, which tenant 'Northwind IT AU' does not have" in g.detail
    assert "did you mean INPUT?" in g.detail
    assert fix_of(g) == (
        "booksync tax-rate map 'GST on Expenses' --tenant 'Northwind IT AU' --purchase-tax-type INPUT"
    )
    bogus = replace(unmapped, purchase_tax_types={AU.id: "BOGUS"})
    assert (
        row_status(
            books(tax_rates={**books().tax_rates, 3: bogus}), PURCHASE_ORDER, "tax.purchase_mapped"
        )
        is Status.BLOCKED
    )
    not_imported = replace(AU, tool_tax_types=None)
    assert (
        row_status(with_tenant(not_imported), PURCHASE_ORDER, "tax.purchase_mapped")
        is Status.UNKNOWN
    )
