"""Handling stored webhook events: claim them, read each record from the tool, record what it holds.

A worker claims a batch of pending events (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers on
many machines share the queue; SQLite has one writer at a time anyway), marks them with its name and
the time (a claim older than the lease falls to another worker: the first one died), and commits.
It then groups them by tenant and record type, reads each record's current state once
(`StateRead.states`: the event said only "look at this id"), records it (`recording`), and marks the
events done. A failure marks them failed with the error; they are tried again after `RETRY_AFTER`,
at most `MAX_ATTEMPTS` times, then left failed with the error kept, for a person to see (and for
polling to cover, which reads the same records anyway).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from booksync.connectors.two_way import StateRead
from booksync.domain.types import EntityType
from booksync.services.inbound.reach import (
    Connectors,
    Sessions,
    closing,
    tenant_by_remote,
    tenant_connector,
)
from booksync.services.inbound.recording import Recorded, record_states
from booksync.services.inbound.upserts import dialect
from booksync.services.tool_calls import CallCounter
from booksync.store.models import InboundEvent, Tenant
from booksync.store.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)
LEASE = timedelta(minutes=5)
BATCH = 200


@dataclass
class Processed:
    """What one round of processing did."""

    claimed: int = 0
    done: int = 0
    failed: int = 0
    #: Failed for the last time (`MAX_ATTEMPTS`): left failed, with the error.
    gave_up: int = 0
    ignored: int = 0
    calls: int = 0
    recorded: Recorded = field(default_factory=Recorded)


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(
    session: Session, worker: str, limit: int, now: datetime, lease: timedelta
) -> list[InboundEvent]:
    free = or_(InboundEvent.claimed_at.is_(None), InboundEvent.claimed_at < now - lease)
    due = or_(
        InboundEvent.status == "pending",
        and_(
            InboundEvent.status == "failed",
            InboundEvent.attempts < MAX_ATTEMPTS,
            InboundEvent.processed_at <= now - RETRY_AFTER,
        ),
    )
    stmt = select(InboundEvent.id).where(due, free).order_by(InboundEvent.id).limit(limit)
    if dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        return []
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.id.in_(ids))
        .values(claimed_by=worker, claimed_at=now)
    )
    return list(session.scalars(select(InboundEvent).where(InboundEvent.id.in_(ids))))


def process_events(
    sessions: Sessions,
    *,
    connectors: Connectors = tenant_connector,
    worker: str | None = None,
    limit: int = BATCH,
    lease: timedelta = LEASE,
    now: datetime | None = None,
) -> Processed:
    """Claim up to `limit` due events and handle them; see the module's docstring."""
    worker = worker or default_worker()
    started = now or utcnow()
    with sessions() as s:
        claimed = _claim(s, worker, limit, started, lease)
        groups: dict[tuple[str, str, str], list[InboundEvent]] = defaultdict(list)
        for e in claimed:
            groups[(e.kind, e.remote_tenant_id, e.entity_type or "")].append(e)
    report = Processed(claimed=len(claimed))
    for (kind, remote_tenant, entity), events in groups.items():
        _group(sessions, connectors, worker, kind, remote_tenant, entity, events, report)
    return report


def _group(
    sessions: Sessions,
    connectors: Connectors,
    worker: str,
    kind: str,
    remote_tenant: str,
    entity: str,
    events: list[InboundEvent],
    report: Processed,
) -> None:
    ids = [e.id for e in events]
    calls = CallCounter()
    try:
        # No transaction is open during the call to the tool: on SQLite it would hold the one
        # write lock, and the webhook receiver must answer within seconds.
        with sessions() as s:
            tenant = tenant_by_remote(s, kind, remote_tenant)
            why = "no such tenant in booksync" if tenant is None else None
            why = why or (None if entity else "a resource booksync does not keep")
            if tenant is None or why is not None:
                _finish(s, worker, ids, "ignored", why)
                report.ignored += len(ids)
                return
            tenant_id, remote = tenant.id, tenant.remote_tenant_id
            connector = connectors(tenant)
        with closing(connector):
            if not isinstance(connector, StateRead):
                with sessions() as s:
                    _finish(s, worker, ids, "ignored", f"the {kind} connector reads no states")
                report.ignored += len(ids)
                return
            calls.attach(connector)
            calls.read()
            remote_ids = list(dict.fromkeys(e.remote_id for e in events))
            states = connector.states(remote, EntityType(entity), remote_ids)
        with sessions() as s:
            tenant = s.get(Tenant, tenant_id)
            assert tenant is not None
            report.recorded.add(record_states(s, tenant, list(states.values()), "webhook"))
            _finish(s, worker, ids, "done", None)
            report.done += len(ids)
    except Exception as exc:  # noqa: BLE001 - any failure: kept on the events, tried again
        why = f"{type(exc).__name__}: {exc}"
        log.warning("webhook events %s for %s %s failed: %s", ids, kind, remote_tenant, why)
        with sessions() as s:
            gave_up = _failed(s, worker, ids, why[:2000])
        report.failed += len(ids)
        report.gave_up += gave_up
    finally:
        report.calls += calls.calls


def _mine(worker: str, ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    # Fenced: a worker whose claim another took over (after the lease) writes nothing.
    return (InboundEvent.id.in_(ids), InboundEvent.claimed_by == worker)


def _finish(s: Session, worker: str, ids: list[int], status: str, error: str | None) -> None:
    s.execute(
        update(InboundEvent)
        .where(*_mine(worker, ids))
        .values(
            status=status,
            error=error,
            attempts=InboundEvent.attempts + 1,
            processed_at=utcnow(),
            claimed_by=None,
            claimed_at=None,
        )
    )


def _failed(s: Session, worker: str, ids: list[int], error: str) -> int:
    _finish(s, worker, ids, "failed", error)
    return len(
        list(
            s.scalars(
                select(InboundEvent.id).where(
                    InboundEvent.id.in_(ids),
                    InboundEvent.status == "failed",
                    InboundEvent.attempts >= MAX_ATTEMPTS,
                )
            )
        )
    )


__all__ = ["BATCH", "LEASE", "MAX_ATTEMPTS", "RETRY_AFTER", "Processed", "process_events"]
