"""One run of the scale benchmark (bench/scale.py): the emulator's limiter that keeps a log of every
call it decided, the worker processes, and the figures counted from the emulator afterwards."""

from __future__ import annotations

import bisect
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from booksync.store.db import Store
from booksync.store.models import SyncJob, Tenant, Worker
from booksync_emulators.clock import VirtualClock
from booksync_emulators.xero import XeroEmulator, XeroLimits
from booksync_emulators.xero.idempotency import IdempotencyCache
from booksync_emulators.xero.limits import Admission, RateLimiter
from booksync_emulators.xero.store import COLLECTIONS

MINUTE = 60.0
#: The limits that refuse a call for one tenant (the rest, "appminute", is the whole app's).
PER_TENANT = ("minute", "day", "concurrent")
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Limits:
    xero: XeroLimits
    factor: float


class CountingLimiter(RateLimiter):
    """The emulator's limiter, logging each decision: (time, tenant, allowed, problem)."""

    def __init__(self, clock: VirtualClock, limits: XeroLimits) -> None:
        super().__init__(clock, limits)
        self.log: list[tuple[float, str, bool, str | None]] = []
        self._log_lock = threading.Lock()

    def acquire(self, tenant_id: str) -> Admission:
        admission = super().acquire(tenant_id)
        with self._log_lock:
            self.log.append((self.clock.now(), tenant_id, admission.allowed, admission.problem))
        return admission


class CallTally:
    """Stands in for the emulator server's recorder: counts each exchange by method and resource
    instead of keeping it (a run of 100,000 invoices would otherwise hold every body)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, exchange: Any) -> None:
        path = exchange.request.path.lower()
        if "/api.xro/2.0/" not in path:
            return
        resource = path.split("/api.xro/2.0/", 1)[1].split("/")[0]
        with self._lock:
            self.counts[f"{exchange.request.method} {resource}"] += 1

    def take(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts


def worker_supports(option: str) -> bool:
    """Whether `booksync worker` has `--OPTION` (the engine's work in progress may not yet)."""
    from booksync.cli import load

    return any(p.name == option for p in load("worker").params)


class Fleet:
    """N `booksync worker` processes on one database, stopped with SIGTERM on leaving."""

    def __init__(
        self,
        url: str,
        env: dict[str, str],
        factor: float,
        processes: int,
        concurrency: int | None,
        *,
        poll: float = 0.5,
        two_way: bool = False,
    ) -> None:
        self.url = url
        # The booksync beside this bench (its src/), whichever one is installed.
        path = os.pathsep.join(str(p) for p in (ROOT, ROOT / "src") if p.exists())
        self.env = os.environ | env | {"COLUMNS": "200", "PYTHONPATH": path}
        self.factor = factor
        self.processes = processes
        self.concurrency = concurrency
        self.poll = poll
        self.two_way = two_way
        self.logs = Path(tempfile.mkdtemp(prefix="booksync-scale-"))
        self.procs: list[subprocess.Popen[bytes]] = []

    @staticmethod
    def reset(emulator: XeroEmulator, limits: Limits) -> CountingLimiter:
        """Empty every organisation and start the emulator's limits and idempotency afresh."""
        for org in emulator.orgs.values():
            with org.lock:
                for name in COLLECTIONS:
                    org.records[name].clear()
                org.numbers.clear()
        limiter = CountingLimiter(emulator.clock, limits.xero)
        emulator.limiter = limiter
        emulator.idempotency = IdempotencyCache(emulator.clock)
        return limiter

    def __enter__(self) -> Fleet:
        for i in range(self.processes):
            cmd = [sys.executable, "-m", "bench._scale_worker", f"{self.factor:g}"]
            cmd += [] if self.two_way else ["--no-two-way"]
            cmd += ["--"]
            cmd += ["--db", self.url, "worker", "--poll", str(self.poll), "--lease", "60"]
            if self.concurrency is not None:
                cmd += ["--concurrency", str(self.concurrency)]
            out = (self.logs / f"worker-{i}.log").open("wb")
            self.procs.append(
                subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for i, proc in enumerate(self.procs):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.returncode not in (0, -signal.SIGTERM):
                tail = (self.logs / f"worker-{i}.log").read_text(errors="replace")[-2000:]
                print(f"    worker {i} exited {proc.returncode}:\n{tail}", flush=True)

    def wait_done(self, store: Store, timeout: float) -> bool:
        """Until no job is pending or in flight (True), or `timeout` s, or every worker died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with store.session() as s:
                open_jobs = s.scalar(
                    select(func.count())
                    .select_from(SyncJob)
                    .where(SyncJob.status.in_(["pending", "in_flight"]))
                )
            if not open_jobs:
                return True
            if all(p.poll() is not None for p in self.procs):
                return False
            time.sleep(1.0)
        return False

    def wait_registered(self, store: Store, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with store.session() as s:
                if s.scalar(select(func.count()).select_from(Worker)):
                    return True
            time.sleep(0.1)
        return False


@dataclass
class Account:
    """What one run did, counted by the emulator (and the jobs' states, from the database)."""

    label: str
    processes: int
    finished: bool
    invoices_expected: int
    invoices_found: int
    duplicates: int
    missing: int
    jobs: Counter[str]
    calls: int
    refused: Counter[str]
    seconds: float
    app_share: float | None
    window: float
    app_per_minute: int
    by_call: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def per_tenant_429s(self) -> int:
        return sum(self.refused[p] for p in PER_TENANT)

    @property
    def invoices_per_second_per_process(self) -> float:
        return self.invoices_found / self.seconds / self.processes if self.seconds else 0.0

    @property
    def calls_per_minute_per_process(self) -> float:
        return self.calls / self.seconds * MINUTE / self.processes if self.seconds else 0.0

    def print(self) -> None:
        state = "finished" if self.finished else "NOT finished (timeout or workers died)"
        share = (
            f"{self.app_share:.1%} of the app limit over {self.window:,.0f} s"
            if self.app_share is not None
            else "app-limit share not measured (the backlog never held two minutes of it)"
        )
        refused = ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items())) or "none"
        jobs = ", ".join(f"{k} {v:,}" for k, v in sorted(self.jobs.items()))
        print(
            f"    {state} in {self.seconds:,.0f} s (first call to last); jobs: {jobs}\n"
            f"    invoices in Xero: {self.invoices_found:,} of {self.invoices_expected:,}, "
            f"{self.duplicates} duplicates, {self.missing} missing\n"
            f"    calls accepted: {self.calls:,}; 429s: {refused} "
            f"({self.per_tenant_429s} from a per-tenant limit)\n"
            f"    {share} ({self.app_per_minute}/min)\n"
            f"    {self.invoices_per_second_per_process:,.1f} invoices/s per worker process "
            f"({self.calls_per_minute_per_process:,.0f} calls/min per process)",
            flush=True,
        )
        if self.by_call:
            calls = ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_call.items()))
            posts = self.by_call["POST invoices"] + self.by_call["PUT invoices"]
            per_call = f"{self.invoices_found / posts:.1f}" if posts else "-"
            per_write = self.jobs["synced"] / self.calls if self.calls else 0.0
            print(
                f"    requests: {calls}; {per_call} invoices per invoice call, "
                f"{per_write:.1f} records synced per call (at most 50)",
                flush=True,
            )
        for note in self.notes:
            print(f"    note: {note}", flush=True)


