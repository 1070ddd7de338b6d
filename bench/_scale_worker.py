"""`booksync worker` with Xero's limits divided by the scale benchmark's factor (bench/scale.py).

    python -m bench._scale_worker FACTOR [--no-two-way] -- --db URL worker [OPTIONS]

The emulator enforces the same scaled limits (`XeroLimits.scaled`), so the worker's budget and the
tool agree, as they do at Xero's real limits; nothing else about the worker changes.
"""

from __future__ import annotations

import dataclasses
import sys

from booksync_emulators.xero import XeroLimits


def scale_xero_limits(factor: float) -> None:
    """Make every Xero connector and the Xero tool of this process use the scaled limits."""
    from booksync.connectors.xero import connector as xero_connector
    from booksync.connectors.xero import tool as xero_tool

    scaled = XeroLimits().scaled(factor)
    rates = {
        "calls_per_minute": scaled.per_minute,
        "calls_per_day": scaled.per_day,
        "app_calls_per_minute": scaled.app_per_minute,
        "concurrency": scaled.concurrent,
    }
    limits = dataclasses.replace(xero_tool.LIMITS, **rates)
    xero_tool.LIMITS = limits
    xero_tool.XeroTool.limits = limits
    xero_tool.TOOL.limits = limits  # type: ignore[misc]
    xero_connector.XeroConnector.limits = dataclasses.replace(
        xero_connector.XeroConnector.limits, **rates
    )


class _NoReading:
    """Stands in for the worker's two-way thread (issue 13) when `--no-two-way` is given."""

    def join(self, timeout: float | None = None) -> None:
        pass


def skip_two_way() -> None:
    """The worker reads nothing back from the tools: its two-way thread reads every tenant's
    change feed once at start and then every 5 minutes, in every worker process, which at 1,000
    tenants spends minutes of the app's limit on reads; this benchmark measures the pushes."""
    from booksync.services import inbound

    inbound.start_two_way = lambda *args, **kwargs: _NoReading()  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    factor, rest = float(argv[0]), argv[argv.index("--") + 1 :]
    scale_xero_limits(factor)
    if argv[1] == "--no-two-way":
        skip_two_way()
    from booksync.cli import main as booksync

    sys.argv = ["booksync", *rest]
    booksync()


if __name__ == "__main__":
    main(sys.argv[1:])
