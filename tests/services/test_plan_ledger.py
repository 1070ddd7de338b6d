"""The plan over the sample books on the embedded ledger (`booksync demo`'s set-up): the ledger's
files and the store are unchanged by it, the pass that follows does what it said, and after an edit
the diff is read back from the Beancount file itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from booksync.domain.types import EntityType
from booksync.services import sync as sync_service
from booksync.services.demo import prepare_demo
from booksync.services.plan import plan, plan_record
from booksync.services.plan_model import Action
from booksync.services.records import CLIENTS, DOCUMENTS
from booksync.store.db import Store
from services.test_plan_support import store_state


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))


def ledgers(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((folder / "ledgers").glob("*.beancount"))
    }


def test_the_sample_books_plan_then_sync_on_the_ledger(store: Store, tmp_path: Path) -> None:
    prepare_demo(store, tmp_path)
    books_before, store_before = ledgers(tmp_path), store_state(store)
    result = plan(store)
    assert ledgers(tmp_path) == books_before and store_state(store) == store_before
    counts = result.counts()
    assert counts["create"] > 300 and counts["hold"] > 0
    assert counts["update"] == counts["link"] == 0  # nothing was ever synced
    # Reading a ledger means reading its file: contacts and items, once each per tenant.
    read = [t for t in result.tenants if t.calls]
    assert read and all(t.reads == {"contacts": 1, "items": 1} for t in read)
    passed = sync_service.run_pass(store)
    assert passed.count("synced") == counts["create"]
    assert passed.count("blocked") == counts["hold"]
    again = plan(store)
    assert again.counts()["create"] == 0 and again.counts()["nothing"] == counts["create"]


def test_after_an_edit_the_diff_is_read_back_from_the_ledger_file(
    store: Store, tmp_path: Path
) -> None:
    prepare_demo(store, tmp_path)
    sync_service.run_pass(store)
    with store.session() as s:
        CLIENTS.update(s, "Redgum Construction Pty Ltd", {"email": "ap@redgum.example"})
        DOCUMENTS[EntityType.INVOICE].update(s, "INV-1001", {"reference": "October, revised"})
    before = ledgers(tmp_path)
    client, _ = plan_record(store, "client", "Redgum Construction Pty Ltd")
    assert client.action is Action.UPDATE
    changed = {r.field: r for r in client.diff or [] if r.changed}
    assert list(changed) == ["email"] and changed["email"].booksync == "ap@redgum.example"
    invoice, tenant = plan_record(store, "invoice", "INV-1001")
    assert invoice.action is Action.UPDATE and tenant.reads == {"fetch": 1}
    rows = {r.field: r for r in invoice.diff or []}
    assert rows["reference"].changed
    assert rows["reference"].tool == "Managed services October 2025"
    unchanged = ("number", "issue_date", "due_date", "currency", "status", "contact_remote_id")
    assert not any(rows[f].changed for f in unchanged)
    assert rows["lines"].booksync == rows["lines"].tool and not rows["lines"].changed
    assert not rows["lines[1].quantity"].changed and not rows["lines[1].unit_price"].changed
    assert ledgers(tmp_path) == before
