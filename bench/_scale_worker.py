"""`booksync worker` with Xero's limits divided by the scale benchmark's factor (bench/scale.py).

    python -m bench._scale_worker FACTOR -- --db URL worker [OPTIONS]

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


def main(argv: list[str]) -> None:
    factor, rest = float(argv[0]), argv[argv.index("--") + 1 :]
    scale_xero_limits(factor)
    from booksync.cli import main as booksync

    sys.argv = ["booksync", *rest]
    booksync()


if __name__ == "__main__":
    main(sys.argv[1:])
