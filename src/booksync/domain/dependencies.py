"""A document's client, supplier and products, as dependencies: linked, waiting, or at fault.

The brief: a dependency that is syncable but not yet linked is not a failure (the engine pushes it
first and the document waits); one that cannot sync blocks the document, and the finding names the
dependency's own fault as its root cause. A line whose product belongs to another tenant is the
root cause of what the tenant-specific line checks then find on it (`knock_on`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from booksync.domain import fixes
from booksync.domain.findings import Finding, Status, at_fault
from booksync.domain.lines import LineUse
from booksync.domain.records import Books, PartyView, ProductView

SAME_TENANT = "dependency.same_tenant"


def dependency(
    rule_id: str,
    dep: PartyView | ProductView,
    problems: tuple[Finding, ...],
    holds: Callable[[str], bool],
) -> Finding | None:
    """How a client, supplier or product stands as a dependency of a document.

    Linked (tenant and remote ID set): fine. Failing its own rules: blocks, naming the root cause.
    Not yet known (by a rule that `holds` when unknown): not yet known. Otherwise syncable but
    unlinked: the engine pushes it first.
    """
    if dep.remote_id and dep.tenant_id is not None and not dep.exclude_from_accounting:
        return None
    blocked = [p for p in problems if p.status is Status.BLOCKED]
    if blocked or dep.exclude_from_accounting or dep.tenant_id is None:
        cause = blocked[0].root if blocked else None
        reason = cause.detail if cause else f"{dep.subject} cannot sync"
        return Finding(
            rule_id,
            Status.BLOCKED,
            dep.subject,
            None,
            f"{dep.subject} cannot sync: {reason}",
            cause.fix if cause else None,
            cause,
        )
    unknown = [p for p in problems if p.status is Status.UNKNOWN and holds(p.rule)]
    if unknown:
        return Finding(
            rule_id,
            Status.UNKNOWN,
            dep.subject,
            None,
            f"{dep.subject} cannot be checked yet: {unknown[0].detail}",
            unknown[0].fix,
            unknown[0],
        )
    return Finding(
        rule_id,
        Status.WAITING,
        dep.subject,
        "remote_id",
        f"waiting on {dep.subject}: it has no remote ID yet and will be pushed first",
    )


SAME_TENANT = "dependency.same_tenant"


def cross_tenant(books: Books, use: LineUse) -> Finding | None:
    """A document line whose product belongs to another tenant than the document's party.

    The fix is on the document (use a product of the party's tenant on that line), never a move of
    the product: a product linked in its own tenant moved across would break that tenant's
    documents. The tenant-specific line checks on such a line are its knock-ons (`knock_on`).
    """
    party, product, document = use.party, use.product, use.document
    if party is None or party.tenant_id is None or product.tenant_id is None or document is None:
        return None  # record.tenant_set on the dependency already says so
    if party.tenant_id == product.tenant_id:
        return None
    mine, theirs = books.tenants.get(product.tenant_id), books.tenants.get(party.tenant_id)
    where = f"line {use.line.position}" if use.line is not None else "a line"
    theirs_name = theirs.name if theirs else "?"
    detail = (
        f"{where} of {document} uses {product.subject} of tenant '{mine.name if mine else '?'}' "
        f"but {party.subject} belongs to '{theirs_name}': use a product of '{theirs_name}' "
        "on that line"
    )
    return at_fault(SAME_TENANT, detail, fixes.set_field(document, "lines"))


def knock_on(books: Books, use: LineUse, findings: Iterator[Finding]) -> Iterator[Finding]:
    """A tenant-specific finding on a line whose product is of another tenant is the cross-tenant
    line's knock-on: its root cause (and fix) is that line, so the doctor never offers a fix here
    (a tax mapping, an account's Code) that would break the product's own tenant."""
    cause = None
    for finding in findings:
        if finding.status is Status.BLOCKED:
            cause = cause or cross_tenant(books, use)
        if cause is None or finding.status is not Status.BLOCKED:
            yield finding
        else:
            detail = (
                f"{finding.detail} (a knock-on of the line's product of another tenant: see "
                f"{SAME_TENANT})"
            )
            yield replace(finding, detail=detail, fix=cause.fix, cause=cause)
