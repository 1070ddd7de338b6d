"""booksync's own checks beyond the seed guide: will the tool accept the record, and did it book
what booksync computed?

Before sending (scope `own`, per record): the currency is enabled in the tenant, the tracking
exists in the tool, the document's number is free there (or it is this very document, to be
linked), a posting document is dated after the tool's lock date (an update of one already pushed
too), an approved invoice has a due date, the contact is not archived in the tool, and the tool can
still take an edit of the document (not paid, part-paid, voided or deleted there). Each reads the tenant's settings as imported
from the tool; until they are, it is not yet known (never passed blindly), with the fix "import
the tenant". None of them holds a record back while unknown: a tool that cannot report its
settings (a plug-in without `SettingsImport`) still syncs, and its refusals still name the rule.

After a push (scope `push`): the tool's answer, and what it booked against what booksync computed.

The checks are registered in `rules.RULES`' order by `rules`, which defines the ids.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import lru_cache

from booksync.domain import fixes, matching
from booksync.domain.findings import Finding, Fix, Status, at_fault
from booksync.domain.lines import LineUse, tax_for
from booksync.domain.money import MoneyError, minor_units
from booksync.domain.records import (
    Books,
    DocumentView,
    PartyView,
    ProductView,
    Record,
    Subject,
    TenantView,
)
from booksync.domain.rulebook import CheckFn, Target
from booksync.domain.terms import TermsError, applicable_terms, describe, due_date
from booksync.domain.totals import document_totals
from booksync.domain.types import DocumentStatus, EntityType, SyncStatus

#: rule id -> its check, in the order they are defined here; `rules` registers them.
CHECKS: dict[str, CheckFn] = {}
#: Invoices the tool treats as approved: they need a due date.
APPROVED = frozenset({DocumentStatus.AUTHORISED.value, DocumentStatus.PAID.value})


def _check(rule_id: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS[rule_id] = fn
        return fn

    return register


def _settings(rule: str, tenant: TenantView | None, subject: Subject) -> Finding | None:
    """Not yet known: no tenant, or the tenant's settings were not imported from its tool."""
    if tenant is None:
        detail = f"{subject} cannot be checked until a tenant is set"
        return Finding(rule, Status.UNKNOWN, subject, None, detail)
    if not tenant.settings_imported:
        return Finding(rule, Status.UNKNOWN, subject, None, *_not_imported(tenant.id, tenant.name))
    return None


@lru_cache(maxsize=1024)
def _not_imported(tenant_id: int, name: str) -> tuple[str, Fix]:
    """What `_settings` says of a tenant whose settings are not imported, and its fix: the same
    for each of its records and rules (five a document), so made once per tenant."""
    detail = (
        f"not yet checked: the settings of tenant '{name}' (currencies, lock date, "
        "payment terms, tracking) have not been imported from its tool"
    )
    return detail, fixes.import_tenant(Subject("tenant", tenant_id, name))


def _party_of(books: Books, record: Record) -> PartyView | None:
    if isinstance(record, DocumentView):
        return books.party(record)
    return record if isinstance(record, PartyView) else None


# --- Is the contact active in the tool? -----------------------------------------------------------


@_check("contact.not_archived")
def contact_not_archived(
    rule: str, books: Books, record: Record, target: Target
) -> Iterator[Finding]:
    party, tenant = _party_of(books, record), target.tenant
    if party is None or not party.remote_id or tenant is None:
        return  # nothing linked in the tool yet: booksync creates the contact
    if tenant.tool_account_codes is None:  # the tenant was never imported: contacts neither
        detail = f"not yet checked: tenant '{tenant.name}' has not been imported yet"
        importing = fixes.import_tenant(tenant.subject)
        yield Finding(rule, Status.UNKNOWN, party.subject, "remote_id", detail, importing)
    elif party.archived_in_tool:
        detail = (
            f"{party.subject} is linked to contact {party.remote_id}, which is archived in tenant "
            f"'{tenant.name}': restore it in the tool, then import the tenant again"
        )
        importing = fixes.import_tenant(tenant.subject)
        yield Finding(rule, Status.BLOCKED, party.subject, "remote_id", detail, importing)


