"""Packaging: a user installs what they run. The core (CLI, store, rules, engine, cloud tools) works
without the `server`, `postgres`, `ledger` and `emulators` extras, and a command that needs one
says which to install."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = {
    "server": ("fastapi", "uvicorn", "jinja2", "argon2", "itsdangerous", "multipart"),
    "postgres": ("psycopg",),
    "ledger": ("beancount",),
    "emulators": ("starlette",),
}


def without(packages: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where `packages` cannot be imported."""
    block = "import sys\n" + "".join(f"sys.modules[{p!r}] = None\n" for p in packages)
    return subprocess.run(
        [sys.executable, "-c", block + code], capture_output=True, text=True, timeout=120
    )


def test_the_extras_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for extra in EXTRAS:
        assert extra in extras, extra
    core = " ".join(project["dependencies"]).lower()
    for name in ("fastapi", "uvicorn", "jinja2", "psycopg", "beancount"):
        assert name not in core, f"{name} must be an extra, not a core dependency"


def test_the_core_imports_and_answers_help_without_any_extra() -> None:
    every = tuple(p for packages in EXTRAS.values() for p in packages)
    done = without(
        every,
        "import booksync.cli, booksync.services.sync, booksync.sync.engine, booksync.services.doctor\n"
        "from booksync.connectors.registry import tools\n"
        "assert list(tools()) == ['ledger', 'xero', 'quickbooks']\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(booksync.cli.app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print('ok')",
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_serve_without_the_server_extra_says_what_to_install(tmp_path: Path) -> None:
    done = without(
        EXTRAS["server"],
        "from typer.testing import CliRunner\nimport booksync.cli\n"
        f"result = CliRunner().invoke(booksync.cli.app, ['--db', {str(tmp_path / 'b.db')!r}, 'serve'])\n"
        "print(result.exit_code)\nprint(result.output)",
    )
    code, _, output = done.stdout.partition("\n")
    assert code == "2", done.stdout + done.stderr
    assert "pip install 'booksync[server]'" in output
