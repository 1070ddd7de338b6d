"""Never fight the bookkeeper: `document.editable_in_tool` holds an edit of a document the tool
will not take one of (paid, part-paid, voided, deleted there), with the fix the tool's practice
calls for; it passes whenever nothing is known against the edit. And `document.after_lock_date`
holds an update of a document already pushed, as it holds a create."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from booksync.domain.evaluation import evaluate
from booksync.domain.findings import Readiness, Status
from booksync.domain.records import SyncState
from booksync.domain.rules import RULES_BY_ID
from booksync.domain.types import SyncStatus
from domain.test_rules import (
    AU,
    CREDIT_NOTE,
    INVOICE,
    SALES_ORDER,
    TOOLS,
    books,
    check,
    fix_of,
    only,
)

RULE = "document.editable_in_tool"
LINKED = replace(INVOICE, remote_id="x-1007", status="authorised", due_date=date(2026, 4, 1))
#: An edit the engine has not pushed yet (pending: no state loaded), or one the tool refused.
EDITED = books(sync_states={})
REFUSED = books(sync_states={(INVOICE.type, INVOICE.id): SyncState(SyncStatus.FAILED, "refused")})
SYNCED = books()


def test_it_never_holds_while_unknown() -> None:
    assert not RULES_BY_ID[RULE].holds_when_unknown


@pytest.mark.parametrize("state", ["part_paid", "paid"])
def test_an_edit_of_an_invoice_paid_in_the_tool_is_held_with_the_reissue_command(
    state: str,
) -> None:
    invoice = replace(LINKED, tool_state=state)
    f = only(check(EDITED, invoice, RULE))
    assert (f.status, f.subject, f.field) == (Status.BLOCKED, INVOICE.subject, None)
    words = "partly paid" if state == "part_paid" else "paid"
    assert f.detail.startswith(f"invoice 'INV-1007' is {words} in tenant '{AU.name}'")
    assert "credit note" in f.detail
    assert fix_of(f) == "booksync invoice reissue INV-1007"
    ev = evaluate(EDITED, invoice, TOOLS)
    assert (ev.readiness, ev.pushable) == (Readiness.BLOCKED, False)
    assert check(REFUSED, invoice, RULE).status is Status.BLOCKED


@pytest.mark.parametrize("state", ["voided", "deleted"])
def test_an_edit_of_a_document_voided_in_the_tool_says_create_a_new_one_or_accept(
    state: str,
) -> None:
    f = only(check(EDITED, replace(LINKED, tool_state=state), RULE))
    assert f.status is Status.BLOCKED
    assert fix_of(f) == (
        "create a new invoice for the change instead, or accept the tool's version: "
        "booksync drift accept invoice INV-1007"
    )
    note = replace(CREDIT_NOTE, remote_id="x-cn", tool_state="paid")  # no reissue for those
    assert fix_of(only(check(EDITED, note, RULE))) == (
        "create a new credit note for the change instead, or accept the tool's version: "
        "booksync drift accept credit-note CN-1007"
    )


@pytest.mark.parametrize(
    ("invoice", "b"),
    [
        (replace(LINKED, tool_state=None), EDITED),  # booksync has not read it back
        (replace(LINKED, tool_state="open"), EDITED),  # the tool takes an edit
        (replace(LINKED, tool_state="draft"), EDITED),
        (replace(LINKED, tool_state="paid"), SYNCED),  # no edit to push
        (replace(INVOICE, tool_state="paid"), EDITED),  # never pushed: nothing in the tool
        (replace(SALES_ORDER, remote_id="x-so", tool_state="open"), EDITED),
    ],
)
def test_it_passes_when_nothing_known_stands_against_the_edit(invoice: object, b: object) -> None:
    c = check(b, invoice, RULE)  # type: ignore[arg-type]
    assert (c.status, c.findings, c.detail) == (Status.OK, (), RULES_BY_ID[RULE].passed)


def test_an_update_of_a_pushed_invoice_dated_on_or_before_the_lock_date_is_held() -> None:
    locked = books(
        tenants={AU.id: replace(AU, lock_date=date(2026, 3, 10))},
        sync_states={(INVOICE.type, INVOICE.id): SyncState(SyncStatus.PENDING)},  # an edit
    )
    pushed = replace(LINKED, issue_date=date(2026, 3, 1))  # linked: an update, not a create
    f = only(check(locked, pushed, "document.after_lock_date"))
    assert (f.status, f.field) == (Status.BLOCKED, "issue_date")
    assert not evaluate(locked, pushed, TOOLS).pushable
