"""Reading what a Xero organisation has set up, for the checks booksync runs before sending:
its currencies, lock date, default payment terms and tracking categories (`SettingsImport`), and the
documents it already holds under booksync's numbers (`DocumentImport`).

- GET /Organisation (tests/specs/xero/xero_accounting.yaml line 10902): BaseCurrency, CountryCode,
  PeriodLockDate and EndOfYearLockDate ("Shown if set", line 23155; the later one is the lock
  date: nothing on or before it may be posted), PaymentTerms.Sales {Day, Type} (line 23642).
- GET /Currencies (line 6638): the currencies the organisation added, beside its base currency.
- GET /TrackingCategories (line 19270): the ACTIVE categories and their ACTIVE options.
- Documents by number: invoices by `InvoiceNumbers=` (line 7381), credit notes by a `where` on
  CreditNoteNumber, purchase orders by GET /PurchaseOrders/{PurchaseOrderNumber} (line 13882),
  quotes by `QuoteNumber=`. A DELETED document is left out: it holds nothing in the books.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from booksync.connectors.protocol import PaymentTerms, RemoteDocument, RemoteSettings
from booksync.connectors.xero import answers, mapping
from booksync.connectors.xero.documents import money
from booksync.domain.types import EntityType

if TYPE_CHECKING:
    from booksync.connectors.xero.connector import XeroConnector

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
#: Xero's names for payment terms (PaymentTermType), which booksync keeps as they are.
TERM_TYPES = frozenset(
    {"DAYSAFTERBILLDATE", "DAYSAFTERBILLMONTH", "OFCURRENTMONTH", "OFFOLLOWINGMONTH"}
)
#: Numbers per GET when several can be asked for at once.
NUMBERS_CHUNK = 25


def xero_date(value: Any) -> date | None:
    """A date as Xero writes it (`/Date(1546214400000+0000)/`, or ISO 8601); None if absent."""
    if not isinstance(value, str) or not value.strip():
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_settings(xero: XeroConnector, tenant: str) -> RemoteSettings:
    organisations = xero.collection(tenant, "Organisation", "Organisations")
    org = organisations[0] if organisations else {}
    base = str(org.get("BaseCurrency") or "")
    codes = {str(c.get("Code")) for c in xero.collection(tenant, "Currencies", "Currencies")}
    currencies = frozenset(c for c in codes | {base} if c)
    locks = [
        d
        for d in (xero_date(org.get("PeriodLockDate")), xero_date(org.get("EndOfYearLockDate")))
        if d is not None
    ]
    categories = xero.collection(tenant, "TrackingCategories", "TrackingCategories")
    tracking = {
        str(c.get("Name")): tuple(
            str(o.get("Name"))
            for o in c.get("Options") or []
            if isinstance(o, dict) and o.get("Status", "ACTIVE") == "ACTIVE"
        )
        for c in categories
        if c.get("Status", "ACTIVE") == "ACTIVE" and c.get("Name")
    }
    return RemoteSettings(
        currencies=currencies,
        lock_date=max(locks) if locks else None,
        payment_terms=_sales_terms(org.get("PaymentTerms")),
        tracking_categories=tracking,
        tool_settings={
            "country": org.get("CountryCode"),
            "base_currency": base or None,
            "period_lock_date": _iso(xero_date(org.get("PeriodLockDate"))),
            "end_of_year_lock_date": _iso(xero_date(org.get("EndOfYearLockDate"))),
        },
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _sales_terms(terms: Any) -> PaymentTerms | None:
    sales = terms.get("Sales") if isinstance(terms, dict) else None
    if not isinstance(sales, dict) or sales.get("Day") is None:
        return None
    kind = str(sales.get("Type") or "DAYSAFTERBILLDATE")
    if kind not in TERM_TYPES:
        return None
    try:
        return PaymentTerms(int(sales["Day"]), kind)
    except (TypeError, ValueError):
        return None


def read_documents(
    xero: XeroConnector, tenant: str, entity: EntityType, numbers: Sequence[str]
) -> list[RemoteDocument]:
    endpoint = mapping.ENDPOINTS[entity]
    field = endpoint.number_field
    assert field is not None
    wanted = list(dict.fromkeys(n for n in numbers if n))
    rows: list[dict[str, Any]] = []
    if entity is EntityType.PURCHASE_ORDER:
        for number in wanted:
            path = f"PurchaseOrders/{quote(number, safe='')}"
            rows.extend(xero.collection(tenant, path, endpoint.collection))
    elif entity is EntityType.SALES_ORDER:
        for number in wanted:
            rows.extend(xero.collection(tenant, "Quotes", "Quotes", {"QuoteNumber": number}))
    else:
        for start in range(0, len(wanted), NUMBERS_CHUNK):
            chunk = wanted[start : start + NUMBERS_CHUNK]
            if entity is EntityType.INVOICE and not any("," in n for n in chunk):
                params = {"InvoiceNumbers": ",".join(chunk), "unitdp": "4"}
            else:
                where = " OR ".join(f"{field}=={answers.where_string(n)}" for n in chunk)
                params = {"where": where, "unitdp": "4"}
            rows.extend(xero.collection(tenant, endpoint.path, endpoint.collection, params))
    found = []
    for row in rows:
        if (
            row.get(field) not in wanted
            or row.get("Status") == "DELETED"
            or not row.get(endpoint.id_field)
            or (endpoint.doc_type and row.get("Type", endpoint.doc_type) != endpoint.doc_type)
        ):
            continue
        contact = row.get("Contact")
        contact = contact if isinstance(contact, dict) else {}
        found.append(
            RemoteDocument(
                entity=entity,
                remote_id=str(row[endpoint.id_field]),
                number=str(row[field]),
                contact_remote_id=str(contact["ContactID"]) if contact.get("ContactID") else None,
                total=money(row.get("Total")),
                currency=str(row["CurrencyCode"]) if row.get("CurrencyCode") else None,
                status=str(row["Status"]) if row.get("Status") else None,
            )
        )
    return found
