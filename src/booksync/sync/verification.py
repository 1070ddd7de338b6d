"""What the tool has, checked against what booksync computed: after every push, and when a create
is refused because the tool has the number already.

After a push, the tool's answer says what it booked (`PushResult.booked`: total, tax, line count,
contact, currency); each figure is compared with booksync's own (`DocumentPayload.total`,
`tax_total`, its lines, contact and currency). A difference is never silent: it is kept on the job
(`sync_jobs.verification`, which `tool.totals_match` reads and the doctor shows with both figures),
written on the record's timeline, logged as a warning and told to the person watching the pass.
This is how booksync catches the next fidelity gap on a real company (a price rounded to two
places, a tax computed another way) instead of trusting the emulators.

A create the tool refuses as a number it already has (`document.number_free`: Xero's PUT refuses a
duplicate InvoiceNumber) is looked up with `DocumentImport.documents`: the documents found are kept
(`remote_documents`, which the rule reads), and the record is linked to the one whose contact and
total agree (`domain.matching.linkable`); otherwise the refusal stands, with the rule and advice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, or_
from sqlalchemy.orm import Session

from booksync.connectors.protocol import (
    Booked,
    Connector,
    ConnectorError,
    DocumentImport,
    DocumentPayload,
    Outcome,
    Payload,
    PushResult,
    RemoteDocument,
)
from booksync.domain.matching import linkable
from booksync.domain.money import MoneyError, minor_units
from booksync.domain.records import DocumentView, PartyView, RemoteDocumentView
from booksync.domain.types import EntityType
from booksync.store.models import RemoteDocument as RemoteDocumentRow
from booksync.store.models import SyncJob
from booksync.sync import jobs
from booksync.sync.gating import Ready
from booksync.sync.report import Notice, Reporter

log = logging.getLogger("booksync.sync")

#: The rule a create refused for a number the tool already has maps to.
NUMBER_FREE = "document.number_free"

#: Each figure compared: (field, booksync's, the tool's). Field names are what
#: `sync_jobs.verification` keeps and `tool.totals_match` shows.
FIELDS = ("total", "tax", "line_count", "contact", "currency")

Difference = dict[str, str]


# --- after a push ----------------------------------------------------------------------------------


def differences(payload: Payload, booked: Booked | None) -> list[Difference] | None:
    """Where what the tool booked differs from what booksync computed, field by field; None when
    every figure the tool's answer gives agrees (or it gives none, or this is not a document)."""
    if booked is None or not isinstance(payload, DocumentPayload):
        return None
    pairs: tuple[tuple[str, object, object], ...] = (
        ("total", payload.total, booked.total),
        ("tax", payload.tax_total, booked.tax),
        ("line_count", len(payload.lines), booked.line_count),
        ("contact", payload.contact_remote_id, booked.contact_remote_id),
        ("currency", payload.currency, booked.currency),
    )
    places = _places(payload.currency)
    found = [
        {"field": name, "booksync": _text(ours, places), "tool": _text(theirs, places)}
        for name, ours, theirs in pairs
        if ours is not None and theirs is not None and ours != theirs
    ]
    return found or None


def describe(found: Sequence[Difference]) -> str:
    """Differences in words: "total booksync 13.75, tool 11.00; tax booksync 1.25, tool 1.00"."""
    return "; ".join(
        f"{d['field'].replace('_', ' ')} booksync {d['booksync']}, tool {d['tool']}" for d in found
    )


def found_by_job(
    synced: Sequence[tuple[Ready, PushResult]],
) -> dict[int, list[Difference] | None]:
    """Each synced job's verification (job id -> its differences; None: the tool agreed), as
    `jobs.succeed` keeps it in the statement that marks the job synced."""
    return {
        ready.job_id: differences(ready.item.payload, answer.booked) for ready, answer in synced
    }


def record(
    session: Session,
    synced: Sequence[tuple[Ready, PushResult]],
    found: dict[int, list[Difference] | None],
    *,
    tool_label: str,
    tenant_name: str,
    report: Reporter,
) -> int:
    """Say every difference `found` (`found_by_job`) on the timeline, in the log and to the person
    watching. Returns how many pushes differed."""
    mismatched = 0
    for ready, answer in synced:
        differed = found.get(ready.job_id)
        if differed is None:
            continue
        mismatched += 1
        text = (
            f"{ready.label} was booked differently by {tool_label} '{tenant_name}' "
            f"({answer.remote_id}): {describe(differed)}"
        )
        jobs.add_events(
            session,
            [
                {
                    "entity_type": ready.item.entity.value,
                    "record_id": ready.item.record_id,
                    "record_version": ready.version,
                    "kind": "mismatch",
                    "message": text,
                }
            ],
        )
        log.warning(text, extra={"outcome": "mismatch", "differences": differed})
        fix = f"booksync doctor {ready.item.entity.value} {ready.item.reference!r}"
        report.notice(Notice("warning", text, fix))
        report.result.mismatched += 1
    return mismatched


def _text(value: object, places: int | None = None) -> str:
    """A figure as both sides show it: money in the currency's places (Xero's JSON says 11.0)."""
    if isinstance(value, Decimal):
        if places is not None and value == value.quantize(Decimal(1).scaleb(-places)):
            value = value.quantize(Decimal(1).scaleb(-places))
        return f"{value:f}"
    return str(value)


