"""Scale-out: many Xero tenants synced by 1, 2 and 4 worker processes sharing one rate budget on
PostgreSQL, against a one-process, one-call-at-a-time baseline in the same run.

The book (bench/_scale_book.py): TENANTS Xero organisations in the Xero emulator, served over real
HTTP on loopback from this process, each with 5 clients, 2 products and INVOICES invoices, connected
through the real sign-in flow and imported once; each run copies that database (PostgreSQL
`CREATE DATABASE ... TEMPLATE`) and empties the emulator's organisations, so every run starts from
the same state. The workers are `booksync worker` processes (bench/_scale_worker.py) on the real
clock.

Limits: Xero's (https://developer.xero.com/faq/limits: per tenant 60 calls/min, 5,000/day, 5 in
flight; per app 10,000/min), every rate divided by one FACTOR so that the emulator and two cores
keep up; calls in flight stay 5. The emulator enforces them (`XeroLimits.scaled`), and the workers
are given the same limits, as booksync is given Xero's real ones.

What is reported per run, counted by the emulator:
- invoices found, duplicates (an invoice number twice in one organisation) and missing ones;
- 429s, by the limit that refused: per tenant (minute, day, concurrent: target 0) or app minute;
- share of the app limit used once the backlog allows: accepted calls from one minute after the
  first call (the sliding window's first minute may take a burst) until the backlog left is less
  than one minute of the app limit, over what the app limit allows in that time (target >= 95%);
- invoices per second per worker process, from the first call to the last.
Then the wake-up latency: a worker idle with a 30 s poll interval, a client saved by this process,
the time until the emulator has it (NOTIFY on PostgreSQL; the poll interval without it).

    python -m bench scale                                    # 1,000 tenants x 100 invoices
    python -m bench.scale --tenants 50 --invoices 100 --factor 20 --workers 1,2
    python -m bench scale --tenants 200 --invoices 50 --factor 50 --no-baseline   # ~3 min a run
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench import _scale_book as book_
from bench._scale_runs import CallTally, Fleet, Limits, account, worker_supports
from bench.doctor import PG_ADMIN_URL, postgres_reachable
from booksync.secrets import KEY_ENV
from booksync.services.records import CLIENTS
from booksync.store.db import Store
from booksync.store.models import Tenant
from booksync_emulators.clock import VirtualClock
from booksync_emulators.xero import XeroEmulator, XeroLimits

BATCH = 50
MINUTE = 60.0
#: The real limits the figures are translated back to.
REAL = XeroLimits()


@dataclass
class Setup:
    emulator: XeroEmulator
    url: str
    template: str
    names: list[str]
    book: book_.Book
    limits: Limits
    env: dict[str, str]
    tally: CallTally


def _admin() -> Any:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _db_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def database(template: str | None = None) -> Any:
    """A new PostgreSQL database (a copy of `template`), dropped afterwards; yields its URL."""
    name = f"booksync_scale_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(setup_db: str, tenants: int, invoices: int, factor: float) -> Setup:
    started = time.perf_counter()
    emulator = XeroEmulator(clock=VirtualClock.real(), limits=REAL)
    for i in range(tenants):
        emulator.add_org(f"Org {i + 1:04d}", "AU")
    server = emulator.serve().start()
    tally = CallTally()
    server.recorder.add = tally.add  # type: ignore[method-assign]
    store = Store(_db_url(setup_db))
    try:
        names = book_.connect(store, emulator, server.url)
        book_.import_all(store, names)
        book = book_.build(store, names, invoices)
    finally:
        store.dispose()
    env = {
        "BOOKSYNC_XERO_URL": server.url,
        "BOOKSYNC_XERO_CLIENT_ID": emulator.client.client_id,
        "BOOKSYNC_XERO_REDIRECT_URI": "http://127.0.0.1:0/callback",
    }
    print(
        f"  set up in {time.perf_counter() - started:.0f} s: {len(names):,} organisations signed in "
        f"and imported, {book.records:,} records ({book.invoices:,} invoices, {book.lines:,} lines)",
        flush=True,
    )
    limits = Limits(REAL.scaled(factor), factor)
    tally.take()  # the sign-in and imports are not what is measured
    return Setup(emulator, server.url, setup_db, names, book, limits, env, tally)


def run(
    setup: Setup,
    label: str,
    processes: int,
    concurrency: int | None,
    timeout: float,
    *,
    two_way: bool = False,
) -> Any:
    """One run on a fresh copy of the book and emptied organisations; returns its `Account`."""
    with database(setup.template) as name:
        url = _db_url(name)
        store = Store(url)
        try:
            book_.connect(store, setup.emulator, setup.url)  # fresh tokens for this copy
            limiter = Fleet.reset(setup.emulator, setup.limits)
            setup.tally.take()
            fleet = Fleet(
                url, setup.env, setup.limits.factor, processes, concurrency, two_way=two_way
            )
            with fleet:
                finished = fleet.wait_done(store, timeout)
            return account(label, setup, store, limiter, finished, processes, concurrency)
        finally:
            store.dispose()


def wake_up_latency(setup: Setup, saves: int = 6) -> list[float] | str:
    """Seconds from a client saved here to the emulator having it, a worker idle at a 30 s poll
    (Xero's real limits here: what is measured is the wake-up, not the budget). The first save opens
    the tenant's connector; the others find it open."""
    with database(setup.template) as name:
        url = _db_url(name)
        store = Store(url)
        try:
            book_.connect(store, setup.emulator, setup.url)
            with store.engine.begin() as conn:  # the book is not what is measured here
                conn.execute(text("UPDATE sync_jobs SET status = 'synced'"))
            real = Limits(REAL, 1.0)
            Fleet.reset(setup.emulator, real)
            org = setup.emulator.orgs[_remote_id(store, setup.names[0])]
            waits: list[float] = []
            with Fleet(url, setup.env, real.factor, 1, None, poll=30.0) as fleet:
                if not fleet.wait_registered(store, 60):
                    return "the worker did not register within 60 s"
                time.sleep(1.0)  # past its first look: idle now
                for i in range(saves):
                    start = time.monotonic()
                    with store.session() as s:
                        CLIENTS.create(s, {"name": f"Walk-in {i}", "tenant": setup.names[0]})
                    while time.monotonic() - start < 45:
                        if any(c.get("Name") == f"Walk-in {i}" for c in _contacts(org)):
                            break
                        time.sleep(0.002)
                    waits.append(time.monotonic() - start)
                    time.sleep(0.5)  # idle again
            return waits
        finally:
            store.dispose()


def _remote_id(store: Store, tenant: str) -> str:
    with store.session() as s:
        return s.scalars(select(Tenant.remote_tenant_id).where(Tenant.name == tenant)).one()


def _contacts(org: Any) -> list[dict[str, Any]]:
    with org.lock:
        return list(org.collection("Contacts").values())


def report_real(setup: Setup, accounts: list[Any]) -> None:
    lim, f = setup.limits.xero, setup.limits.factor
    print(
        f"  at Xero's real limits (x{f:g}): a tenant's {REAL.per_minute} calls/min is "
        f"{REAL.per_minute * BATCH:,} invoices/min in batches of {BATCH}, its "
        f"{REAL.per_day:,}/day {REAL.per_day * BATCH:,} invoices/day; the app's "
        f"{REAL.app_per_minute:,}/min is {REAL.app_per_minute * BATCH:,} invoices/min."
    )
    calls = setup.book.write_calls(BATCH)
    print(
        f"  this book needs at least {calls:,} write calls: {calls / lim.app_per_minute:.1f} min "
        f"at the scaled app limit ({lim.app_per_minute}/min), "
        f"{calls / REAL.app_per_minute * 60:.0f} s at the real one."
    )
    for acc in accounts:
        if acc.calls_per_minute_per_process:
            need = REAL.app_per_minute / acc.calls_per_minute_per_process
            print(
                f"  {acc.label}: {acc.calls_per_minute_per_process:,.0f} calls/min per process; "
                f"filling the real app limit would take ~{need:,.0f} such processes "
                "(on machines like this one)"
            )


def _interrupted(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the workers and drops the databases, as Ctrl-C does


def bench(args: argparse.Namespace) -> None:
    signal.signal(signal.SIGTERM, _interrupted)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs", flush=True)
    problem = postgres_reachable()
    if problem:
        print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        return
    os.environ.setdefault(KEY_ENV, Fernet.generate_key().decode())
    scaled = REAL.scaled(args.factor)
    print(
        f"limits divided by {args.factor:g}: per tenant {scaled.per_minute}/min, "
        f"{scaled.per_day:,}/day, {scaled.concurrent} in flight; app {scaled.app_per_minute:,}/min "
        f"(Xero: {REAL.per_minute}/min, {REAL.per_day:,}/day, {REAL.concurrent} in flight; "
        f"{REAL.app_per_minute:,}/min)",
        flush=True,
    )
    if not args.two_way:
        print(
            "  the workers read nothing back from Xero (their two-way thread is off: it would read "
            "every tenant's changes at start, in each process); --two-way keeps it",
            flush=True,
        )
    concurrency = args.concurrency if worker_supports("concurrency") else None
    if concurrency is None:
        print(
            "  (this booksync worker has no --concurrency: each process makes one call at a time)"
        )
    with database() as base:
        setup = prepare(base, args.tenants, args.invoices, args.factor)
        setup.env[KEY_ENV] = os.environ[KEY_ENV]
        least = setup.book.write_calls(BATCH) / scaled.app_per_minute * MINUTE
        timeout = args.timeout or max(1800.0, 4 * least + 600)
        plan = [("baseline: 1 process, one call at a time", 1, 1 if concurrency else None)]
        plan = plan if args.baseline else []
        plan += [
            (
                f"{n} process{'es' if n > 1 else ''}"
                + (f" x {concurrency}" if concurrency else ""),
                n,
                concurrency,
            )
            for n in args.workers
        ]
        accounts = []
        for label, processes, per_process in plan:
            print(f"  {label}:", flush=True)
            acc = run(setup, label, processes, per_process, timeout, two_way=args.two_way)
            acc.print()
            accounts.append(acc)
        report_real(setup, accounts)
        waits = wake_up_latency(setup)
        if isinstance(waits, str):
            print(f"  wake-up latency: not measured, {waits}")
        else:
            warm = waits[1:]
            print(
                f"  wake-up latency, idle worker polling every 30 s (save committed -> the contact "
                f"in the emulator): first save {waits[0] * 1000:,.0f} ms (opens the tenant's "
                f"connector), then median {statistics.median(warm) * 1000:,.0f} ms, max "
                f"{max(warm) * 1000:,.0f} ms over {len(warm)} saves",
                flush=True,
            )


def _workers(text_: str) -> list[int]:
    try:
        values = [int(v) for v in text_.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(v < 1 or v > 16 for v in values):
        raise argparse.ArgumentTypeError(
            f"'{text_}' is not a list of worker counts; accepted: e.g. 1,2,4 (each 1-16)"
        )
    return values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tenants", type=int, default=1_000)
    parser.add_argument("--invoices", type=int, default=100, help="per tenant")
    parser.add_argument("--factor", type=float, default=20.0, help="every rate divided by it")
    parser.add_argument("--workers", type=_workers, default=[1, 2, 4], help="processes per run")
    parser.add_argument("--concurrency", type=int, default=4, help="calls at once per process")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run at most")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the one-process, one-call-at-a-time run (a before/after comparison of the "
        "worker runs, when time is short)",
    )
    parser.add_argument(
        "--two-way",
        action="store_true",
        help="keep the workers' two-way thread (reads every tenant's changes back)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    for name in ("tenants", "invoices", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: {getattr(args, name)} is too few; accepted: 1 or more")
    if args.factor < 1:
        parser.error(f"--factor: {args.factor:g} is too small; accepted: 1 or more")
    bench(args)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
