"""Sync engine throughput against an instant in-memory tool, and API calls per synced invoice.

Builds a book (clients, suppliers, products and documents with their pending sync jobs, a few of them
deliberately faulty) with bench.doctor's bulk builder, then syncs it with one worker into
`RecordingTool(":memory:")`, a tool that answers instantly, so what is measured is booksync's own
work per record: claiming, evaluating, building payloads, recording outcomes. The baseline, measured
in the same run on the same book, is the same engine pushing one record per call (batch size 1, what
an integration without batching does). Printed beside the bound the batch limit allows: 1/batch calls
per invoice.

    python -m bench engine                               # SQLite and PostgreSQL, 5,000 records
    python -m bench.engine --records 20000 --backend sqlite
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from bench.doctor import (
    PG_ADMIN_URL,
    Shape,
    build,
    postgres_reachable,
    postgres_store,
    sqlite_store,
)
from booksync.domain.types import EntityType
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import Client, Document, Product, Supplier, SyncJob
from booksync.sync.engine import Engine
from booksync_emulators.recording import RecordingTool

BATCH = 50  # Xero's recommended batch; the ledger allows 200


@dataclass(frozen=True)
class Run:
    seconds: float
    synced: int
    invoices: int
    invoice_calls: int
    calls: int

    @property
    def per_second(self) -> float:
        return self.synced / self.seconds if self.seconds else 0.0

    @property
    def calls_per_invoice(self) -> float:
        return self.invoice_calls / self.invoices if self.invoices else 0.0


def unsynced(store: Store) -> None:
    """Forget what bench.doctor's builder marked as already synced: the engine pushes the whole book."""
    with store.engine.begin() as conn:
        for model in (Client, Supplier, Product, Document):
            conn.execute(update(model).values(remote_id=None))
        conn.execute(
            update(SyncJob).values(
                status="pending", attempts=0, last_error=None, synced_version=None
            )
        )


def sync_once(store: Store, batch_size: int) -> Run:
    tool = RecordingTool(":memory:", batch_size=batch_size)
    engine = Engine(store, lambda tenant: tool, claim_limit=1000)
    started = time.perf_counter()
    result = engine.run_pass()
    seconds = time.perf_counter() - started
    invoices = sum(1 for o in tool.objects() if o["entity"] == "invoice")
    return Run(
        seconds, result.count("synced"), invoices, tool.push_calls(EntityType.INVOICE), result.calls
    )


def bench(
    label: str, open_store: Callable[[], AbstractContextManager[Store]], shape: Shape
) -> None:
    runs = {}
    for batch in (BATCH, 1):
        with open_store() as store:
            built = build(store, shape)
            unsynced(store)
            runs[batch] = sync_once(store, batch)
    fast, base = runs[BATCH], runs[1]
    print(
        f"{label}: {built.records:,} records ({shape.documents:,} documents, {built.lines:,} lines)"
    )
    for name, run, size in (("batched", fast, BATCH), ("baseline, one call per record", base, 1)):
        print(
            f"  {name:<30} {run.synced:>6,} synced in {run.seconds:6.2f} s = {run.per_second:8,.0f} records/s; "
            f"{run.calls:,} calls, {run.calls_per_invoice:.3f} calls per invoice (bound 1/{size} = {1 / size:.3f})"
        )
    print(
        f"  batched vs baseline: {fast.per_second / base.per_second:.1f}x records/s, "
        f"{base.calls / fast.calls:.1f}x fewer calls",
        flush=True,
    )


def worker_latency(
    open_store: Callable[[], AbstractContextManager[Store]], edits: int = 20
) -> list[float]:
    """Seconds from saving an edit to its sync, with a `booksync worker`-style loop running (poll 0.5 s)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.books import ready_books  # the tests' builder: a connected, imported tenant

    latencies = []
    with open_store() as store:
        tool = RecordingTool(":memory:")
        ready_books(store, tool, clients=5, products=2, invoices=5)
        engine = Engine(store, lambda tenant: tool)
        engine.run_pass()
        stop = threading.Event()
        loop = threading.Thread(target=engine.run_forever, args=(stop,), kwargs={"poll": 0.5})
        loop.start()
        try:
            for n in range(edits):
                with store.session() as s:
                    CLIENTS.update(s, "Client 000", {"email": f"billing{n}@example.com"})
                saved = time.perf_counter()
                while True:
                    with store.session() as s:
                        status = s.scalar(
                            select(SyncJob.status).where(
                                SyncJob.entity_type == "client", SyncJob.record_id == 1
                            )
                        )
                    if status == "synced":
                        break
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - saved)
                time.sleep(random.uniform(0, 0.5))  # edits arrive at any point of the poll cycle
        finally:
            stop.set()
            loop.join()
    return latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument("--records", type=int, default=5_000)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    args = parser.parse_args(argv if argv is not None else [])
    shape = Shape(records=args.records, clients=200, suppliers=20, products=100)
    if shape.documents < 1:
        parser.error(f"--records: {args.records} is too few; accepted: more than 320")
    if args.backend in ("all", "sqlite"):
        bench("sqlite", sqlite_store, shape)
        lat = sorted(worker_latency(sqlite_store))
        print(
            f"  worker pick-up, save → synced (poll 0.5 s, {len(lat)} edits): median "
            f"{statistics.median(lat):.3f} s, worst {lat[-1]:.3f} s (target: within 1 s)",
            flush=True,
        )
    if args.backend in ("all", "postgresql"):
        problem = postgres_reachable()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        else:
            bench("postgresql", postgres_store, shape)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