# --- Will the tool accept it? ---------------------------------------------------------------------


@_check("currency.enabled")
def currency_enabled(rule: str, books: Books, record: Record, target: Target) -> Iterator[Finding]:
    if isinstance(record, ProductView):
        return
    tenant = target.tenant
    unknown = _settings(rule, tenant, record.subject)
    if unknown is not None or tenant is None:
        yield from (unknown,) if unknown else ()
        return
    enabled = (tenant.currencies or frozenset()) | {tenant.base_currency}
    if record.currency not in enabled:
        detail = (
            f"{record.subject} is in {record.currency}, which tenant '{tenant.name}' has not "
            f"enabled (it has: {', '.join(sorted(enabled))}): enable {record.currency} in the "
            "tool and import the tenant again, or change the currency"
        )
        yield at_fault(
            rule, detail, fixes.set_field(record.subject, "currency", tenant.base_currency)
        )


@_check("tracking.matches_tool")
def tracking_matches_tool(
    rule: str, books: Books, record: Record, target: Target
) -> Iterator[Finding]:
    # What tracks something, each record once: the record, a document's party and products.
    tracked: list[PartyView | ProductView | DocumentView] = [record] if record.tracking else []
    if isinstance(record, DocumentView):
        party = books.party(record)
        if party is not None and party.tracking:
            tracked.append(party)
        products = books.products
        for product_id in dict.fromkeys(line.product_id for line in record.lines):
            product = products.get(product_id)
            if product is not None and product.tracking:
                tracked.append(product)
    if not tracked:
        return  # nothing tracked: nothing to send
    sources = [(r.subject, r.tracking) for r in tracked]
    tenant = target.tenant
    unknown = _settings(rule, tenant, record.subject)
    if unknown is not None or tenant is None:
        yield from (unknown,) if unknown else ()
        return
    categories = tenant.tracking_categories or {}
    for subject, tracking in sources:
        for category, option in sorted(tracking.items()):
            if category not in categories:
                known = ", ".join(sorted(categories)) or "none"
                problem = f"tracking category '{category}', which tenant '{tenant.name}' does not have (it has: {known})"
            elif option not in categories[category]:
                known = ", ".join(sorted(categories[category])) or "none"
                problem = f"'{option}' in tracking category '{category}', an option tenant '{tenant.name}' does not have (it has: {known})"
            else:
                continue
            yield at_fault(rule, f"{subject} uses {problem}", fixes.set_field(subject, "tracking"))


@_check("document.number_free")
def number_free(
    rule: str, books: Books, document: DocumentView, target: Target
) -> Iterator[Finding]:
    if document.remote_id:
        return  # the tool holds this very document under its number: pushes update it
    tenant = target.tenant
    unknown = _settings(rule, tenant, document.subject)
    if unknown is not None:
        yield unknown
        return
    taken = matching.conflicts(document)
    if not taken:
        return
    party = books.party(document)
    total = _total(books, document, party, target)
    if total is None:
        detail = (
            f"the tool has {document.subject} already; whether it is this one cannot be told yet"
        )
        yield Finding(rule, Status.UNKNOWN, document.subject, "number", detail)
        return
    linked = matching.linkable(document, party, total)
    if linked is not None:
        detail = (
            f"will be linked to {linked.remote_id}: the tool has {document.number} for the same "
            f"contact and total ({total}), so booksync adopts it instead of creating another"
        )
        yield Finding(rule, Status.OK, document.subject, "number", detail)
        return
    other = taken[0]
    seen = f"contact {other.contact_remote_id or '?'}, total {other.total if other.total is not None else '?'}"
    detail = (
        f"the tool already has {document.number} ({other.remote_id}: {seen}), which is not this "
        f"{document.type.label} (total {total}): renumber it in booksync, or link them by hand "
        "if they are the same"
    )
    yield at_fault(rule, detail, fixes.renumber(document.subject))


