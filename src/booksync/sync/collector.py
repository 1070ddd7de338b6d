"""The garbage collector of a process that syncs, set for what a pass allocates.

A pass makes millions of short-lived objects (rows, views, payloads, statements' parameters) and
keeps few of them, so CPython's default thresholds (700, 10, 10) run the collector very often: in
a pass of 20,000 records against an instant tool, 1,791 collections, 13 of them over every live
object, 1.4 s of a 12.3 s pass. At (50,000, 20, 20) it ran 5 times (0.07 s) and the pass took
10.2 s; the peak memory grew by 3 MB (`python -m bench throughput` measures both).

Only a process whose work is syncing (`booksync worker`, `booksync sync run`) sets it: it is the
whole process's setting.
"""

from __future__ import annotations

import gc

#: Allocations before a young collection, then young collections before each older one.
THRESHOLDS = (50_000, 20, 20)


def tune_for_sync() -> None:
    """Collect garbage cycles less often, as a syncing process can afford (module docstring)."""
    gc.set_threshold(*THRESHOLDS)


__all__ = ["THRESHOLDS", "tune_for_sync"]