def _places(currency: str) -> int | None:
    try:
        return minor_units(currency)
    except MoneyError:
        return None


# --- a create refused for a number the tool has ---------------------------------------------------


def taken_numbers(
    connector: Connector,
    tenant: str,
    chunk: Sequence[Ready],
    answers: Sequence[PushResult],
) -> dict[int, list[RemoteDocument]]:
    """For each create refused as `document.number_free`, the documents the tool has under its
    number (job id -> documents), read in one call; {} when the tool cannot say (no
    `DocumentImport`, or the read failed: the refusals then stand as the tool gave them)."""
    refused = [
        r
        for r, a in zip(chunk, answers, strict=True)
        if a.outcome is Outcome.REJECTED
        and a.rule == NUMBER_FREE
        and r.item.remote_id is None
        and isinstance(r.item.payload, DocumentPayload)
    ]
    if not refused or not isinstance(connector, DocumentImport):
        return {}
    entity = refused[0].item.entity
    try:
        found = connector.documents(tenant, entity, [r.item.reference for r in refused])
    except ConnectorError as exc:
        log.warning("looking up documents by number in the tool failed: %s", exc)
        return {}
    return {r.job_id: [d for d in found if d.number == r.item.reference] for r in refused}


def settle_taken(
    session: Session,
    job: SyncJob,
    ready: Ready,
    answer: PushResult,
    found: Sequence[RemoteDocument],
    now: datetime,
) -> PushResult | None:
    """Keep what the tool has under the number, then link the record to the document whose
    contact and total agree (it is pushed again as an update of it: None is returned), or return
    the refusal to record, with the rule and advice naming what is there."""
    payload = ready.item.payload
    assert isinstance(payload, DocumentPayload)
    if job.tenant_id is not None:
        _keep(session, job.tenant_id, ready.item.entity, ready.item.reference, found)
    match = _linkable(ready, payload, found)
    if match is not None:
        jobs.set_remote_ids(session, ready.item.entity, [(ready.item.record_id, match.remote_id)])
        jobs.adopt(session, job, ready.version, remote_id=match.remote_id, now=now)
        jobs.event(
            session,
            job,
            "matched",
            f"{ready.label}: the tool refused to create it ({answer.message}), and has it as "
            f"{match.remote_id} with the same contact and total: linked to it, to be updated",
            version=ready.version,
        )
        return None
    if not found:
        return answer
    theirs = "; ".join(
        f"{d.remote_id} (contact {d.contact_remote_id or '?'}, total "
        f"{_text(d.total) if d.total is not None else '?'} {d.currency or ''})".rstrip()
        for d in found
    )
    ours = f"contact {payload.contact_remote_id or '?'}, total {_text(payload.total)}"
    message = (
        f"the tool already has {ready.item.entity.label} number '{ready.item.reference}': "
        f"{theirs}; booksync's is {ours}, so it is not the same document"
    )
    fix = (
        f"renumber {ready.item.entity.label} '{ready.item.reference}' in booksync, or, if the "
        "tool's document is this one, make its contact and total agree so booksync links it"
    )
    return PushResult(
        answer.key,
        Outcome.REJECTED,
        None,
        message,
        NUMBER_FREE,
        fix,
        request=answer.request,
        response=answer.response,
    )


def _linkable(
    ready: Ready, payload: DocumentPayload, found: Sequence[RemoteDocument]
) -> RemoteDocument | None:
    """The one document found that is plainly this one (the domain's one definition of it)."""
    view = DocumentView(
        ready.item.record_id,
        ready.item.entity,
        ready.item.reference,
        0,
        payload.currency,
        remote_matches=tuple(
            RemoteDocumentView(
                d.remote_id, d.number, d.contact_remote_id, d.total, d.currency, d.status
            )
            for d in found
        ),
    )
    party = PartyView(0, _party_type(ready.item.entity), "", remote_id=payload.contact_remote_id)
    match = linkable(view, party, payload.total)
    return next((d for d in found if match and d.remote_id == match.remote_id), None)


def _party_type(entity: EntityType) -> EntityType:
    return EntityType.SUPPLIER if entity is EntityType.PURCHASE_ORDER else EntityType.CLIENT


def _keep(
    session: Session,
    tenant_id: int,
    entity: EntityType,
    number: str,
    found: Sequence[RemoteDocument],
) -> None:
    """Replace what booksync knew of the tool's documents under `number` with what it found."""
    ids = [d.remote_id for d in found]
    session.execute(
        delete(RemoteDocumentRow).where(
            RemoteDocumentRow.tenant_id == tenant_id,
            RemoteDocumentRow.entity == entity.value,
            or_(RemoteDocumentRow.number == number, RemoteDocumentRow.remote_id.in_(ids)),
        )
    )
    if found:
        session.execute(insert(RemoteDocumentRow), [_row(tenant_id, d) for d in found])


def _row(tenant_id: int, document: RemoteDocument) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "entity": document.entity.value,
        "remote_id": document.remote_id,
        "number": document.number,
        "contact_remote_id": document.contact_remote_id,
        "total": document.total,
        "currency": document.currency,
        "status": document.status,
    }


__all__ = [
    "FIELDS",
    "NUMBER_FREE",
    "describe",
    "differences",
    "record",
    "settle_taken",
    "taken_numbers",
]
