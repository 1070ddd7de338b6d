"""Polling: what webhooks missed, read from the tool's change feed (Xero's If-Modified-Since,
QuickBooks' Change Data Capture). Webhooks make it fast; polling makes it complete.

Per tenant whose connector has a `ChangeFeed`: ask for every change since the stored watermark less
an overlap (so a change made while the last pass ran, or stamped by a clock a little behind, is read
again rather than missed; reading one twice changes nothing), record each state, and only after the
whole pass succeeded move the watermark to the time the pass started. A pass that fails leaves the
watermark where it was and says why in `watermarks.last_result`. The first pass, and one whose
watermark is older than the feed can reach back (`feed_window_days`: 30 for CDC), asks for
everything (`since` None), which the ChangeFeed protocol defines as the connector's full read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.connectors.two_way import ChangeFeed, RemoteState
from booksync.domain.types import ConnectionState, EntityType
from booksync.services.inbound.reach import Connectors, Sessions, closing, tenant_connector
from booksync.services.inbound.recording import Recorded, record_states
from booksync.services.inbound.upserts import insert_new
from booksync.services.references import find
from booksync.services.tool_calls import CallCounter
from booksync.store.models import Integration, Tenant, Watermark
from booksync.store.types import utcnow

log = logging.getLogger(__name__)

STREAM = "changes"
OVERLAP = timedelta(minutes=5)
#: States recorded per transaction: a long feed never holds the store's write lock for long.
PAGE = 200


@dataclass
class TenantPull:
    """One tenant's pass."""

    tenant: str
    since: datetime | None = None
    states: int = 0
    changes: int = 0
    payments: int = 0
    drifted: int = 0
    calls: int = 0
    #: Where the watermark moved to (None: it did not move).
    advanced_to: datetime | None = None
    error: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "since": self.since.isoformat() if self.since else None,
            "states": self.states,
            "changes": self.changes,
            "payments": self.payments,
            "drifted": self.drifted,
            "calls": self.calls,
            "advanced_to": self.advanced_to.isoformat() if self.advanced_to else None,
            "error": self.error,
            "note": self.note,
        }


@dataclass
class PullReport:
    tenants: list[TenantPull] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.tenants)

    @property
    def changes(self) -> int:
        return sum(t.changes for t in self.tenants)

    @property
    def payments(self) -> int:
        return sum(t.payments for t in self.tenants)

    @property
    def clean(self) -> bool:
        return all(t.error is None for t in self.tenants)

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "payments": self.payments,
            "calls": self.calls,
            "tenants": [t.to_json() for t in self.tenants],
        }


def _tenant_ids(session: Session, ref: str | None) -> list[int]:
    if ref is not None:
        return [find(session, Tenant, ref, field="tenant").id]
    return list(
        session.scalars(
            select(Tenant.id)
            .join(Integration, Tenant.integration_id == Integration.id)
            .where(
                Integration.enabled.is_(True),
                Tenant.connection_state == ConnectionState.CONNECTED.value,
            )
            .order_by(Tenant.id)
        )
    )


def pull(
    sessions: Sessions,
    tenant: str | None = None,
    *,
    connectors: Connectors = tenant_connector,
    overlap: timedelta = OVERLAP,
    now: datetime | None = None,
    due_after: timedelta | None = None,
) -> PullReport:
    """One polling pass over `tenant` (a name or #id) or every connected tenant of an enabled
    integration; see the module's docstring. A tenant's failure is reported, not raised.

    `due_after` (the workers' schedule): only tenants whose last pass, by any worker, ended longer
    ago than that, each taken by one worker (`_take`), so N workers poll a tenant once per interval
    between them, not N times."""
    with sessions() as s:
        ids = _tenant_ids(s, tenant)
    report = PullReport()
    for tenant_id in ids:
        if due_after is not None and not _take(sessions, tenant_id, due_after):
            continue
        report.tenants.append(_pull_one(sessions, connectors, tenant_id, overlap, now))
    return report


