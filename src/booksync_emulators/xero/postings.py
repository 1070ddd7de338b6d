"""What a document may not do given the organisation's settings: a currency it has not added, a
date inside a locked period, a contact that is archived. Each adds Xero's message to `problems`.

- Currency: only the base currency and the currencies added in Settings -> Currencies
  ("Organisation is not subscribed to currency USD"; validation.py). A foreign-currency document
  keeps the CurrencyRate it is given (up to 6 decimals: help.xero.com/CurrencySettings, "Exchange
  rate calculations in Xero are rounded to 6 numbers", and the spec's "max length = [18].[6]",
  tests/specs/xero/xero_accounting.yaml line 22376), else the rate of the day (here: the rate the
  test gave `Org.enable_currency`); a base-currency document always has 1.
- Lock dates: an approved invoice or credit note (and voiding one) dated on or before the
  PeriodLockDate or EndOfYearLockDate is refused, each with its own message: "The document date
  cannot be before the period lock date, currently set at 30-Nov-2018" / "... end of year lock
  date ..." (Xero's words quoted at help.pleo.io "The document date cannot be before the period
  lock date" and in github.com/waynerobinson/xeroizer/issues/92). Lock dates stop changes "on or
  before the set date" and drafts / awaiting approval may still be saved there
  (help.dext.com/en/articles/105721); chargebee.com/docs/billing/1.0/kb/accounting/xero-lock-dates
  says a void past the lock date is refused too.
- Archived contact: a new invoice or credit note, or approving one, for an archived contact is
  refused: "The contact with the specified contact details has been archived. The contact must be
  un-archived before creating new invoices or credit notes." (Xero's words quoted at
  help.re-leased.com/support/solutions/articles/8000045210 and
  knowledgebase.agridigital.io/en/articles/7923511).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from booksync_emulators.xero import validation as msg
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Problems
from booksync_emulators.xero.wire import decimal, round_to

PERIOD_LOCKED = "The document date cannot be before the period lock date, currently set at {date}"
YEAR_LOCKED = (
    "The document date cannot be before the end of year lock date, currently set at {date}"
)
CONTACT_ARCHIVED = (
    "The contact with the specified contact details has been archived. The contact must be "
    "un-archived before creating new invoices or credit notes."
)
RATE_INVALID = "CurrencyRate '{value}' must be a number above 0."
#: Statuses that post to the ledger (a lock date guards them), and a void of one.
POSTED = frozenset({"AUTHORISED", "PAID", "VOIDED"})


def currency(
    org: Org, element: dict[str, Any], existing: Record | None, problems: Problems
) -> tuple[str, Decimal]:
    """The document's currency and rate, after checking the currency is enabled."""
    code = str(element.get("CurrencyCode") or (existing or {}).get("CurrencyCode") or org.currency)
    code = code.upper()
    if code not in org.enabled_currencies():
        problems.add(msg.CURRENCY_NOT_SUBSCRIBED.format(currency=code))
        return code, Decimal("1.000000")
    if code == org.currency:
        return code, Decimal("1.000000")
    given = element.get("CurrencyRate")
    if given is None:
        if existing is not None and existing.get("CurrencyCode") == code:
            return code, existing["CurrencyRate"]
        return code, round_to(org.currencies[code], 6)
    try:
        rate = decimal(given, "CurrencyRate")
    except ValueError:
        rate = Decimal(0)
    if rate <= 0:
        problems.add(RATE_INVALID.format(value=given))
        return code, Decimal("1.000000")
    return code, round_to(rate, 6)


def lock_dates(
    org: Org, document_date: date | None, status: str, posting: bool, problems: Problems
) -> None:
    """Refuse a posted (or voided) document dated on or before a lock date."""
    if not posting or status not in POSTED or document_date is None:
        return
    for locked, wording in (
        (org.period_lock_date, PERIOD_LOCKED),
        (org.end_of_year_lock_date, YEAR_LOCKED),
    ):
        if locked is not None and document_date <= locked:
            problems.add(wording.format(date=locked.strftime("%d-%b-%Y")))


def contact_active(
    contact: Record | None,
    status: str,
    existing: Record | None,
    approved: tuple[str, ...],
    checked: bool,
    problems: Problems,
) -> None:
    """Refuse creating, or approving, an invoice or credit note for an archived contact."""
    if not checked or contact is None or contact.get("ContactStatus") != "ARCHIVED":
        return
    approving = status in approved and (existing is None or existing["Status"] not in approved)
    if existing is None or approving:
        problems.add(CONTACT_ARCHIVED)
