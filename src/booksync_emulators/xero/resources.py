"""The Accounting API endpoints the emulator serves, over one organisation's store (the caller
holds the org's lock, so a batch is applied with nothing interleaved).

Writes (PUT creates, POST creates or updates; `POST /{Collection}/{id}` updates one) take a batch
`{"Invoices": [...]}` and apply it element by element:
- `summarizeErrors=false`: 200 with every element in order, each with `StatusAttributeString`
  OK or ERROR and, when ERROR, its `ValidationErrors`.
- otherwise (Xero's real default, whatever the spec's `default: false` says): 200 when all pass;
  else 400 `ValidationException` listing only the failed elements, while the valid ones **are
  still saved** (Xero behaves so; a client must not read that 400 as "nothing happened").
Reads: lists with `where`, `order` (UpdatedDateUTC by default), paging and the per-collection
filters; single records by ID or, where Xero allows it, by number / code. Unit amounts are read
(and answered) at 2 decimals unless the request says `unitdp=4`, as they are written (lines.py).
Payments, credit-note allocations and the online invoice URL are in `settlements` and below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from booksync_emulators.exchange import Request, Response
from booksync_emulators.xero import contacts, documents, errors, items, query, settlements
from booksync_emulators.xero.documents import KINDS, DocumentKind
from booksync_emulators.xero.errors import XeroError
from booksync_emulators.xero.query import Predicate, QueryError
from booksync_emulators.xero.store import Org, Record
from booksync_emulators.xero.validation import Invalid
from booksync_emulators.xero.wire import dumps, envelope, is_uuid, parse_date, round_to

Saver = Callable[[Org, dict[str, Any], datetime, "str | None", int, str], Record]


@dataclass(frozen=True)
class Resource:
    collection: str
    element: str
    save: Saver
    render: Callable[[Org, Record, bool], dict[str, Any]]
    render_invalid: Callable[[dict[str, Any], list[str]], dict[str, Any]]
    find: Callable[[Org, str], Record | None]
    filters: Callable[[Request], list[Predicate]] = lambda request: []
    lines_need_page: bool = False
    ok_fields: dict[str, Any] = field(default_factory=dict)


def _contact_filters(request: Request) -> list[Predicate]:
    out = [query.in_list("ContactID", request.param("IDs"))]
    if (request.param("includeArchived") or "").lower() != "true":
        out.append(lambda r: r.get("ContactStatus") != "ARCHIVED")
    term = (request.param("searchTerm") or "").casefold()
    if term:
        fields = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
        out.append(lambda r: any(term in str(r.get(f) or "").casefold() for f in fields))
    return out


def _invoice_filters(request: Request) -> list[Predicate]:
    out = [
        query.in_list("InvoiceID", request.param("IDs")),
        query.in_list("InvoiceNumber", request.param("InvoiceNumbers")),
        query.in_list("Contact.ContactID", request.param("ContactIDs")),
        query.in_list("Status", request.param("Statuses")),
    ]
    term = (request.param("searchTerm") or "").casefold()
    if term:
        out.append(
            lambda r: any(
                term in str(r.get(f) or "").casefold() for f in ("InvoiceNumber", "Reference")
            )
        )
    return out


def _dated(request: Request, field_name: str, start: str, end: str) -> list[Predicate]:
    """DateFrom / DateTo style bounds (inclusive) on a date field."""
    out: list[Predicate] = []
    for param, upper in ((start, False), (end, True)):
        text = request.param(param)
        if not text:
            continue
        try:
            bound = parse_date(text)
        except ValueError as exc:
            raise QueryError(f"{param}: {exc}") from None

        def within(record: Record, bound: date = bound, upper: bool = upper) -> bool:
            value = record.get(field_name)
            return value is not None and (value <= bound if upper else value >= bound)

        out.append(within)
    return out


def _order_filters(request: Request) -> list[Predicate]:
    return [
        query.in_list("Status", request.param("Status")),
        *_dated(request, "Date", "DateFrom", "DateTo"),
    ]


def _quote_filters(request: Request) -> list[Predicate]:
    return [
        query.in_list("Status", request.param("Status")),
        query.in_list("Contact.ContactID", request.param("ContactID")),
        query.in_list("QuoteNumber", request.param("QuoteNumber")),
        *_dated(request, "Date", "DateFrom", "DateTo"),
        *_dated(request, "ExpiryDate", "ExpiryDateFrom", "ExpiryDateTo"),
    ]


def _document(
    kind: DocumentKind, filters: Callable[[Request], list[Predicate]], lines_need_page: bool
) -> Resource:
    def save(
        org: Org,
        element: dict[str, Any],
        now: datetime,
        path_id: str | None,
        unitdp: int,
        method: str,
    ) -> Record:
        return documents.save_document(org, kind, element, now, path_id, unitdp, method)

    return Resource(
        collection=kind.collection,
        element=kind.element,
        save=save,
        render=lambda org, record, lines: documents.render_document(org, kind, record, lines=lines),
        render_invalid=lambda element, messages: documents.render_invalid(kind, element, messages),
        find=lambda org, key: documents.find_document(org, kind, key),
        filters=filters,
        lines_need_page=lines_need_page,
    )


def _find_contact(org: Org, key: str) -> Record | None:
    if is_uuid(key):
        return org.collection("Contacts").get(key)
    return org.contact_numbered(key)


def _find_item(org: Org, key: str) -> Record | None:
    return org.collection("Items").get(key) if is_uuid(key) else org.item_coded(key)


def _payment_filters(request: Request) -> list[Predicate]:
    return [query.in_list("Status", request.param("Status"))]


RESOURCES: dict[str, Resource] = {
    "contacts": Resource(
        "Contacts", "Contact",
        save=lambda org, element, now, path_id, unitdp, method: contacts.save_contact(org, element, now, path_id, method),
        render=lambda org, record, lines: contacts.render_contact(record),
        render_invalid=contacts.render_invalid, find=_find_contact, filters=_contact_filters,
        ok_fields={"HasValidationErrors": False},
    ),
    "items": Resource(
        "Items", "Item", save=items.save_item,
        render=lambda org, record, lines: items.render_item(record),
        render_invalid=items.render_invalid, find=_find_item, ok_fields={"ValidationErrors": []},
    ),
    "invoices": _document(KINDS["Invoices"], _invoice_filters, lines_need_page=True),
    "creditnotes": _document(KINDS["CreditNotes"], lambda request: [], lines_need_page=True),
    "purchaseorders": _document(KINDS["PurchaseOrders"], _order_filters, lines_need_page=False),
    "quotes": _document(KINDS["Quotes"], _quote_filters, lines_need_page=True),
    "payments": Resource(
        "Payments", "Payment",
        save=lambda org, element, now, path_id, unitdp, method: settlements.save_payment(org, element, now),
        render=lambda org, record, lines: dict(record),
        render_invalid=settlements.refused, find=lambda org, key: org.collection("Payments").get(key),
        filters=_payment_filters,
    ),
}  # fmt: skip


def _answer(
    collection: str,
    records: list[dict[str, Any]],
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = envelope(collection, records, now)
    if extra:
        body.update(extra)
    return Response.json(200, dumps(body))


def unit_places(rendered: dict[str, Any], request: Request) -> dict[str, Any]:
    """Unit amounts (and items' unit prices) at 2 decimals unless the request has `unitdp=4`:
    "GET an individual invoice ... &unitdp=4" is how 4 decimals are read back
    (developer.xero.com/documentation/api-guides/rounding-in-xero)."""
    if request.param("unitdp") == "4":
        return rendered
    for line in rendered.get("LineItems") or []:
        if isinstance(line.get("UnitAmount"), Decimal):
            line["UnitAmount"] = round_to(line["UnitAmount"], 2)
    for side in ("SalesDetails", "PurchaseDetails"):
        details = rendered.get(side)
        if isinstance(details, dict) and isinstance(details.get("UnitPrice"), Decimal):
            rendered[side] = {**details, "UnitPrice": round_to(details["UnitPrice"], 2)}
    return rendered


def _render(org: Org, resource: Resource, record: Record, lines: bool, request: Request) -> Any:
    rendered = resource.render(org, record, lines)
    if "LineItems" in rendered:
        rendered["LineItems"] = [dict(line) for line in rendered["LineItems"]]
    return unit_places(rendered, request)


def list_records(
    org: Org, resource: Resource, request: Request, now: datetime, app: str = ""
) -> Response:
    try:
        chosen = query.modified_since(
            org.collection(resource.collection).values(), request.header("if-modified-since")
        )
        with_lines = not resource.lines_need_page or request.param("page") is not None
        rendered = [_render(org, resource, r, with_lines, request) for r in chosen]
        tests = [*resource.filters(request), query.where(request.param("where"))]
        if (request.param("createdByMyApp") or "").lower() == "true":
            # "When set to true you'll only retrieve Invoices created by your app" (spec line 7437)
            id_field = "InvoiceID" if resource.collection == "Invoices" else ""
            tests.append(lambda r: org.created_by.get(str(r.get(id_field))) == app)
        kept = query.order(
            [r for r in rendered if all(t(r) for t in tests)],
            request.param("order"),
            query.DEFAULT_ORDER,
        )
        shown, pagination = query.page(kept, request.param("page"), request.param("pageSize"))
    except QueryError as exc:
        raise XeroError(errors.query_error(str(exc))) from None
    return _answer(
        resource.collection, shown, now, {"pagination": pagination} if pagination else None
    )


def get_record(org: Org, resource: Resource, key: str, now: datetime, request: Request) -> Response:
    record = resource.find(org, key)
    if record is None:
        raise XeroError(errors.not_found())
    return _answer(resource.collection, [_render(org, resource, record, True, request)], now)


def write_records(
    org: Org,
    resource: Resource,
    request: Request,
    now: datetime,
    path_id: str | None,
    app: str = "",
) -> Response:
    elements = _elements(resource, request)
    summarize = (request.param("summarizeErrors") or "true").lower() != "false"
    unitdp = 4 if request.param("unitdp") == "4" else 2
    outcomes: list[tuple[bool, dict[str, Any]]] = []
    for element in elements:
        try:
            saved = resource.save(org, element, now, path_id, unitdp, request.method)
        except Invalid as exc:
            failed = resource.render_invalid(element, exc.messages)
            failed["StatusAttributeString"] = "ERROR"
            outcomes.append((False, failed))
            continue
        for id_field in ("InvoiceID", "CreditNoteID", "PurchaseOrderID", "QuoteID"):
            if saved.get(id_field):
                org.created_by.setdefault(str(saved[id_field]), app)
        out = {
            **_render(org, resource, saved, True, request),
            **resource.ok_fields,
            "StatusAttributeString": "OK",
        }
        outcomes.append((True, out))
    if summarize and not all(ok for ok, _ in outcomes):
        return errors.validation_failed([out for ok, out in outcomes if not ok])
    return _answer(resource.collection, [out for _, out in outcomes], now)


def _elements(resource: Resource, request: Request) -> list[dict[str, Any]]:
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise XeroError(errors.invalid_json(str(exc))) from None
    if isinstance(body, dict):
        found = next((v for k, v in body.items() if k.lower() == resource.collection.lower()), None)
        batch = found if found is not None else ([body] if body else [])
    else:
        batch = body
    if not isinstance(batch, list) or not all(isinstance(e, dict) for e in batch):
        raise XeroError(errors.invalid_json(f'expected {{"{resource.collection}": [{{...}}]}}'))
    if not batch:
        raise XeroError(errors.no_data(resource.element))
    return batch


# -- settings ------------------------------------------------------------------------------------------


def list_settings(
    org: Org, collection: str, request: Request, now: datetime, key: str | None
) -> Response:
    """GET /Accounts, /Accounts/{AccountID}, /TaxRates (read-only here)."""
    records = list(org.accounts.values() if collection == "Accounts" else org.tax_rates.values())
    if key is not None:
        records = [r for r in records if r.get("AccountID") == key or r.get("TaxType") == key]
        if not records:
            raise XeroError(errors.not_found())
    try:
        tests = [
            query.where(request.param("where")),
            query.in_list("TaxType", request.param("TaxType")),
        ]
        kept = query.order([r for r in records if all(t(r) for t in tests)], request.param("order"))
    except QueryError as exc:
        raise XeroError(errors.query_error(str(exc))) from None
    return _answer(collection, kept, now)


# -- what hangs off one document -------------------------------------------------------------------


def allocations(org: Org, request: Request, now: datetime, credit_note_id: str) -> Response:
    """PUT /CreditNotes/{CreditNoteID}/Allocations: every allocation in the body, in order."""
    credit_note = org.collection("CreditNotes").get(credit_note_id)
    if credit_note is None:
        raise XeroError(errors.not_found())
    batch = _elements(ALLOCATIONS, request)
    summarize = (request.param("summarizeErrors") or "true").lower() != "false"
    outcomes: list[tuple[bool, dict[str, Any]]] = []
    for element in batch:
        try:
            made = settlements.allocate(org, credit_note, element, now)
        except Invalid as exc:
            outcomes.append((False, settlements.refused(element, exc.messages)))
            continue
        outcomes.append((True, {**made, "StatusAttributeString": "OK", "ValidationErrors": []}))
    if summarize and not all(ok for ok, _ in outcomes):
        return errors.validation_failed([out for ok, out in outcomes if not ok])
    return _answer("Allocations", [out for _, out in outcomes], now)


#: Allocations are read from a body the way other collections are (`{"Allocations": [...]}`).
ALLOCATIONS = Resource(
    "Allocations",
    "Allocation",
    save=lambda *args: {},
    render=lambda org, record, lines: record,
    render_invalid=settlements.refused,
    find=lambda org, key: None,
)


def online_invoice(org: Org, invoice_id: str, now: datetime) -> Response:
    """GET /Invoices/{InvoiceID}/OnlineInvoice (spec line 8724): the URL a customer pays at.

    Xero offers it for sales invoices ("Retrieve the online invoice Url for sales invoices",
    developer.xero.com/documentation/api/Invoices); a bill or an invoice not yet approved has none,
    which the emulator answers with a validation error in its own words."""
    invoice = org.collection("Invoices").get(invoice_id)
    if invoice is None:
        raise XeroError(errors.not_found())
    if invoice["Type"] != "ACCREC" or invoice["Status"] not in ("AUTHORISED", "PAID"):
        raise XeroError(
            errors.validation_failed(
                [
                    {
                        "InvoiceID": invoice_id,
                        "ValidationErrors": [
                            {
                                "Message": "An online invoice is only available for an approved "
                                "sales invoice (ACCREC, AUTHORISED or PAID)."
                            }
                        ],
                    }
                ]
            )
        )
    url = f"https://in.xero.com/{invoice_id.replace('-', '')[:20]}?e={org.tenant_id[:8]}"
    return _answer("OnlineInvoices", [{"OnlineInvoiceUrl": url}], now)
