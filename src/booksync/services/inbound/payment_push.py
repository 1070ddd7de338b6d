"""Writing payments recorded in booksync to the tool, once.

Each pending payment is claimed with one conditional UPDATE (attempts + 1, `uncertain` set, the
time noted), committed before the call: whoever's UPDATE matched owns the write, on SQLite and
PostgreSQL alike. The call carries a key stable for the payment ("booksync-payment-<id>"), the
tool's idempotency key where it has one. If the answer is lost (a timeout after sending, a worker
killed mid-call), `uncertain` stays set; after the lease the next attempt first asks the tool
(`PaymentPush.find_payment`) and only writes when the payment is not there. A clear answer makes it
sent (with the tool's id); a clear refusal leaves it pending to try again, failed after
`MAX_ATTEMPTS`, with the error kept.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from booksync.connectors.protocol import ConnectorError, OutcomeUnknown, TransientError
from booksync.connectors.two_way import PaymentPayload, PaymentPush, RemotePayment
from booksync.domain.types import EntityType
from booksync.services.inbound.reach import Connectors, Sessions, closing, tenant_connector
from booksync.services.inbound.tool_payments import money
from booksync.services.tool_calls import CallCounter
from booksync.store.models import Document, Payment, SyncEvent, SyncJob, Tenant
from booksync.store.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: How long a claimed write may take before another worker assumes its answer was lost.
LEASE = timedelta(minutes=5)


@dataclass
class Pushed:
    sent: int = 0
    #: Found in the tool after a lost answer (not written again).
    found: int = 0
    failed: int = 0
    #: Not decided yet: the answer was lost, or the tool asked to wait.
    uncertain: int = 0
    calls: int = 0


def payment_key(payment_id: int) -> str:
    """The payment's idempotency key: the same on every attempt, for the payment's whole life."""
    return f"booksync-payment-{payment_id}"


def _due(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return and_(
        Payment.source == "booksync",
        Payment.status == "pending",
        Payment.attempts < MAX_ATTEMPTS,
        or_(Payment.uncertain.is_(False), Payment.updated_at <= now - lease),
    )


def push_payments(
    sessions: Sessions,
    *,
    connectors: Connectors = tenant_connector,
    tenant_id: int | None = None,
    lease: timedelta = LEASE,
    now: datetime | None = None,
) -> Pushed:
    """Write every due pending payment (of one tenant, when given); see the module's docstring."""
    started = now or utcnow()
    with sessions() as s:
        stmt = select(Payment.id, Payment.tenant_id).where(_due(started, lease))
        if tenant_id is not None:
            stmt = stmt.where(Payment.tenant_id == tenant_id)
        by_tenant: dict[int, list[int]] = defaultdict(list)
        for pid, tid in s.execute(stmt.order_by(Payment.id)):
            by_tenant[tid].append(pid)
    done = Pushed()
    for tid, ids in by_tenant.items():
        _tenant(sessions, connectors, tid, ids, started, lease, done)
    return done


def _claim(
    sessions: Sessions, pid: int, now: datetime, lease: timedelta
) -> tuple[PaymentPayload, bool] | None:
    """Own the write of payment `pid` (None: another worker does, or it is no longer due), and
    whether its last attempt may have reached the tool."""
    with sessions() as s:
        row = s.get(Payment, pid)
        if row is None:
            return None
        was_uncertain = row.uncertain
        claimed = s.execute(
            update(Payment)
            .where(Payment.id == pid, _due(now, lease))
            .values(attempts=Payment.attempts + 1, uncertain=True, updated_at=utcnow())
        )
        if not getattr(claimed, "rowcount", 0):
            return None
        document = s.get(Document, row.document_id)
        assert document is not None
        remote = s.scalar(
            select(SyncJob.remote_id).where(
                SyncJob.entity_type == document.kind, SyncJob.record_id == document.id
            )
        )
        payload = PaymentPayload(
            key=payment_key(pid),
            document_entity=EntityType(document.kind),
            document_remote_id=str(remote or document.remote_id),
            amount=row.amount,
            paid_on=row.paid_on,
            currency=row.currency,
            account_code=row.account_code or "",
            reference=row.reference or payment_key(pid),
        )
        return payload, was_uncertain


