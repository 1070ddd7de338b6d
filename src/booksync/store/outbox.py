"""The outbox: every create or edit writes its sync job in the same database transaction.

Hooked into the sessions of the store's own session factory (`Store.session()`), so no face (CLI,
API, web) can save a record without its job. A syncable record's change bumps its version and
(re)queues its job; a change to something a record's sync depends on (account codes, tax rates, item
groups, integration settings, tenants) releases the blocked jobs it may have fixed, for the engine
to evaluate again. Writes the engine makes itself
(remote IDs, job states) use plain UPDATE statements and do not pass through here.

On PostgreSQL a transaction that queues or releases a job also sends `NOTIFY booksync_sync_jobs`,
delivered when it commits, so an idle worker (`booksync.sync.wakeup`) pushes it at once instead of
at its next poll; `wake(session)` does the same for a job made due by other means (a retry).
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import case, delete, event, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from booksync.store.models import (
    AccountCode,
    DocumentLine,
    Integration,
    ItemGroup,
    Syncable,
    SyncEvent,
    SyncJob,
    SyncJobBlocker,
    TaxRate,
    TaxRateMapping,
    Tenant,
    TenantTaxType,
)
from booksync.store.types import utcnow

_CHANGED = "booksync.changed_records"
_RELEASE = "booksync.release_subjects"
#: Records whose version this transaction already bumped: one edit is one version, however many
#: flushes (autoflush before a lookup, say) the transaction takes.
_BUMPED = "booksync.version_bumped"
ALL = ("*", None)
#: Set once this transaction has sent its NOTIFY (one is enough: PostgreSQL delivers it on commit).
_NOTIFIED = "booksync.notified"
#: The PostgreSQL channel on which a transaction that made a job due says so (`wakeup.py` listens).
CHANNEL = "booksync_sync_jobs"

#: The states a change can lift: held by a rule, or rejected by the tool for something fixable.
RELEASABLE = ("blocked", "failed")


def install(sessions: sessionmaker[Session]) -> None:
    """Attach the outbox to every session `sessions` makes (idempotent).

    Scoped to booksync's own session factory (the one `Store` opens), never to SQLAlchemy's global
    `Session` class: another library's sessions in the same process, or a plain `Session` on the
    same engine, write no sync jobs.
    """
    # Marked on the factory itself: `event.contains` keys its registry by id(), which a new factory
    # can share with a collected one, and would then wrongly answer "already installed".
    if getattr(sessions, "_booksync_outbox", False):
        return
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "after_transaction_end", _after_transaction_end)
    sessions._booksync_outbox = True  # type: ignore[attr-defined]


def _dependency_subjects(obj: Any, is_new: bool, session: Session) -> list[tuple[str, int | None]]:
    """What a change to a non-syncable record may unblock."""
    # Disabling lifts no blocker: releasing would show held jobs as "pending" next to the
    # doctor's "Blocked" (integration.enabled) until the next pass blocks them again.
    disabled = isinstance(obj, Integration) and not is_new and not obj.enabled
    if disabled and _changed_attrs(obj, session) <= {"enabled", "updated_at"}:
        return []
    if isinstance(obj, Integration | Tenant | TenantTaxType):
        return [ALL]
    if isinstance(obj, AccountCode):
        return [ALL] if obj.imported_from_tool or is_new else [("account_code", obj.id)]
    if isinstance(obj, ItemGroup):
        return [("item_group", obj.id)]
    if isinstance(obj, TaxRate):
        default_changed = "is_default" in _changed_attrs(obj, session)
        return [ALL] if is_new or default_changed else [("tax_rate", obj.id)]
    if isinstance(obj, TaxRateMapping):
        return [("tax_rate", obj.tax_rate_id)]
    return []


def _changed_attrs(obj: Any, session: Session) -> set[str]:
    from sqlalchemy import inspect

    state = inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()}


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    changed: dict[int, Syncable] = session.info.setdefault(_CHANGED, {})
    release: set[tuple[str, int | None]] = session.info.setdefault(_RELEASE, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        is_new = obj in session.new
        is_deleted = obj in session.deleted
        if isinstance(obj, Syncable):
            if is_deleted:
                continue
            if is_new or session.is_modified(obj, include_collections=False):
                changed[id(obj)] = obj
        elif isinstance(obj, DocumentLine):
            document = obj.document
            if document is not None and document not in session.deleted:
                changed[id(document)] = document
        elif is_new or is_deleted or session.is_modified(obj, include_collections=False):
            release.update(_dependency_subjects(obj, is_new, session))
    bumped: dict[int, Syncable] = session.info.setdefault(_BUMPED, {})
    for obj in changed.values():
        if id(obj) not in bumped:
            obj.version = (obj.version or 0) + 1
            bumped[id(obj)] = obj  # held, so its id cannot be reused within the transaction


def _after_flush(session: Session, _ctx: Any) -> None:
    changed: dict[int, Syncable] = session.info.pop(_CHANGED, {})
    release: set[tuple[str, int | None]] = session.info.pop(_RELEASE, set())
    conn = session.connection()
    now = utcnow()
    for obj in changed.values():
        entity = obj.entity_type.value
        values: dict[str, Any] = {
            "entity_type": entity,
            "record_id": obj.id,
            "record_version": obj.version,
            "tenant_id": getattr(obj, "tenant_id", None),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": None,
            "blocked_reasons": [],
            "last_error": None,
            "error_rule": None,
            "error_fix": None,
            "created_at": now,
            "updated_at": now,
        }
        _upsert_job(conn, values)
        conn.execute(
            insert(SyncEvent).values(
                entity_type=entity,
                record_id=obj.id,
                record_version=obj.version,
                kind="changed",
                message=f"{obj.entity_type.label} '{obj.reference}' saved (version {obj.version})",
                at=now,
            )
        )
        release.add((entity, obj.id))
    for subject in sorted(release, key=lambda s: (s[0], s[1] or 0)):
        _release(conn, subject, now)
    if changed or release:
        wake(session)


def wake(session: Session) -> None:
    """Tell idle workers, when this transaction commits, that a sync job may be due (PostgreSQL's
    NOTIFY; once per transaction, and nothing on SQLite, whose workers poll)."""
    if session.info.get(_NOTIFIED):
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    session.info[_NOTIFIED] = True


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # Any end, a savepoint's too: a NOTIFY in a savepoint rolled back is not sent, so say it again.
    session.info.pop(_NOTIFIED, None)
    if transaction.parent is None:
        session.info.pop(_BUMPED, None)


def _upsert_job(conn: Any, values: dict[str, Any]) -> None:
    keep: dict[str, Any] = {
        k: v for k, v in values.items() if k not in ("entity_type", "record_id", "created_at")
    }
    # A push in flight finishes first (the engine then sees the newer version and queues it as an
    # update); letting another worker take the new version now could create the remote object twice.
    in_flight = SyncJob.status == "in_flight"
    keep["status"] = case((in_flight, "in_flight"), else_="pending")
    keep["attempts"] = case((in_flight, SyncJob.attempts), else_=0)
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        # Only the dialect in use is imported: PostgreSQL's is a cost a SQLite store need not pay.
        mod: Any = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
        stmt = mod.insert(SyncJob).values(**values)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["entity_type", "record_id"], set_=keep)
        )
    else:  # pragma: no cover - other databases are not supported yet
        raise RuntimeError(f"unsupported database dialect: {dialect}")
    job_id = conn.execute(
        select(SyncJob.id).where(
            SyncJob.entity_type == values["entity_type"], SyncJob.record_id == values["record_id"]
        )
    ).scalar_one()
    conn.execute(delete(SyncJobBlocker).where(SyncJobBlocker.job_id == job_id))


def _release(conn: Any, subject: tuple[str, int | None], now: Any) -> None:
    stmt = update(SyncJob).where(SyncJob.status.in_(RELEASABLE))
    if subject != ALL:
        held = select(SyncJobBlocker.job_id).where(
            SyncJobBlocker.subject_type == subject[0], SyncJobBlocker.subject_id == subject[1]
        )
        stmt = stmt.where(SyncJob.id.in_(held))
    conn.execute(stmt.values(status="pending", next_attempt_at=None, updated_at=now))
