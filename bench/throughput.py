"""Sync loop throughput per worker process, and its memory with a large backlog pending.

Builds a book with bench.doctor's bulk builder (clients, suppliers, products, documents), every
record syncable, marks every record pending, then syncs it in a child process, so that the
child's peak RSS is the pass's alone (less what the in-memory tool stores of what it was sent,
printed beside it, as a real tool keeps it elsewhere): one worker set up as `booksync worker`
sets itself up (`Engine` with its default claim, the garbage collector tuned, `--concurrency`
calls at once, the worker's default unless given) into `RecordingTool(":memory:")`, a tool that answers instantly, so
what is measured is booksync's own work per record: claiming, gating, building payloads, the rate
budget, recording outcomes. The
in-memory tool still stores what it is sent, in this process: the seconds spent inside its `push`
are printed, and the rate without them (booksync's own work) beside the rate of the whole pass.
Then the same book with the doctor's planted faults: a quarter of its records are evaluated and
held by the rules each round, not pushed, which the documents/s there counts against it.

The baseline, measured in the same run on a book of the same shape: the same engine pushing one
record per call (batch size 1, what an integration without batching does), on at most
`--baseline-records` records. Printed beside the targets: >= 2,000 invoices/s per worker process on
PostgreSQL, and RSS under 250 MB with 100,000 invoices pending.

With `--workers N` (PostgreSQL), the same book is then synced again by N worker processes at
once, each with its own instant tool: what one machine does with a worker per core, in documents/s
from the first worker's start to the last one's end.

    python -m bench throughput                                  # SQLite and PostgreSQL, 20,000
    python -m bench throughput --records 100000 --backend postgresql --seconds 60
    python -m bench throughput --backend postgresql --workers 2
    python -m bench throughput --backend postgresql --concurrency 1   # one call at a time
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.doctor import (
    PG_ADMIN_URL,
    Shape,
    build,
    postgres_reachable,
    postgres_store,
    sqlite_store,
)
from bench.engine import unsynced
from booksync.domain.types import EntityType
from booksync.services.sync import WORKER_CONCURRENCY
from booksync.store.db import Store
from booksync.store.models import SyncJob

TARGET_PER_SECOND = 2_000
TARGET_RSS_MB = 250
ROOT = Path(__file__).resolve().parents[1]


def child(url: str, batch: int, seconds: float | None, concurrency: int) -> None:
    """Sync the store at `url` in one pass (stopped after `seconds`, if given); print what it did
    and this process's peak RSS."""
    from booksync.sync.collector import tune_for_sync
    from booksync.sync.engine import Engine
    from booksync_emulators.recording import RecordingTool

    tune_for_sync()  # as `booksync worker` does
    store = Store(url)
    tool = RecordingTool(":memory:", batch_size=batch, concurrency=concurrency)
    in_tool = _time_pushes(tool)
    engine = Engine(store, lambda tenant: tool, concurrency=concurrency)
    if seconds:
        threading.Timer(seconds, engine.stop.set).start()
    started_at = time.time()  # the wall clock: workers in other processes are compared by it
    started = time.perf_counter()
    result = engine.run_pass()
    seconds = time.perf_counter() - started
    ended_at = time.time()
    engine.close()
    rss = peak_rss_mb()  # the pass's peak, before anything below reads what the tool got
    with store.session() as session:  # the records the rules hold once the pass is over
        held = session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.status == "blocked")
        )
    invoices = tool.push_calls(EntityType.INVOICE)
    # Counted in the tool's own database: its `objects()` decodes every payload it was sent.
    documents = tool.db.execute(
        "SELECT count(*) FROM objects WHERE entity NOT IN ('client', 'supplier', 'product')"
    ).fetchone()[0]
    pages = tool.db.execute("PRAGMA page_count").fetchone()[0]
    page_size = tool.db.execute("PRAGMA page_size").fetchone()[0]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "synced": result.count("synced"),
                "held": held,
                "documents": documents,
                "invoice_calls": invoices,
                "calls": result.calls,
                "tool_seconds": in_tool[0],
                "rss_mb": rss,
                # What the instant tool keeps of everything pushed, in this process's memory.
                "tool_mb": pages * page_size / 2**20,
                "started_at": started_at,
                "ended_at": ended_at,
            }
        )
    )
    store.dispose()