def _tenant(
    sessions: Sessions,
    connectors: Connectors,
    tenant_id: int,
    ids: list[int],
    now: datetime,
    lease: timedelta,
    done: Pushed,
) -> None:
    calls = CallCounter()
    with sessions() as s:
        tenant = s.get(Tenant, tenant_id)
        assert tenant is not None
        remote = tenant.remote_tenant_id
        try:
            connector = connectors(tenant)
        except Exception as exc:  # noqa: BLE001 - the tenant cannot be reached now: try later
            log.warning("payments for tenant %s not written: %s", tenant.name, exc)
            return
    with closing(connector):
        if not isinstance(connector, PaymentPush):
            return  # its tool takes no payments from booksync: they stay pending, visibly
        calls.attach(connector)
        for pid in ids:
            claimed = _claim(sessions, pid, now, lease)
            if claimed is None:
                continue
            payload, was_uncertain = claimed
            _write(sessions, connector, remote, pid, payload, was_uncertain, calls, done)
    done.calls += calls.calls


def _write(
    sessions: Sessions,
    connector: PaymentPush,
    remote: str,
    pid: int,
    payload: PaymentPayload,
    was_uncertain: bool,
    calls: CallCounter,
    done: Pushed,
) -> None:
    try:
        found = None
        if was_uncertain:
            calls.read()
            found = connector.find_payment(remote, payload)
        if found is None:
            calls.read()
            answer = connector.push_payment(remote, payload)
        else:
            answer = found
    except (OutcomeUnknown, TimeoutError) as exc:
        done.uncertain += 1  # stays uncertain: looked up before any new write
        with sessions() as s:
            s.execute(update(Payment).where(Payment.id == pid).values(last_error=str(exc)[:2000]))
        return
    except (TransientError, ConnectorError) as exc:
        transient = isinstance(exc, TransientError)  # nothing applied: try again
        with sessions() as s:
            row = s.get(Payment, pid)
            assert row is not None
            row.uncertain = False
            row.last_error = str(exc)[:2000]
            gave_up = row.attempts >= MAX_ATTEMPTS
            if gave_up:
                row.status = "failed"
        done.failed += gave_up or not transient
        done.uncertain += transient and not gave_up
        return
    with sessions() as s:
        _sent(s, pid, answer, found is not None)
    done.sent += found is None
    done.found += found is not None


def _sent(s: Session, pid: int, answer: RemotePayment, found: bool) -> None:
    row = s.get(Payment, pid)
    assert row is not None
    # The tool's payment may already be here from a webhook read before this answer: one row.
    s.execute(
        delete(Payment).where(
            Payment.tenant_id == row.tenant_id,
            Payment.remote_id == answer.remote_id,
            Payment.id != pid,
            Payment.source == "tool",
        )
    )
    row.status, row.remote_id, row.uncertain, row.last_error = "sent", answer.remote_id, False, None
    document = s.get(Document, row.document_id)
    assert document is not None
    how = "found in the tool after an unanswered write" if found else "written to the tool"
    s.add(
        SyncEvent(
            entity_type=document.kind,
            record_id=document.id,
            tenant_id=row.tenant_id,
            kind="payment",
            message=(
                f"payment of {money(row.amount, row.currency)} on {row.paid_on.isoformat()} {how} "
                f"as {answer.remote_id}"
            ),
            response={"remote_id": answer.remote_id, "key": payment_key(pid)},
        )
    )


__all__ = ["LEASE", "MAX_ATTEMPTS", "Pushed", "payment_key", "push_payments"]
