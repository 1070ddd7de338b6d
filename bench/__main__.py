"""Run every benchmark in bench/ (`python -m bench`), or only those named (`python -m bench doctor`),
or one with its own options (`python -m bench xero --invoices 2000`, `python -m bench xero --help`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def benchmarks() -> list[str]:
    """The modules of this package that define `main()`, by name."""
    here = Path(__file__).parent
    names = []
    for module in pkgutil.iter_modules([str(here)]):
        if module.name.startswith("_"):
            continue
        if hasattr(importlib.import_module(f"bench.{module.name}"), "main"):
            names.append(module.name)
    return sorted(names)


def run(argv: list[str]) -> int:
    known = benchmarks()
    if len(argv) > 1 and argv[1].startswith("-"):
        wanted, options = argv[:1], argv[1:]  # one benchmark, with its options
    else:
        wanted, options = argv or known, []
    unknown = [name for name in wanted if name not in known]
    if unknown:
        print(
            f"error: benchmark {unknown[0]!r} does not exist; accepted: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    for name in wanted:
        print(f"== bench.{name} ==", flush=True)
        importlib.import_module(f"bench.{name}").main(options)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