def _total(
    books: Books, document: DocumentView, party: PartyView | None, target: Target
) -> Decimal | None:
    """What the tool will book as the document's total (None while a line or rate is unknown)."""
    lines: list[tuple[Decimal, Decimal, Decimal]] = []
    for line in document.lines:
        product = books.products.get(line.product_id)
        if product is None or line.quantity is None or line.unit_price is None:
            return None
        use = LineUse(document.type, product, party, target.tenant, line, document.subject)
        rate = tax_for(books, use).rate
        if rate is None:
            return None
        lines.append((line.quantity, line.unit_price, rate.percent))
    try:
        places = minor_units(document.currency)
    except MoneyError:
        return None
    kind = target.integration.kind if target.integration else None
    return document_totals(lines, target.tools.tax_rounding(kind), places=places).total


@_check("document.after_lock_date")
def after_lock_date(
    rule: str, books: Books, document: DocumentView, target: Target
) -> Iterator[Finding]:
    if document.status == DocumentStatus.DRAFT.value:
        return  # a draft posts nothing: the tools let it be dated in a locked period
    pushed = books.sync_states.get((document.type, document.id))
    if pushed is not None and pushed.status is SyncStatus.SYNCED:
        return  # the tool already has this version: nothing is written into the locked period
    tenant = target.tenant
    unknown = _settings(rule, tenant, document.subject)
    if unknown is not None or tenant is None:
        yield from (unknown,) if unknown else ()
        return
    lock, issued = tenant.lock_date, document.issue_date
    if lock is not None and issued is not None and issued <= lock:
        detail = (
            f"{document.subject} is dated {issued.isoformat()}, on or before the lock date of "
            f"tenant '{tenant.name}' ({lock.isoformat()}): date it after, or have the lock date "
            "moved in the tool"
        )
        yield at_fault(rule, detail, fixes.set_field(document.subject, "issue_date"))


@_check("document.due_date_set")
def due_date_set(
    rule: str, books: Books, document: DocumentView, target: Target
) -> Iterator[Finding]:
    if document.status not in APPROVED or document.due_date is not None:
        return
    party, tenant = books.party(document), target.tenant
    party_terms = party.payment_terms if party is not None else None
    if party_terms is None:
        unknown = _settings(rule, tenant, document.subject)
        if unknown is not None:
            yield unknown
            return
    found = applicable_terms(party_terms, tenant.payment_terms if tenant else None)
    if found is None or document.issue_date is None:
        detail = (
            f"{document.subject} is approved but has no due date, and neither "
            f"{party.subject if party else 'its client'} nor tenant '{tenant.name if tenant else '?'}' "
            "has payment terms to give it one"
        )
        yield at_fault(rule, detail, fixes.set_field(document.subject, "due_date"))
        return
    terms, whose = found
    try:
        due = due_date(document.issue_date, terms)
    except TermsError as bad:
        holder = party.subject if whose == "party" and party else tenant.subject if tenant else None
        detail = f"{document.subject} has no due date and its payment terms are unusable: {bad}"
        yield at_fault(rule, detail, fixes.set_field(holder or document.subject, "payment_terms"))
        return
    source = (
        party.subject
        if whose == "party" and party
        else f"tenant '{tenant.name if tenant else '?'}'"
    )
    detail = f"due {due.isoformat()} from the payment terms of {source} ({describe(terms)})"
    yield Finding(rule, Status.OK, document.subject, "due_date", detail)


# --- Never fight the bookkeeper -------------------------------------------------------------------

#: States in which the tool refuses an edit and its practice is a credit note and a new invoice.
SETTLED = frozenset({"part_paid", "paid"})
#: States in which there is nothing left in the tool to edit.
GONE = frozenset({"voided", "deleted"})
_IN_WORDS = {"part_paid": "partly paid", "paid": "paid", "voided": "voided", "deleted": "deleted"}


