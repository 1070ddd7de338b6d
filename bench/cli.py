"""How fast the command line answers: `booksync --help` and a one-record doctor, as whole processes,
beside baselines measured in the same run: `python -c pass`, `python -c "import typer"` (what any
Typer CLI pays), and the floor of a command that reads the books (Typer, SQLAlchemy's ORM, and the
Pydantic that Typer builds its parameter coercion on).

Targets (issue 10): `--help` under 150 ms, a one-record doctor under 250 ms, on a quiet 2-core
machine. On a shared, loaded machine read the ratio to `import typer`, not the milliseconds. The
commands take turns, run after run, so a burst of load falls on all of them alike; best of N (the
least disturbed) and the median are shown.

Each process may cache bytecode (in a temporary folder, whatever PYTHONDONTWRITEBYTECODE says):
an installed booksync has its .pyc files, and compiling every module on every run is not what
a user waits for.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
#: A tiny book: one ledger tenant, a client, a product and an invoice to diagnose.
SETUP = (
    ["integration", "enable", "ledger"],
    ["tenant", "add", "Acme AU", "--integration", "ledger", "--remote-id", "acme-au"],
    ["client", "add", "Acme Ltd", "--tenant", "Acme AU"],
    ["product", "add", "Backup", "--price", "49", "--tenant", "Acme AU"],
    ["invoice", "add", "INV-1", "--client", "Acme Ltd", "--line", "Backup:2:49.00"],
)
TYPER = 'python -c "import typer"'


def rows(db: str) -> list[tuple[str, list[str], float | None, tuple[int, ...]]]:
    """(label, command, target in seconds, exit codes it may end with)."""
    booksync = [PYTHON, "-m", "booksync", "--db", db]
    floor = "import typer, sqlalchemy.orm, pydantic"
    return [
        ("python -c pass", [PYTHON, "-c", "pass"], None, (0,)),
        (TYPER, [PYTHON, "-c", "import typer"], None, (0,)),
        (f'python -c "{floor}"', [PYTHON, "-c", floor], None, (0,)),
        ("booksync --help", [*booksync, "--help"], 0.150, (0,)),
        # The doctor exits 1 when the record is not ready (this one is blocked).
        (
            "booksync doctor invoice INV-1 --json",
            [*booksync, "doctor", "invoice", "INV-1", "--json"],
            0.250,
            (0, 1),
        ),
    ]


def run(args: list[str], cwd: Path, env: dict[str, str], codes: tuple[int, ...]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in codes:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench cli", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(here / "pycache")
        db = str(here / "books.db")
        for command in SETUP:
            run([PYTHON, "-m", "booksync", "--db", db, *command], here, env, (0,))
        table = rows(db)
        for _, args, _, codes in table:  # warm up: bytecode cached, files in the page cache
            run(args, here, env, codes)
        samples: dict[str, list[float]] = {label: [] for label, *_ in table}
        for _ in range(options.runs):
            for label, args, _, codes in table:
                samples[label].append(run(args, here, env, codes))
    typer_best = min(samples[TYPER])
    print(f"{'command':46} {'best':>8} {'median':>8} {'x typer':>8} {'target':>8}")
    for label, _, target, _ in table:
        best, median = min(samples[label]), statistics.median(samples[label])
        verdict = "" if target is None else ("ok" if best < target else "MISSED")
        shown = f"{target * 1000:.0f} ms" if target else ""
        print(
            f"{label:46} {best * 1000:6.0f} ms {median * 1000:6.0f} ms "
            f"{best / typer_best:7.2f}x {shown:>8} {verdict}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
