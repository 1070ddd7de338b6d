"""How fast the command line answers: `booksync --help` and a one-record doctor, as whole processes,
beside the baselines `python -c pass` and `python -c "import typer"` measured in the same run.

Targets (issue 10): `--help` under 150 ms, a one-record doctor under 250 ms, on a quiet 2-core
machine. Best of N runs each (the least disturbed), plus the median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def timed(args: list[str], runs: int, cwd: Path) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=cwd, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return min(samples), statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench cli", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        db = str(here / "books.db")
        booksync = [PYTHON, "-m", "booksync", "--db", db]
        for command in (
            ["integration", "enable", "ledger"],
            ["tenant", "add", "Acme AU", "--integration", "ledger", "--remote-id", "acme-au"],
            ["client", "add", "Acme Ltd", "--tenant", "Acme AU"],
            ["product", "add", "Backup", "--price", "49", "--tenant", "Acme AU"],
            ["invoice", "add", "INV-1", "--client", "Acme Ltd", "--line", "Backup:2:49.00"],
        ):
            subprocess.run([*booksync, *command], cwd=here, check=True, capture_output=True)
        rows = [
            ("python -c pass", [PYTHON, "-c", "pass"], None),
            ('python -c "import typer"', [PYTHON, "-c", "import typer"], None),
            ("booksync --help", [*booksync, "--help"], 0.150),
            (
                "booksync doctor invoice INV-1",
                [*booksync, "doctor", "invoice", "INV-1", "--json"],
                0.250,
            ),
        ]
        results = {}
        for label, args, _ in rows:
            results[label] = timed(args, options.runs, here) if "doctor" not in label else None
        # the doctor exits 1 when the record is not ready: time it without `check`
        samples = []
        for _ in range(options.runs):
            started = time.perf_counter()
            subprocess.run(rows[3][1], cwd=here, capture_output=True)
            samples.append(time.perf_counter() - started)
        results[rows[3][0]] = (min(samples), statistics.median(samples))
    typer_best = results['python -c "import typer"'][0]
    print(f"{'command':34} {'best':>8} {'median':>8} {'x typer':>8} {'target':>8}")
    for label, _, target in rows:
        best, median = results[label]  # type: ignore[misc]
        verdict = "" if target is None else ("ok" if best < target else "MISSED")
        shown = f"{target * 1000:.0f} ms" if target else ""
        print(
            f"{label:34} {best * 1000:6.0f} ms {median * 1000:6.0f} ms "
            f"{best / typer_best:7.2f}x {shown:>8} {verdict}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
