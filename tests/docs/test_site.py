"""The docs site builds offline with --strict; a broken link fails the build; every rule has its
built page asking its question; the references cover every command and every API path."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booksync.cli import command_table
from booksync.domain.rules import RULES
from docs.docs_support import DOCS, ROOT

MKDOCS = Path(sys.executable).with_name("mkdocs")
pytestmark = pytest.mark.skipif(not MKDOCS.exists(), reason="mkdocs is not installed (dev extra)")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    command = [str(MKDOCS), "build", "--strict", "-f", str(config), "-d", str(site)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def copy_of_the_docs(tmp_path: Path) -> Path:
    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path / "mkdocs.yml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = build(ROOT / "mkdocs.yml", out)
    assert built.returncode == 0, built.stderr
    return out


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_every_rule_has_a_built_page_asking_its_question(site: Path, rule_id: str) -> None:
    page = (site / "rules" / f"{rule_id}.html").read_text(encoding="utf-8")
    question = next(r.question for r in RULES if r.id == rule_id)
    assert f"<strong>Question:</strong> {html.escape(question, quote=False)}" in page


def test_the_site_loads_nothing_from_elsewhere(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, page
        assert '<script src="http' not in text and '<link rel="stylesheet" href="http' not in text


def test_the_screenshots_are_in_the_site(site: Path) -> None:
    shots = sorted(p.name for p in (DOCS / "screenshots").glob("*.png"))
    assert shots, "tests/web/test_browser.py writes docs/screenshots/"
    gallery = (site / "screenshots.html").read_text(encoding="utf-8")
    for name in shots:
        assert (site / "screenshots" / name).exists()
        assert f'src="screenshots/{name}"' in gallery


def test_a_link_to_a_rule_that_does_not_exist_fails_the_strict_build(tmp_path: Path) -> None:
    config = copy_of_the_docs(tmp_path)
    page = tmp_path / "docs" / "how-to" / "upgrade.md"
    page.write_text(page.read_text() + "\nSee [the old rule](../rules/tax.gone.md).\n")
    built = build(config, tmp_path / "site")
    assert built.returncode != 0
    assert "rules/tax.gone.md" in built.stderr


def test_the_references_have_every_command_and_every_api_path(site: Path) -> None:
    from booksync.api import create_app
    from booksync.store.db import Store

    cli = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    for name in command_table():
        assert f"<code>booksync {name}</code>" in cli
    assert "<code>booksync tax-rate map</code>" in cli and "<code>--tax-type</code>" in cli
    store = Store("sqlite://")
    try:
        spec = create_app(store).openapi()
    finally:
        store.dispose()
    rest = (site / "reference" / "rest.html").read_text(encoding="utf-8")
    for path, methods in spec["paths"].items():
        for method in methods:
            assert f"<code>{method.upper()} {path}</code>" in rest