@_check("document.editable_in_tool")
def editable_in_tool(
    rule: str, books: Books, document: DocumentView, target: Target
) -> Iterator[Finding]:
    """An edit of a document the bookkeeper has settled or voided in the tool is held, never
    pushed over it. Only what booksync read back counts against it: nothing read, nothing held."""
    state = document.tool_state
    if not document.remote_id or state not in SETTLED | GONE:
        return
    pushed = books.sync_states.get((document.type, document.id))
    if pushed is not None and pushed.status is SyncStatus.SYNCED:
        return  # the tool has booksync's current version: there is no edit to push
    where = f"tenant '{target.tenant.name}'" if target.tenant else "the tool"
    kind, ref = document.type.label, shlex.quote(document.number)
    noun = document.type.value.replace("_", "-")
    detail = f"{document.subject} is {_IN_WORDS[state]} in {where}, which refuses an edit of it: "
    if state in SETTLED and document.type is EntityType.INVOICE:
        detail += (
            "booksync holds the edit; reissue it (a credit note for what the tool holds and a "
            "new invoice with booksync's lines)"
        )
        advice = f"booksync invoice reissue {ref}"
    else:
        detail += "booksync holds the edit"
        advice = (
            f"create a new {kind} for the change instead, or accept the tool's version: "
            f"booksync drift accept {noun} {ref}"
        )
    yield at_fault(rule, detail, fixes.tool_advice(document.subject, advice))


# --- Did the tool accept it? ----------------------------------------------------------------------


@_check("tool.accepted")
def tool_accepted(rule: str, books: Books, record: Record) -> Iterator[Finding]:
    state = books.sync_states.get((record.type, record.id))
    subject = record.subject
    if state is None:
        yield Finding(rule, Status.UNKNOWN, subject, None, f"{subject} has not been pushed yet")
    elif state.status in (SyncStatus.FAILED, SyncStatus.DEAD):
        gave_up = " (gave up retrying)" if state.status is SyncStatus.DEAD else ""
        detail = f"the tool rejected {subject}{gave_up}: {state.last_error or 'no reason given'}"
        advised = state.error_fix
        fix = fixes.tool_advice(subject, advised) if advised else fixes.retry_sync(subject)
        yield Finding(rule, Status.BLOCKED, subject, None, detail, fix)
    elif state.status is not SyncStatus.SYNCED and state.last_error:
        detail = f"the last push of {subject} failed and will be retried: {state.last_error}"
        yield Finding(rule, Status.WAITING, subject, None, detail)
    elif state.status is not SyncStatus.SYNCED:
        # Held by the checks above, or on its way now: the tool has not answered for this version.
        moving = state.status is SyncStatus.IN_FLIGHT
        doing = "is being pushed now" if moving else "has not been pushed yet"
        if record.remote_id:  # an edit: the tool holds an earlier version
            doing = f"{'is' if moving else 'has'} an edit {'being pushed now' if moving else 'not pushed yet'}; the tool holds the version before it"
        yield Finding(rule, Status.UNKNOWN, subject, None, f"{subject} {doing}")


@_check("tool.totals_match")
def totals_match(rule: str, books: Books, record: Record) -> Iterator[Finding]:
    """Never silent: each field the tool booked differently, with both figures. It needs a
    person's eye, but does not stop the next push of an edit (the engine ignores push rules)."""
    state = books.sync_states.get((record.type, record.id))
    subject = record.subject
    if state is not None and state.mismatches:
        figures = "; ".join(
            f"{field} {ours} in booksync, {theirs} in the tool"
            for field, ours, theirs in state.mismatches
        )
        detail = f"the tool booked {subject} differently from booksync: {figures}"
        advice = (
            f"check {subject} in the tool and correct it there, or edit it in booksync so the "
            "next push sends it again"
        )
        yield Finding(
            rule, Status.BLOCKED, subject, None, detail, fixes.correct_in_tool(subject, advice)
        )
    elif state is None or state.status is not SyncStatus.SYNCED:
        detail = f"{subject} has not been booked by the tool yet, so there is nothing to compare"
        yield Finding(rule, Status.UNKNOWN, subject, None, detail)
