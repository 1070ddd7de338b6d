"""Due dates from payment terms, as the tools apply them.

Terms are `(type, days)` with Xero's four types (its `PaymentTerms` object: Bills/Sales each a
`Day` and a `Type`, https://developer.xero.com/documentation/api/accounting/organisation):

- DAYSAFTERBILLDATE: `days` days after the issue date;
- DAYSAFTERBILLMONTH: `days` days after the end of the issue date's month;
- OFCURRENTMONTH: day `days` of the issue date's month;
- OFFOLLOWINGMONTH: day `days` of the month after the issue date's.

A day past the month's end falls on its last day (the 31st of February is the 28th or 29th), so
terms never produce an invalid date. QuickBooks' `Term` (DueDays, DayOfMonthDue) maps onto the same
types in its connector. An approved invoice needs a due date (`document.due_date_set`): its own,
else the client's terms, else the tenant's default.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

DAYS_AFTER_BILL_DATE = "DAYSAFTERBILLDATE"
DAYS_AFTER_BILL_MONTH = "DAYSAFTERBILLMONTH"
OF_CURRENT_MONTH = "OFCURRENTMONTH"
OF_FOLLOWING_MONTH = "OFFOLLOWINGMONTH"

#: Every type a party's or tenant's terms may have, in the order people choose from.
TERM_TYPES = (DAYS_AFTER_BILL_DATE, DAYS_AFTER_BILL_MONTH, OF_CURRENT_MONTH, OF_FOLLOWING_MONTH)


class TermsError(ValueError):
    """Terms that cannot give a due date; the message names the value and what is accepted."""


def _day_of(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def due_date(issue_date: date, terms: tuple[str, int]) -> date:
    """The due date of a document issued on `issue_date` under `terms` (type, days)."""
    kind, days = terms
    if days < 0:
        raise TermsError(f"payment terms days {days} is negative; accepted: 0 or more")
    if kind == DAYS_AFTER_BILL_DATE:
        return issue_date + timedelta(days=days)
    if kind == DAYS_AFTER_BILL_MONTH:
        month_end = _day_of(issue_date.year, issue_date.month, 31)
        return month_end + timedelta(days=days)
    if kind in (OF_CURRENT_MONTH, OF_FOLLOWING_MONTH):
        if not 1 <= days <= 31:
            raise TermsError(
                f"payment terms day {days} for {kind} is not a day of the month; accepted: 1 to 31"
            )
        if kind == OF_CURRENT_MONTH:
            return _day_of(issue_date.year, issue_date.month, days)
        return _day_of(*_next_month(issue_date), days)
    raise TermsError(f"payment terms type {kind!r} is not known; accepted: {', '.join(TERM_TYPES)}")


def describe(terms: tuple[str, int]) -> str:
    """Terms in words: "14 days after the bill date", "day 20 of the following month"."""
    kind, days = terms
    return {
        DAYS_AFTER_BILL_DATE: f"{days} days after the bill date",
        DAYS_AFTER_BILL_MONTH: f"{days} days after the end of the bill month",
        OF_CURRENT_MONTH: f"day {days} of the bill month",
        OF_FOLLOWING_MONTH: f"day {days} of the following month",
    }.get(kind, f"{kind} {days}")


def applicable_terms(
    party_terms: tuple[str, int] | None, tenant_terms: tuple[str, int] | None
) -> tuple[tuple[str, int], str] | None:
    """The terms a document without its own due date gets, and whose they are ("client",
    "tenant"): the party's own, else the tenant's default, as the tools apply them."""
    if party_terms is not None:
        return party_terms, "party"
    if tenant_terms is not None:
        return tenant_terms, "tenant"
    return None
