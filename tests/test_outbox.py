"""The outbox: a create or edit and its sync job are one transaction; a fixed dependency releases
the jobs it blocked; and a process killed right after the commit still leaves the job behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.store.db import Store
from booksync.store.models import AccountCode, Client, SyncEvent, SyncJob, SyncJobBlocker
from cli_support import invoke, ok, seed


def _job(store: Store, entity: str, record_id: int) -> SyncJob | None:
    with store.session() as s:
        return s.scalars(
            select(SyncJob).where(SyncJob.entity_type == entity, SyncJob.record_id == record_id)
        ).first()


def _jobs(store: Store) -> dict[tuple[str, int], SyncJob]:
    with store.session() as s:
        return {(j.entity_type, j.record_id): j for j in s.scalars(select(SyncJob))}


def _set_status(store: Store, job_id: int, status: str, **values: Any) -> None:
    with store.session() as s:
        s.execute(update(SyncJob).where(SyncJob.id == job_id).values(status=status, **values))


@pytest.mark.parametrize(
    ("entity", "command", "args"),
    [
        ("client", "client", ["Acme Ltd", "--tenant", "Acme AU"]),
        ("supplier", "supplier", ["Disk Co"]),
        ("product", "product", ["Backup 2TB", "--price", "79"]),
        ("invoice", "invoice", ["INV-1", "--client", "Base Client", "--line", "Backup 1TB:1"]),
        (
            "sales_order",
            "sales-order",
            ["SO-1", "--client", "Base Client", "--line", "Backup 1TB:1"],
        ),
        (
            "purchase_order",
            "purchase-order",
            ["PO-1", "--supplier", "Base Supplier", "--line", "Backup 1TB:1"],
        ),
        (
            "credit_note",
            "credit-note",
            ["CN-1", "--client", "Base Client", "--line", "Backup 1TB:1"],
        ),
    ],
)
def test_creating_a_syncable_record_queues_its_job(
    store: Store, db_url: str, entity: str, command: str, args: list[str]
) -> None:
    seed(db_url)
    before = _jobs(store)
    ok(db_url, command, "add", *args)
    new = {key: job for key, job in _jobs(store).items() if key not in before}
    assert [(key[0], job.record_version, job.status) for key, job in new.items()] == [
        (entity, 1, "pending")
    ]
    with store.session() as s:
        (record_id,) = [key[1] for key in new]
        events = s.scalars(
            select(SyncEvent).where(
                SyncEvent.entity_type == entity, SyncEvent.record_id == record_id
            )
        ).all()
    assert [(e.kind, e.record_version) for e in events] == [("changed", 1)]


def test_an_edit_requeues_a_synced_record_with_its_new_version(store: Store, db_url: str) -> None:
    seed(db_url)
    ok(db_url, "invoice", "add", "INV-1", "--client", "Base Client", "--line", "Backup 1TB:1")
    job = _job(store, "invoice", 1)
    assert job is not None
    _set_status(store, job.id, "synced", synced_version=1, remote_id="inv-remote-1")

    ok(db_url, "invoice", "edit", "INV-1", "--line", "Backup 1TB:3", "--reference", "PO-9")
    edited = _job(store, "invoice", 1)
    assert edited is not None
    assert (edited.status, edited.record_version) == ("pending", 2)  # one edit, one version
    assert edited.remote_id == "inv-remote-1"  # so the engine updates instead of creating


def test_settings_records_queue_no_job_of_their_own(store: Store, db_url: str) -> None:
    seed(db_url)
    before = _jobs(store)
    ok(db_url, "tax-rate", "add", "Zero Rated", "--percent", "0")
    ok(db_url, "account-code", "add", "Consulting", "--code", "210", "--kind", "income")
    ok(db_url, "item-group", "add", "Support")
    assert _jobs(store).keys() == before.keys()


def _blocked_on_account_code(store: Store, entity: str, record_id: int, code: str) -> int:
    """Mark a record's job blocked by an account code, as the engine would."""
    job = _job(store, entity, record_id)
    assert job is not None
    with store.session() as s:
        account = s.scalars(select(AccountCode).where(AccountCode.code == code)).one()
        s.execute(update(SyncJob).where(SyncJob.id == job.id).values(status="blocked"))
        s.add(SyncJobBlocker(job_id=job.id, subject_type="account_code", subject_id=account.id))
    return job.id


def test_fixing_an_account_code_releases_exactly_the_jobs_it_blocked(
    store: Store, db_url: str
) -> None:
    seed(db_url)
    ok(db_url, "product", "add", "Backup 2TB", "--price", "79")
    held_by_sales = _blocked_on_account_code(store, "product", 1, "200")
    held_by_purchases = _blocked_on_account_code(store, "product", 2, "300")

    ok(db_url, "account-code", "edit", "200", "--code", "201")

    jobs = {job.id: job for job in _jobs(store).values()}
    assert jobs[held_by_sales].status == "pending"
    assert jobs[held_by_purchases].status == "blocked"
    assert jobs[held_by_sales].record_version == 1  # released, not re-versioned


def test_a_rejected_edit_releases_nothing(store: Store, db_url: str) -> None:
    """The code change may already be flushed (and its jobs released) when the unknown tenant is
    found; the whole transaction, release included, must roll back."""
    seed(db_url)
    held = _blocked_on_account_code(store, "product", 1, "200")
    rejected = invoke(db_url, "account-code", "edit", "200", "--code", "201", "--tenant", "Nowhere")
    assert rejected.exit_code == 2
    assert {job.id: job.status for job in _jobs(store).values()}[held] == "blocked"
    with store.session() as s:
        assert s.scalars(select(AccountCode.code).order_by(AccountCode.id)).all() == ["200", "300"]


KILL_AFTER_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from booksync.cli import app

    # Die the instant the command's transaction commits: before it prints, closes or cleans up.
    event.listen(Session, "after_commit", lambda session: os.kill(os.getpid(), signal.SIGKILL))
    app(sys.argv[1:], prog_name="booksync")
    """
)


@pytest.mark.slow
def test_the_job_survives_a_kill_right_after_the_commit(store: Store, db_url: str) -> None:
    seed(db_url)
    args = ["invoice", "add", "INV-1", "--client", "Base Client", "--line", "Backup 1TB:2:49"]
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT, "--db", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "created" not in proc.stdout  # killed before it could report success

    job = _job(store, "invoice", 1)
    assert job is not None
    assert (job.status, job.record_version) == ("pending", 1)
    shown = ok(db_url, "invoice", "show", "INV-1", "--json").stdout
    assert '"subtotal": "98.00"' in shown


def test_only_the_stores_own_sessions_write_sync_jobs(store: Store) -> None:
    """The outbox listens on the store's session factory, not on every SQLAlchemy `Session`."""
    with Session(store.engine) as plain, plain.begin():
        plain.add(Client(name="Outside Ltd"))
    with store.session() as s:
        s.add(Client(name="Inside Ltd"))
    with store.session() as s:
        versions = {name: v for name, v in s.execute(select(Client.name, Client.version))}
        queued = s.execute(
            select(Client.name, SyncJob.record_version).join(
                SyncJob, (SyncJob.entity_type == "client") & (SyncJob.record_id == Client.id)
            )
        ).all()
    assert versions == {"Outside Ltd": 0, "Inside Ltd": 1}
    assert [tuple(row) for row in queued] == [("Inside Ltd", 1)]
