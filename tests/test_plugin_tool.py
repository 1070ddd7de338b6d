"""A new accounting tool is one package: a tiny tool from tests/plugin_tool, installed with pip
through the `booksync.tools` entry point, is listed, connected and synced to by the unchanged
`booksync` command line, with no edit anywhere else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugin_tool"
BOOKSYNC = [sys.executable, "-m", "booksync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example tool installed by pip into a folder of its own (a real install: its metadata,
    entry point and package data are what pip wrote)."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / "plugin_tool"
    shutil.copytree(PLUGIN, source)  # the build writes beside its sources: not in the repository
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert list(target.glob("booksync_example_tool-*.dist-info/entry_points.txt"))
    return target


def run(site: Path, tmp: Path, *args: str, ok: bool = True) -> str:
    env = {**os.environ, "PYTHONPATH": str(site), "BOOKSYNC_SECRET_KEY_FILE": str(tmp / "key")}
    done = subprocess.run(
        [*BOOKSYNC, "--db", str(tmp / "books.db"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )
    assert (done.returncode == 0) is ok, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_an_installed_tool_is_listed_connected_and_synced_to(site: Path, tmp_path: Path) -> None:
    listed = json.loads(run(site, tmp_path, "integration", "list", "--json"))
    assert [i["kind"] for i in listed] == ["ledger", "xero", "quickbooks", "example"]
    assert listed[-1]["label"] == "Example Books" and listed[-1]["connection"] == "folder"

    run(site, tmp_path, "integration", "enable", "example")
    run(
        site,
        tmp_path,
        "integration",
        "configure",
        "example",
        "--entities",
        "client,product,invoice",
    )
    run(
        site,
        tmp_path,
        "tenant",
        "add",
        "Shop",
        "--integration",
        "example",
        "--remote-id",
        "shop",
        "--currency",
        "AUD",
    )
    run(site, tmp_path, "tax-rate", "add", "GST", "--percent", "10", "--default")
    run(site, tmp_path, "tax-rate", "map", "GST", "--tenant", "Shop", "--tax-type", "GST")
    run(site, tmp_path, "account-code", "add", "Sales", "--kind", "income", "--code", "200")
    run(site, tmp_path, "client", "add", "Acme Ltd", "--tenant", "Shop")
    run(
        site,
        tmp_path,
        "product",
        "add",
        "Backup 1TB",
        "--price",
        "49",
        "--income-account",
        "Sales",
        "--tenant",
        "Shop",
    )
    run(
        site,
        tmp_path,
        "invoice",
        "add",
        "INV-1",
        "--client",
        "Acme Ltd",
        "--line",
        "Backup 1TB:2:49.00",
    )
    connected = run(site, tmp_path, "tenant", "connect", "Shop", "--dir", str(tmp_path / "books"))
    assert "connected" in connected and "2 account codes" in connected.replace("\n", " ")

    run(site, tmp_path, "sync", "run")
    book = json.loads((tmp_path / "books" / "shop.json").read_text())
    held = sorted((o["entity"], o["reference"]) for o in book["objects"].values())
    assert [e for e, _ in held] == ["client", "invoice", "product"]
    invoice = next(o for o in book["objects"].values() if o["entity"] == "invoice")
    assert Decimal(invoice["payload"]["lines"][0]["quantity"]) == 2
    doctor = json.loads(run(site, tmp_path, "doctor", "invoice", "INV-1", "--json"))
    assert doctor["status"] == "ready"

    # An edit after the sync updates the object in the tool; nothing is created twice.
    run(site, tmp_path, "invoice", "edit", "INV-1", "--reference", "PO 7")
    run(site, tmp_path, "sync", "run")
    book = json.loads((tmp_path / "books" / "shop.json").read_text())
    assert len(book["objects"]) == 3
    invoice = next(o for o in book["objects"].values() if o["entity"] == "invoice")
    assert invoice["payload"]["reference"] == "PO 7"


def test_without_the_package_its_kind_is_refused_naming_the_installed_tools(tmp_path: Path) -> None:
    out = run(Path(os.devnull), tmp_path, "integration", "enable", "example", ok=False)
    assert "'example' is not an integration; accepted: 'ledger', 'xero', 'quickbooks'" in out
