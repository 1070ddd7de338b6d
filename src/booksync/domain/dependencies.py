"""A document's client, supplier and products, as dependencies: linked, waiting, or at fault.

The brief: a dependency that is syncable but not yet linked is not a failure (the engine pushes it
first and the document waits); one that cannot sync blocks the document, and the finding names the
dependency's own fault as its root cause.
"""

from __future__ import annotations

from collections.abc import Callable

from booksync.domain.findings import Finding, Status
from booksync.domain.records import PartyView, ProductView


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