def _take(sessions: Sessions, tenant_id: int, due_after: timedelta) -> bool:
    """Whether this worker polls the tenant now: its watermark was last touched longer ago than
    `due_after`, and this worker's conditional update touched it first (another worker's update
    makes ours match no row). A tenant never polled has no row yet: its first pass is anyone's."""
    cutoff = utcnow() - due_after
    with sessions() as s:
        taken = s.execute(
            update(Watermark)
            .where(
                Watermark.tenant_id == tenant_id,
                Watermark.stream == STREAM,
                Watermark.updated_at < cutoff,
            )
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            return True
        return not s.scalar(
            select(Watermark.id).where(Watermark.tenant_id == tenant_id, Watermark.stream == STREAM)
        )


def _pull_one(
    sessions: Sessions,
    connectors: Connectors,
    tenant_id: int,
    overlap: timedelta,
    now: datetime | None,
) -> TenantPull:
    started = now or utcnow()
    calls = CallCounter()
    with sessions() as s:
        tenant = s.get(Tenant, tenant_id)
        assert tenant is not None
        done = TenantPull(tenant.name)
        position = s.scalar(
            select(Watermark.position).where(
                Watermark.tenant_id == tenant_id, Watermark.stream == STREAM
            )
        )
        entities = [EntityType(e) for e in tenant.integration.entities_to_sync]
        remote = tenant.remote_tenant_id
        try:
            connector = connectors(tenant)
        except Exception as exc:  # noqa: BLE001 - a tenant that cannot be reached is reported
            done.error = f"{type(exc).__name__}: {exc}"
            return done
    recorded = Recorded()
    try:
        with closing(connector):
            if not isinstance(connector, ChangeFeed):
                done.note = "its tool has no change feed: nothing to poll"
                return done
            since = position - overlap if position is not None else None
            window = connector.feed_window_days
            if since is not None and window is not None and since < started - timedelta(window):
                done.note = (
                    f"the last clean pass is older than the {window}-day window the tool's feed "
                    "reaches back: read everything"
                )
                since = None
            done.since = since
            calls.attach(connector)
            calls.read()
            page: list[RemoteState] = []
            for state in connector.changes(remote, entities, since):
                page.append(state)
                if len(page) >= PAGE:
                    recorded.add(_record(sessions, tenant_id, page))
                    page = []
            recorded.add(_record(sessions, tenant_id, page))
    except Exception as exc:  # noqa: BLE001 - the watermark stays; the next pass reads again
        done.error = f"{type(exc).__name__}: {exc}"
        log.warning("polling tenant %s failed: %s", done.tenant, done.error)
    finally:
        done.calls = calls.calls
        done.states, done.changes = recorded.states, recorded.changed
        done.payments, done.drifted = recorded.payments, recorded.drifted
    with sessions() as s:
        _mark(s, tenant_id, None if done.error else started, _result(done))
    if done.error is None:
        done.advanced_to = started
    return done


def _record(sessions: Sessions, tenant_id: int, states: list[RemoteState]) -> Recorded:
    if not states:
        return Recorded()
    with sessions() as s:
        tenant = s.get(Tenant, tenant_id)
        assert tenant is not None
        return record_states(s, tenant, states, "polling")


def _result(done: TenantPull) -> str:
    if done.error:
        return f"failed: {done.error}"[:2000]
    return f"{done.changes} changes, {done.payments} payments, {done.calls} calls"


def _mark(session: Session, tenant_id: int, position: datetime | None, result: str) -> None:
    """Move the watermark to `position` (None: leave it) and note the pass's outcome."""
    row = session.scalars(
        select(Watermark).where(Watermark.tenant_id == tenant_id, Watermark.stream == STREAM)
    ).first()
    if row is None:
        if position is None:
            return  # a first pass that failed: nothing read, nothing to keep
        insert_new(
            session,
            Watermark,
            [
                {
                    "tenant_id": tenant_id,
                    "stream": STREAM,
                    "position": position,
                    "updated_at": utcnow(),
                    "last_result": result,
                }
            ],
            ["tenant_id", "stream"],
        )
        return
    if position is not None and position > row.position:
        row.position = position
    row.last_result = result
    row.updated_at = utcnow()  # the pass's end: the schedule counts from it


__all__ = ["OVERLAP", "PAGE", "STREAM", "PullReport", "TenantPull", "pull"]