def app_share(
    times: list[float], app_per_minute: int, *, finished: bool = True
) -> tuple[float | None, float]:
    """(share of the app limit used, window seconds): accepted calls from a minute after the first
    until fewer than a minute of the app limit were left to make (a run stopped before the end: its
    last call), over what the limit allows in that time."""
    if len(times) <= (app_per_minute if finished else 1):
        return None, 0.0
    start = times[0] + MINUTE
    end = times[len(times) - app_per_minute] if finished else times[-1]
    if end - start < MINUTE:
        return None, max(0.0, end - start)
    made = bisect.bisect_right(times, end) - bisect.bisect_left(times, start)
    return made / (app_per_minute / MINUTE * (end - start)), end - start


def account(
    label: str,
    setup: Any,
    store: Store,
    limiter: CountingLimiter,
    finished: bool,
    processes: int,
    concurrency: int | None,
) -> Account:
    emulator: XeroEmulator = setup.emulator
    found = duplicates = missing = other_duplicates = 0
    with store.session() as s:
        remote = dict(s.execute(select(Tenant.name, Tenant.remote_tenant_id)).all())
    for t, name in enumerate(setup.names):
        org = emulator.orgs[remote[name]]
        with org.lock:
            numbers = Counter(r["InvoiceNumber"] for r in org.collection("Invoices").values())
            contacts = Counter(r.get("ContactNumber") for r in org.collection("Contacts").values())
            items = Counter(r["Code"] for r in org.collection("Items").values())
        other_duplicates += sum(n - 1 for n in contacts.values()) + sum(
            n - 1 for n in items.values()
        )
        expected = {f"INV-{t + 1:04d}-{i + 1:05d}" for i in range(setup.book.invoices_per_tenant)}
        found += len(numbers)
        duplicates += sum(n - 1 for n in numbers.values())
        missing += len(expected - set(numbers))
    with limiter._log_lock:
        log = list(limiter.log)
    accepted = sorted(at for at, _, allowed, _ in log if allowed)
    refused = Counter(problem or "unknown" for _, _, allowed, problem in log if not allowed)
    share, window = app_share(accepted, limiter.limits.app_per_minute, finished=finished)
    with store.session() as s:
        jobs = Counter(
            dict(s.execute(select(SyncJob.status, func.count()).group_by(SyncJob.status)).all())
        )
    seconds = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    notes = []
    if other_duplicates:
        notes.append(f"{other_duplicates} duplicate contacts or items in the emulator")
    if missing and not finished:
        notes.append(
            "stopped at the time limit: the missing invoices are the jobs still open then, and "
            "the app-limit share runs to the last call"
        )
    return Account(
        label,
        processes,
        finished,
        setup.book.invoices,
        found,
        duplicates,
        missing,
        jobs,
        len(accepted),
        refused,
        seconds,
        share,
        window,
        limiter.limits.app_per_minute,
        setup.tally.take(),
        notes,
    )
