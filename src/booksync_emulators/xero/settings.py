"""The organisation's settings as the Accounting API reads them: GET /Organisation (with its lock
dates and default payment terms), GET /Currencies and GET /TrackingCategories.

Shapes follow tests/specs/xero/xero_accounting.yaml: Organisation (line 10902; PeriodLockDate and
EndOfYearLockDate "Shown if set", line 23155; PaymentTerms {Sales, Bills} of {Day, Type}, line
23642), Currencies (line 6638; a new organisation has only its base currency, others are added in
Xero's settings: help.xero.com/CurrencySettings) and TrackingCategories (line 19270; ACTIVE ones
unless `includeArchived=true`, each with its Options, line 25297).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booksync_emulators.exchange import Request, Response
from booksync_emulators.xero import errors, query
from booksync_emulators.xero.errors import XeroError
from booksync_emulators.xero.query import QueryError
from booksync_emulators.xero.seed import REGIONS
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.wire import dumps, envelope

#: Descriptions Xero gives the currencies a test is likely to add (Currency.Description).
CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
    "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}


def _answer(collection: str, records: list[dict[str, Any]], now: datetime) -> Response:
    return Response.json(200, dumps(envelope(collection, records, now)))


def _listed(records: list[Record], request: Request, default: str | None = None) -> list[Record]:
    try:
        test = query.where(request.param("where"))
        return query.order([r for r in records if test(r)], request.param("order"), default)
    except QueryError as exc:
        raise XeroError(errors.query_error(str(exc))) from None


def organisation(org: Org, now: datetime) -> Response:
    region = REGIONS[org.region]
    record: dict[str, Any] = {
        "OrganisationID": org.organisation_id,
        "APIKey": org.tenant_id.replace("-", "").upper()[:30],
        "Name": org.name,
        "LegalName": org.name,
        "PaysTax": True,
        "Version": org.region,
        "OrganisationType": "COMPANY",
        "BaseCurrency": region.currency,
        "CountryCode": region.country,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 30 if org.region == "AU" else 31,
        "FinancialYearEndMonth": 6 if org.region == "AU" else 3,
        "SalesTaxBasis": "ACCRUALS" if org.region != "UK" else "INVOICE",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": org.created,
        "Timezone": region.timezone,
        "OrganisationEntityType": "COMPANY",
        "ShortCode": "!" + org.tenant_id[:5],
        "Class": "STANDARD",
        "Edition": "BUSINESS",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {side: dict(terms) for side, terms in org.payment_terms.items()},
    }
    if org.period_lock_date is not None:
        record["PeriodLockDate"] = org.period_lock_date
    if org.end_of_year_lock_date is not None:
        record["EndOfYearLockDate"] = org.end_of_year_lock_date
    return _answer("Organisations", [record], now)


def currencies(org: Org, request: Request, now: datetime) -> Response:
    records = [
        {"Code": code, "Description": CURRENCY_NAMES.get(code, code)}
        for code in org.enabled_currencies()
    ]
    return _answer("Currencies", _listed(records, request), now)


def tracking_categories(org: Org, request: Request, now: datetime, key: str | None) -> Response:
    """Categories with their options; archived ones (and options) only with includeArchived."""
    archived = (request.param("includeArchived") or "").lower() == "true"
    shown = []
    for category in org.tracking.values():
        if key is not None and category["TrackingCategoryID"] != key:
            continue
        if category["Status"] != "ACTIVE" and not archived:
            continue
        options = [o for o in category["Options"] if archived or o["Status"] == "ACTIVE"]
        shown.append({**category, "Options": [dict(o) for o in options]})
    if key is not None and not shown:
        raise XeroError(errors.not_found())
    return _answer("TrackingCategories", _listed(shown, request), now)
