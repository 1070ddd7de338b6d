"""The lazy root: `booksync --help` lists every command from a table without importing them, and a
command loads only what it needs. The table cannot drift from the commands themselves, and the two
paths people type all day stay free of the heavy packages (import assertions, not timings: those
are in `python -m bench cli`)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

import booksync.cli
from booksync.cli import app, command_table, load
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS, DOCUMENTS, PRODUCTS, TENANTS, configure_integration
from booksync.store.db import Store

#: Runs the command line in a fresh interpreter as `python -m booksync ARGS` does, then writes the
#: exit code and every module it imported to the file named by its first argument.
PROBE = """
import json, runpy, sys
out, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["booksync", *args]
code = 0
try:
    runpy.run_module("booksync", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def run_fresh(tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    """The exit code, the modules imported and the output of `booksync ARGS` in a new process."""
    out = tmp_path / "probe.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.is_file(), done.stderr
    probe = json.loads(out.read_text())
    return probe["code"], set(probe["modules"]), done.stdout


def imported(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` (or their submodules) were imported."""
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


# -- the table and the commands agree -----------------------------------------------------------


@pytest.mark.parametrize("name", list(command_table()))
def test_every_listed_command_loads_and_its_help_is_the_tables_line(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert command.get_short_help_str(limit=10_000) == command_table()[name][1]


def test_every_command_registered_on_the_app_is_listed() -> None:
    for module in pkgutil.iter_modules(booksync.cli.__path__, "booksync.cli."):
        importlib.import_module(module.name)
    load(next(iter(command_table())))  # registers the tools' groups, as running one would
    registered = set(typer.main.get_group(app).commands)
    assert registered, "no command registered: the modules did not add themselves to `app`"
    assert sorted(registered - set(command_table())) == []


# -- what the two everyday paths import ------------------------------------------------------------


def test_help_imports_no_store_server_tool_or_validation_package(tmp_path: Path) -> None:
    code, modules, shown = run_fresh(tmp_path, "--help")
    assert code == 0
    listed = re.findall(r"^  (\S+)  ", shown.split("Commands:")[1], re.MULTILINE)
    assert listed == list(command_table())
    heavy = ("sqlalchemy", "fastapi", "httpx", "beancount", "pydantic", "alembic")
    assert imported(modules, heavy) == []
    # The plain root help: Typer's Rich help imports Markdown, Pygments and Rich's tracebacks.
    assert imported(modules, ("typer.rich_utils", "rich")) == []


@pytest.fixture
def books(tmp_path: Path) -> str:
    """A store with one invoice to diagnose."""
    url = f"sqlite:///{tmp_path / 'books.db'}"
    store = Store(url)
    with store.session() as s:
        configure_integration(s, "ledger", {"enabled": True})
        TENANTS.create_for(s, "ledger", {"name": "Acme AU"})
        CLIENTS.create(s, {"name": "Acme Ltd", "tenant": "Acme AU"})
        PRODUCTS.create(s, {"name": "Backup", "price": "49", "tenant": "Acme AU"})
        DOCUMENTS[EntityType.INVOICE].create(
            s, {"number": "INV-1", "party": "Acme Ltd", "lines": [{"product": "Backup"}]}
        )
    store.dispose()
    return url


def test_a_one_record_doctor_imports_no_migration_server_or_tool_package(
    tmp_path: Path, books: str
) -> None:
    code, modules, shown = run_fresh(
        tmp_path, "--db", books, "doctor", "invoice", "INV-1", "--json"
    )
    assert code in (0, 1), shown
    assert json.loads(shown)["record"] == {"type": "invoice", "ref": "INV-1", "id": 1}
    assert imported(modules, ("alembic", "fastapi", "httpx", "beancount")) == []
    # Nor the input models (a read builds no Pydantic model), nor Rich for a `--json` answer.
    assert imported(modules, ("booksync.services.inputs", "rich")) == []
