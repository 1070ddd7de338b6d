"""The shared arithmetic of issue 11: line amounts and document totals as each tool rounds them,
due dates from payment terms, and which document found in the tool may be linked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from booksync.domain.matching import conflicts, linkable
from booksync.domain.records import DocumentView, PartyView, RemoteDocumentView
from booksync.domain.terms import TermsError, due_date
from booksync.domain.totals import Totals, document_totals, line_amount
from booksync.domain.types import EntityType

D = Decimal


def test_four_decimal_unit_price_keeps_its_places_until_the_line_is_rounded() -> None:
    assert line_amount(D("1000"), D("0.0125")) == D("12.50")
    assert line_amount(D("3"), D("0.3350")) == D("1.01")  # 1.005 rounds half up
    assert line_amount(D("1000"), D("0.0125"), places=0) == D("13")


def test_per_gb_invoice_totals_what_booksync_computed() -> None:
    """The issue's case: 1,000 GB at 0.0125 with 10% GST is 13.75, not Xero's 11.00."""
    totals = document_totals([(D("1000"), D("0.0125"), D("10"))])
    assert totals == Totals(D("12.50"), D("1.25"), D("13.75"))


def test_line_rounding_and_document_rounding_differ_by_the_cents_lines_round() -> None:
    lines = [(D("1"), D("0.05"), D("10"))] * 3
    assert document_totals(lines, "line") == Totals(D("0.15"), D("0.03"), D("0.18"))
    assert document_totals(lines, "document") == Totals(D("0.15"), D("0.02"), D("0.17"))


def test_document_rounding_rounds_once_per_tax_rate() -> None:
    lines = [
        (D("1"), D("0.05"), D("10")),
        (D("1"), D("0.05"), D("10.0")),
        (D("1"), D("0.05"), D("15")),
    ]
    # 10%: 0.10 -> 0.01; 15%: 0.05 -> 0.0075 -> 0.01
    assert document_totals(lines, "document").tax == D("0.02")


def test_unknown_rounding_is_refused_naming_what_is_accepted() -> None:
    with pytest.raises(ValueError, match="'line', 'document'"):
        document_totals([], "invoice")  # type: ignore[arg-type]


def test_no_lines_total_zero() -> None:
    assert document_totals([]) == Totals(D("0.00"), D("0.00"), D("0.00"))


@pytest.mark.parametrize(
    ("issued", "terms", "due"),
    [
        (date(2026, 1, 15), ("DAYSAFTERBILLDATE", 14), date(2026, 1, 29)),
        (date(2026, 1, 15), ("DAYSAFTERBILLDATE", 0), date(2026, 1, 15)),
        (date(2026, 1, 15), ("DAYSAFTERBILLMONTH", 20), date(2026, 2, 20)),
        (date(2026, 2, 10), ("DAYSAFTERBILLMONTH", 1), date(2026, 3, 1)),
        (date(2026, 1, 5), ("OFCURRENTMONTH", 20), date(2026, 1, 20)),
        (date(2026, 2, 5), ("OFCURRENTMONTH", 31), date(2026, 2, 28)),
        (date(2026, 1, 15), ("OFFOLLOWINGMONTH", 31), date(2026, 2, 28)),
        (date(2028, 1, 15), ("OFFOLLOWINGMONTH", 30), date(2028, 2, 29)),
        (date(2026, 12, 15), ("OFFOLLOWINGMONTH", 20), date(2027, 1, 20)),
    ],
)
def test_due_date_as_the_tools_apply_terms(issued: date, terms: tuple[str, int], due: date) -> None:
    assert due_date(issued, terms) == due


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (("NET30", 30), "'NET30' is not known; accepted: DAYSAFTERBILLDATE"),
        (("DAYSAFTERBILLDATE", -1), "negative"),
        (("OFFOLLOWINGMONTH", 0), "accepted: 1 to 31"),
        (("OFCURRENTMONTH", 32), "accepted: 1 to 31"),
    ],
)
def test_bad_terms_are_refused_naming_value_and_what_is_accepted(
    terms: tuple[str, int], message: str
) -> None:
    with pytest.raises(TermsError, match=message):
        due_date(date(2026, 1, 1), terms)


CLIENT = PartyView(7, EntityType.CLIENT, "Acme", remote_id="C-7", tenant_id=1)


def _invoice(*matches: RemoteDocumentView, remote_id: str | None = None) -> DocumentView:
    return DocumentView(
        1, EntityType.INVOICE, "INV-0042", CLIENT.id, remote_matches=matches, remote_id=remote_id
    )


def test_same_number_contact_and_total_is_linkable() -> None:
    theirs = RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"), "AUD")
    assert linkable(_invoice(theirs), CLIENT, D("13.75")) is theirs


@pytest.mark.parametrize(
    "theirs",
    [
        RemoteDocumentView("R-1", "INV-0042", "C-7", D("999.00"), "AUD"),  # another total
        RemoteDocumentView("R-1", "INV-0042", "C-8", D("13.75"), "AUD"),  # another contact
        RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"), "USD"),  # another currency
        RemoteDocumentView("R-1", "INV-0042", "C-7", None, "AUD"),  # total unknown
        RemoteDocumentView("R-1", "INV-0043", "C-7", D("13.75"), "AUD"),  # another number
        RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"), "AUD", "VOIDED"),  # voided
        RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"), "AUD", "Voided"),  # QBO's case
        RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"), "AUD", "DELETED"),  # deleted
    ],
)
def test_a_bookkeepers_own_document_is_never_linkable(theirs: RemoteDocumentView) -> None:
    assert linkable(_invoice(theirs), CLIENT, D("13.75")) is None


def test_nothing_is_linkable_for_an_unlinked_party_or_unknown_total() -> None:
    theirs = RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"))
    unlinked = PartyView(7, EntityType.CLIENT, "Acme")
    assert linkable(_invoice(theirs), unlinked, D("13.75")) is None
    assert linkable(_invoice(theirs), None, D("13.75")) is None
    assert linkable(_invoice(theirs), CLIENT, None) is None


def test_the_document_itself_in_the_tool_is_no_conflict() -> None:
    mine = RemoteDocumentView("R-1", "INV-0042", "C-7", D("13.75"))
    other = RemoteDocumentView("R-2", "INV-0042", "C-9", D("1.00"))
    assert conflicts(_invoice(mine, other, remote_id="R-1")) == (other,)