def _time_pushes(tool: Any) -> list[float]:
    """Wrap `tool.push` to add up the seconds spent inside it (in the returned one-item list): the
    in-process tool stores every element it is sent, work a real tool does on its own servers."""
    spent = [0.0]
    push = tool.push

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return push(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    tool.push = timed
    return spent


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM: `ru_maxrss` would carry the parent's,
    which built the book, across the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sync_in_child(
    store: Store,
    batch: int,
    seconds: float | None = None,
    workers: int = 1,
    concurrency: int = 1,
) -> list[dict[str, float]]:
    """Sync the store with `workers` child processes at once; what each one printed."""
    url = store.engine.url.render_as_string(hide_password=False)
    limit = ["--seconds", str(seconds)] if seconds else []
    command = [
        sys.executable, "-m", "bench.throughput", "--child", url, "--batch", str(batch), *limit,
        "--concurrency", str(concurrency),
    ]  # fmt: skip
    children = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    printed = []
    for child_process in children:
        out, err = child_process.communicate()
        if child_process.returncode:
            raise SystemExit(f"the syncing child failed:\n{err[-3000:]}")
        printed.append(dict(json.loads(out.strip().splitlines()[-1])))
    return printed


def run(
    label: str,
    open_store: Callable[[], AbstractContextManager[Store]],
    shape: Shape,
    baseline: Shape,
    seconds: float | None = None,
    workers: int = 1,
    concurrency: int = 1,
) -> None:
    """The healthy book (every record syncable: the rate the target is for), the same book with
    the doctor's planted faults (a quarter of it evaluated and held, not pushed), the baseline."""
    healthy = dataclasses.replace(shape, faults=False)
    with open_store() as store:
        built = build(store, healthy)
        unsynced(store)
        (fast,) = sync_in_child(store, 50, seconds, concurrency=concurrency)
    with open_store() as store:
        build(store, shape)
        unsynced(store)
        (faulty,) = sync_in_child(store, 50, seconds, concurrency=concurrency)
    with open_store() as store:
        build(store, dataclasses.replace(baseline, faults=False))
        unsynced(store)
        (base,) = sync_in_child(store, 1)
    rate = fast["synced"] / fast["seconds"]
    docs = fast["documents"] / fast["seconds"]
    own_seconds = fast["seconds"] - fast["tool_seconds"]
    base_rate = base["synced"] / base["seconds"]
    cut = f", stopped after {seconds:g} s" if seconds else ""
    calls = f"{concurrency} calls at once" if concurrency > 1 else "one call at a time"
    print(
        f"{label}: {built.records:,} records pending ({shape.documents:,} documents{cut}); "
        f"one worker process, {calls}"
    )
    _print_pass("healthy book, batches of 50   ", fast, concurrency)
    _print_pass("with the doctor's faults      ", faulty, concurrency)
    print(f"    ({faulty['held']:,.0f} records held by the rules: evaluated, not pushed)")
    print(
        f"  baseline, one call per record {base['synced']:>7,.0f} synced in {base['seconds']:6.2f} s = "
        f"{base_rate:7,.0f} records/s; peak RSS {base['rss_mb']:.0f} MB"
    )
    own = fast["rss_mb"] - fast["tool_mb"]
    own_rate = (
        f" ({fast['documents'] / own_seconds / TARGET_PER_SECOND:.2f}x of booksync's own)"
        if concurrency == 1
        else ""
    )
    print(
        f"  batched vs baseline: {rate / base_rate:.1f}x records/s; healthy book vs target "
        f"{TARGET_PER_SECOND:,}/s: {docs / TARGET_PER_SECOND:.2f}x documents/s{own_rate}; RSS "
        f"{fast['rss_mb']:.0f} MB, of which the in-memory tool's store of what it was sent "
        f"{fast['tool_mb']:.0f} MB: booksync's {own:.0f} MB of {TARGET_RSS_MB} MB allowed",
        flush=True,
    )
    if workers > 1:
        with open_store() as store:
            build(store, healthy)
            unsynced(store)
            each = sync_in_child(store, 50, seconds, workers, concurrency)
        wall = max(c["ended_at"] for c in each) - min(c["started_at"] for c in each)
        together = sum(c["documents"] for c in each)
        shares = ", ".join(f"{c['documents']:,.0f}" for c in each)
        print(
            f"  {workers} worker processes at once {together:>7,.0f} documents in {wall:6.2f} s = "
            f"{together / wall:7,.0f} documents/s in all, {together / wall / workers:7,.0f} a "
            f"worker ({together / wall / docs:.2f}x one worker's); each synced "
            f"{shares}",
            flush=True,
        )


def _print_pass(label: str, fast: dict[str, float], concurrency: int = 1) -> None:
    docs = fast["documents"] / fast["seconds"]
    own_seconds = fast["seconds"] - fast["tool_seconds"]
    print(
        f"  {label}{fast['synced']:>7,.0f} synced in {fast['seconds']:6.2f} s = "
        f"{fast['synced'] / fast['seconds']:7,.0f} records/s, {docs:7,.0f} documents/s; "
        f"peak RSS {fast['rss_mb']:.0f} MB"
    )
    if concurrency > 1:  # the calls overlap: their seconds inside the tool are not the pass's
        return
    print(
        f"    of which inside the tool's push {fast['tool_seconds']:6.2f} s; booksync's own work "
        f"{own_seconds:6.2f} s = {fast['synced'] / own_seconds:7,.0f} records/s, "
        f"{fast['documents'] / own_seconds:7,.0f} documents/s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--baseline-records", type=int, default=3_000)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument(
        "--seconds", type=float, default=None, help="stop the batched pass after this long"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="then sync the book again with this many worker processes at once (PostgreSQL)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=50, help=argparse.SUPPRESS)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=WORKER_CONCURRENCY,
        help="calls in flight at once in each worker (booksync worker --concurrency; "
        f"default {WORKER_CONCURRENCY}, as the worker's)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        child(args.child, args.batch, args.seconds, args.concurrency)
        return
    shape = Shape(records=args.records, clients=200, suppliers=20, products=100)
    baseline = Shape(
        records=min(args.records, args.baseline_records), clients=200, suppliers=20, products=100
    )
    if args.workers < 1:
        parser.error(f"--workers: {args.workers} is not accepted; accepted: 1 or more")
    if not 1 <= args.concurrency <= 64:
        parser.error(f"--concurrency: {args.concurrency} is not accepted; accepted: 1 to 64")
    if baseline.documents < 1:
        parser.error(f"--records: {args.records} is too few; accepted: more than 320")
    if args.backend in ("all", "sqlite"):
        run("sqlite", sqlite_store, shape, baseline, args.seconds, 1, args.concurrency)
    if args.backend in ("all", "postgresql"):
        problem = postgres_reachable()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        else:
            run(
                "postgresql",
                postgres_store,
                shape,
                baseline,
                args.seconds,
                args.workers,
                args.concurrency,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
