"""`booksync sync plan` and `booksync link` on the command line, over the sample books on the
embedded ledger: what they print, their JSON, and exit code 2 with a clear line for bad input."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from booksync.services.demo import prepare_demo
from booksync.store.db import Store
from cli_support import data, invoke, ok

AU = "Northwind IT AU"


@pytest.fixture(scope="module")
def demo_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample books with their ledgers connected, as `booksync demo` sets them up: made once
    for the module (some 2.5 s), copied for each test by `books`."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOOKSYNC_CACHE_DIR", str(folder / "cache"))
        store = Store(f"sqlite:///{folder / 'books.db'}")
        prepare_demo(store, folder)
        store.dispose()
    return folder


@pytest.fixture
def books(demo_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The sample books with their ledgers connected (as `booksync demo` sets them up) in
    tmp_path: `demo_books`' store and ledger files, copied, with the tenants' ledger folder
    (the one place the store names it) moved to tmp_path's, as `prepare_demo(store, tmp_path)`
    leaves them."""
    monkeypatch.setenv("BOOKSYNC_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(demo_books / "ledgers", tmp_path / "ledgers")
    # SQLite's backup copies the whole database, what its write-ahead log holds too.
    with (
        closing(sqlite3.connect(demo_books / "books.db")) as source,
        closing(sqlite3.connect(tmp_path / "books.db")) as copy,
    ):
        source.backup(copy)
        with copy:
            moved = copy.execute(
                "UPDATE tenants SET connection_detail = ? WHERE connection_detail = ?",
                (str((tmp_path / "ledgers").resolve()), str((demo_books / "ledgers").resolve())),
            ).rowcount
    assert moved == 2  # the two ledger tenants the demo connects
    yield f"sqlite:///{tmp_path / 'books.db'}"


def file_hashes(tmp_path: Path) -> dict[str, str]:
    files = [tmp_path / "books.db", *sorted((tmp_path / "ledgers").glob("*.beancount"))]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_the_plan_prints_each_tenants_actions_and_writes_nothing(
    books: str, tmp_path: Path
) -> None:
    before = file_hashes(tmp_path)
    shown = ok(books, "sync", "plan", "--tenant", AU).stdout
    assert f"Tenant '{AU}' (ledger):" in shown
    assert "by record type" in shown and "what the next pass does" in shown
    assert "purchase_order" in shown and "hold" in shown
    assert "wrote nothing" in shown
    answer = data(books, "sync", "plan")
    assert [t["tenant"] for t in answer["tenants"]][:3] == [
        "Legacy Xero",
        AU,
        "Northwind IT NZ",
    ]
    au = next(t for t in answer["tenants"] if t["tenant"] == AU)
    assert au["counts"]["create"] == sum(c["create"] for c in au["by_type"].values())
    assert (au["calls"], au["cached"]) == (0, True)  # what the first plan read, kept
    fresh = data(books, "sync", "plan", "--tenant", AU, "--fresh")["tenants"][0]
    assert fresh["calls"] == 2 and fresh["reads"] == {"contacts": 1, "items": 1}
    held = next(r for r in au["records"] if r["action"] == "hold")
    assert held["reasons"][0]["id"] and held["reasons"][0]["fix"]
    assert file_hashes(tmp_path) == before


def test_one_records_plan_shows_the_exact_push_item(books: str) -> None:
    shown = ok(books, "sync", "plan", "invoice", "INV-1001").stdout
    assert "Invoice 'INV-1001' → tenant 'Northwind IT AU': CREATE" in shown
    assert "after client 'Redgum Construction Pty Ltd'" in shown
    assert "The exact push item the pass would send:" in shown
    answer = data(books, "sync", "plan", "invoice", "INV-1001")
    assert answer["action"] == "create" and answer["payload"]["reference"] == "INV-1001"
    assert answer["payload"]["payload"]["lines"][0]["account_code"] == "200"
    assert answer["payload"]["key"].startswith("bs-")


def test_after_a_sync_an_edit_shows_field_by_field(books: str) -> None:
    ok(books, "sync", "run")
    ok(books, "client", "edit", "Redgum Construction Pty Ltd", "--email", "ap@redgum.example")
    shown = ok(books, "sync", "plan", "client", "Redgum Construction Pty Ltd").stdout
    assert "UPDATE" in shown and "Field by field" in shown
    row = next(line for line in shown.splitlines() if "≠" in line and " email " in line)
    assert "ap@redgum.example" in row and "accounts@redgum-construction.example.com" in row
    answer = data(books, "sync", "plan", "--tenant", AU)
    assert answer["counts"]["update"] == 1
    updated = next(r for r in answer["tenants"][0]["records"] if r["action"] == "update")
    assert (updated["ref"], updated["changes"]) == ("Redgum Construction Pty Ltd", 1)


def test_link_sets_the_remote_id_and_refuses_one_another_record_uses(books: str) -> None:
    ok(books, "sync", "run")
    linked = data(books, "client", "show", "Redgum Construction Pty Ltd")
    remote_id = linked["remote_id"]
    refused = invoke(books, "link", "client", "Blue Gum Freight Pty Ltd", remote_id)
    assert refused.exit_code == 2
    assert "remote_id:" in refused.stderr and "already linked to client" in refused.stderr
    missing = invoke(books, "link", "client", "Bayside Veterinary Clinic Pty Ltd", "no-such-id")
    assert missing.exit_code == 2 and "is not a client in tenant" in missing.stderr
    done = ok(
        books, "link", "client", "Bayside Veterinary Clinic Pty Ltd", "later-id", "--no-check"
    )
    assert "linked to later-id" in done.stdout
    answer = data(books, "sync", "plan", "client", "Bayside Veterinary Clinic Pty Ltd")
    assert (answer["action"], answer["remote_id"]) == ("update", "later-id")
    assert any("the tool has no client later-id" in n for n in answer["notes"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("sync", "plan", "invoce", "INV-1001"), "type: 'invoce' is not a record type that syncs"),
        (("sync", "plan", "invoice"), "REF: missing after 'invoice'"),
        (("sync", "plan", "invoice", "INV-0"), "invoice: 'INV-0' is not a known invoice"),
        (("sync", "plan", "--tenant", "Nope"), "tenant: 'Nope' is not a known tenant; accepted:"),
        (("link", "client", "Nobody", "x"), "client: 'Nobody' is not a known client"),
        (("link", "client", "Totara Dental Ltd", " "), "remote_id: ' ' is empty"),
    ],
)
def test_bad_input_exits_2_naming_the_field_the_value_and_what_is_accepted(
    books: str, args: tuple[str, ...], expected: str
) -> None:
    result = invoke(books, *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
